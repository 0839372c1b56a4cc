package mrzscan

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
)

// A coloured mark drawn over a zone (a photo's red highlight over it, a
// blue pen's stroke across its lines) is as dark as ink in luminance,
// where Tesseract takes it for ink; the zone's rendering from the page's
// brightest channel leaves only the black print. Without colour, there is
// no such rendering.
func TestValueCropDropsColouredMarks(t *testing.T) {
	t.Parallel()
	s := generate(t, 7, mrzgen.Options{Format: passport.TD3, Scene: mrzgen.CardCrop, Turn: 0, DPI: 300})
	img, _, err := image.Decode(bytes.NewReader(s.Data))
	if err != nil {
		t.Fatal(err)
	}
	plain := imgutil.Gray(img)
	p := newPage(plain, 1000)
	var zs []zone
	for _, d := range p.orientations() {
		zs = append(zs, p.frame(d).zones()...)
	}
	zs = distinct(zs)
	if len(zs) == 0 || zs[0].lines != 2 {
		t.Fatalf("the zone is not located: %d candidates", len(zs))
	}
	z := zs[0]
	// The zone's centre in the original, between its two lines: a blue
	// stroke runs down through it, and the zone lies under a translucent red
	// highlight.
	wx, wy := z.f.toWork(z.cx, z.cy)
	cx, cy := int(wx/p.s), int(wy/p.s)
	half := int(z.h / p.s)
	marked := image.NewRGBA(plain.Rect)
	draw.Draw(marked, marked.Rect, img, img.Bounds().Min, draw.Src)
	for y := cy - half; y <= cy+half; y++ {
		for x := cx - int(z.w/p.s/2); x <= cx+int(z.w/p.s/2); x++ {
			c := marked.RGBAAt(x, y)
			marked.SetRGBA(x, y, color.RGBA{c.R, uint8(int(c.G) * 150 / 255), uint8(int(c.B) * 150 / 255), 255})
		}
		for x := cx - 3; x <= cx+3; x++ {
			marked.SetRGBA(x, y, color.RGBA{20, 60, 230, 255})
		}
	}
	ses := &session{colour: marked}
	mp := newPage(imgutil.Gray(marked), 1000)
	up := ses.crop(mp, z, glyphHeights[0], false)
	v, ok := ses.valueCrop(mp, z, up, false)
	if !ok {
		t.Fatal("no rendering of the zone from its brightest channel")
	}
	// Between the lines: on the stroke, and three glyphs beside it.
	mid := func(g *image.Gray, dx int) int {
		return int(g.GrayAt(g.Rect.Dx()/2+dx, g.Rect.Dy()/2).Y)
	}
	aside := 3 * int(glyphHeights[0])
	if d := mid(up, aside) - mid(up, 0); d < 60 {
		t.Errorf("luminance: the stroke is only %d levels darker than the highlighted paper beside it", d)
	}
	if d := mid(v, aside) - mid(v, 0); d > 30 {
		t.Errorf("brightest channel: the stroke is still %d levels darker than the paper beside it", d)
	}
	if _, ok := (&session{colour: plain}).valueCrop(p, z, ses.crop(p, z, glyphHeights[0], false), false); ok {
		t.Error("a gray page gave a rendering from its brightest channel")
	}
}
