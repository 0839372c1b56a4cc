package mrzscan

import (
	"fmt"
	"image"
	"math"
	"os"
	"strings"

	"github.com/revisbali/worker/ocr"
)

var debugColumns = os.Getenv("MRZ_DEBUG_COLUMNS") != ""

// minColumnLine is the fewest symbols a recognised line must hold to be
// taken for a zone line whose characters stand at a fixed pitch.
const minColumnLine = 20

// oneColumnEach drops, from every zone-long line of rec, a symbol that
// shares its column with its neighbour: zone characters stand at a fixed
// pitch, so two symbols whose centres lie less than half a pitch apart
// cannot both be characters (at small print Tesseract reads one glyph
// twice: a P read as "7P"). Of the two, the one farther from where the
// pitch puts a character, counted from the symbols either side, goes. It
// reports whether anything was dropped.
func oneColumnEach(rec *ocr.Recognition) bool {
	var out []ocr.Symbol
	dropped := false
	for _, line := range symbolLines(rec.Symbols) {
		if len(line) < minColumnLine {
			out = append(out, line...)
			continue
		}
		pitch := linePitch(line)
		centre := func(i int) float64 { return float64(line[i].Box.Min.X+line[i].Box.Max.X) / 2 }
		keep := make([]bool, len(line))
		for i := range keep {
			keep[i] = true
		}
		for i := 1; i < len(line); i++ {
			if !keep[i-1] || centre(i)-centre(i-1) >= pitch/2 {
				continue
			}
			// How far each of the pair lies from the columns next to
			// the symbols before and after the pair.
			off := func(k int) float64 {
				d, n := 0.0, 0
				if i-2 >= 0 {
					d += math.Abs(centre(k) - centre(i-2) - pitch)
					n++
				}
				if i+1 < len(line) {
					d += math.Abs(centre(i+1) - centre(k) - pitch)
					n++
				}
				if n == 0 {
					return 0
				}
				return d / float64(n)
			}
			if off(i-1) > off(i) {
				keep[i-1] = false
			} else {
				keep[i] = false
			}
			if debugColumns {
				fmt.Fprintf(os.Stderr, "columns: %q %q share a column (pitch %.1f), dropped %v\n", line[i-1].Text, line[i].Text, pitch, !keep[i-1])
			}
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
	return dropped
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
	// exemplarMargin is by how much a rival's likeness must beat the
	// letter read.
	exemplarMargin = 0.05
)

// byExemplars redecides, in the zone lines of rec read from img, each
// character Tesseract weighed a rival for, between the two, by which
// other glyphs of the recognition it looks most like: a rival replaces
// the character read when the best likeness (normalised correlation,
// shifted by up to an eighth of the pitch) of the glyph to another glyph
// read as the rival beats its best likeness to another glyph read as the
// character read by exemplarMargin. Both must have another glyph in the
// zone. It reports whether anything changed.
func byExemplars(img *image.Gray, rec *ocr.Recognition) bool {
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
		pitch := linePitch(syms)
		var tops, bottoms []float64
		for _, sym := range syms {
			tops = append(tops, float64(sym.Box.Min.Y))
			bottoms = append(bottoms, float64(sym.Box.Max.Y))
		}
		y0, y1 := int(median(tops)), int(median(bottoms))
		m := int(pitch / 8)
		for k := line[0]; k < line[1]; k++ {
			cx := (rec.Symbols[k].Box.Min.X + rec.Symbols[k].Box.Max.X) / 2
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
				if j != i && o.sym.Text == letter {
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
		if debugColumns && bestAlt != "" {
			fmt.Fprintf(os.Stderr, "exemplars: %q %.3f, rival %q %.3f\n", read, self, bestAlt, best)
		}
		if bestAlt != "" && best > self+exemplarMargin {
			c.sym.Text = bestAlt
			changed = true
		}
	}
	if changed {
		rec.Text = symbolText(rec.Symbols)
	}
	return changed
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
