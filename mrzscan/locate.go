package mrzscan

import (
	"cmp"
	"image"
	"math"
	"slices"
)

// workEdges are the long edges of the working copies the zone is looked
// for on: the first gives zone glyphs of 6+ pixels on a full A4 page and is
// cheap to filter; the second is for a small document in a large photo.
var workEdges = []int{1000, 2000}

// page is one image prepared for locating: the full-resolution gray image
// and its working copy (scale s: working pixels per original pixel).
type page struct {
	orig *image.Gray
	work *image.Gray
	s    float64
	mask *image.Gray // text strokes of work: 255 where ink
	// shrunk holds orig reduced by integer factors, built on demand, so that
	// crops from big photos are not sampled with aliasing.
	shrunk map[int]*image.Gray
}

func newPage(g *image.Gray, edge int) *page {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	s := float64(edge) / float64(max(w, h))
	ww, wh := max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5))
	p := &page{orig: g, work: resize(g, ww, wh), s: s, shrunk: map[int]*image.Gray{1: g}}
	bh := blackhat(p.work, 7)
	t := max(otsu(histogram(bh)), 18)
	p.mask = image.NewGray(bh.Rect)
	for i, v := range bh.Pix {
		if v > t {
			p.mask.Pix[i] = 255
		}
	}
	return p
}

// level returns orig shrunk by k (k >= 1).
func (p *page) level(k int) *image.Gray {
	if g, ok := p.shrunk[k]; ok {
		return g
	}
	w, h := p.orig.Rect.Dx(), p.orig.Rect.Dy()
	g := resize(p.orig, max(1, w/k), max(1, h/k))
	p.shrunk[k] = g
	return g
}

// orientations returns the text direction of the page, in degrees within
// +-15 of 0 (lines run left to right or right to left) and within +-15 of
// 90 (lines run up or down), best first, judged by how sharply the ink
// projects onto lines perpendicular to each direction.
func (p *page) orientations() []float64 {
	var pts [][2]float64
	w, h := p.mask.Rect.Dx(), p.mask.Rect.Dy()
	step := 1
	if n := countInk(p.mask); n > 80000 {
		step = int(math.Sqrt(float64(n) / 80000))
		step = max(step, 1)
	}
	for y := 0; y < h; y += step {
		for x := 0; x < w; x += step {
			if p.mask.Pix[y*p.mask.Stride+x] != 0 {
				pts = append(pts, [2]float64{float64(x) - float64(w)/2, float64(y) - float64(h)/2})
			}
		}
	}
	if len(pts) < 50 {
		return []float64{0, 90}
	}
	bins := make([]int, int(math.Hypot(float64(w), float64(h)))+4)
	score := func(deg float64) float64 {
		clear(bins)
		sin, cos := math.Sincos(deg2rad(deg))
		off := float64(len(bins)) / 2
		for _, q := range pts {
			bins[int(-q[0]*sin+q[1]*cos+off)]++
		}
		s := 0.0
		for _, b := range bins {
			s += float64(b) * float64(b)
		}
		return s
	}
	best := func(centre float64) (float64, float64) {
		bd, bs := centre, -1.0
		for d := centre - 15; d <= centre+15; d += 0.5 {
			if s := score(d); s > bs {
				bd, bs = d, s
			}
		}
		for d := bd - 0.4; d <= bd+0.4; d += 0.1 {
			if s := score(d); s > bs {
				bd, bs = d, s
			}
		}
		return bd, bs
	}
	d0, s0 := best(0)
	d1, s1 := best(90)
	if s1 > s0 {
		return []float64{d1, d0}
	}
	return []float64{d0, d1}
}

func countInk(g *image.Gray) int {
	n := 0
	for _, v := range g.Pix {
		if v != 0 {
			n++
		}
	}
	return n
}

