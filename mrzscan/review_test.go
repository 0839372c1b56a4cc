package mrzscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
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

// The thresholds of needs_review on a seeded photo-like evaluation set:
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
	var wrongFields, cleanRight, cleanFlagged, thumbs int
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
	if cleanRight == 0 || float64(cleanFlagged) > 0.1*float64(cleanRight) {
		t.Errorf("%d of %d clean documents read right have a non-empty needs_review, want at most 10%%", cleanFlagged, cleanRight)
	}
}
