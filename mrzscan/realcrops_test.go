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

// realCrops is a sample of crops of MRZ lines cut from real document
// images: every 24th of DoubangoTelecom/tesseractMRZ's dataset at commit
// 1e7adfe (BSD-3-Clause, testdata/realcrops/LICENSE; SOURCES.txt names each
// crop's original file), with its ground truth.
const realCrops = "testdata/realcrops"

type realCrop struct {
	name string
	g    *image.Gray
	want string
}

func loadRealCrops(t *testing.T, dir string) []realCrop {
	t.Helper()
	tifs, err := filepath.Glob(filepath.Join(dir, "*.tif"))
	if err != nil || len(tifs) == 0 {
		t.Fatalf("no .tif crops in %s: %v", dir, err)
	}
	var out []realCrop
	for _, path := range tifs {
		gt, err := os.ReadFile(strings.TrimSuffix(path, ".tif") + ".gt.txt")
		if err != nil {
			continue
		}
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
		out = append(out, realCrop{filepath.Base(path), imgutil.Gray(img), strings.TrimSpace(string(gt))})
	}
	return out
}

// TestRealLineCrops checks the reader's line handling on real pixels: on
// every crop of the committed sample, binarisation leaves one line that
// splitLines finds, the glyph height measured from its ink rows is a
// glyph's, and the crop turned by a known angle is found turned by that
// angle; on every sixth crop, the line deskewed, scaled and prepared as
// the reader prepares zones is read exactly by Tesseract as often as the
// raw crop (the model was trained on these crops, so this says our
// preparation loses nothing, not how well the model reads).
func TestRealLineCrops(t *testing.T) {
	crops := loadRealCrops(t, realCrops)
	if len(crops) < 250 {
		t.Fatalf("%d crops in %s, want the committed sample of 300", len(crops), realCrops)
	}
	r := newReader(t)
	ctx := context.Background()
	read := func(g *image.Gray) string {
		rec, err := r.rec.Recognize(ctx, pad(g, 16), ocr.Request{
			Languages: []string{Language}, TessdataDir: r.cfg.TessdataDir,
			PageSegMode: ocr.SegSingleLine, Whitelist: Alphabet, DPI: 300,
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(strings.TrimSpace(rec.Text), " ", "")
	}
	var oneLine, heightOK, turnedOK, sampled, rawExact, prepExact int
	for i, c := range crops {
		b := binarise(c.g)
		if len(splitLines(b)) == 1 {
			oneLine++
		}
		d := skew(b)
		gh := inkHeight(binarise(rotateGray(c.g, d, 1)))
		if gh >= 16 && gh <= 64 {
			heightOK++
		}
		// A hand-held photo tilts the zone by a few degrees (skew looks
		// within 3); rotateGray turns by -angle.
		angle := []float64{-2.6, -1, 1.4, 2.6}[i%4]
		if got := skew(binarise(rotateGray(c.g, angle, 1))); math.Abs(got-d+angle) <= 0.3 {
			turnedOK++
		} else {
			t.Logf("%s turned %.1f degrees: skew found %.1f", c.name, -angle, got-d)
		}
		if i%6 != 0 {
			continue
		}
		sampled++
		if read(c.g) == c.want {
			rawExact++
		}
		if read(stretch(rotateGray(c.g, d, glyphHeights[0]/math.Max(gh, 4)))) == c.want {
			prepExact++
		}
	}
	n := len(crops)
	t.Logf("%d crops: one line found in %d, glyph height 16-64 px in %d, turn found within 0.3 degrees in %d; read exactly of %d: raw %d, prepared %d",
		n, oneLine, heightOK, turnedOK, sampled, rawExact, prepExact)
	if oneLine < n*98/100 || heightOK < n*98/100 {
		t.Errorf("line found in %d/%d, glyph height plausible in %d/%d: want 98%%", oneLine, n, heightOK, n)
	}
	if turnedOK < n*95/100 {
		t.Errorf("a known turn found in %d/%d crops: want 95%%", turnedOK, n)
	}
	if prepExact < rawExact-1 || prepExact < sampled*93/100 {
		t.Errorf("read exactly: prepared %d, raw %d, of %d: the preparation loses lines", prepExact, rawExact, sampled)
	}
}

// TestRealLineCropsMeasure is the same measurement in full, every
// preparation on every crop, for development: set MRZSCAN_REAL_CROPS to a
// folder of NAME.tif and NAME.gt.txt pairs (the whole dataset of
// DoubangoTelecom/tesseractMRZ; docs/passport-evaluation.md gives the
// figures).
func TestRealLineCropsMeasure(t *testing.T) {
	dir := os.Getenv("MRZSCAN_REAL_CROPS")
	if dir == "" {
		t.Skip("MRZSCAN_REAL_CROPS unset: a development measurement")
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
