package docgen

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// MonoFontPath is the monospaced font job labels are set in (Debian
// fonts-dejavu-core).
const MonoFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

// The size of a job-label image and of its text, in pixels: a label cut
// from a screen or a sticker, smaller than Tesseract's own page scale.
const (
	LabelWidth    = 590
	LabelHeight   = 95
	LabelFontSize = 40
)

// JobLabels returns n numbered job labels such as "job 021 invoice 6769":
// the job numbered from 1, the invoice number drawn from a generator
// seeded with seed, so the same arguments give the same labels.
func JobLabels(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("job %03d invoice %04d", i+1, rng.IntN(10000))
	}
	return out
}

// Label renders one line of text in MonoFontPath at LabelFontSize pixels,
// black on white, on a LabelWidth x LabelHeight image, its left edge and
// baseline where a label's would be. Text wider than the image is an error.
func Label(text string) (*image.Gray, error) {
	raw, err := os.ReadFile(MonoFontPath)
	if err != nil {
		return nil, fmt.Errorf("docgen: font: %w (install fonts-dejavu-core)", err)
	}
	f, err := opentype.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("docgen: parse font %s: %w", MonoFontPath, err)
	}
	// At 72 DPI a size in points is a size in pixels.
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: LabelFontSize, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("docgen: font face: %w", err)
	}
	defer face.Close()
	img := image.NewGray(image.Rect(0, 0, LabelWidth, LabelHeight))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Gray{0}), Face: face}
	const left = 24
	if adv := d.MeasureString(text); adv.Ceil() > LabelWidth-2*left {
		return nil, fmt.Errorf("docgen: label %q is wider than %d pixels", text, LabelWidth)
	}
	m := face.Metrics()
	// The line centred vertically: ascent above the baseline, descent below.
	baseline := (fixed.I(LabelHeight) + m.Ascent - m.Descent) / 2
	d.Dot = fixed.Point26_6{X: fixed.I(left), Y: baseline}
	d.DrawString(text)
	return img, nil
}
