package mrzscan

import (
	"cmp"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/revisbali/worker/ocr"
)

// minColumnLine is the fewest symbols a recognised line must hold to be
// taken for a zone line whose characters stand at a fixed pitch.
const minColumnLine = 20

// grid places a zone line's symbols on its columns: zone characters stand
// at a fixed pitch, and Tesseract's boxes of single characters stray by
// a fraction of it. col[i] is symbol i's column, counted from the first;
// at(k) is column k's centre, fitted by least squares to the symbols'
// centres.
type grid struct {
	col  []int
	a, b float64
}

func (g grid) at(k int) float64 { return g.a + g.b*float64(k) }

func centreX(sym ocr.Symbol) float64 { return float64(sym.Box.Min.X+sym.Box.Max.X) / 2 }

func fitGrid(line []ocr.Symbol) grid {
	p := linePitch(line)
	g := grid{col: make([]int, len(line))}
	x0 := centreX(line[0])
	var sk, sx, skk, skx float64
	for i, sym := range line {
		g.col[i] = int(math.Round((centreX(sym) - x0) / p))
		k, x := float64(g.col[i]), centreX(sym)
		sk, sx, skk, skx = sk+k, sx+x, skk+k*k, skx+k*x
	}
	n := float64(len(line))
	if d := n*skk - sk*sk; d > 0 {
		g.b = (n*skx - sk*sx) / d
		g.a = (sx - g.b*sk) / n
	} else {
		g.a, g.b = x0, p
	}
	return g
}

// oneColumnEach drops, from every line of rec (read from img) longer than
// a zone line (44, 36 or 30 characters), as many symbols as it holds too
// many, each one of two whose centres lie less than 0.6 of the pitch
// apart: two such symbols cannot both be characters (at small print
// Tesseract reads one glyph twice: a P read as "7P", an N as "MN"). Which
// of the two the glyph is, is decided as byExemplars decides: the letter
// whose other glyphs in the zone the glyph looks more like stays; when
// only one letter has other glyphs, it stays if the glyph is a clear
// instance of it (minExemplarLikeness). Without either, the one farther
// from its column (fitGrid) goes. The closest
// pairs go first; a line of a zone's length is left alone.
func oneColumnEach(img *image.Gray, rec *ocr.Recognition) {
	cells := zoneCells(img, rec.Symbols)
	drop := map[int]bool{}
	for _, span := range lineSpans(rec.Symbols) {
		line := rec.Symbols[span[0]:span[1]]
		excess := 0
		for _, n := range []int{44, 36, 30} {
			if len(line) > n && len(line) <= n+4 {
				excess = len(line) - n
				break
			}
		}
		if excess == 0 {
			continue
		}
		g := fitGrid(line)
		pitch := linePitch(line)
		gap := func(i int) float64 { return centreX(line[i]) - centreX(line[i-1]) }
		var pairs []int
		for i := 1; i < len(line); i++ {
			if gap(i) < 0.6*pitch {
				pairs = append(pairs, i)
			}
		}
		slices.SortStableFunc(pairs, func(a, b int) int { return cmp.Compare(gap(a), gap(b)) })
		far := func(k int) float64 { return math.Abs(centreX(line[k]) - g.at(g.col[k])) }
		for _, i := range pairs {
			if excess == 0 {
				break
			}
			a, b := span[0]+i-1, span[0]+i
			if drop[a] || drop[b] {
				continue
			}
			// The glyph's cell: the pitch around the pair's middle.
			c := cells[a]
			mid := int(math.Round((centreX(line[i-1]) + centreX(line[i])) / 2))
			c.r = image.Rect(mid-c.r.Dx()/2, c.r.Min.Y, mid-c.r.Dx()/2+c.r.Dx(), c.r.Max.Y).Intersect(img.Rect)
			skip := func(j int) bool { return j == a || j == b }
			la, lb := c.like(img, cells, rec.Symbols, line[i-1].Text, skip), c.like(img, cells, rec.Symbols, line[i].Text, skip)
			// Without another glyph of one letter, the other's
			// decides: a clear instance of it stays, else it goes.
			if la < -1 && lb > -1 {
				la = minExemplarLikeness
			}
			if lb < -1 && la > -1 {
				lb = minExemplarLikeness
			}
			switch {
			case la > lb:
				drop[b] = true
			case lb > la:
				drop[a] = true
			case far(i-1) > far(i):
				drop[a] = true
			default:
				drop[b] = true
			}
			excess--
		}
	}
	if len(drop) == 0 {
		return
	}
	var out []ocr.Symbol
	for i, sym := range rec.Symbols {
		if !drop[i] {
			out = append(out, sym)
		}
	}
	rec.Symbols = out
	rec.Text = symbolText(out)
}

// cell is where a symbol's glyph lies: its column's pitch wide, the
// line's glyph rows high, shift pixels more each way for likeness to
// slide; ok is false for a symbol of no zone line.
type cell struct {
	r     image.Rectangle
	shift int
	ok    bool
}

// zoneCells places each symbol of the zone lines (minColumnLine symbols
// or more) of syms on its column (fitGrid).
func zoneCells(img *image.Gray, syms []ocr.Symbol) []cell {
	cells := make([]cell, len(syms))
	for _, span := range lineSpans(syms) {
		line := syms[span[0]:span[1]]
		if len(line) < minColumnLine {
			continue
		}
		g := fitGrid(line)
		pitch := g.b
		var tops, bottoms []float64
		for _, sym := range line {
			tops = append(tops, float64(sym.Box.Min.Y))
			bottoms = append(bottoms, float64(sym.Box.Max.Y))
		}
		y0, y1 := int(median(tops)), int(median(bottoms))
		m := int(pitch / 8)
		for k := range line {
			cx := int(math.Round(g.at(g.col[k])))
			r := image.Rect(cx-int(pitch/2), y0-m, cx+int(pitch/2), y1+m).Intersect(img.Rect)
			cells[span[0]+k] = cell{r, m, true}
		}
	}
	return cells
}

