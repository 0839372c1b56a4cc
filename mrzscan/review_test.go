package mrzscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
)

// The seeded evaluation set the test reads: reviewSetSize documents as
// generated, and the first reviewThumbnails card crops and photos among
// them again as thumbnails (make bench reads more: internal/mrzbench).
const (
	reviewSetSize    = 20
	reviewThumbnails = 8
)

// The thresholds of needs_review and of the portrait crop on a seeded
// photo-like evaluation set. needs_review:
// every wrong field is listed, and at most 10% of the documents read
// right from clean images (card crops and scans) list anything. The
// thumbnails (320 pixels) are where the reader misreads characters.
func TestNeedsReviewOnEvaluationSet(t *testing.T) {
	t.Parallel()
	if raceDetector {
		t.Skip("the evaluation set is read without the race detector (too slow)")
	}
	r := newReader(t)
	fonts, err := mrzgen.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20261207, 17))
	var wrongFields, cleanRight, cleanFlagged, thumbs, portraits, portraitsRight int
	for i := range reviewSetSize {
		s, err := fonts.Generate(rng, fmt.Sprint(i), mrzgen.Options{Now: now, Turn: -1})
		if err != nil {
			t.Fatal(err)
		}
		g, _, err := image.Decode(bytes.NewReader(s.Data))
		if err != nil {
			t.Fatal(err)
		}
		gray := imgutil.Gray(g)
		for _, thumb := range []bool{false, true} {
			img := image.Image(gray)
			if thumb {
				if thumbs == reviewThumbnails || s.Scene == mrzgen.ScanPage {
					continue
				}
				thumbs++
				w, h := gray.Rect.Dx(), gray.Rect.Dy()
				k := 320 / float64(max(w, h))
				img = resize(gray, int(float64(w)*k), int(float64(h)*k))
			}
			res, err := r.ReadImage(context.Background(), img)
			if errors.Is(err, passport.ErrNoMRZ) {
				continue // nothing read: nothing to type in
			}
			if err != nil {
				t.Fatal(err)
			}
			want, got := s.Truth.Fields(), mrzgen.FromResult(res).Fields()
			var wrong []string
			for k, v := range want {
				if k != "format" && got[k] != v {
					wrong = append(wrong, k)
					wrongFields++
					if !slices.Contains(res.NeedsReview, k) {
						t.Errorf("doc %d (%s %s, thumbnail %v): %s read %q, want %q, but needs_review is %q",
							i, s.Truth.Format, s.Scene, thumb, k, got[k], v, res.NeedsReview)
					}
				}
			}
			if !thumb && s.Truth.Format != passport.MRVA && s.Truth.Format != passport.MRVB {
				portraits++
				iou := 0.0
				if res.Crop != nil {
					iou = overlapQuads(res.Crop.Corners, s.PhotoBox)
				}
				if iou >= 0.8 {
					portraitsRight++
				}
				t.Logf("doc %d %s %s: portrait overlap %.2f", i, s.Truth.Format, s.Scene, iou)
			}
			if len(wrong) == 0 && !thumb && s.Scene != mrzgen.PhonePhoto {
				cleanRight++
				if len(res.NeedsReview) > 0 {
					cleanFlagged++
				}
			}
			t.Logf("doc %d %s %s thumbnail=%v: wrong %q, needs_review %q", i, s.Truth.Format, s.Scene, thumb, wrong, res.NeedsReview)
		}
	}
	t.Logf("%d wrong fields; %d of %d clean documents read right list something", wrongFields, cleanFlagged, cleanRight)
	if wrongFields == 0 {
		t.Error("no field was misread: the set no longer tests needs_review")
	}
	// The holder's portrait of passports and cards: the crop covers the
	// generator's photo box (intersection over union 0.8 or more) in 95%.
	t.Logf("portrait overlap >= 0.8 in %d of %d TD1/TD2/TD3 documents", portraitsRight, portraits)
	if portraits == 0 || float64(portraitsRight) < 0.95*float64(portraits) {
		t.Errorf("portrait overlap >= 0.8 in %d of %d documents, want 95%%", portraitsRight, portraits)
	}
	if cleanRight == 0 || float64(cleanFlagged) > 0.1*float64(cleanRight) {
		t.Errorf("%d of %d clean documents read right have a non-empty needs_review, want at most 10%%", cleanFlagged, cleanRight)
	}
}

