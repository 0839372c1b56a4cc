package ocr

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"

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

// The preview Document makes while it reads the pages is the one
// WritePreview makes alone, and it shows the page: a scan's preview is the
// scanned page shrunk, not a crop or a shifted copy of it.
func TestDocumentPreview(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	page := mustPage(t, docgen.Letter, docgen.PageOptions{DPI: 300})
	second := mustPage(t, docgen.Invoice, docgen.PageOptions{DPI: 300})
	tests := []struct {
		name string
		path string
		page image.Image // what the preview shows; nil: not checked
	}{
		{"text PDF", writeFile(t, dir, "letter.pdf", docgen.TextPDF([]string{docgen.Letter, docgen.Invoice})), nil},
		{"scanned PDF", writeFile(t, dir, "scan.pdf", imagePDF(t, 300, page, second)), page},
		{"PNG", writeFile(t, dir, "scan.png", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, page) })), page},
	}
	for _, tt := range tests {
		var alone, within bytes.Buffer
		if err := WritePreview(context.Background(), openFile(t, tt.path), &alone, imgutil.PreviewOptions{}, 0); err != nil {
			t.Fatalf("%s: WritePreview: %v", tt.name, err)
		}
		res, err := testPool.Document(context.Background(), openFile(t, tt.path), Options{Preview: &within})
		if err != nil {
			t.Fatalf("%s: Document: %v", tt.name, err)
		}
		if !strings.Contains(res.Text, "Page") && !strings.Contains(res.Text, "Dear") {
			t.Errorf("%s: Document read %q", tt.name, res.Text)
		}
		if !bytes.Equal(alone.Bytes(), within.Bytes()) {
			t.Errorf("%s: the preview made with the OCR (%d bytes) differs from WritePreview's (%d bytes)", tt.name, within.Len(), alone.Len())
		}
		img, err := jpeg.Decode(&within)
		if err != nil {
			t.Fatalf("%s: preview is not a JPEG: %v", tt.name, err)
		}
		if long := max(img.Bounds().Dx(), img.Bounds().Dy()); long != imgutil.DefaultPreviewEdge {
			t.Errorf("%s: preview is %v, want a long edge of %d", tt.name, img.Bounds().Size(), imgutil.DefaultPreviewEdge)
		}
		if tt.page != nil {
			// A blank preview is about 6 levels from this page, the
			// next page 8, the page moved by 6 pixels 11.
			want := image.NewGray(img.Bounds())
			xdraw.BiLinear.Scale(want, want.Rect, tt.page, tt.page.Bounds(), xdraw.Src, nil)
			d := meanDiff(imgutil.Gray(img), want)
			t.Logf("%s: preview %v, %.2f gray levels from the page shrunk to its size", tt.name, img.Bounds().Size(), d)
			if d > 3 {
				t.Errorf("%s: preview differs from the page shrunk by %.1f gray levels on average, want the page", tt.name, d)
			}
		}
	}
}

// meanDiff is the mean absolute difference of two gray images over the
// area they share.
func meanDiff(a, b *image.Gray) float64 {
	r := a.Rect.Intersect(b.Rect)
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := float64(a.GrayAt(x, y).Y) - float64(b.GrayAt(x, y).Y)
			sum += max(d, -d)
			n++
		}
	}
	return sum / n
}