// like is the best likeness of c's glyph to the glyph of another zone
// symbol read as letter (on another cell, not skipped); -2 when there is
// none.
func (c cell) like(img *image.Gray, cells []cell, syms []ocr.Symbol, letter string, skip func(int) bool) float64 {
	top := -2.0
	for j, o := range cells {
		if o.ok && syms[j].Text == letter && o.r != c.r && !skip(j) {
			top = max(top, likeness(img, c.r, o.r, c.shift))
		}
	}
	return top
}

// linePitch is the median distance between the centres of neighbouring
// symbols of a line.
func linePitch(line []ocr.Symbol) float64 {
	var d []float64
	for i := 1; i < len(line); i++ {
		d = append(d, float64(line[i].Box.Min.X+line[i].Box.Max.X-line[i-1].Box.Min.X-line[i-1].Box.Max.X)/2)
	}
	if len(d) == 0 {
		return 1
	}
	return median(d)
}

// lineSpans returns the [start, end) index ranges of syms' lines.
func lineSpans(syms []ocr.Symbol) [][2]int {
	var out [][2]int
	for i := range syms {
		if i == 0 || syms[i].Line != syms[i-1].Line {
			out = append(out, [2]int{i, i})
		}
		out[len(out)-1][1] = i + 1
	}
	return out
}

// symbolText is the text of symbols, a line each.
func symbolText(syms []ocr.Symbol) string {
	var b strings.Builder
	for _, line := range symbolLines(syms) {
		for _, sym := range line {
			b.WriteString(sym.Text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Exemplar vote: at tiny print Tesseract's first choice between two
// letters says little (an M read R with M weighed close behind), but the
// zone prints every letter in the same font at the same size: a glyph is
// most like the other glyphs of the same letter.
const (
	// minExemplarRival is the weight a rival must have to be looked at.
	minExemplarRival = 10
	// minExemplarLikeness is the likeness to another glyph read as the
	// rival that makes the glyph a clear instance of it.
	minExemplarLikeness = 0.9
	// exemplarMargin is by how much a rival's likeness must beat the
	// letter read's.
	exemplarMargin = 0.15
)

// byExemplars redecides, in the zone lines of rec read from img, each
// character Tesseract weighed a rival for, between the two, by which
// other glyphs of the recognition it looks most like: a rival replaces
// the character read when the best likeness (normalised correlation,
// shifted by up to an eighth of the pitch) of the glyph to another glyph
// read as the rival is at least minExemplarLikeness and beats its best
// likeness to another glyph read as the character read by exemplarMargin.
// Both must have another glyph in the zone. Only tiny print is read so
// (session.run): there every name stays in needs_review.
func byExemplars(img *image.Gray, rec *ocr.Recognition) {
	cells := zoneCells(img, rec.Symbols)
	changed := false
	for i, c := range cells {
		sym := &rec.Symbols[i]
		if !c.ok || len(sym.Text) != 1 {
			continue
		}
		skip := func(j int) bool { return j == i }
		self := c.like(img, cells, rec.Symbols, sym.Text, skip)
		if self < -1 {
			continue
		}
		best, bestAlt := -2.0, ""
		for _, ch := range sym.Choices {
			if len(ch.Text) != 1 || ch.Text == sym.Text || ch.Confidence < minExemplarRival {
				continue
			}
			if l := c.like(img, cells, rec.Symbols, ch.Text, skip); l > best {
				best, bestAlt = l, ch.Text
			}
		}
		if bestAlt != "" && best >= minExemplarLikeness && best > self+exemplarMargin {
			sym.Text = bestAlt
			changed = true
		}
	}
	if changed {
		rec.Text = symbolText(rec.Symbols)
	}
}

// likeness is the largest normalised correlation of img's pixels in a
// with those in b, b shifted by up to shift pixels either way.
func likeness(img *image.Gray, a, b image.Rectangle, shift int) float64 {
	w, h := min(a.Dx(), b.Dx())-2*shift, min(a.Dy(), b.Dy())-2*shift
	if w < 4 || h < 4 {
		return -2
	}
	// Integer sums: exact, so the result never depends on their order.
	// a's window is the same at every shift.
	var sa, saa int64
	for y := range h {
		for _, v := range img.Pix[(a.Min.Y+shift+y)*img.Stride+a.Min.X+shift:][:w] {
			sa += int64(v)
			saa += int64(v) * int64(v)
		}
	}
	n := float64(w * h)
	best := -2.0
	for dy := -shift; dy <= shift; dy++ {
		for dx := -shift; dx <= shift; dx++ {
			var sb, sbb, sab int64
			for y := range h {
				ra := img.Pix[(a.Min.Y+shift+y)*img.Stride+a.Min.X+shift:][:w]
				rb := img.Pix[(b.Min.Y+shift+y+dy)*img.Stride+b.Min.X+shift+dx:][:w]
				for x, va := range ra {
					vb := int64(rb[x])
					sb += vb
					sbb += vb * vb
					sab += int64(va) * vb
				}
			}
			cov := float64(sab) - float64(sa)*float64(sb)/n
			den := math.Sqrt((float64(saa) - float64(sa)*float64(sa)/n) * (float64(sbb) - float64(sb)*float64(sb)/n))
			if den > 0 {
				best = max(best, cov/den)
			}
		}
	}
	return best
}