// A portrait box left blank gives no portrait: leaving it out beats
// storing an empty or wrong area. One of each scene, the photo-like ones
// (guilloche over the blank box, shadow, glare, perspective) included; on
// the visa page both the sticker's box and the data page's are blank.
func TestNoPortraitFromBlankBox(t *testing.T) {
	t.Parallel()
	if raceDetector {
		t.Skip("reads seven documents: too slow under the race detector")
	}
	r := newReader(t)
	valid := 0
	for i, tt := range []struct {
		f     passport.Format
		scene mrzgen.Scene
	}{
		{passport.TD3, mrzgen.ScanPage}, {passport.TD1, mrzgen.CardCrop}, {passport.TD2, mrzgen.PhonePhoto},
		{passport.TD3, mrzgen.HandHeld}, {passport.TD1, mrzgen.HandHeld}, {passport.TD2, mrzgen.EdgeCrop},
		{passport.MRVA, mrzgen.VisaPage},
	} {
		s := generate(t, uint64(500+i), mrzgen.Options{Format: tt.f, Scene: tt.scene, Turn: -1, BlankPhoto: true})
		res, err := r.ReadFile(context.Background(), write(t, "blank."+s.Ext, s.Data))
		if err != nil {
			t.Fatalf("%s %s: %v", tt.f, tt.scene, err)
		}
		if res.Valid {
			valid++
		}
		for _, z := range append([]*passport.Result{res}, res.Others...) {
			if z.Crop != nil {
				t.Errorf("%s %s: a portrait from a blank box at %v", z.Format, tt.scene, z.Crop.Corners)
			}
		}
	}
	// The box is looked at only where the zone was located and read: most
	// must be, or the test says nothing.
	if valid < 5 {
		t.Errorf("%d of 7 zones read valid: the blank boxes are not tested", valid)
	}
}

// overlapQuads is the intersection over union of two convex quadrilaterals,
// measured on a pixel grid.
func overlapQuads(a, b [4][2]float64) float64 {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, q := range [][4][2]float64{a, b} {
		for _, p := range q {
			x0, y0, x1, y1 = math.Min(x0, p[0]), math.Min(y0, p[1]), math.Max(x1, p[0]), math.Max(y1, p[1])
		}
	}
	step := math.Max(1, math.Max(x1-x0, y1-y0)/400)
	var inter, union int
	for y := y0; y <= y1; y += step {
		for x := x0; x <= x1; x += step {
			ia, ib := insideQuad(a, x, y), insideQuad(b, x, y)
			if ia && ib {
				inter++
			}
			if ia || ib {
				union++
			}
		}
	}
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func insideQuad(q [4][2]float64, x, y float64) bool {
	sign := 0.0
	for i := range 4 {
		p, n := q[i], q[(i+1)%4]
		c := (n[0]-p[0])*(y-p[1]) - (n[1]-p[1])*(x-p[0])
		if c != 0 {
			if sign != 0 && (c > 0) != (sign > 0) {
				return false
			}
			sign = c
		}
	}
	return true
}

// When the vote replaces a reading whose '1' OCR weighed against 'L' (the
// two weigh the same in every check digit, the composite included) by
// another rendering's sure 'L', the answer is that reading with the number
// it changed in needs_review, on every format: the French card has no
// expiry date, so no expiry check digit.
func TestVoteFlagsWhatItReplaced(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		read   []string // the first reading, its '1' at col of line 2 doubted
		col    int
		format passport.Format
	}{
		{"TD3", []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "1898902C36UTO7408122F1204159ZE184226B<<<<<10"}, 0, passport.TD3},
		{"French card", []string{"IDFRADUPONT<MARTIN<<<<<<<<<<<<750123", "8805750123454JEAN<<PIERRE<<6508151M3"}, 7, passport.FRID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			other := slices.Clone(c.read)
			other[1] = other[1][:c.col] + "L" + other[1][c.col+1:]
			glyphs := func(lines []string, g passport.Glyph) [][]passport.Glyph {
				out := make([][]passport.Glyph, len(lines))
				for i, l := range lines {
					for j := range len(l) {
						out[i] = append(out[i], passport.Glyph{Char: l[j], Confidence: 99})
					}
				}
				out[1][c.col] = g
				return out
			}
			ga := glyphs(c.read, passport.Glyph{Char: '1', Confidence: 60, Alts: []passport.Alt{{Char: 'L', Confidence: 40}}})
			gb := glyphs(other, passport.Glyph{Char: 'L', Confidence: 95, Alts: []passport.Alt{{Char: '1', Confidence: 5}}})
			ra, errA := passport.Parse(c.read, passport.ParseOptions{})
			rb, errB := passport.Parse(other, passport.ParseOptions{})
			if errA != nil || errB != nil || !ra.Valid || !rb.Valid || ra.Format != c.format || rb.Format != c.format {
				t.Fatalf("readings: %+v %v; %+v %v", ra, errA, rb, errB)
			}
			at := &placement{p: &page{}, z: zone{f: &frame{}, b: box{0, 0, 10, 10}}}
			s := &session{best: ra, bestAt: at, glyphs: map[string][]passport.Glyph{}}
			for i := range c.read {
				s.glyphs[c.read[i]], s.glyphs[other[i]] = ga[i], gb[i]
			}
			s.all = []reading{{ra, origin{at, false}, ga}, {rb, origin{at, false}, gb}}
			res, err := s.result()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.MRZ, other) || !slices.Equal(res.NeedsReview, []string{"document_number"}) {
				t.Errorf("answer %q, needs_review %q; want %q, [document_number]", res.MRZ, res.NeedsReview, other)
			}
		})
	}
}
