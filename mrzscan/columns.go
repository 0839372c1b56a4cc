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

// oneColumnEach drops, from every line of rec longer than a zone line (44,
// 36 or 30 characters), as many symbols as it holds too many, each one
// that shares its column (fitGrid) with its neighbour: two symbols on one
// column cannot both be characters (at small print Tesseract reads one
// glyph twice: a P read as "7P"). Of the two, the one whose centre lies
// farther from the column's goes; the pairs closest together go first. A
// line of a zone's length is left alone.
func oneColumnEach(rec *ocr.Recognition) {
	var out []ocr.Symbol
	dropped := false
	for _, line := range symbolLines(rec.Symbols) {
		excess := 0
		for _, n := range []int{44, 36, 30} {
			if len(line) > n && len(line) <= n+4 {
				excess = len(line) - n
				break
			}
		}
		if excess == 0 {
			out = append(out, line...)
			continue
		}
		g := fitGrid(line)
		var pairs []int
		for i := 1; i < len(line); i++ {
			if g.col[i] == g.col[i-1] {
				pairs = append(pairs, i)
			}
		}
		gap := func(i int) float64 { return centreX(line[i]) - centreX(line[i-1]) }
		slices.SortStableFunc(pairs, func(a, b int) int { return cmp.Compare(gap(a), gap(b)) })
		keep := make([]bool, len(line))
		for i := range keep {
			keep[i] = true
		}
		far := func(k int) float64 { return math.Abs(centreX(line[k]) - g.at(g.col[k])) }
		for _, i := range pairs {
			if excess == 0 {
				break
			}
			if !keep[i-1] || !keep[i] {
				continue
			}
			if far(i-1) > far(i) {
				keep[i-1] = false
			} else {
				keep[i] = false
			}
			excess--
			dropped = true
		}
		for i, sym := range line {
			if keep[i] {
				out = append(out, sym)
			}
		}
	}
	if dropped {
		rec.Symbols = out
		rec.Text = symbolText(out)
	}
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
	type cell struct {
		sym   *ocr.Symbol
		r     image.Rectangle
		shift int
	}
	var cells []cell
	for _, line := range lineSpans(rec.Symbols) {
		syms := rec.Symbols[line[0]:line[1]]
		if len(syms) < minColumnLine {
			continue
		}
		g := fitGrid(syms)
		pitch := g.b
		var tops, bottoms []float64
		for _, sym := range syms {
			tops = append(tops, float64(sym.Box.Min.Y))
			bottoms = append(bottoms, float64(sym.Box.Max.Y))
		}
		y0, y1 := int(median(tops)), int(median(bottoms))
		m := int(pitch / 8)
		for k := line[0]; k < line[1]; k++ {
			cx := int(math.Round(g.at(g.col[k-line[0]])))
			r := image.Rect(cx-int(pitch/2), y0-m, cx+int(pitch/2), y1+m).Intersect(img.Rect)
			cells = append(cells, cell{&rec.Symbols[k], r, m})
		}
	}
	changed := false
	for i, c := range cells {
		read := c.sym.Text
		if len(read) != 1 {
			continue
		}
		best, bestAlt := -2.0, ""
		like := func(letter string) float64 {
			top := -2.0
			for j, o := range cells {
				if j != i && o.sym.Text == letter && o.r != c.r {
					top = max(top, likeness(img, c.r, o.r, c.shift))
				}
			}
			return top
		}
		self := like(read)
		if self < -1 {
			continue
		}
		for _, ch := range c.sym.Choices {
			if len(ch.Text) != 1 || ch.Text == read || ch.Confidence < minExemplarRival {
				continue
			}
			if l := like(ch.Text); l > best {
				best, bestAlt = l, ch.Text
			}
		}
		if bestAlt != "" && best >= minExemplarLikeness && best > self+exemplarMargin {
			c.sym.Text = bestAlt
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
	best := -2.0
	for dy := -shift; dy <= shift; dy++ {
		for dx := -shift; dx <= shift; dx++ {
			var sa, sb, saa, sbb, sab float64
			for y := range h {
				ra := img.Pix[(a.Min.Y+shift+y)*img.Stride+a.Min.X+shift:]
				rb := img.Pix[(b.Min.Y+shift+y+dy)*img.Stride+b.Min.X+shift+dx:]
				for x := range w {
					va, vb := float64(ra[x]), float64(rb[x])
					sa += va
					sb += vb
					saa += va * va
					sbb += vb * vb
					sab += va * vb
				}
			}
			n := float64(w * h)
			cov := sab - sa*sb/n
			den := math.Sqrt((saa - sa*sa/n) * (sbb - sb*sb/n))
			if den > 0 {
				best = max(best, cov/den)
			}
		}
	}
	return best
}
