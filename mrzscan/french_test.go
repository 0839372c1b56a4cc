package mrzscan

import (
	"context"
	"slices"
	"testing"

	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/printpage"
)

// The French identity card of 1988-2021 (FRID) has its own printed
// layout and portrait place (docs/passport-evaluation.md, "The French
// identity card"): a seeded table of generated cards, apart from the
// evaluation set (whose images it leaves as they are). On clean cards
// whose printed value of one field differs from the zone by one
// character, that field is reported "differs" and is in needs_review, and
// no other field differs; on every card, the portrait crop covers the
// generator's photo box (intersection over union 0.8 or more); a blank
// photo box gives no portrait.
func TestFrenchCardPrintAndPortrait(t *testing.T) {
	t.Parallel()
	if raceDetector {
		t.Skip("reads eleven documents: too slow under the race detector")
	}
	r := newReader(t)
	fields := printpage.LayoutOf(passport.FRID).Fields
	type card struct {
		scene  mrzgen.Scene
		differ string // the printed field altered; "" none
		blank  bool
	}
	var cards []card
	for i, f := range append([]string{""}, fields...) {
		cards = append(cards, card{scene: []mrzgen.Scene{mrzgen.CardCrop, mrzgen.ScanPage}[i%2], differ: f})
	}
	cards = append(cards, card{scene: mrzgen.PhonePhoto}, card{scene: mrzgen.HandHeld}, card{scene: mrzgen.EdgeCrop},
		card{scene: mrzgen.CardCrop, blank: true}, card{scene: mrzgen.HandHeld, blank: true})
	var agreed, compared, portraits, portraitsRight, unread int
	for i, c := range cards {
		s := generate(t, uint64(1700+i), mrzgen.Options{Format: passport.FRID, Scene: c.scene, Turn: -1, PrintDiffers: c.differ, BlankPhoto: c.blank})
		res, err := r.ReadFile(context.Background(), write(t, "fr."+s.Ext, s.Data))
		if err != nil {
			t.Fatalf("card %d (%s): %v", i, c.scene, err)
		}
		if res.Format != passport.FRID || !res.Valid || res.DocumentNumber != s.Truth.DocumentNumber {
			// Reading the zone is another test's matter (a tight crop's
			// last glyph at the image's edge may be misread, and then the
			// zone is not valid); one such card is tolerated.
			t.Logf("card %d (%s): zone read %q (%s, valid %v, checks %v), want %q: not judged", i, c.scene, res.MRZ, res.Format, res.Valid, res.Checks, s.Truth.MRZ)
			unread++
			continue
		}
		iou := 0.0
		if res.Crop != nil {
			iou = overlapQuads(res.Crop.Corners, s.PhotoBox)
		}
		switch {
		case c.blank && res.Crop != nil:
			t.Errorf("card %d (%s): a portrait from a blank box at %v", i, c.scene, res.Crop.Corners)
		case !c.blank:
			portraits++
			if iou >= 0.8 {
				portraitsRight++
			}
		}
		t.Logf("card %d (%s, print of %q altered, blank photo %v): print %v, needs_review %q, portrait overlap %.2f, warnings %q",
			i, c.scene, c.differ, c.blank, res.Print, res.NeedsReview, iou, res.Warnings)
		for _, k := range fields {
			got := res.Print[k]
			switch {
			case k == c.differ && got != printpage.Differs:
				t.Errorf("card %d (%s): print of %s altered to %q: print[%s] = %q, want %q", i, c.scene, k, s.Truth.Printed[k], k, got, printpage.Differs)
			case k != c.differ && got == printpage.Differs:
				t.Errorf("card %d (%s): print[%s] = %q, but only %q was altered (warnings %q)", i, c.scene, k, got, c.differ, res.Warnings)
			case got == printpage.Agrees && c.scene != mrzgen.HandHeld && c.scene != mrzgen.PhonePhoto:
				agreed++
			}
			if c.scene != mrzgen.HandHeld && c.scene != mrzgen.PhonePhoto {
				compared++
			}
		}
		if c.differ != "" && !slices.Contains(res.NeedsReview, c.differ) {
			t.Errorf("card %d (%s): %s differs from the print but needs_review is %q", i, c.scene, c.differ, res.NeedsReview)
		}
	}
	t.Logf("print: %d of %d fields of clean cards agree; portrait overlap >= 0.8 in %d of %d cards", agreed, compared, portraitsRight, portraits)
	// A clean card's print is read: most unaltered fields are found and
	// agree, not merely "not found".
	if agreed < compared*8/10-len(fields) {
		t.Errorf("%d of %d printed fields agree, want most", agreed, compared)
	}
	if unread > 1 {
		t.Errorf("%d of %d zones not read valid: the cards are not tested", unread, len(cards))
	}
	if portraits == 0 || portraitsRight < portraits {
		t.Errorf("portrait overlap >= 0.8 in %d of %d cards, want all", portraitsRight, portraits)
	}
}
