package mrzgen

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/revisbali/worker/passport"
)

// Fonts: OCR-B from Debian fonts-ocr-b; DejaVu for the printed text.
const (
	OCRBPath      = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
	OCRBSharpPath = "/usr/share/fonts/opentype/ocr-b/OCRBS.otf"
	SansPath      = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	SansBoldPath  = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
)

// Fonts holds the parsed fonts; load once with LoadFonts and share.
type Fonts struct {
	ocrb, ocrbSharp, sans, bold *sfnt.Font
}

// LoadFonts parses the fonts the documents are set in.
func LoadFonts() (*Fonts, error) {
	var fs Fonts
	for _, f := range []struct {
		path string
		dst  **sfnt.Font
	}{{OCRBPath, &fs.ocrb}, {OCRBSharpPath, &fs.ocrbSharp}, {SansPath, &fs.sans}, {SansBoldPath, &fs.bold}} {
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("mrzgen: font: %w (install fonts-ocr-b and fonts-dejavu-core)", err)
		}
		if *f.dst, err = opentype.Parse(raw); err != nil {
			return nil, fmt.Errorf("mrzgen: parse %s: %w", f.path, err)
		}
	}
	return &fs, nil
}

// docSize is each format's document in millimetres (ICAO 9303 parts 4-7;
// the French card as TD2), landscape.
var docSize = map[passport.Format][2]float64{
	passport.TD1: {85.6, 54}, passport.TD2: {105, 74}, passport.TD3: {125, 88},
	passport.MRVA: {120, 80}, passport.MRVB: {105, 74}, passport.FRID: {105, 74},
}

// renderDoc draws the document holding t's zone (or, with t nil, the front
// of a card without one) at dpi, in colour.
func (fs *Fonts) renderDoc(rng *rand.Rand, t *Truth, f passport.Format, dpi float64, blankPhoto bool) (*image.RGBA, image.Rectangle, error) {
	if f == passport.FRID {
		return fs.renderFrench(rng, t, dpi, blankPhoto)
	}
	size := docSize[f]
	mm := dpi / 25.4
	w, h := int(size[0]*mm), int(size[1]*mm)
	img := securityPaper(rng, w, h, mm)
	// Photo on the left, above the zone.
	zoneTop := h - int(mm*(4+4.2*float64(zoneLines(f))))
	photo := photoBox(rng, f, mm, zoneTop)
	drawPortrait(rng, img, photo, blankPhoto)
	// Printed text: a title and labelled fields.
	sans, err := face(fs.sans, 6.5, dpi)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	defer sans.Close()
	bold, err := face(fs.bold, 9, dpi)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	defer bold.Close()
	title := map[passport.Format]string{passport.TD3: "PASSPORT / PASSEPORT", passport.TD1: "IDENTITY CARD",
		passport.TD2: "IDENTITY CARD / CARTE D'IDENTITE", passport.MRVA: "VISA", passport.MRVB: "VISA"}[f]
	dark := image.NewUniform(color.RGBA{30, 30, 50, 255})
	text(img, bold, dark, title, int(4*mm), int(8*mm))
	printed := PrintedOf(&Truth{Surname: "SPECIMEN", GivenNames: "SAMPLE", DocumentNumber: "X00000000", Nationality: "UTO",
		BirthDate: "1980-01-01", Sex: "M", ExpiryDate: "2030-12-31"})
	if t != nil {
		printed = t.Printed
	}
	area := image.Rect(photo.Max.X+int(4*mm), int(11*mm), w-int(3*mm), zoneTop-int(1.5*mm))
	if t == nil {
		area.Max.Y = h - int(5*mm)
	}
	dataPage(img, sans, bold, dark, f, printed, area)
	if t == nil {
		return img, photo, nil
	}
	if err := fs.drawZone(rng, img, t, dpi); err != nil {
		return nil, image.Rectangle{}, err
	}
	return img, photo, nil
}

