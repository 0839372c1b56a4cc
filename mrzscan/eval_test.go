package mrzscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
)

// outcome is what a reading of one file gave, as the job would report it:
// every output field, or the error's words.
type outcome struct {
	fields map[string]any
	err    string
}

func readOutcome(ctx context.Context, r *Reader, path string) (outcome, *passport.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return outcome{}, nil, err
	}
	defer f.Close()
	res, err := r.ReadFile(ctx, f)
	if err != nil {
		return outcome{err: err.Error()}, nil, err
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return outcome{}, nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return outcome{}, nil, err
	}
	// The portrait's place is no output field, but must be the same too.
	m["portrait_crop"] = nil
	if crop := res.HolderCrop(); crop != nil {
		m["portrait_crop"] = crop.Corners
	}
	return outcome{fields: m}, res, nil
}

// zoneOf returns the reading of res (or of its others) of truth's zone:
// the one of the same format.
func zoneOf(res *passport.Result, truth mrzgen.Truth) *passport.Result {
	for _, z := range append([]*passport.Result{res}, res.Others...) {
		if z.Format == truth.Format {
			return z
		}
	}
	return nil
}

// hasPortrait reports whether s shows a holder's portrait box that the
// reader should crop: a passport or card (a visa page shows the passport's
// own data page).
func hasPortrait(s mrzgen.Sample) bool {
	if s.Truth == nil || s.PhotoBlank {
		return false
	}
	if len(s.Others) > 0 {
		return true
	}
	f := s.Truth.Format
	return f == passport.TD1 || f == passport.TD2 || f == passport.TD3
}

// diff names the output fields in which two outcomes differ.
func (o outcome) diff(p outcome) []string {
	if o.err != p.err {
		return []string{fmt.Sprintf("error %q vs %q", o.err, p.err)}
	}
	var out []string
	for k := range o.fields {
		a, _ := json.Marshal(o.fields[k])
		b, _ := json.Marshal(p.fields[k])
		if string(a) != string(b) {
			out = append(out, fmt.Sprintf("%s %s vs %s", k, a, b))
		}
	}
	for k := range p.fields {
		if _, ok := o.fields[k]; !ok {
			out = append(out, k+" missing idle")
		}
	}
	slices.Sort(out)
	return out
}

// readsAll reports whether res holds every zone of s exactly, the first at
// the top level or among the others (which zone of a visa page is found
// first is the reader's choice), and no other. Exactly means as the parser
// gives the true lines, read without a single OCR error: it takes a lone
// one-letter last given name for misread filler (passport/doc.go), so a
// perfect reading of such a zone is the true one without that letter.
func readsAll(res *passport.Result, s mrzgen.Sample) bool {
	all := append([]*passport.Result{res}, res.Others...)
	want := append([]mrzgen.Truth{*s.Truth}, s.Others...)
	if len(all) != len(want) {
		return false
	}
	for _, w := range want {
		perfect, err := passport.Parse(w.MRZ, passport.ParseOptions{Now: mrzgen.EvalNow})
		if err != nil {
			return false
		}
		if !slices.ContainsFunc(all, func(r *passport.Result) bool { return r.Valid && slices.Equal(r.MRZ, perfect.MRZ) }) {
			return false
		}
	}
	return true
}

