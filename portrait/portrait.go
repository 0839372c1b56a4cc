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
// (visas); and FRID, the French identity card of 1988-2021: a card of
// TD2's size whose photo, measured on a specimen card (no published
// specification gives it), reaches the card's left edge, 32.5 x 41.5 mm,
// 4 mm above the zone (docs/passport-evaluation.md, "The French identity
// card").
var Layouts = map[string]Layout{
	"TD3":  {Left: 5, Width: 35, Height: 45, AboveZone: 2},
	"MRVA": {Left: 5, Width: 32, Height: 40, AboveZone: 2},
	"TD2":  {Left: 4, Width: 29, Height: 36, AboveZone: 2},
	"MRVB": {Left: 4, Width: 29, Height: 36, AboveZone: 2},
	"TD1":  {Left: 3, Width: 21, Height: 26, AboveZone: 1.5},
	"FRID": {Left: 0.5, Width: 32.5, Height: 41.5, AboveZone: 4},
}

// Refine finds the photo's border near its nominal box r inside planes
// (the area's grey levels, and its red, green and blue when in colour: one
// image each, all of the same bounds), which hold r with a margin of at
// least slack pixels around it. A photograph's border is a long straight
// step in brightness or colour, however faint (a light photo background on
// light paper), in one of the planes at least; its two opposite sides lie
// about a photo's width (height) apart, with the page outside both and,
// left and right, the same background inside both. A printed page's thin
// lines and text, the card's edge and the hair or shoulders inside the
// photo are not such a pair. Each side is looked for within slack of r's,
// as a line leaning up to Lean (the page seen in perspective, or turned a
// little against the zone), and the box returned runs through the sides'
// midpoints. A side with no clear edge keeps the nominal size from the
// opposite one; with neither, r stays.
func Refine(planes []*image.Gray, r image.Rectangle, slack int) image.Rectangle {
	var rows, cols []prefix
	for _, g := range planes {
		rows = append(rows, prefixes(g, false))
		cols = append(cols, prefixes(g, true))
	}
	b := planes[0].Rect
	x0, x1, both := pair(rows, b, r.Min.X, r.Max.X, r.Min.Y, r.Max.Y, slack, true)
	y0, y1, _ := pair(cols, image.Rect(b.Min.Y, b.Min.X, b.Max.Y, b.Max.X), r.Min.Y, r.Max.Y, r.Min.X, r.Max.X, slack, false)
	if !both {
		// One side or neither shows (a light photo background on light
		// paper, seen in grey), and the one may be another straight edge
		// (the printed fields' aligned left margin): the holder's head and
		// shoulders are centred in the photo, so the box centred on their
		// mirror axis is taken when it is more symmetric.
		g := planes[0]
		box := image.Rect(x0, y0, x1, y1)
		at := mirrorAxis(g, image.Rect(r.Min.X, y0, r.Max.X, y1), slack)
		if !box.In(g.Rect) || Symmetry(g.SubImage(at).(*image.Gray)) > Symmetry(g.SubImage(box).(*image.Gray))+0.05 {
			x0, x1 = at.Min.X, at.Max.X
		}
	}
	return image.Rect(x0, y0, x1, y1).Intersect(b)
}

// mirrorAxis moves box across, up to slack pixels, to where g's picture
// inside it is the most mirror-symmetric (Symmetry), the nearer to box's
// place preferred slightly. Box stays where no place is symmetric enough
// to hold a figure (MinSymmetry).
func mirrorAxis(g *image.Gray, box image.Rectangle, slack int) image.Rectangle {
	best, bs := 0, MinSymmetry
	for d := -slack; d <= slack; d += 2 {
		b := box.Add(image.Pt(d, 0))
		if !b.In(g.Rect) {
			continue
		}
		if v := Symmetry(g.SubImage(b).(*image.Gray)) - 0.1*float64(abs(d))/float64(slack); v > bs {
			best, bs = d, v
		}
	}
	return box.Add(image.Pt(best, 0))
}

// Limits of Refine's search.
const (
	// Lean is the largest slope of a side looked for (about 2.3 degrees).
	Lean = 0.04
	// SizeTolerance is how far a photo's width or height may differ from
	// the nominal one: issuers' layouts and the zone's measured scale.
	SizeTolerance = 0.12
	// MinStep is a clear edge's step, in grey levels, along most of the
	// side.
	MinStep = 3.5
	// Match is the difference in grey levels between the bands outside
	// (inside) two opposite sides that halves their pair's score.
	Match = 10.0
)