// securityPaper is a w x h document of pastel security paper with a
// guilloche of thin waves.
func securityPaper(rng *rand.Rand, w, h int, mm float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	base := color.RGBA{uint8(215 + rng.IntN(40)), uint8(215 + rng.IntN(40)), uint8(205 + rng.IntN(50)), 255}
	draw.Draw(img, img.Rect, image.NewUniform(base), image.Point{}, draw.Src)
	ink := color.RGBA{uint8(120 + rng.IntN(100)), uint8(120 + rng.IntN(100)), uint8(140 + rng.IntN(100)), 255}
	waves := 10 + rng.IntN(20)
	for k := range waves {
		amp, period, phase := (2+rng.Float64()*6)*mm, (10+rng.Float64()*30)*mm, rng.Float64()*6.3
		y0 := float64(k) * float64(h) / float64(waves)
		for x := range w {
			y := y0 + amp*math.Sin(float64(x)/period*2*math.Pi+phase)
			for dy := range max(1, int(mm*0.12)) {
				if yy := int(y) + dy; yy >= 0 && yy < h {
					img.SetRGBA(x, yy, blend(img.RGBAAt(x, yy), ink, 0.5))
				}
			}
		}
	}
	return img
}

// drawZone prints t's zone centred across the bottom of img.
func (fs *Fonts) drawZone(rng *rand.Rand, img *image.RGBA, t *Truth, dpi float64) error {
	mm := dpi / 25.4
	w, h := img.Rect.Dx(), img.Rect.Dy()
	// OCR-B at 10 points gives ICAO's 10 characters per inch; printers
	// vary a little.
	ocrb, err := face(fs.ocrb, 10*(0.96+0.08*rng.Float64()), dpi)
	if err != nil {
		return err
	}
	defer ocrb.Close()
	sharp, err := face(fs.ocrbSharp, 10, dpi)
	if err != nil {
		return err
	}
	defer sharp.Close()
	mrzInk := image.NewUniform(color.RGBA{uint8(rng.IntN(40)), uint8(rng.IntN(40)), uint8(rng.IntN(50)), 255})
	lineStep := 4.23 * mm
	left := (float64(w) - float64(len(t.MRZ[0]))*2.54*mm) / 2
	baseline := float64(h) - (3.5+rng.Float64())*mm - float64(len(t.MRZ)-1)*lineStep
	for i, line := range t.MRZ {
		mrzLine(img, ocrb, sharp, mrzInk, line, left, baseline+float64(i)*lineStep, 2.54*mm)
	}
	return nil
}

func zoneLines(f passport.Format) int {
	if f == passport.TD1 {
		return 3
	}
	return 2
}

func face(f *sfnt.Font, size, dpi float64) (font.Face, error) {
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("mrzgen: font face: %w", err)
	}
	return fc, nil
}

func text(dst draw.Image, f font.Face, ink image.Image, s string, x, y int) {
	textEnd(dst, f, ink, s, x, y)
}

// textEnd draws s as text does and returns where it ends.
func textEnd(dst draw.Image, f font.Face, ink image.Image, s string, x, y int) int {
	d := &font.Drawer{Dst: dst, Src: ink, Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Ceil()
}

// mrzLine draws one zone line at a fixed pitch. Some glyphs of OCRB.otf use
// a CFF operator x/image cannot draw ('<' among them); those come from the
// sharp cut of the same design.
func mrzLine(dst draw.Image, f, fallback font.Face, ink image.Image, line string, x, baseline, pitch float64) {
	for i, r := range line {
		fc := f
		if _, _, _, _, ok := f.Glyph(fixed.Point26_6{}, r); !ok {
			fc = fallback
		}
		d := &font.Drawer{Dst: dst, Src: ink, Face: fc, Dot: fixed.Point26_6{X: fixed.Int26_6((x + float64(i)*pitch) * 64), Y: fixed.Int26_6(baseline * 64)}}
		d.DrawString(string(r))
	}
}

func blend(a, b color.RGBA, t float64) color.RGBA {
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

func clamp(v int) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}
