package mrzscan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"

	"github.com/gen2brain/go-fitz"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
)

// pageSource is a document's pages, decoded one at a time.
type pageSource interface {
	Len() int
	// Text is a PDF page's own text layer; "" for images.
	Text(i int) string
	Page(ctx context.Context, i int) (*image.Gray, error)
	Close() error
}

// open sniffs the file at path and opens it as a PDF or an image.
func (r *Reader) open(path string) (pageSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, imgutil.SniffLen)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if n == 0 {
		return nil, fault.BadInput("the file is empty (0 bytes)")
	}
	switch imgutil.Sniff(head[:n]) {
	case "":
		return nil, fault.BadInput("not a PDF or a supported image: the content is %s", imgutil.Describe(head[:n]))
	case imgutil.PDF:
		return r.openPDF(path)
	}
	src, err := imgutil.Open(path, imgutil.Options{MaxPixels: r.cfg.MaxPixels, MaxPages: r.cfg.MaxPages})
	if err != nil {
		return nil, err
	}
	return imageSource{src}, nil
}

type imageSource struct{ src *imgutil.Source }

func (s imageSource) Len() int        { return s.src.Len() }
func (s imageSource) Text(int) string { return "" }
func (s imageSource) Close() error    { return s.src.Close() }

// Page decodes page i, turned upright by its EXIF orientation.
func (s imageSource) Page(_ context.Context, i int) (*image.Gray, error) {
	img, err := s.src.Page(i)
	if err != nil {
		return nil, err
	}
	return imgutil.Gray(img), nil
}

type pdfSource struct {
	doc       *fitz.Document
	dpi       float64
	maxPixels int64
}

func (r *Reader) openPDF(path string) (pageSource, error) {
	doc, err := fitz.New(path)
	switch {
	case err == nil:
	case errors.Is(err, fitz.ErrNeedsPassword):
		return nil, fault.BadInput("the PDF is encrypted and needs a password")
	default:
		return nil, fault.BadInput("the PDF cannot be opened, even after repair: it is damaged or truncated")
	}
	n := doc.NumPage()
	switch {
	case n <= 0:
		doc.Close()
		return nil, fault.BadInput("the PDF has no pages: it is damaged or truncated")
	case n > r.cfg.MaxPages:
		doc.Close()
		return nil, fault.BadInput("the PDF has %d pages, more than the limit of %d for a passport scan", n, r.cfg.MaxPages)
	}
	return &pdfSource{doc: doc, dpi: r.cfg.DPI, maxPixels: r.cfg.MaxPixels}, nil
}

func (s *pdfSource) Len() int     { return s.doc.NumPage() }
func (s *pdfSource) Close() error { return s.doc.Close() }

func (s *pdfSource) Text(i int) string {
	t, err := s.doc.Text(i)
	if err != nil {
		return ""
	}
	return t
}

// Page renders page i at the configured resolution, lower when the page is
// so large that it would exceed the pixel limit.
func (s *pdfSource) Page(ctx context.Context, i int) (*image.Gray, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := s.doc.Bound(i)
	if err != nil {
		return nil, fault.BadInput("page %d of the PDF cannot be read: it is damaged", i+1)
	}
	wPt, hPt := float64(b.Dx()), float64(b.Dy())
	if wPt < 1 || hPt < 1 {
		return nil, fault.BadInput("page %d of the PDF has no area (%v points)", i+1, b)
	}
	dpi := s.dpi
	if px := wPt * hPt * (dpi / 72) * (dpi / 72); px > float64(s.maxPixels) {
		dpi = math.Floor(dpi * math.Sqrt(float64(s.maxPixels)/px))
	}
	img, err := s.doc.ImageDPI(i, dpi)
	if err != nil {
		return nil, fault.BadInput("page %d of the PDF cannot be rendered: %v", i+1, err)
	}
	return imgutil.Gray(img), nil
}
