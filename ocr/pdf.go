package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"unicode"

	"github.com/gen2brain/go-fitz"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
)

// openPDF opens a PDF with MuPDF, turning its refusals into bad input.
func openPDF(path string) (*fitz.Document, error) {
	doc, err := fitz.New(path)
	switch {
	case err == nil:
		return doc, nil
	case errors.Is(err, fitz.ErrNoSuchFile):
		return nil, fmt.Errorf("open %s: %w", path, err) // sniffFile saw it a moment ago
	case errors.Is(err, fitz.ErrNeedsPassword):
		doc.Close()
		return nil, fault.BadInput("the PDF is encrypted and needs a password")
	default:
		doc.Close()
		return nil, fault.BadInput("the PDF cannot be opened, even after repair: it is damaged or truncated")
	}
}

// pdf reads each page's text layer, and renders and recognises the pages
// that have none.
func (p *Pool) pdf(ctx context.Context, path string, opts Options) ([]Page, error) {
	doc, err := openPDF(path)
	if err != nil {
		return nil, err
	}
	defer doc.Close()
	n := doc.NumPage()
	switch {
	case n <= 0:
		return nil, fault.BadInput("the PDF has no pages: it is damaged or truncated")
	case n > opts.MaxPages:
		return nil, fault.BadInput("the PDF has %d pages, more than the limit of %d", n, opts.MaxPages)
	}
	pages := make([]Page, n)
	var scanned []int
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if opts.ForceOCR {
			scanned = append(scanned, i)
			continue
		}
		text, err := doc.Text(i)
		if err != nil {
			return nil, fault.BadInput("page %d of the PDF cannot be read: it is damaged", i+1)
		}
		if hasRealText(text) {
			pages[i] = Page{Number: i + 1, Text: cleanText(text), Confidence: 100, Source: FromText}
		} else {
			scanned = append(scanned, i)
		}
	}
	// MuPDF's Document serialises rendering behind its own lock; rendering
	// is a small part of a page's time next to recognition, and one
	// document keeps one resource cache instead of one per engine.
	err = p.parallel(ctx, len(scanned), Request{Languages: opts.Languages}, func(k int) (image.Image, int, error) {
		i := scanned[k]
		img, dpi, err := renderPage(doc, i, opts.DPI, opts.MaxPixels)
		if err != nil {
			return nil, 0, err
		}
		return imgutil.Gray(img), int(dpi), nil
	}, func(k int, r Recognition) {
		i := scanned[k]
		pages[i] = Page{Number: i + 1, Text: r.Text, Confidence: round1(r.Confidence), Source: FromOCR}
	})
	if err != nil {
		return nil, err
	}
	return pages, nil
}

// renderPage renders page i at dpi, or lower when the page is so large
// that dpi would exceed maxPixels; MuPDF would otherwise allocate
// whatever the page's size asks.
func renderPage(doc *fitz.Document, i int, dpi float64, maxPixels int64) (image.Image, float64, error) {
	b, err := doc.Bound(i)
	if err != nil {
		return nil, 0, fault.BadInput("page %d of the PDF cannot be read: it is damaged", i+1)
	}
	wPt, hPt := float64(b.Dx()), float64(b.Dy())
	if wPt < 1 || hPt < 1 {
		return nil, 0, fault.BadInput("page %d of the PDF has no area (%v points)", i+1, b)
	}
	if px := wPt * hPt * (dpi / 72) * (dpi / 72); px > float64(maxPixels) {
		dpi = math.Floor(dpi * math.Sqrt(float64(maxPixels)/px))
		if dpi < 1 {
			return nil, 0, fault.BadInput("page %d of the PDF is %.0f x %.0f points, too large to render", i+1, wPt, hPt)
		}
	}
	img, err := doc.ImageDPI(i, dpi)
	if err != nil {
		return nil, 0, fault.BadInput("page %d of the PDF cannot be rendered: %v", i+1, err)
	}
	return img, dpi, nil
}

// minTextLayer is how many letters and digits a page's text layer needs to
// be taken instead of OCR: fewer is a page number or a scanner's stamp on
// top of an image.
const minTextLayer = 16

// hasRealText reports whether a text layer holds readable text rather than
// nothing, a few stray characters, or glyphs without a Unicode mapping
// (which MuPDF returns as U+FFFD).
func hasRealText(s string) bool {
	var alnum, bad int
	for _, r := range s {
		switch {
		case r == unicode.ReplacementChar || (unicode.IsControl(r) && !unicode.IsSpace(r)):
			bad++
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			alnum++
		}
	}
	return alnum >= minTextLayer && bad*10 < alnum
}

// cleanText trims the trailing spaces MuPDF leaves on lines, and blank
// lines at the ends.
func cleanText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// pdfPreviewPage renders the first page so that its long edge is about
// edge pixels.
func pdfPreviewPage(path string, edge int, maxPixels int64) (image.Image, error) {
	doc, err := openPDF(path)
	if err != nil {
		return nil, err
	}
	defer doc.Close()
	if doc.NumPage() <= 0 {
		return nil, fault.BadInput("the PDF has no pages: it is damaged or truncated")
	}
	b, err := doc.Bound(0)
	if err != nil {
		return nil, fault.BadInput("page 1 of the PDF cannot be read: it is damaged")
	}
	long := float64(max(b.Dx(), b.Dy()))
	if long < 1 {
		return nil, fault.BadInput("page 1 of the PDF has no area (%v points)", b)
	}
	img, _, err := renderPage(doc, 0, 72*float64(edge)/long, maxPixels)
	return img, err
}
