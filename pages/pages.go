// Package pages opens an untrusted document, a PDF or an image, from a file
// already open, and yields its pages one at a time within limits of pages
// and pixels: the one owner of those refusals for OCR and for passports.
//
// The format is sniffed from the content, never the name. A PDF is opened
// by MuPDF through /proc/self/fd/N, which names the open file itself, so
// no name is resolved a second time; images are decoded by imgutil from
// the file as an io.ReaderAt.
package pages

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/gen2brain/go-fitz"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
)

// DefaultMaxPages bounds a document when Options.MaxPages is zero.
const DefaultMaxPages = 200

// Options bound what Open accepts. Zero fields take defaults.
type Options struct {
	// MaxPages refuses longer documents before any page is read.
	MaxPages int
	// MaxPixels bounds one page: an image's, checked from its header
	// before decoding; a PDF page's, by lowering the resolution it is
	// rendered at, or refusing it when even 1 DPI is too much.
	MaxPixels int64
}

func (o Options) withDefaults() Options {
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = imgutil.DefaultMaxPixels
	}
	return o
}

// Document is an opened PDF or image. Its methods may be called from
// several goroutines.
type Document struct {
	format    imgutil.Format
	pdf       *fitz.Document  // when format is PDF
	img       *imgutil.Source // otherwise
	maxPixels int64

	// Pages are rendered by renderers of this package's own (see
	// renderer), each a MuPDF context with the file opened again, so that
	// a PDF's pages render in parallel: at most maxRenderers of them,
	// opened as needed; idle ones wait in renderers. d.pdf, go-fitz's
	// handle, reads the page count and text layers.
	file      *os.File
	renderers chan *renderer
	mu        sync.Mutex
	handles   []*renderer // every renderer opened
	opening   int         // renderers being opened, outside mu
	closed    bool
	closing   chan struct{} // closed by Close: no render may start
	// inflight counts the MuPDF calls Close must wait for besides
	// renders: renderers being opened and text layers being read.
	inflight sync.WaitGroup
	// pdfPages is the PDF's page count, read once at Open.
	pdfPages int
}

// ErrClosed is the error of a render or text asked of a closed Document.
var ErrClosed = errors.New("document closed")

// maxRenderers bounds the MuPDF handles one PDF may have: one per CPU,
// which is as many renders as can run at once.
func maxRenderers() int { return max(1, runtime.GOMAXPROCS(0)) }

// Open sniffs f's content and opens it as a PDF or an image. Content that
// cannot be read (empty, not a PDF or a supported image, damaged,
// encrypted, too many pages, an image above the pixel limit) is an error
// matching fault.ErrBadInput. The caller keeps f open while it uses the
// Document, and closes both.
func Open(f *os.File, opts Options) (*Document, error) {
	opts = opts.withDefaults()
	format, size, err := sniff(f)
	if err != nil {
		return nil, err
	}
	d := &Document{format: format, maxPixels: opts.MaxPixels}
	if format != imgutil.PDF {
		d.img, err = imgutil.NewSource(f, size, imgutil.Options{MaxPixels: opts.MaxPixels, MaxPages: opts.MaxPages})
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	if d.pdf, err = openPDF(f); err != nil {
		return nil, err
	}
	d.file = f
	d.renderers = make(chan *renderer, maxRenderers())
	d.closing = make(chan struct{})
	n := d.pdf.NumPage()
	switch {
	case n <= 0:
		d.pdf.Close()
		return nil, fault.BadInput("the PDF has no pages: it is damaged or truncated")
	case n > opts.MaxPages:
		d.pdf.Close()
		return nil, fault.BadInput("the PDF has %d pages, more than the limit of %d", n, opts.MaxPages)
	}
	d.pdfPages = n
	return d, nil
}

// sniff returns the format and size of f, or why it cannot be read.
func sniff(f *os.File) (imgutil.Format, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("stat the document: %w", err)
	}
	head := make([]byte, min(st.Size(), imgutil.SniffLen))
	if _, err := f.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", 0, fmt.Errorf("read the document: %w", err)
	}
	if len(head) == 0 {
		return "", 0, fault.BadInput("the file is empty (0 bytes)")
	}
	format := imgutil.Sniff(head)
	if format == "" {
		return "", 0, fault.BadInput("not a PDF or a supported image: the content is %s", imgutil.Describe(head))
	}
	return format, st.Size(), nil
}

