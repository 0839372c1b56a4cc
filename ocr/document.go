package ocr

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/pages"
)

// Defaults of Options.
const (
	DefaultMaxPages = 200
	DefaultDPI      = 300
)

// Options bound and tune one document's OCR. Zero fields take defaults.
type Options struct {
	Languages []string // nil means the pool's
	MaxPages  int      // longer documents are refused before any page is read
	DPI       float64  // resolution PDF pages are rendered at for OCR
	MaxPixels int64    // one page or image, checked before decoding or rendering
	ForceOCR  bool     // recognise PDF pages even when they have a text layer
	// Preview, when not nil, receives a JPEG of the first page (see
	// WritePreview), made while the pages are read: from the page OCR
	// decodes for an image, rendered at the preview's size for a PDF.
	Preview        io.Writer
	PreviewOptions imgutil.PreviewOptions
}

// WithDefaults returns a copy with zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.DPI <= 0 {
		o.DPI = DefaultDPI
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = imgutil.DefaultMaxPixels
	}
	return o
}

// Source says how a page's text was obtained.
type Source string

// Page sources.
const (
	FromText Source = "text" // the PDF's own text layer
	FromOCR  Source = "ocr"  // Tesseract
)

// Page is the text of one page. Its JSON is the ocr_document contract.
type Page struct {
	Number     int     `json:"number"`     // from 1
	Text       string  `json:"text"`       // lines joined by \n
	Confidence float64 `json:"confidence"` // 0-100; 100 for a text layer
	Source     Source  `json:"source"`
}

// Result is a document's text, page by page and whole.
type Result struct {
	Pages []Page `json:"pages"`
	Text  string `json:"text"` // the pages' text joined by form feeds
}

// Document reads the text of the PDF or image in the open file f, its
// format sniffed from its content; f is read through, never by name.
// Content that cannot be read (empty, corrupt, encrypted, not a PDF or a
// supported image, too many pages, too many pixels) matches
// fault.ErrBadInput. Pages are recognised in parallel on the pool's
// engines, and never more pages are decoded at once than the pool has
// engines. Cancelling ctx stops the document before its next page; a page
// already in Tesseract runs to its end (a few seconds).
func (p *Pool) Document(ctx context.Context, f *os.File, opts Options) (Result, error) {
	opts = opts.WithDefaults()
	doc, err := pages.Open(f, pages.Options{MaxPages: opts.MaxPages, MaxPixels: opts.MaxPixels})
	if err != nil {
		return Result{}, err
	}
	defer doc.Close()
	pv := &previewer{w: opts.Preview, opts: opts.PreviewOptions.WithDefaults()}
	var read []Page
	if doc.Format() == imgutil.PDF {
		read, err = p.pdf(ctx, doc, opts, pv)
	} else {
		read, err = p.images(ctx, doc, opts, pv)
	}
	if perr := pv.wait(); err == nil {
		err = perr
	}
	if err != nil {
		return Result{}, err
	}
	texts := make([]string, len(read))
	for i, pg := range read {
		texts[i] = pg.Text
	}
	return Result{Pages: read, Text: strings.Join(texts, "\n\f")}, nil
}

// images recognises every page of an image file (several for a TIFF). The
// preview is made from the first page as decoded here, in its colours,
// rather than decoded a second time.
func (p *Pool) images(ctx context.Context, doc *pages.Document, opts Options, pv *previewer) ([]Page, error) {
	read := make([]Page, doc.Len())
	err := p.parallel(ctx, doc.Len(), Request{Languages: opts.Languages}, func(i int) (image.Image, error) {
		img, _, err := doc.Render(ctx, i, 0)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			pv.start(func() (image.Image, error) { return img, nil })
		}
		return imgutil.Gray(img), nil
	}, func(i int, r Recognition) {
		read[i] = Page{Number: i + 1, Text: r.Text, Confidence: round1(r.Confidence), Source: FromOCR}
	})
	return read, err
}

// parallel recognises pages idx 0..n-1: for each it first takes an engine,
// then loads the page with load (so a decoded page exists only while an
// engine waits for it), recognises it and hands the result to done. It
// stops at the first error and waits for the pages in flight.
func (p *Pool) parallel(ctx context.Context, n int, req Request, load func(i int) (image.Image, error), done func(i int, r Recognition)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for i := range n {
		e, err := p.acquire(ctx, req)
		if err != nil {
			cancel(err)
			break
		}
		wg.Go(func() {
			defer p.release(e)
			if ctx.Err() != nil {
				return
			}
			img, err := load(i)
			if err != nil {
				cancel(err)
				return
			}
			rec, err := e.recognize(img, req)
			if err != nil {
				cancel(fmt.Errorf("page %d: %w", i+1, err))
				return
			}
			done(i, rec)
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

// WritePreview encodes a JPEG preview of the first page of the PDF or
// image in the open file f: a PDF page is rendered straight at the size
// the preview needs, an image is decoded (upright) and shrunk. A document
// that is also read with Document gets its preview from Options.Preview
// instead, without a second decode.
func WritePreview(ctx context.Context, f *os.File, w io.Writer, opts imgutil.PreviewOptions, maxPixels int64) error {
	opts = opts.WithDefaults()
	if err := ctx.Err(); err != nil {
		return err
	}
	doc, err := pages.Open(f, pages.Options{MaxPixels: maxPixels})
	if err != nil {
		return err
	}
	defer doc.Close()
	img, err := doc.RenderEdge(ctx, 0, opts.LongEdge)
	if err != nil {
		return err
	}
	return imgutil.WritePreview(w, img, opts)
}

// previewer makes a document's preview on a goroutine of its own, so that
// it overlaps the OCR of the pages rather than following it.
type previewer struct {
	w    io.Writer // nil: no preview wanted
	opts imgutil.PreviewOptions
	wg   sync.WaitGroup
	err  error
}

// start makes the preview from the image page returns; only the first
// call counts.
func (pv *previewer) start(page func() (image.Image, error)) {
	if pv.w == nil {
		return
	}
	w := pv.w
	pv.w = nil
	pv.wg.Go(func() {
		img, err := page()
		if err == nil {
			err = imgutil.WritePreview(w, img, pv.opts)
		}
		pv.err = err
	})
}

// wait returns the preview's error once it is written. A preview that
// was asked for but never started (the first page was not read) is one.
func (pv *previewer) wait() error {
	pv.wg.Wait()
	if pv.w != nil {
		return fmt.Errorf("preview: the first page was not read")
	}
	return pv.err
}
