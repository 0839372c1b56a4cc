package mrzscan

import (
	"image"
	"testing"
)

// glyphRow draws n glyph-like blocks (w x h, gap apart) from (x, y) on m
// with value v.
func glyphRow(m *image.Gray, x, y, n, w, h, gap int, v uint8) {
	for k := range n {
		for yy := y; yy < y+h; yy++ {
			for xx := x + k*(w+gap); xx < x+k*(w+gap)+w; xx++ {
				m.Pix[yy*m.Stride+xx] = v
			}
		}
	}
}

// frameBox draws a rectangle's outline of thickness t on m with value v.
func frameBox(m *image.Gray, r image.Rectangle, t int, v uint8) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if y < r.Min.Y+t || y >= r.Max.Y-t || x < r.Min.X+t || x >= r.Max.X-t {
				m.Pix[y*m.Stride+x] = v
			}
		}
	}
}

// A stamp's frame drawn across a zone joins its two lines into one band of
// the mask: the locator still finds a zone of two lines of 44 characters.
func TestZoneUnderStampFrame(t *testing.T) {
	t.Parallel()
	const size = 700
	for _, stamped := range []bool{false, true} {
		m := image.NewGray(image.Rect(0, 0, size, size))
		// Body text far above, so that glyph heights are measured.
		for i := range 4 {
			glyphRow(m, 100, 100+i*30, 20, 6, 10, 4, 255)
		}
		glyphRow(m, 100, 400, 44, 6, 10, 3, 255)
		glyphRow(m, 100, 418, 44, 6, 10, 3, 255)
		if stamped {
			// From above the zone down through the second line.
			frameBox(m, image.Rect(130, 360, 260, 422), 2, 255)
		}
		f := &frame{mask: m, size: size}
		var best *zone
		for _, z := range f.zones() {
			if z.lines == 2 && (best == nil || z.score > best.score) {
				best = &z
			}
		}
		if best == nil {
			t.Errorf("stamped %v: no zone of two lines", stamped)
			continue
		}
		// Glyphs joined to the frame are not counted: 36 of 44 stamped.
		if best.chars < 30 || best.b.y0 < 395 || best.b.y1 > 432 {
			t.Errorf("stamped %v: zone %v with %.0f characters a line, want the lines at 400-428 with 30 or more", stamped, best.b, best.chars)
		}
	}
}

// unline removes a stamp's frame from a crop and keeps the glyphs it
// crosses, whether the stamp's ink is lighter than the print (the glyphs
// show darker under it) or as dark.
func TestUnline(t *testing.T) {
	t.Parallel()
	const gh = 34
	for _, tt := range []struct {
		name          string
		stroke, under uint8 // the stroke over paper and over a glyph
	}{
		{"coloured stamp", 110, 70},
		{"black pen", 20, 20},
	} {
		g := image.NewGray(image.Rect(0, 0, 900, 120))
		for i := range g.Pix {
			g.Pix[i] = 230
		}
		// Glyph-like bars 6 px wide, 34 high, 24 apart.
		glyphRow(g, 40, 40, 30, 6, gh, 18, 20)
		// A stamp's bottom edge 5 px thick across the glyphs' tops, and its
		// side crossing down through the line.
		for y := 44; y < 49; y++ {
			for x := 100; x < 700; x++ {
				g.Pix[y*g.Stride+x] = map[bool]uint8{true: tt.under, false: tt.stroke}[g.Pix[y*g.Stride+x] == 20 || g.Pix[y*g.Stride+x] == tt.under]
			}
		}
		out, ok := unline(g, gh)
		if !ok {
			t.Errorf("%s: no stroke found", tt.name)
			continue
		}
		var strokeLeft, glyphLost int
		for y := 44; y < 49; y++ {
			for x := 100; x < 700; x++ {
				onGlyph := (x-40)%24 < 6 && x >= 40 && x < 40+30*24
				ink := out.Pix[y*out.Stride+x] == 0
				switch {
				case onGlyph && !ink:
					glyphLost++
				case !onGlyph && ink:
					strokeLeft++
				}
			}
		}
		if strokeLeft > 0 || glyphLost > 0 {
			t.Errorf("%s: %d stroke pixels left between glyphs, %d glyph pixels lost under it", tt.name, strokeLeft, glyphLost)
		}
		plain := image.NewGray(g.Rect)
		for i := range plain.Pix {
			plain.Pix[i] = 230
		}
		glyphRow(plain, 40, 40, 30, 6, gh, 18, 20)
		if _, ok := unline(plain, gh); ok {
			t.Errorf("unline found a stroke in glyphs alone")
		}
	}
}