// busy saturates every core with busy-loop processes until the test ends.
func busy(t *testing.T) {
	t.Helper()
	for range runtime.NumCPU() {
		cmd := exec.Command("sh", "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			t.Fatalf("start a busy loop: %v", err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
}

// The evaluation set (mrzgen.EvalSet, pinned by its digests) read on an
// idle machine and again with every core busy (every third document and
// every check case, to keep make test short) gives the same output, field
// by field, warnings and "not found" included: the search is bounded by
// work, not time. Pages without a zone give "not found", a zone with a
// wrong check digit is read and marked invalid, and the accuracy is
// reported apart for clean pages and photos.
//
// The idle pass also holds the reader to issue 17's thresholds: every
// field read wrong is in needs_review; at most 10% of the clean documents
// read right have a non-empty needs_review; the portrait crop overlaps the
// generator's photo box (intersection over union) by 0.8 or more in most
// passports and cards.
//
// make test runs it without -race (a page takes a minute under the race
// detector); the -race run covers the rest of the package.
func TestEvaluationIdleAndLoaded(t *testing.T) {
	if raceDetector {
		t.Skip("run by make test without -race")
	}
	fonts, err := mrzgen.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := fonts.EvalSet()
	if err != nil {
		t.Fatal(err)
	}
	if err := mrzgen.CheckEvalDigests(cases); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(dir, c.File), c.Data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := New(testPool, Config{TessdataDir: "../tessdata", PrintTessdataDir: engTessdata(t), Now: mrzgen.EvalNow})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	idle := make([]outcome, len(cases))
	exact := map[bool]int{}
	total := map[bool]int{}
	var wrongFields, unflagged, cleanRight, cleanFlagged, portraits, portraitsRight int
	for i, c := range cases {
		path := filepath.Join(dir, c.File)
		var res *passport.Result
		idle[i], res, err = readOutcome(ctx, r, path)
		switch {
		case c.Truth == nil:
			if !errors.Is(err, passport.ErrNoMRZ) {
				t.Errorf("%s, a page without a zone: %v, %v; want %q", c.File, res, err, passport.ErrNoMRZ)
			}
		case c.Broken:
			if err != nil || res.Valid || res.Checks["expiry_date"] {
				t.Errorf("%s, a zone with a wrong expiry check digit: %+v, %v; want it read and marked invalid", c.File, res, err)
			}
		default:
			total[c.Photo]++
			switch {
			case err != nil:
				t.Logf("%s: %v", c.File, err)
			case res.Valid && readsAll(res, c.Sample):
				exact[c.Photo]++
			default:
				t.Logf("%s: valid %v, read %q (and %d others), want %q (and %d others)", c.File, res.Valid, res.MRZ, len(res.Others), c.Truth.MRZ, len(c.Others))
			}
			if err != nil {
				break
			}
			for _, truth := range append([]mrzgen.Truth{*c.Truth}, c.Others...) {
				z := zoneOf(res, truth)
				if z == nil {
					continue // not found: nothing to type in
				}
				want, got := truth.Fields(), mrzgen.FromResult(z).Fields()
				var wrong []string
				for k, v := range want {
					if k != "format" && got[k] != v {
						wrong = append(wrong, k)
						if !slices.Contains(z.NeedsReview, k) {
							unflagged++
							t.Errorf("%s (%s): %s read %q, want %q, but needs_review is %q", c.File, truth.Format, k, got[k], v, z.NeedsReview)
						}
					}
				}
				wrongFields += len(wrong)
				if len(wrong) == 0 && !c.Photo {
					cleanRight++
					if len(z.NeedsReview) > 0 {
						cleanFlagged++
					}
				}
				t.Logf("%s (%s): wrong %q, needs_review %q, print %v", c.File, truth.Format, wrong, z.NeedsReview, z.Print)
			}
			if hasPortrait(c.Sample) {
				portraits++
				iou := 0.0
				if crop := res.HolderCrop(); crop != nil {
					iou = overlapQuads(crop.Corners, c.PhotoBox)
				}
				if iou >= 0.8 {
					portraitsRight++
				}
				t.Logf("%s: portrait overlap %.2f", c.File, iou)
			}
		}
	}
	t.Logf("needs_review: %d wrong fields, %d not listed; %d of %d clean documents read right list something",
		wrongFields, unflagged, cleanFlagged, cleanRight)
	if cleanRight == 0 || 10*cleanFlagged > cleanRight {
		t.Errorf("%d of %d clean documents read right have a non-empty needs_review, want at most 10%%", cleanFlagged, cleanRight)
	}
	// Issue 17's target is 95%; version 8 of the set measures 23 of 24,
	// the miss a photo whose zone is not read (docs/passport-evaluation.md).
	t.Logf("portrait overlap >= 0.8 in %d of %d passports and cards (target 95%%)", portraitsRight, portraits)
	if portraits == 0 || 100*portraitsRight < 95*portraits {
		t.Errorf("portrait overlap >= 0.8 in %d of %d passports and cards, want at least 95%%", portraitsRight, portraits)
	}
	t.Logf("evaluation set v%d: clean pages %d/%d read exactly, photos %d/%d",
		mrzgen.EvalVersion, exact[false], total[false], exact[true], total[true])
	// Floors at what version 8 of the set measures, 12/12 and 24/25
	// (20/25 before a zone under a stamp's frame, a zone over a checked
	// cloth and a state code read 0AN were read, 23/25 before a Q read G
	// was settled by a vote; version 3 measured 12/12 and 24/25 on other
	// images; docs/passport-evaluation.md gives the figures and the
	// misses); 95% of photos is issue 16's target.
	for _, floor := range []struct {
		photo bool
		pct   int
	}{{false, 100}, {true, 96}} {
		if 100*exact[floor.photo] < floor.pct*total[floor.photo] {
			t.Errorf("photo=%v: %d of %d read exactly, want at least %d%%", floor.photo, exact[floor.photo], total[floor.photo], floor.pct)
		}
	}

	// Under load, every third document and every check case: each scene
	// kind is compared, and make test stays short.
	busy(t)
	for i, c := range cases {
		if i%3 != 0 && c.Truth != nil && !c.Broken {
			continue
		}
		loaded, _, _ := readOutcome(ctx, r, filepath.Join(dir, c.File))
		if d := idle[i].diff(loaded); len(d) > 0 {
			t.Errorf("%s: idle and loaded differ: %s", c.File, strings.Join(d, "; "))
		}
	}
}
