package ocr

import (
	"bytes"
	"testing"

	"github.com/revisbali/worker/internal/docgen"
)

// A page of 200 x 200 inches (the largest PDF allows) at 300 DPI would be
// 3.6 gigapixels: it is rendered at the resolution that fits the limit.
func TestHugePageIsRenderedWithinThePixelLimit(t *testing.T) {
	t.Parallel()
	huge := bytes.ReplaceAll(docgen.TextPDF([]string{"x"}), []byte("/MediaBox [0 0 595 842]"), []byte("/MediaBox [0 0 14400 14400]"))
	doc, err := openPDF(writeFile(t, t.TempDir(), "poster.pdf", huge))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	const limit = 4_000_000
	img, dpi, err := renderPage(doc, 0, 300, limit)
	if err != nil {
		t.Fatal(err)
	}
	size := img.Bounds().Size()
	if px := size.X * size.Y; px > limit || px < limit*9/10 || dpi >= 300 {
		t.Errorf("rendered %v (%d pixels) at %v DPI, want just under %d pixels", size, px, dpi, limit)
	}
}

func TestHasRealText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want bool
	}{
		{"", false},
		{" \n \n", false},
		{"Page 3", false}, // a scanner's stamp over an image
		{"Passport number PA4471936, valid until 2031", true},
		{"\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd abcdefghijklmnop", false}, // glyphs without Unicode
	}
	for _, tt := range tests {
		if got := hasRealText(tt.text); got != tt.want {
			t.Errorf("hasRealText(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