// prefix holds running sums along the lines of an image: along rows, or
// along columns (then x and y swap in its use).
type prefix struct {
	sum          [][]int32
	min0, across int // first line's coordinate and first position's
}

func prefixes(g *image.Gray, columns bool) prefix {
	b := g.Rect
	n, m, o, a := b.Dy(), b.Dx(), b.Min.Y, b.Min.X
	if columns {
		n, m, o, a = b.Dx(), b.Dy(), b.Min.X, b.Min.Y
	}
	p := prefix{sum: make([][]int32, n), min0: o, across: a}
	for i := range n {
		row := make([]int32, m+1)
		for j := range m {
			x, y := a+j, o+i
			if columns {
				x, y = o+i, a+j
			}
			row[j+1] = row[j] + int32(g.Pix[g.PixOffset(x, y)])
		}
		p.sum[i] = row
	}
	return p
}

// step is the brightness step across position at of line i: the mean of
// band values before it minus that of band values from it; ok is false
// near the image's edge.
func (p prefix) step(i, at, band int) (float64, bool) {
	j := at - p.across
	row := p.sum[i-p.min0]
	if j-band < 0 || j+band >= len(row) {
		return 0, false
	}
	return float64(2*row[j]-row[j-band]-row[j+band]) / float64(band), true
}

// pair finds two opposite sides, nominally at lo and hi, measured along
// lines from to to (rows for left and right sides, columns for top and
// bottom: then b, lo and hi are in swapped coordinates). both is false
// when at most one side shows: lo and hi are then moved by that side's
// offset, or returned as they are.
func pair(planes []prefix, b image.Rectangle, lo, hi, from, to, slack int, matchInside bool) (int, int, bool) {
	const band, segments = 3, 8
	from, to = max(from, b.Min.Y), min(to, b.Max.Y)
	mid := (from + to) / 2
	size := hi - lo
	// strength of the straight side through (at, mid) with slope k: the
	// third smallest of its segments' mean steps, so that a side whose
	// ends are lost (a shifted nominal extent, glare) still counts while
	// a face's outline or a column of text does not.
	v := make([]float64, segments)
	strength := func(p prefix, at int, k float64) float64 {
		for s := range segments {
			y0 := from + s*(to-from)/segments
			y1 := from + (s+1)*(to-from)/segments
			sum, n := 0.0, 0
			for y := y0; y < y1; y++ {
				x := at + int(math.Round(k*float64(y-mid)))
				if d, ok := p.step(y, x, band); ok {
					sum += d
					n++
				}
			}
			v[s] = 0
			if n > 0 {
				v[s] = math.Abs(sum / float64(n))
			}
		}
		slices.Sort(v)
		return v[2]
	}
	// sides holds, for each position within slack of nominal, the side's
	// strength and, on each plane, the mean level of the band just before
	// it and just after it, along the side's best slope.
	type side struct {
		strength      float64
		before, after []float64
	}
	mean := func(p prefix, at int, k float64, o0, o1 int) float64 {
		sum, n := 0.0, 0
		for y := from; y < to; y++ {
			x := at + int(math.Round(k*float64(y-mid))) - p.across
			row := p.sum[y-p.min0]
			if x+o0 < 0 || x+o1 >= len(row) {
				continue
			}
			sum += float64(row[x+o1] - row[x+o0])
			n += o1 - o0
		}
		return sum / float64(max(n, 1))
	}
	edges := func(nominal int) []side {
		out := make([]side, 2*slack+1)
		for d := -slack; d <= slack; d++ {
			bk := 0.0
			for k := -Lean; k <= Lean+1e-9; k += Lean / 4 {
				for _, p := range planes {
					if v := strength(p, nominal+d, k); v > out[d+slack].strength {
						out[d+slack].strength, bk = v, k
					}
				}
			}
			for _, p := range planes {
				out[d+slack].before = append(out[d+slack].before, mean(p, nominal+d, bk, -3*band, -band))
				out[d+slack].after = append(out[d+slack].after, mean(p, nominal+d, bk, band, 3*band))
			}
		}
		return out
	}
	sa, sc := edges(lo), edges(hi)
	a, c := make([]float64, len(sa)), make([]float64, len(sc))
	for i := range sa {
		a[i], c[i] = sa[i].strength, sc[i].strength
	}
	// differ is the largest difference between two bands' levels over the
	// planes.
	differ := func(u, v []float64) float64 {
		d := 0.0
		for i := range u {
			d = max(d, math.Abs(u[i]-v[i]))
		}
		return d
	}
	// The pair whose weaker side is the strongest, its size within
	// SizeTolerance of the nominal one, the nearer to the nominal place
	// preferred slightly.
	tol := int(SizeTolerance * float64(size))
	bi, bj, bs := 0, 0, 0.0
	for i := range a {
		for j := range c {
			if d := (hi + j) - (lo + i) - size; d < -tol || d > tol {
				continue
			}
			near := 1 - 0.2*float64(abs(i-slack)+abs(j-slack))/float64(2*slack)
			// A photo's opposite sides have the page outside both and,
			// across the rows (left and right), the same background
			// inside: the card's edge and the hair's do not.
			mismatch := differ(sa[i].before, sc[j].after)
			if matchInside {
				mismatch += differ(sa[i].after, sc[j].before)
			}
			if v := min(a[i], c[j]) * near / (1 + mismatch/Match); v > bs {
				bi, bj, bs = i, j, v
			}
		}
	}
	if min(a[bi], c[bj]) >= MinStep {
		return lo + bi - slack, hi + bj - slack, true
	}
	// One clear side at most: it keeps the nominal size.
	ai, av := strongest(a, slack)
	ci, cv := strongest(c, slack)
	switch {
	case av >= MinStep && av >= cv:
		return lo + ai, hi + ai, false
	case cv >= MinStep:
		return lo + ci, hi + ci, false
	}
	return lo, hi, false
}

