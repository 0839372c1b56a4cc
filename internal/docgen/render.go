// Package docgen makes test documents with known text: pages rendered from
// a TrueType font at a chosen resolution, slightly rotated and blurred like
// a scan, and small PDFs (image-only, text-layer, blank) written directly.
// Tests and benchmarks use it so that accuracy is measured against text
// that is known exactly.
package docgen

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// FontPath is the TrueType font pages are set in (Debian fonts-dejavu-core).
const FontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"

// A4 in inches.
const (
	A4Width  = 8.27
	A4Height = 11.69
)

// PageOptions describe how a page is set and degraded.
type PageOptions struct {
	DPI      float64 // resolution; 0 means 300
	FontSize float64 // points; 0 means 11
	Rotate   float64 // degrees, counter-clockwise, as a page fed askew
	Blur     float64 // Gaussian sigma in pixels; 0 for none
	Font     string  // TrueType file; "" means FontPath
}

// Page renders text on an A4 page: one line of text per line of input,
// with an inch of margin, black on white. Lines too long for the page are
// an error, so that the reference text is exactly what is drawn.
func Page(text string, opts PageOptions) (*image.Gray, error) {
	if opts.DPI == 0 {
		opts.DPI = 300
	}
	if opts.FontSize == 0 {
		opts.FontSize = 11
	}
	if opts.Font == "" {
		opts.Font = FontPath
	}
	raw, err := os.ReadFile(opts.Font)
	if err != nil {
		return nil, fmt.Errorf("docgen: font: %w (install fonts-dejavu-core)", err)
	}
	f, err := opentype.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("docgen: parse font %s: %w", opts.Font, err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: opts.FontSize, DPI: opts.DPI, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("docgen: font face: %w", err)
	}
	defer face.Close()

	w, h := int(A4Width*opts.DPI), int(A4Height*opts.DPI)
	page := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(page, page.Rect, image.White, image.Point{}, draw.Src)
	margin := int(opts.DPI)
	d := &font.Drawer{Dst: page, Src: image.NewUniform(color.Gray{0}), Face: face}
	lineHeight := face.Metrics().Height * 12 / 10
	y := fixed.I(margin) + face.Metrics().Ascent
	for line := range strings.SplitSeq(text, "\n") {
		if adv := d.MeasureString(line); adv.Ceil() > w-2*margin {
			return nil, fmt.Errorf("docgen: line %q is wider than the page", line)
		}
		if y.Ceil() > h-margin {
			return nil, fmt.Errorf("docgen: text is longer than one page")
		}
		d.Dot = fixed.Point26_6{X: fixed.I(margin), Y: y}
		d.DrawString(line)
		y += lineHeight
	}
	out := page
	if opts.Rotate != 0 {
		out = Rotate(out, opts.Rotate)
	}
	if opts.Blur > 0 {
		out = Blur(out, opts.Blur)
	}
	return out, nil
}

// Rotate turns g by deg degrees counter-clockwise about its centre, with
// bilinear sampling and white where the page was not.
func Rotate(g *image.Gray, deg float64) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 255
		}
		return float64(g.Pix[y*g.Stride+x])
	}
	for y := range h {
		for x := range w {
			// Inverse mapping: where in the source this pixel comes from.
			dx, dy := float64(x)-cx, float64(y)-cy
			sx := cos*dx - sin*dy + cx
			sy := sin*dx + cos*dy + cy
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v := at(x0, y0)*(1-fx)*(1-fy) + at(x0+1, y0)*fx*(1-fy) + at(x0, y0+1)*(1-fx)*fy + at(x0+1, y0+1)*fx*fy
			out.Pix[y*out.Stride+x] = uint8(v + 0.5)
		}
	}
	return out
}

// Blur applies a Gaussian blur of the given sigma, in pixels.
func Blur(g *image.Gray, sigma float64) *image.Gray {
	r := int(math.Ceil(3 * sigma))
	kernel := make([]float64, 2*r+1)
	var sum float64
	for i := range kernel {
		x := float64(i - r)
		kernel[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += kernel[i]
	}
	for i := range kernel {
		kernel[i] /= sum
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	pass := func(src *image.Gray, horizontal bool) *image.Gray {
		dst := image.NewGray(src.Rect)
		for y := range h {
			for x := range w {
				var v float64
				for i, k := range kernel {
					sx, sy := x, y
					if horizontal {
						sx = min(max(x+i-r, 0), w-1)
					} else {
						sy = min(max(y+i-r, 0), h-1)
					}
					v += k * float64(src.Pix[sy*src.Stride+sx])
				}
				dst.Pix[y*dst.Stride+x] = uint8(v + 0.5)
			}
		}
		return dst
	}
	return pass(pass(g, true), false)
}
