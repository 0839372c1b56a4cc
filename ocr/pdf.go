package ocr

import (
	"context"
	"image"
	"strings"
	"unicode"

	"github.com/revisbali/worker/pages"
)

// pdf reads each page's text layer, and renders and recognises the pages
// that have none. The preview, a small render of the first page, is
// started once the first page is read or rendered for OCR, so that it
// delays neither.
func (p *Pool) pdf(ctx context.Context, doc *pages.Document, opts Options, pv *previewer) ([]Page, error) {
	n := doc.Len()
	read := make([]Page, n)
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
			return nil, err
		}
		if hasRealText(text) {
			read[i] = Page{Number: i + 1, Text: cleanText(text), Confidence: 100, Source: FromText}
		} else {
			scanned = append(scanned, i)
		}
	}
	// Pages are rendered on the engines' goroutines, several at once (see
	// pages.Document). Tesseract is not told the resolution they are
	// rendered at: like the CLI on an image without one, and like the
	// worker on images, it estimates it from the text. Told 300 DPI, it
	// spent 8-12% more CPU on the bench's pages (so did the CLI given
	// --dpi 300) and read the same text (BENCHMARKS.md, OCR).
	preview := func() (image.Image, error) { return doc.RenderEdge(ctx, 0, pv.opts.LongEdge) }
	if len(scanned) == 0 || scanned[0] != 0 {
		pv.start(preview)
	}
	err := p.parallel(ctx, len(scanned), Request{Languages: opts.Languages}, func(k int) (image.Image, error) {
		img, _, err := doc.RenderGray(ctx, scanned[k], opts.DPI)
		if err != nil {
			return nil, err
		}
		if scanned[k] == 0 {
			pv.start(preview)
		}
		return img, nil
	}, func(k int, r Recognition) {
		i := scanned[k]
		read[i] = Page{Number: i + 1, Text: r.Text, Confidence: round1(r.Confidence), Source: FromOCR}
	})
	if err != nil {
		return nil, err
	}
	return read, nil
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