// frame is the working image seen along a text direction: u runs along the
// lines, v across them (down), both in working pixels from the centre.
type frame struct {
	deg      float64
	cx, cy   float64
	cos, sin float64
	size     int // the rotated mask is size x size, centred
	mask     *image.Gray
	workW    int
	workH    int
	// minLineH is the least glyph height (working pixels) of a zone worth
	// reading: minZoneGlyph original pixels.
	minLineH float64
	// byThicker judges the spacing of two lines against the thicker of
	// them rather than the upper: a zone whose first line is mostly '<'
	// (a short name's fillers, half a letter high) has a thinner band
	// there than its second line of letters and digits, and its lines
	// seem too far apart for the thinner (see search).
	byThicker bool
}

// minZoneGlyph is the glyph height, in original pixels, under which a
// candidate zone is not one: no OCR reads print that small, and a fine
// guilloche or a checked cloth makes many such "lines" that would take the
// place of the real zone among the candidates read.
const minZoneGlyph = 5

func (p *page) frame(deg float64) *frame {
	w, h := p.work.Rect.Dx(), p.work.Rect.Dy()
	sin, cos := math.Sincos(deg2rad(deg))
	f := &frame{deg: deg, cx: float64(w) / 2, cy: float64(h) / 2, cos: cos, sin: sin, workW: w, workH: h, minLineH: minZoneGlyph * p.s}
	f.size = int(math.Hypot(float64(w), float64(h))) + 2
	half := float64(f.size) / 2
	// Nearest-neighbour rotation of the mask: (i, j) -> (u, v) -> work.
	m := image.NewGray(image.Rect(0, 0, f.size, f.size))
	for j := range f.size {
		v := float64(j) - half
		for i := range f.size {
			u := float64(i) - half
			x := int(f.cx + u*cos - v*sin)
			y := int(f.cy + u*sin + v*cos)
			if x >= 0 && y >= 0 && x < w && y < h && p.mask.Pix[y*p.mask.Stride+x] != 0 {
				m.Pix[j*m.Stride+i] = 255
			}
		}
	}
	f.mask = m
	return f
}

// toWork maps frame pixel coordinates to working-image coordinates.
func (f *frame) toWork(i, j float64) (float64, float64) {
	half := float64(f.size) / 2
	u, v := i-half, j-half
	return f.cx + u*f.cos - v*f.sin, f.cy + u*f.sin + v*f.cos
}

type box struct{ x0, y0, x1, y1 int } // half-open, frame pixels

func (b box) w() int { return b.x1 - b.x0 }
func (b box) h() int { return b.y1 - b.y0 }

type component struct {
	box
	n int
}

// components labels the 8-connected ink regions of m.
func components(m *image.Gray) []component {
	c, _ := labelled(m)
	return c
}

// labelled labels the 8-connected ink regions of m and returns, for each
// pixel, 1 + the index of its region (0 for background).
func labelled(m *image.Gray) ([]component, []int32) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	seen := make([]int32, w*h)
	var out []component
	var stack []int
	for start := range w * h {
		if seen[start] != 0 || m.Pix[(start/w)*m.Stride+start%w] == 0 {
			continue
		}
		c := component{box: box{w, h, 0, 0}}
		id := int32(len(out) + 1)
		seen[start] = id
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := k%w, k/w
			c.n++
			c.x0, c.y0 = min(c.x0, x), min(c.y0, y)
			c.x1, c.y1 = max(c.x1, x+1), max(c.y1, y+1)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					kk := yy*w + xx
					if seen[kk] == 0 && m.Pix[yy*m.Stride+xx] != 0 {
						seen[kk] = id
						stack = append(stack, kk)
					}
				}
			}
		}
		out = append(out, c)
	}
	return out, seen
}

// smear fills horizontal gaps of at most gap pixels between ink, so that
// the glyphs of a line join into one band.
func smear(m *image.Gray, gap int) *image.Gray {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewGray(m.Rect)
	copy(out.Pix, m.Pix)
	for y := range h {
		row := out.Pix[y*out.Stride : y*out.Stride+w]
		last := -1
		for x, v := range row {
			if v == 0 {
				continue
			}
			if last >= 0 && x-last-1 <= gap && x-last > 1 {
				for k := last + 1; k < x; k++ {
					row[k] = 255
				}
			}
			last = x
		}
	}
	return out
}

