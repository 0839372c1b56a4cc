package mrzscan

import (
	"context"
	"image"
	"os"

	"github.com/revisbali/worker/pages"
)

// pageSource is a document's pages, decoded one at a time.
type pageSource interface {
	Len() int
	// Text is a PDF page's own text layer; "" for images.
	Text(i int) string
	Page(ctx context.Context, i int) (image.Image, error)
	Close() error
}

// open opens the document in f as package pages does for OCR, with the
// same refusals (content, page count, pixels).
func (r *Reader) open(f *os.File) (pageSource, error) {
	doc, err := pages.Open(f, pages.Options{MaxPages: r.cfg.MaxPages, MaxPixels: r.cfg.MaxPixels})
	if err != nil {
		return nil, err
	}
	return docSource{doc: doc, dpi: r.cfg.DPI}, nil
}

type docSource struct {
	doc *pages.Document
	dpi float64
}

func (s docSource) Len() int     { return s.doc.Len() }
func (s docSource) Close() error { return s.doc.Close() }

// Text is "" for a page whose text layer cannot be read: the page is then
// rendered and searched as an image.
func (s docSource) Text(i int) string {
	t, err := s.doc.Text(i)
	if err != nil {
		return ""
	}
	return t
}

// Page decodes an image's page upright by its EXIF orientation, or renders
// a PDF page at the configured resolution (lower when it would exceed the
// pixel limit).
func (s docSource) Page(ctx context.Context, i int) (image.Image, error) {
	img, _, err := s.doc.Render(ctx, i, s.dpi)
	return img, err
}
