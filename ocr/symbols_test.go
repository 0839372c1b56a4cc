package ocr

import (
	"context"
	"strings"
	"testing"

	"github.com/revisbali/worker/internal/docgen"
)

// A request for symbols reads the same text as one without, and gives
// every character its confidence and Tesseract's alternatives.
func TestRecognizeSymbols(t *testing.T) {
	t.Parallel()
	img := mustPage(t, "Passport L898902C3\nERIKSSON ANNA MARIA", docgen.PageOptions{DPI: 150})
	plain, err := testPool.Recognize(context.Background(), img, Request{PageSegMode: SegSingleBlock})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := testPool.Recognize(context.Background(), img, Request{PageSegMode: SegSingleBlock, Symbols: true})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Text != plain.Text {
		t.Errorf("text with symbols %q, without %q", rec.Text, plain.Text)
	}
	var b strings.Builder
	withChoices := 0
	for _, s := range rec.Symbols {
		b.WriteString(s.Text)
		if s.Confidence <= 0 || s.Confidence > 100 || s.Box.Empty() || s.Line < 1 {
			t.Errorf("symbol %+v: want a confidence, a box and a line", s)
		}
		if len(s.Choices) > 0 {
			withChoices++
		}
	}
	if want := strings.Join(strings.Fields(rec.Text), ""); b.String() != want {
		t.Errorf("symbols spell %q, want %q", b.String(), want)
	}
	if withChoices < len(rec.Symbols)/2 {
		t.Errorf("%d of %d symbols carry choices", withChoices, len(rec.Symbols))
	}
	if rec.Symbols[len(rec.Symbols)-1].Line != 2 {
		t.Errorf("last symbol on line %d, want 2", rec.Symbols[len(rec.Symbols)-1].Line)
	}
}
