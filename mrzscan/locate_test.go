package mrzscan

import (
	"image"
	"image/color"
	"slices"
	"testing"
)

// A zone whose lines' middles are washed out (glare across a photo) is
// still located whole: the pieces of each line on one straight line are
// joined. Pieces that do not continue each other are not.
func TestLocateLinesBrokenByGlare(t *testing.T) {
	t.Parallel()
	const glyphs, pitch, gw, gh = 44, 14, 10, 16
	cases := []struct {
		name        string
		washed      [2]int // glyphs [from, to) of both lines missing
		drop        int    // how far the right pieces sit lower, pixels
		wantWhole   bool
		wantPartial bool
	}{
		{name: "whole lines", washed: [2]int{0, 0}, wantWhole: true},
		{name: "ten glyphs washed out", washed: [2]int{15, 25}, wantWhole: true},
		{name: "the right pieces a glyph lower", washed: [2]int{15, 25}, drop: gh, wantWhole: false, wantPartial: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g, block := blockPage(60+glyphs*pitch+60, 400)
			for line := range 2 {
				for k := range glyphs {
					if k >= c.washed[0] && k < c.washed[1] {
						continue
					}
					y := 300 + line*(gh+10)
					if k >= c.washed[1] && c.washed[1] > 0 {
						y += c.drop
					}
					block(60+k*pitch, y, gw, gh)
				}
			}
			// The document's print above the zone.
			for k := range 12 {
				block(80+k*40, 120, 24, 12)
			}
			p := newPage(g, 1000)
			full := float64(glyphs*pitch) * p.s
			var whole, partial bool
			for _, z := range p.frame(0).zones() {
				if z.lines != 2 {
					continue
				}
				switch {
				case z.w >= 0.95*full:
					whole = true
				case z.w >= 0.3*full:
					partial = true
				}
			}
			if whole != c.wantWhole || (c.wantPartial && !partial) {
				t.Errorf("a two-line zone of the whole length found: %v, want %v; of a piece: %v", whole, c.wantWhole, partial)
			}
		})
	}
}

// A passport whose holder has a short name has a first line mostly of '<',
// glyphs half a letter's height, so the locator's band of that line is
// thinner than the second's, and lines spaced 2.6 letters apart seem too
// far apart for it. When the page holds no zone of two lines otherwise,
// the spacing is judged against the thicker line, and they are one zone;
// lines spaced wider than that are not joined either way.
func TestLocateZoneWithALineOfFillers(t *testing.T) {
	t.Parallel()
	const glyphs, pitch, gw, gh, letters = 44, 14, 10, 16, 19
	cases := []struct {
		name    string
		spacing int  // between the lines' centres, pixels
		want    bool // found judged against the thicker line
	}{
		{name: "spaced 2.6 letter heights apart", spacing: 42, want: true},
		{name: "spaced 3.6 letter heights apart", spacing: 58, want: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g, block := blockPage(60+glyphs*pitch+60, 400)
			top := 260
			for k := range glyphs {
				x := 60 + k*pitch
				if k < letters {
					block(x, top, gw, gh)
				} else {
					block(x, top+gh/4, gw, gh/2) // a '<', centred on the line
				}
				block(x, top+c.spacing, gw, gh)
			}
			for k := range 12 {
				block(80+k*40, 120, 24, 12) // the document's print above
			}
			p := newPage(g, 1000)
			for _, byThicker := range []bool{false, true} {
				f := p.frame(0)
				f.byThicker = byThicker
				found := slices.ContainsFunc(f.zones(), func(z zone) bool { return z.lines == 2 })
				if want := c.want && byThicker; found != want {
					t.Errorf("judged against the thicker line %v: a two-line zone found: %v, want %v", byThicker, found, want)
				}
			}
		})
	}
}

// blockPage returns a light grey page of w x h pixels and a function that
// draws a dark block on it, the glyph stand-in of the locator's tests.
func blockPage(w, h int) (*image.Gray, func(x, y, w, h int)) {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 235
	}
	return g, func(x, y, w, h int) {
		for yy := y; yy < y+h; yy++ {
			for xx := x; xx < x+w; xx++ {
				g.SetGray(xx, yy, color.Gray{Y: 30})
			}
		}
	}
}
