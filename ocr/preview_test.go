package ocr

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/docgen"
)

func TestWritePreview(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	page := mustPage(t, docgen.Letter, docgen.PageOptions{DPI: 300})
	tests := []struct {
		name string
		path string
		opts imgutil.PreviewOptions
		long int
	}{
		{"text PDF", writeFile(t, dir, "letter.pdf", docgen.TextPDF([]string{docgen.Letter, docgen.Invoice})), imgutil.PreviewOptions{}, 1024},
		{"scanned PDF", writeFile(t, dir, "scan.pdf", imagePDF(t, 300, page)), imgutil.PreviewOptions{LongEdge: 512}, 512},
		{"PNG", writeFile(t, dir, "scan.png", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, page) })), imgutil.PreviewOptions{}, 1024},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WritePreview(context.Background(), openFile(t, tt.path), &buf, tt.opts, 0); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		img, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatalf("%s: preview is not a JPEG: %v", tt.name, err)
		}
		size := img.Bounds().Size()
		if long := max(size.X, size.Y); long > tt.long || long < tt.long-8 || size.Y <= size.X {
			t.Errorf("%s: preview is %v, want a portrait page with a long edge of %d", tt.name, size, tt.long)
		}
		if !hasInk(img) {
			t.Errorf("%s: the preview is blank", tt.name)
		}
	}
	var buf bytes.Buffer
	if err := WritePreview(context.Background(), openFile(t, writeFile(t, dir, "empty.pdf", nil)), &buf, imgutil.PreviewOptions{}, 0); !fault.IsBadInput(err) {
		t.Errorf("preview of an empty file: %v, want bad input", err)
	}
}

// hasInk reports whether some pixel of img is clearly darker than paper:
// the text was drawn (shrunk text is gray, not black).
func hasInk(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x9000 {
				return true
			}
		}
	}
	return false
}