// openPDF opens f with MuPDF through the path of f's descriptor, turning
// MuPDF's refusals into bad input.
func openPDF(f *os.File) (*fitz.Document, error) {
	doc, err := fitz.New("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	// MuPDF has opened its own descriptor by now; f must not be closed
	// (and its number reused) before.
	runtime.KeepAlive(f)
	switch {
	case err == nil:
		return doc, nil
	case errors.Is(err, fitz.ErrNoSuchFile):
		return nil, fmt.Errorf("open the PDF through /proc/self/fd: %w", err)
	case errors.Is(err, fitz.ErrNeedsPassword):
		doc.Close()
		return nil, fault.BadInput("the PDF is encrypted and needs a password")
	default:
		if doc != nil {
			doc.Close()
		}
		return nil, fault.BadInput("the PDF cannot be opened, even after repair: it is damaged or truncated")
	}
}

// Format is the sniffed format.
func (d *Document) Format() imgutil.Format { return d.format }

// Len is the number of pages.
func (d *Document) Len() int {
	if d.pdf != nil {
		return d.pdfPages
	}
	return d.img.Len()
}

// Text returns page i's own text layer as MuPDF extracts it: "" for an
// image. A page that cannot be read is bad input; after Close, ErrClosed.
func (d *Document) Text(i int) (string, error) {
	if d.pdf == nil {
		return "", nil
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return "", ErrClosed
	}
	d.inflight.Add(1)
	d.mu.Unlock()
	defer d.inflight.Done()
	t, err := d.pdf.Text(i)
	if err != nil {
		return "", fault.BadInput("page %d of the PDF cannot be read: it is damaged", i+1)
	}
	return t, nil
}

// Render returns page i (from 0) as an image and the resolution it has: an
// image's page decoded upright by its EXIF orientation (resolution 0,
// unknown); a PDF page rendered at dpi in RGBA, or lower when dpi would
// exceed the pixel limit. A PDF page too large to render even at 1 DPI is
// refused as bad input.
func (d *Document) Render(ctx context.Context, i int, dpi float64) (image.Image, float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if d.pdf == nil {
		img, err := d.img.Page(i)
		return img, 0, err
	}
	return d.renderPDF(ctx, i, false, func(_, _ float64) float64 { return dpi })
}

// RenderGray is Render in 8-bit gray, which is what OCR reads: a PDF page
// is rendered in gray by MuPDF (a quarter of the memory of RGBA, and no
// conversion), an image's page converted by imgutil.Gray.
func (d *Document) RenderGray(ctx context.Context, i int, dpi float64) (*image.Gray, float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if d.pdf == nil {
		img, err := d.img.Page(i)
		if err != nil {
			return nil, 0, err
		}
		return imgutil.Gray(img), 0, nil
	}
	img, res, err := d.renderPDF(ctx, i, true, func(_, _ float64) float64 { return dpi })
	if err != nil {
		return nil, 0, err
	}
	return img.(*image.Gray), res, nil
}

// renderPDF renders page i of a PDF, in gray or RGBA, at the resolution
// dpiFor gives for the page's size in points, or lower within the pixel
// limit.
func (d *Document) renderPDF(ctx context.Context, i int, gray bool, dpiFor func(wPt, hPt float64) float64) (image.Image, float64, error) {
	r, err := d.renderer(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer func() { d.renderers <- r }()
	pg, err := r.load(i)
	if err != nil {
		return nil, 0, fault.BadInput("page %d of the PDF cannot be read: it is damaged (%s)", i+1, err)
	}
	defer pg.close()
	wPt, hPt := pg.size()
	if wPt < 1 || hPt < 1 {
		return nil, 0, fault.BadInput("page %d of the PDF has no area (%.1f x %.1f points)", i+1, wPt, hPt)
	}
	dpi := dpiFor(wPt, hPt)
	// MuPDF would otherwise allocate whatever the page's size asks. The
	// pixels are counted as MuPDF will draw them, its box rounded
	// outwards, which on a thin page is far more than the area in points
	// says: each step lowers the DPI by at least one.
	if px := wPt * hPt * (dpi / 72) * (dpi / 72); px > float64(d.maxPixels) {
		dpi = math.Floor(dpi * math.Sqrt(float64(d.maxPixels)/px))
	}
	for dpi >= 1 {
		w, h := pg.pixels(dpi)
		px := float64(w) * float64(h)
		if px <= float64(d.maxPixels) {
			break
		}
		dpi = min(dpi-1, math.Floor(dpi*math.Sqrt(float64(d.maxPixels)/px)))
	}
	if dpi < 1 {
		return nil, 0, fault.BadInput("page %d of the PDF is %.0f x %.0f points, too large to render within %d pixels", i+1, wPt, hPt, d.maxPixels)
	}
	img, err := pg.render(dpi, gray)
	if err != nil {
		return nil, 0, fault.BadInput("page %d of the PDF cannot be rendered: %v", i+1, err)
	}
	return img, dpi, nil
}

// renderer returns a renderer no render is using: an idle one, else a new
// one while there are fewer than maxRenderers, else the first to be put
// back in d.renderers.
func (d *Document) renderer(ctx context.Context) (*renderer, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	d.mu.Unlock()
	select {
	case r := <-d.renderers:
		return r, nil
	default:
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	if len(d.handles)+d.opening < cap(d.renderers) {
		// Opened outside mu: a slow open must not hold up Close or the
		// renders that find an idle renderer.
		d.opening++
		d.inflight.Add(1)
		d.mu.Unlock()
		defer d.inflight.Done()
		r, err := newRenderer(d.file)
		d.mu.Lock()
		defer d.mu.Unlock()
		d.opening--
		switch {
		case err != nil:
			return nil, err
		case d.closed:
			r.close()
			return nil, ErrClosed
		}
		d.handles = append(d.handles, r)
		return r, nil
	}
	d.mu.Unlock()
	select {
	case r := <-d.renderers:
		return r, nil
	case <-d.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// RenderEdge returns page i with its long edge about edge pixels: a PDF
// page rendered straight at that size (never longer), within the pixel
// limit; an image's page decoded upright at its own size (the caller
// shrinks it).
func (d *Document) RenderEdge(ctx context.Context, i, edge int) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d.pdf == nil {
		img, _, err := d.Render(ctx, i, 0)
		return img, err
	}
	img, _, err := d.renderPDF(ctx, i, false, func(wPt, hPt float64) float64 { return 72 * float64(edge) / max(wPt, hPt) })
	if err != nil {
		return nil, err
	}
	// MuPDF rounds the page's pixel box outwards, so a page can come out
	// a pixel longer than asked. That pixel (less than a point of the
	// margin) is cut off: shrinking the whole page to fit cost the
	// preview twice the render.
	if m, ok := img.(*image.RGBA); ok {
		r := m.Rect
		if r.Dx() > edge && r.Dx() <= edge+2 {
			r.Max.X = r.Min.X + edge
		}
		if r.Dy() > edge && r.Dy() <= edge+2 {
			r.Max.Y = r.Min.Y + edge
		}
		img = m.SubImage(r)
	}
	return img, nil
}

// Close releases MuPDF's handles once the renders and text reads in
// progress have finished; a render or text asked for after it fails with
// ErrClosed. The file stays open.
func (d *Document) Close() error {
	d.mu.Lock()
	if d.pdf == nil || d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.closing)
	d.mu.Unlock()
	// No renderer is opened nor text read from now on; wait for those
	// under way (a renderer opened meanwhile is closed by its opener).
	d.inflight.Wait()
	d.mu.Lock()
	handles := d.handles
	d.handles = nil
	d.mu.Unlock()
	// Every renderer is idle in d.renderers or in a render that puts it
	// back there: take each back before freeing it.
	for range handles {
		<-d.renderers
	}
	for _, r := range handles {
		r.close()
	}
	d.pdf.Close()
	return nil
}