// strongest returns the offset from the nominal place (index slack of v)
// of v's strongest edge, the nearer preferred, and its strength.
func strongest(v []float64, slack int) (int, float64) {
	bi, bv, bs := 0, 0.0, 0.0
	for i, x := range v {
		if sc := x * (1 - 0.5*float64(abs(i-slack))/float64(slack)); sc > bs {
			bi, bv, bs = i-slack, x, sc
		}
	}
	return bi, bv
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// FaceLike reports whether a portrait crop, its grey levels g and, when in
// colour, its red, green and blue planes, holds a face-like picture:
// enough contrast inside, in grey or in one colour (an empty box is flat;
// dark green hair around a brown face differs little in grey), and a
// head-and-shoulders figure that is roughly mirror-symmetric about the
// vertical centre line in grey (text, guilloche and a box offset onto the
// page are not), with contrast across its rows too: a picture that changes
// only from top to bottom (a rainbow-printed background) mirrors itself
// perfectly.
func FaceLike(g *image.Gray, colours ...*image.Gray) bool {
	c, rc := Contrast(g), RowContrast(g)
	for _, p := range colours {
		c, rc = max(c, Contrast(p)), max(rc, RowContrast(p))
	}
	return c >= MinContrast && rc >= MinRowContrast && Symmetry(g) >= MinSymmetry
}

// Thresholds of FaceLike, set on internal/mrzgen's portraits and blank
// boxes (see the tests).
const (
	MinContrast    = 20
	MinRowContrast = 10
	MinSymmetry    = 0.1
)

// RowContrast is the standard deviation of brightness along each row of
// the central part of g, averaged over the rows as a variance.
func RowContrast(g *image.Gray) float64 {
	r := inner(g.Rect, 0.15)
	var sum float64
	rows := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if v, ok := variance(g, image.Rect(r.Min.X, y, r.Max.X, y+1)); ok {
			sum += v
			rows++
		}
	}
	if rows == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(rows))
}

// Contrast is the standard deviation of brightness in the central part of g.
func Contrast(g *image.Gray) float64 {
	v, _ := variance(g, inner(g.Rect, 0.15))
	return math.Sqrt(v)
}

// variance is the variance of brightness over g's pixels in r; false when
// r holds none.
func variance(g *image.Gray, r image.Rectangle) (float64, bool) {
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
		return 0, false
	}
	m := s / n
	return max(0, s2/n-m*m), true
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
