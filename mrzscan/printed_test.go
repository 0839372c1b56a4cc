package mrzscan

import (
	"bytes"
	"context"
	"image"
	"slices"
	"testing"

	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/printpage"
)

// Data pages whose printed value of one field differs from the zone by one
// character: that field is reported "differs" and is in needs_review; a
// page printed as its zone agrees on every field.
func TestPrintedPageCrossCheck(t *testing.T) {
	t.Parallel()
	if raceDetector {
		t.Skip("reads seven documents: too slow under the race detector")
	}
	r := newReader(t)
	// TD1 cards print their fields on the side without the zone; these
	// generated ones crowd them beside it, too small for a fair test.
	formats := []passport.Format{passport.TD3, passport.TD2, passport.MRVA, passport.MRVB}
	var agreed, compared int
	for i, field := range append([]string{""}, printpage.Fields...) {
		f := formats[i%len(formats)]
		s := generate(t, uint64(300+i), mrzgen.Options{Format: f, Scene: mrzgen.CardCrop, Turn: -1, PrintDiffers: field})
		img, _, err := image.Decode(bytes.NewReader(s.Data))
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.ReadImage(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Valid || mrzgen.FromResult(res).DocumentNumber != s.Truth.DocumentNumber {
			t.Fatalf("%s: zone misread (%+v): the cross-check cannot be judged", f, res)
		}
		for _, k := range printpage.Fields {
			got := res.Print[k]
			switch {
			case k == field && got != printpage.Differs:
				t.Errorf("%s: print of %s altered to %q: print[%s] = %q, want %q", f, field, s.Truth.Printed[field], k, got, printpage.Differs)
			case k != field && got == printpage.Differs:
				t.Errorf("%s: print[%s] = %q, but only %q was altered (warnings %q)", f, k, got, field, res.Warnings)
			case got == printpage.Agrees:
				agreed++
			}
			compared++
		}
		if field != "" && !slices.Contains(res.NeedsReview, field) {
			t.Errorf("%s: %s differs from the print but needs_review is %q", f, field, res.NeedsReview)
		}
	}
	// A clean card's print is read: most unaltered fields are found and
	// agree, not merely "not found".
	if agreed < compared*8/10-len(printpage.Fields) {
		t.Errorf("%d of %d printed fields agree, want most", agreed, compared)
	}
}