// zone is a candidate machine-readable zone in one frame.
type zone struct {
	f      *frame
	b      box     // bounding box in frame pixels, for overlap tests
	cx, cy float64 // centre, frame pixels
	w, h   float64 // size along and across the lines once deskewed
	delta  float64 // the lines' angle in the frame, degrees
	lineH  float64 // glyph height, working pixels
	lines  int
	chars  float64 // glyphs counted per line
	score  float64
	upside bool // the zone looks upside down in this frame
}

// line is a band of joined glyphs: where it lies, its slope in the frame,
// its thickness (glyph height) and how many characters it holds.
type line struct {
	box
	cx, cy, slope, t float64
	chars            int
}

// at is the line's centre height at x.
func (l line) at(x float64) float64 { return l.cy + l.slope*(x-l.cx) }

// zones finds runs of two or three long, parallel, equally long and evenly
// spaced text lines of 30 to 44 characters, set apart from other lines of
// their kind: the shape of a machine-readable zone. Lines may lean a few
// degrees against the frame (a document askew on a straight page).
func (f *frame) zones() []zone {
	glyphs := components(f.mask)
	var hs []float64
	for _, g := range glyphs {
		if g.h() >= 3 && g.n >= 6 && g.w() < 4*g.h() {
			hs = append(hs, float64(g.h()))
		}
	}
	if len(hs) < 20 {
		return nil
	}
	hc := median(hs)
	out := f.zonesAt(glyphs, hc)
	// A fine texture behind the document (a checked cloth, a guilloche)
	// gives most of the ink's components, and their height is no glyph's:
	// the gaps between glyphs are then too wide to join. Measured over the
	// components at least twice as tall, the glyph height joins the lines.
	// When the median is under any readable glyph's height, this is looked
	// for even if zones of two lines were found: on a fine-line page the
	// printed fields make such zones, and the real one is only found at the
	// taller height.
	if slices.ContainsFunc(out, func(z zone) bool { return z.lines >= 2 }) && hc >= f.minLineH {
		return out
	}
	var tall []float64
	for _, h := range hs {
		if h >= 2*hc {
			tall = append(tall, h)
		}
	}
	if len(tall) < 20 {
		return out
	}
	return append(out, f.zonesAt(glyphs, median(tall))...)
}

// zonesAt is zones with glyphs of height hc (working pixels).
func (f *frame) zonesAt(glyphs []component, hc float64) []zone {
	var out []zone
	for _, gapK := range []float64{0.9, 1.6} {
		bands, labels := labelled(smear(f.mask, int(math.Max(2, hc*gapK))))
		var lines []line
		for k, b := range bands {
			if b.w() < 10*3 || float64(b.w()) < 6*hc {
				continue
			}
			l := fit(b, int32(k+1), labels, f.size, nil)
			for _, l := range append([]line{l}, splitBand(l, int32(k+1), labels, f.size)...) {
				if l.t < 2.5 || float64(l.w()) < 10*l.t || math.Abs(l.slope) > 0.09 {
					continue
				}
				l.chars = countChars(glyphs, l)
				if l.chars >= 12 && l.chars <= 60 {
					lines = append(lines, l)
				}
			}
		}
		lines = append(lines, joinBroken(lines)...)
		slices.SortFunc(lines, func(a, b line) int { return cmp.Compare(a.cy, b.cy) })
		for i := range lines {
			for _, z := range f.group(lines, i) {
				if z.lineH >= f.minLineH {
					out = append(out, z)
				}
			}
		}
	}
	return out
}

