// Package portrait finds the holder's photograph on a document's data page
// and tells a face-like picture from an empty or wrong area.
package portrait

import (
	"image"
	"math"
	"slices"
)

// Layout is where ICAO 9303 places the portrait (zone V) of a format, in
// millimetres: its left edge from the document's left edge, its width and
// height, and the gap between its bottom edge and the machine-readable
// zone's top.
type Layout struct {
	Left, Width, Height, AboveZone float64
}

// Layouts are the nominal portrait placements of ICAO 9303 parts 4-7 by
// format: TD3 (passport data page), TD1 and TD2 (cards), MRVA and MRVB
// (visas).
var Layouts = map[string]Layout{
	"TD3":  {Left: 5, Width: 35, Height: 45, AboveZone: 2},
	"MRVA": {Left: 5, Width: 32, Height: 40, AboveZone: 2},
	"TD2":  {Left: 4, Width: 29, Height: 36, AboveZone: 2},
	"MRVB": {Left: 4, Width: 29, Height: 36, AboveZone: 2},
	"TD1":  {Left: 3, Width: 21, Height: 26, AboveZone: 1.5},
}

// Refine moves each edge of the nominal box r (inside g, which holds r with
// a margin around it) to the strongest straight edge within slack pixels:
// a photograph's border is one long, straight step in brightness, which a
// printed page's thin lines and text are not.
func Refine(g *image.Gray, r image.Rectangle, slack int) image.Rectangle {
	b := g.Rect
	// A side's step: the difference between the mean brightness of the
	// three lines just outside and just inside it, in each of eight
	// segments along the box's extent, and of those the third smallest: a
	// photo's straight border steps along all of its length; a face's
	// outline, a column of text and guilloche do not.
	const band, segments = 3, 8
	mean := func(x0, y0, x1, y1 int) float64 {
		s, n := 0.0, 0.0
		for y := max(y0, b.Min.Y); y < min(y1, b.Max.Y); y++ {
			for x := max(x0, b.Min.X); x < min(x1, b.Max.X); x++ {
				s += float64(g.GrayAt(x, y).Y)
				n++
			}
		}
		return s / max(n, 1)
	}
	low := func(v []float64) float64 {
		slices.Sort(v)
		return v[2]
	}
	colStep := func(x int) float64 {
		if x-band < b.Min.X || x+band > b.Max.X {
			return 0
		}
		v := make([]float64, segments)
		for k := range v {
			y0 := r.Min.Y + k*r.Dy()/segments
			y1 := r.Min.Y + (k+1)*r.Dy()/segments
			v[k] = math.Abs(mean(x-band, y0, x, y1) - mean(x, y0, x+band, y1))
		}
		return low(v)
	}
	rowStep := func(y int) float64 {
		if y-band < b.Min.Y || y+band > b.Max.Y {
			return 0
		}
		v := make([]float64, segments)
		for k := range v {
			x0 := r.Min.X + k*r.Dx()/segments
			x1 := r.Min.X + (k+1)*r.Dx()/segments
			v[k] = math.Abs(mean(x0, y-band, x1, y) - mean(x0, y, x1, y+band))
		}
		return low(v)
	}
	best := func(at int, step func(int) float64) (int, bool) {
		// Nearer edges are preferred: a strong edge at the slack's end
		// must beat a near one by half.
		bi, bv, bs := at, 0.0, 0.0
		for d := -slack; d <= slack; d++ {
			v := step(at + d)
			if sc := v * (1 - 0.5*math.Abs(float64(d))/float64(slack)); sc > bs {
				bi, bv, bs = at+d, v, sc
			}
		}
		// Only a clear edge moves the side: about 8 grey levels on
		// average along the whole side.
		if bv < 8 {
			return at, false
		}
		return bi, true
	}
	// A side without a clear edge (a light photo background on light
	// paper) follows the opposite side's move: the nominal box is mostly
	// off by a shift (the document's printing, the zone's measured scale).
	pair := func(lo, hi int, step func(int) float64) (int, int) {
		a, aok := best(lo, step)
		b, bok := best(hi, step)
		switch {
		case aok && !bok:
			b = hi + (a - lo)
		case bok && !aok:
			a = lo + (b - hi)
		}
		return a, b
	}
	x0, x1 := pair(r.Min.X, r.Max.X, colStep)
	y0, y1 := pair(r.Min.Y, r.Max.Y, rowStep)
	out := image.Rect(x0, y0, x1, y1)
	if out.Dx() < r.Dx()*3/4 || out.Dy() < r.Dy()*3/4 {
		return r
	}
	return out.Intersect(b)
}

// FaceLike reports whether g, a portrait crop, holds a face-like picture:
// enough contrast inside (an empty box is flat) and a head-and-shoulders
// figure that is roughly mirror-symmetric about the vertical centre line
// (text, guilloche and a box offset onto the page are not).
func FaceLike(g *image.Gray) bool {
	return Contrast(g) >= MinContrast && Symmetry(g) >= MinSymmetry
}

// Thresholds of FaceLike, set on internal/mrzgen's portraits and blank
// boxes (see the tests).
const (
	MinContrast = 20
	MinSymmetry = 0.1
)

// Contrast is the standard deviation of brightness in the central part of g.
func Contrast(g *image.Gray) float64 {
	r := inner(g.Rect, 0.15)
	var s, s2, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := float64(g.GrayAt(x, y).Y)
			s += v
			s2 += v * v
			n++
		}
	}
	if n == 0 {
		return 0
	}
	m := s / n
	return math.Sqrt(max(0, s2/n-m*m))
}

// Symmetry is the correlation between the central part of g and its mirror
// image, on a coarse grid (details and lighting matter less than the
// figure's outline).
func Symmetry(g *image.Gray) float64 {
	r := inner(g.Rect, 0.1)
	const n = 24
	cell := func(i, j int) float64 {
		x0 := r.Min.X + i*r.Dx()/n
		x1 := r.Min.X + (i+1)*r.Dx()/n
		y0 := r.Min.Y + j*r.Dy()/n
		y1 := r.Min.Y + (j+1)*r.Dy()/n
		s, c := 0.0, 0.0
		for y := y0; y < max(y1, y0+1); y++ {
			for x := x0; x < max(x1, x0+1); x++ {
				s += float64(g.GrayAt(x, y).Y)
				c++
			}
		}
		return s / c
	}
	var a, b []float64
	for j := range n {
		for i := range n / 2 {
			a = append(a, cell(i, j))
			b = append(b, cell(n-1-i, j))
		}
	}
	return correlation(a, b)
}

func correlation(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

func inner(r image.Rectangle, f float64) image.Rectangle {
	dx, dy := int(float64(r.Dx())*f), int(float64(r.Dy())*f)
	return image.Rect(r.Min.X+dx, r.Min.Y+dy, r.Max.X-dx, r.Max.Y-dy)
}
