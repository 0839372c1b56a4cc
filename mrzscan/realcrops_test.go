package mrzscan

import (
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/ocr"
)

// TestRealLineCrops measures, on crops of MRZ lines cut from real document
// images, what the reader's own line handling does: the slope found by
// skew, the glyph height found from the ink rows, the line found by
// splitLines, and the exact-read rate of Tesseract on the raw crop beside
// the crop deskewed, scaled to 34-pixel glyphs and prepared as the reader
// prepares zones (stretch, flatten, local contrast).
//
// It is a development measurement, not part of CI: the crops are
// DoubangoTelecom/tesseractMRZ's dataset (BSD-3-Clause), which the
// repository does not carry (docs/passport-evaluation.md says how it was
// run and what it gave). Set MRZSCAN_REAL_CROPS to a folder of NAME.tif and
// NAME.gt.txt pairs.
func TestRealLineCrops(t *testing.T) {
	dir := os.Getenv("MRZSCAN_REAL_CROPS")
	if dir == "" {
		t.Skip("MRZSCAN_REAL_CROPS unset: a development measurement on crops the repository does not carry")
	}
	tifs, err := filepath.Glob(filepath.Join(dir, "*.tif"))
	if err != nil || len(tifs) == 0 {
		t.Fatalf("no .tif crops in %s: %v", dir, err)
	}
	r := newReader(t)
	ctx := context.Background()
	preps := []struct {
		name string
		f    func(*image.Gray) *image.Gray
	}{
		{"raw crop", nil},
		{"deskewed, 34 px, stretch", stretch},
		{"deskewed, 34 px, flatten", flattenGlyphs},
		{"deskewed, 34 px, local contrast", evenGlyphs},
	}
	exact := make([]int, len(preps))
	anyExact, oneLine, n := 0, 0, 0
	var slopes, heights []float64
	for _, path := range tifs {
		gt, err := os.ReadFile(strings.TrimSuffix(path, ".tif") + ".gt.txt")
		if err != nil {
			continue
		}
		want := strings.TrimSpace(string(gt))
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := imgutil.Decode(f, imgutil.Options{})
		f.Close()
		if err != nil {
			t.Logf("%s: %v", filepath.Base(path), err)
			continue
		}
		n++
		g := imgutil.Gray(img)
		b := binarise(g)
		d := skew(b)
		slopes = append(slopes, math.Abs(d))
		if len(splitLines(b)) == 1 {
			oneLine++
		}
		gh := inkHeight(binarise(rotateGray(g, d, 1)))
		heights = append(heights, gh)
		line := rotateGray(g, d, glyphHeights[0]/math.Max(gh, 4))
		hit := false
		for i, p := range preps {
			in := g
			if p.f != nil {
				in = p.f(line)
			}
			rec, err := r.rec.Recognize(ctx, pad(in, 16), ocr.Request{
				Languages: []string{Language}, TessdataDir: r.cfg.TessdataDir,
				PageSegMode: ocr.SegSingleLine, Whitelist: Alphabet, DPI: 300,
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.ReplaceAll(strings.TrimSpace(rec.Text), " ", "") == want {
				exact[i]++
				hit = true
			}
		}
		if hit {
			anyExact++
		}
	}
	sort.Float64s(slopes)
	sort.Float64s(heights)
	t.Logf("%d real line crops; splitLines found exactly one line in %d", n, oneLine)
	t.Logf("slope found: median %.1f, p95 %.1f degrees; glyph height found: median %.0f px (min %.0f, max %.0f)",
		slopes[n/2], slopes[n*95/100], heights[n/2], heights[0], heights[n-1])
	for i, p := range preps {
		t.Logf("read exactly, %s: %d/%d (%.1f%%)", p.name, exact[i], n, 100*float64(exact[i])/float64(n))
	}
	t.Logf("read exactly by at least one: %d/%d", anyExact, n)
}

// rotateGray turns g by -deg degrees about its centre and scales it by k,
// white outside, with room for the turn.
func rotateGray(g *image.Gray, deg, k float64) *image.Gray {
	w, h := float64(g.Rect.Dx()), float64(g.Rect.Dy())
	sin, cos := math.Sincos(deg2rad(deg))
	ow, oh := w*k, (h+math.Abs(w*sin))*k
	u := func(x, y float64) (float64, float64) {
		uu, vv := (x-ow/2)/k, (y-oh/2)/k
		return w/2 + uu*cos - vv*sin, h/2 + uu*sin + vv*cos
	}
	ox, oy := u(0, 0)
	ax, ay := u(1, 0)
	bx, by := u(0, 1)
	m := affine{ax - ox, bx - ox, ox, ay - oy, by - oy, oy}
	if k > 1.6 {
		return warpCubic(g, int(ow), int(oh), m, 255)
	}
	return warp(g, int(ow), int(oh), m, 255)
}

// inkHeight is the height of the longest run of rows holding ink in a
// binarised line: its glyph height.
func inkHeight(b *image.Gray) float64 {
	w, h := b.Rect.Dx(), b.Rect.Dy()
	rows := make([]int, h)
	peak := 0
	for y := range h {
		for _, v := range b.Pix[y*b.Stride : y*b.Stride+w] {
			if v == 0 {
				rows[y]++
			}
		}
		peak = max(peak, rows[y])
	}
	best, run := 0, 0
	for y := range h {
		if rows[y] > peak/8 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return float64(best)
}