// fit measures band id (only its pixels for which keep holds, when keep is
// not nil): its centre, slope (least squares over its pixels), thickness
// (area over length) and box.
func fit(b component, id int32, labels []int32, stride int, keep func(x, y int) bool) line {
	var sx, sy, sxx, sxy, n float64
	bb := box{b.x1, b.y1, b.x0, b.y0}
	for y := b.y0; y < b.y1; y++ {
		for x := b.x0; x < b.x1; x++ {
			if labels[y*stride+x] == id && (keep == nil || keep(x, y)) {
				fx, fy := float64(x), float64(y)
				sx, sy, sxx, sxy, n = sx+fx, sy+fy, sxx+fx*fx, sxy+fx*fy, n+1
				bb = box{min(bb.x0, x), min(bb.y0, y), max(bb.x1, x+1), max(bb.y1, y+1)}
			}
		}
	}
	if n == 0 {
		return line{}
	}
	l := line{box: bb, cx: sx / n, cy: sy / n}
	if v := sxx/n - l.cx*l.cx; v > 0 {
		l.slope = (sxy/n - l.cx*l.cy) / v
	}
	length := float64(bb.w()) * math.Sqrt(1+l.slope*l.slope)
	l.t = n / length
	return l
}

// splitBand returns the text lines that band id (measured as l) joins, or nil
// when it is one line: a stamp's frame or a signature across a zone joins
// its lines into one band of the mask. Counted across the band along its
// slope, a text line is a run of rows its ink fills for at least a third
// of the band's length (a stamp's frame fills a few pixels of each row);
// each run is widened to the rows filled for a tenth, so that the glyphs'
// tops and bottoms count in its thickness.
func splitBand(l line, id int32, labels []int32, stride int) []line {
	if l.w() <= 0 {
		return nil
	}
	// The band's own slope is skewed by what joined its lines: the slope
	// near it that stacks its rows most sharply is the lines'.
	var pts [][2]int
	for y := l.y0; y < l.y1; y++ {
		for x := l.x0; x < l.x1; x++ {
			if labels[y*stride+x] == id {
				pts = append(pts, [2]int{x, y})
			}
		}
	}
	lean := int(0.1*float64(l.w())) + 2
	r0 := l.y0 - lean
	fill := make([]int, l.h()+2*lean+1)
	profile := func(slope float64) float64 {
		clear(fill)
		for _, q := range pts {
			if r := int(math.Round(float64(q[1])-slope*(float64(q[0])-l.cx))) - r0; r >= 0 && r < len(fill) {
				fill[r]++
			}
		}
		sharp := 0.0
		for _, v := range fill {
			sharp += float64(v) * float64(v)
		}
		return sharp
	}
	slope, best := l.slope, -1.0
	for d := -0.04; d <= 0.0401; d += 0.005 {
		if sh := profile(l.slope + d); sh > best {
			slope, best = l.slope+d, sh
		}
	}
	profile(slope)
	row := func(x, y int) int { return int(math.Round(float64(y)-slope*(float64(x)-l.cx))) - r0 }
	var runs [][2]int
	for r := 0; r < len(fill); {
		if 3*fill[r] < l.w() {
			r++
			continue
		}
		start := r
		for r < len(fill) && 3*fill[r] >= l.w() {
			r++
		}
		runs = append(runs, [2]int{start, r})
	}
	if len(runs) < 2 {
		return nil
	}
	var bands [][2]int
	for i, run := range runs {
		lo, hi := 0, len(fill)
		if i > 0 {
			lo = runs[i-1][1]
		}
		if i+1 < len(runs) {
			hi = runs[i+1][0]
		}
		a, b := run[0], run[1]
		for a > lo && 10*fill[a-1] >= l.w() {
			a--
		}
		for b < hi && 10*fill[b] >= l.w() {
			b++
		}
		if b-a >= 3 {
			bands = append(bands, [2]int{a, b})
		}
	}
	// More rows than a zone and a line above it hold: a textured
	// background, whose rows are no text. Judged before fitting each band,
	// which scans the whole box: a finely ruled background has hundreds.
	if len(bands) < 2 || len(bands) > 4 {
		return nil
	}
	var out []line
	for _, ab := range bands {
		a, b := ab[0], ab[1]
		sub := fit(component{box: l.box}, id, labels, stride, func(x, y int) bool {
			r := row(x, y)
			return r >= a && r < b
		})
		if sub.w() > 0 {
			out = append(out, sub)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// countChars counts the glyphs standing on line l, glyphs overlapping
// across the line (an i's dot, a broken stroke) counted once.
func countChars(glyphs []component, l line) int {
	var spans [][2]int
	for _, g := range glyphs {
		gx, gy := float64(g.x0+g.x1)/2, float64(g.y0+g.y1)/2
		if g.x0 < l.x0 || g.x1 > l.x1 || math.Abs(gy-l.at(gx)) > l.t/2 || float64(g.h()) < l.t/3 {
			continue
		}
		spans = append(spans, [2]int{g.x0, g.x1})
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	n, end := 0, -1
	for _, s := range spans {
		if s[0] >= end-1 {
			n++
		}
		end = max(end, s[1])
	}
	return n
}

// joinBroken returns the lines that two of lines make when one continues
// the other across a gap: glare or a fold washes out the middle of a zone
// line in a photo, and its two ends are two shorter lines of the mask.
// The pieces must lie on one straight line (the same slope, each one's
// centre line within a quarter of a glyph of the other's across the gap)
// and be about as thick as each other; the gap is at most 40% of the whole,
// which, at the pieces' pitch, holds 30 to 46 characters, as a zone line
// does. The pieces stay lines of their own.
func joinBroken(lines []line) []line {
	var out []line
	for _, a := range lines {
		for _, b := range lines {
			t := math.Min(a.t, b.t)
			g, whole := float64(b.x0-a.x1), float64(b.x1-a.x0)
			if g <= 0 || g > 0.4*whole || math.Abs(a.slope-b.slope) >= 0.02 || math.Max(a.t, b.t) > 1.4*t {
				continue
			}
			chars := float64(a.chars+b.chars) * whole / float64(a.w()+b.w())
			if chars < 30 || chars > 46 {
				continue
			}
			mid := float64(a.x1+b.x0) / 2
			if math.Abs(a.at(mid)-b.at(mid)) > t/4 {
				continue
			}
			wa, wb := float64(a.w()), float64(b.w())
			j := line{
				box:   box{a.x0, min(a.y0, b.y0), b.x1, max(a.y1, b.y1)},
				slope: (a.slope*wa + b.slope*wb) / (wa + wb),
				t:     (a.t*wa + b.t*wb) / (wa + wb),
				chars: int(chars + 0.5),
			}
			j.cx = float64(j.x0+j.x1) / 2
			j.cy = (a.at(j.cx)*wa + b.at(j.cx)*wb) / (wa + wb)
			out = append(out, j)
		}
	}
	return out
}

// similar reports whether two lines are alike in length, left edge and
// slope.
func similar(a, b line) bool {
	w := float64(max(a.w(), b.w()))
	return math.Abs(float64(a.w()-b.w())) <= 0.15*w && math.Abs(float64(a.x0-b.x0)) <= 0.12*w &&
		math.Abs(a.slope-b.slope) < 0.02
}

// shortened reports whether two lines are alike but for one end of one of
// them: the same slope, one end aligned, the shorter at least 65% of the
// longer. Glare, a shadow or a fold can hide the end of one zone line in a
// photo, and the zone's other line still says where the zone is.
func shortened(a, b line) bool {
	w := float64(max(a.w(), b.w()))
	if math.Abs(a.slope-b.slope) >= 0.02 || float64(min(a.w(), b.w())) < 0.65*w {
		return false
	}
	return math.Abs(float64(a.x0-b.x0)) <= 0.05*w || math.Abs(float64(a.x1-b.x1)) <= 0.05*w
}

// gap is the distance between two lines' centres, across them.
func gap(a, b line) float64 { return math.Abs(b.at(a.cx) - a.cy) }

// maxLineRatio is how much thicker one line of a zone may be than the line
// above it.
const maxLineRatio = 1.8

// group forms the zones that start with lines[i].
func (f *frame) group(lines []line, i int) []zone {
	first := lines[i]
	run := []line{first}
	var out []zone
	far := 3.2 // the widest spacing of a zone's lines, in thicknesses
	if f.byThicker {
		far *= maxLineRatio
	}
	// A paragraph of body text is many alike lines; a zone has none alike
	// right above or below it.
	neighbour := func(from, step int, ref line) bool {
		for k := from; k >= 0 && k < len(lines); k += step {
			l := lines[k]
			g := gap(ref, l)
			if g < 1.1*ref.t {
				continue
			}
			if g > 3.2*ref.t {
				return false
			}
			if similar(l, ref) {
				return true
			}
		}
		return false
	}
	emit := func(last int) {
		b := run[0].box
		var ts, slopes []float64
		chars := 0
		for _, l := range run {
			b = box{min(b.x0, l.x0), min(b.y0, l.y0), max(b.x1, l.x1), max(b.y1, l.y1)}
			ts = append(ts, l.t)
			slopes = append(slopes, l.slope)
			chars += l.chars
		}
		lh := median(ts)
		slope := median(slopes)
		z := zone{f: f, b: b, lineH: lh, lines: len(run), delta: math.Atan(slope) * 180 / math.Pi}
		z.cx = float64(b.x0+b.x1) / 2
		top, bottom := run[0].at(z.cx), run[len(run)-1].at(z.cx)
		z.cy = (top + bottom) / 2
		z.w = float64(b.w()) * math.Sqrt(1+slope*slope)
		z.h = bottom - top + lh
		// Each format's characters per line: 30 on three lines, 36 or 44 on two.
		c := float64(chars) / float64(len(run))
		z.chars = c
		want := 30.0
		if len(run) != 3 {
			want = 36
			if c > 40 {
				want = 44
			}
		}
		z.score = float64(b.w()) * math.Exp(-math.Abs(c-want)/8)
		if len(run) == 1 {
			z.score *= 0.3
		}
		if neighbour(i-1, -1, run[0]) || neighbour(last+1, 1, run[len(run)-1]) {
			z.score *= 0.15
		}
		z.upside = f.inkBelow(b) > f.inkAbove(b)
		out = append(out, z)
	}
	emit(i)
	for k := i + 1; k < len(lines); k++ {
		l := lines[k]
		prev := run[len(run)-1]
		g := gap(prev, l)
		switch {
		case g < 1.1*prev.t:
			continue // same band, or a fragment
		case g > far*prev.t:
			return out
		case g > 3.2*max(prev.t, l.t):
			continue // byThicker: too far for the thicker line too
		}
		if !similar(first, l) && !shortened(first, l) {
			continue
		}
		if r := l.t / prev.t; r > maxLineRatio || r < 0.55 {
			continue
		}
		run = append(run, l)
		emit(k)
		if len(run) == 3 {
			return out
		}
	}
	return out
}

// inkAbove and inkBelow count ink within three zone heights over and under
// b: a document's printed content lies above its zone.
func (f *frame) inkAbove(b box) int {
	return f.inkIn(box{b.x0, max(0, b.y0-3*b.h()), b.x1, b.y0})
}

func (f *frame) inkBelow(b box) int {
	return f.inkIn(box{b.x0, b.y1, b.x1, min(f.size, b.y1+3*b.h())})
}

func (f *frame) inkIn(b box) int {
	n := 0
	for y := b.y0; y < b.y1; y++ {
		for _, v := range f.mask.Pix[y*f.mask.Stride+b.x0 : y*f.mask.Stride+b.x1] {
			if v != 0 {
				n++
			}
		}
	}
	return n
}
