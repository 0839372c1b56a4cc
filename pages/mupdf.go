package pages

/*
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

// The part of MuPDF's API this file calls, declared here because
// go-fitz's headers sit in its module directory, out of reach of this
// package's include path. The library itself is the one go-fitz links
// into the binary. fz_new_context_imp compares MUPDF_VERSION with the
// library's own and returns NULL when they differ, so a go-fitz upgrade
// that changes MuPDF fails at the first render (newRenderer's error),
// never with mismatched declarations.
typedef struct fz_context fz_context;
typedef struct fz_document fz_document;
typedef struct fz_page fz_page;
typedef struct fz_pixmap fz_pixmap;
typedef struct fz_device fz_device;
typedef struct fz_colorspace fz_colorspace;
typedef struct fz_separations fz_separations;
typedef struct fz_cookie fz_cookie;
typedef struct { float a, b, c, d, e, f; } fz_matrix;
typedef struct { float x0, y0, x1, y1; } fz_rect;
typedef struct { int x0, y0, x1, y1; } fz_irect;
typedef sigjmp_buf fz_jmp_buf; // MuPDF on Unix: HAVE_SIGSETJMP

fz_context *fz_new_context_imp(const void *alloc, const void *locks, size_t max_store, const char *version);
void fz_drop_context(fz_context *ctx);
void fz_register_document_handlers(fz_context *ctx);
fz_document *fz_open_document(fz_context *ctx, const char *filename);
void fz_drop_document(fz_context *ctx, fz_document *doc);
fz_page *fz_load_page(fz_context *ctx, fz_document *doc, int number);
void fz_drop_page(fz_context *ctx, fz_page *page);
fz_rect fz_bound_page(fz_context *ctx, fz_page *page);
fz_matrix fz_scale(float sx, float sy);
fz_rect fz_transform_rect(fz_rect rect, fz_matrix m);
fz_irect fz_round_rect(fz_rect rect);
fz_colorspace *fz_device_gray(fz_context *ctx);
fz_colorspace *fz_device_rgb(fz_context *ctx);
fz_pixmap *fz_new_pixmap_with_bbox_and_data(fz_context *ctx, fz_colorspace *cs, fz_irect rect, fz_separations *seps, int alpha, unsigned char *samples);
void fz_drop_pixmap(fz_context *ctx, fz_pixmap *pix);
fz_device *fz_new_draw_device(fz_context *ctx, fz_matrix transform, fz_pixmap *dest);
void fz_enable_device_hints(fz_context *ctx, fz_device *dev, int hints);
void fz_run_page_contents(fz_context *ctx, fz_page *page, fz_device *dev, fz_matrix transform, fz_cookie *cookie);
void fz_close_device(fz_context *ctx, fz_device *dev);
void fz_drop_device(fz_context *ctx, fz_device *dev);
extern const fz_matrix fz_identity;
void fz_enable_icc(fz_context *ctx);
void fz_disable_icc(fz_context *ctx);

// Exceptions: MuPDF's fz_try, fz_always and fz_catch macros, as its
// context.h defines them.
fz_jmp_buf *fz_push_try(fz_context *ctx);
int fz_do_try(fz_context *ctx);
int fz_do_always(fz_context *ctx);
int fz_do_catch(fz_context *ctx);
const char *fz_caught_message(fz_context *ctx);
void fz_ignore_error(fz_context *ctx);
void fz_var_imp(void *);
#define fz_var(var) fz_var_imp((void *)&(var))
#define fz_try(ctx) if (!sigsetjmp(*fz_push_try(ctx), 0)) if (fz_do_try(ctx)) do
#define fz_always(ctx) while (0); if (fz_do_always(ctx)) do
#define fz_catch(ctx) while (0); if (fz_do_catch(ctx))

enum { FZ_NO_CACHE = 2 };

// MSG_LEN is the size of the buffer a caught error's message is copied
// into: MuPDF's own holds 256 bytes.
enum { MSG_LEN = 256 };

// caught copies the error a fz_catch block caught into msg and marks it
// handled: MuPDF 1.24 otherwise prints "UNHANDLED EXCEPTION!" and the old
// error to stderr at the context's next throw. The copy is the caller's,
// so the message outlives the context.
static void caught(fz_context *ctx, char *msg) {
	strncpy(msg, fz_caught_message(ctx), MSG_LEN - 1);
	msg[MSG_LEN - 1] = 0;
	fz_ignore_error(ctx);
}

#define MUPDF_VERSION "1.24.9"
static const char *mupdf_version(void) { return MUPDF_VERSION; }

// new_context makes a MuPDF context holding at most store bytes of
// decoded resources, or NULL (out of memory, or another MuPDF version).
static fz_context *new_context(size_t store) {
	fz_context *ctx = fz_new_context_imp(NULL, NULL, store, MUPDF_VERSION);
	if (ctx == NULL) {
		return NULL;
	}
	fz_try(ctx) {
		fz_register_document_handlers(ctx);
	}
	fz_catch(ctx) {
		fz_ignore_error(ctx);
		fz_drop_context(ctx);
		return NULL;
	}
	return ctx;
}

static fz_document *open_document(fz_context *ctx, const char *path, char *msg) {
	fz_document *doc = NULL;
	fz_var(doc);
	fz_try(ctx) {
		doc = fz_open_document(ctx, path);
	}
	fz_catch(ctx) {
		caught(ctx, msg);
	}
	return doc;
}

// load_page loads page number and its bounds in points.
static fz_page *load_page(fz_context *ctx, fz_document *doc, int number, fz_rect *bounds, char *msg) {
	fz_page *page = NULL;
	fz_var(page);
	fz_try(ctx) {
		page = fz_load_page(ctx, doc, number);
		*bounds = fz_bound_page(ctx, page);
	}
	fz_catch(ctx) {
		caught(ctx, msg);
		fz_drop_page(ctx, page);
		page = NULL;
	}
	return page;
}

// pixel_box is the pixels a page of bounds covers at scale.
static fz_irect pixel_box(fz_rect bounds, float scale) {
	return fz_round_rect(fz_transform_rect(bounds, fz_scale(scale, scale)));
}

// draw renders page at scale on white into samples, box's pixels in gray
// (one byte each) or RGBA (four). Gray is drawn without ICC profiles:
// colour then goes to gray by MuPDF's fixed weights (77, 150 and 28 of
// 256), Rec. 601 luma as imgutil.Gray computes it from the RGBA render.
// Through its gray ICC profile MuPDF put a colour page 17 gray levels
// away from that on average (TestRenderGrayIsTheColourRenderInGray).
// MuPDF writes into samples only during the call: the pixmap that wraps
// them is dropped before it returns.
static int draw(fz_context *ctx, fz_page *page, float scale, fz_irect box, int rgba, unsigned char *samples, char *msg) {
	fz_pixmap *pix = NULL;
	fz_device *dev = NULL;
	int ok = 1;
	fz_var(pix);
	fz_var(dev);
	memset(samples, 0xff, (size_t)(box.x1 - box.x0) * (box.y1 - box.y0) * (rgba ? 4 : 1));
	if (!rgba) {
		fz_disable_icc(ctx);
	}
	fz_try(ctx) {
		pix = fz_new_pixmap_with_bbox_and_data(ctx, rgba ? fz_device_rgb(ctx) : fz_device_gray(ctx), box, NULL, rgba, samples);
		dev = fz_new_draw_device(ctx, fz_scale(scale, scale), pix);
		fz_enable_device_hints(ctx, dev, FZ_NO_CACHE);
		fz_run_page_contents(ctx, page, dev, fz_identity, NULL);
		fz_close_device(ctx, dev);
	}
	fz_always(ctx) {
		fz_drop_device(ctx, dev);
		fz_drop_pixmap(ctx, pix);
		fz_enable_icc(ctx);
	}
	fz_catch(ctx) {
		caught(ctx, msg);
		ok = 0;
	}
	return ok;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"github.com/gen2brain/go-fitz"
)

// pdfStoreBytes bounds MuPDF's resource cache per open document. It keeps
// decoded images for reuse by later pages, which a scanned PDF (one image
// per page) never does; go-fitz's default of 256 MB was most of the
// worker's memory on long scans: peak RSS 542 MB with it on a 16-page
// scanned 300 DPI PDF with two engines, 374 MB with this one.
const pdfStoreBytes = 8 << 20

// go-fitz reads its store size when a document is opened; it is set
// before any goroutine can open one.
func init() { fitz.MaxStore = pdfStoreBytes }

// renderer is a MuPDF context with the PDF open in it, which renders pages
// straight into Go memory in gray or RGBA. go-fitz renders RGBA only, into
// a pixmap of MuPDF's (35 MB for a 300 DPI A4 page, just above glibc's
// largest mmap threshold, so fresh pages from the kernel every time) that
// it then copies twice into Go memory; for OCR the page was then
// converted to gray in Go. That was about a fifth of the OCR job's CPU
// and half of its memory (BENCHMARKS.md, OCR). A renderer is used by one
// goroutine at a time.
type renderer struct {
	ctx *C.fz_context
	doc *C.fz_document
}

// newRenderer opens the PDF in f in a context of its own, through the
// path of f's descriptor.
func newRenderer(f *os.File) (*renderer, error) {
	ctx := C.new_context(C.size_t(pdfStoreBytes))
	if ctx == nil {
		return nil, errors.New("start MuPDF: out of memory, or not MuPDF " + C.GoString(C.mupdf_version()))
	}
	path := C.CString("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	defer C.free(unsafe.Pointer(path))
	var msg message
	doc := C.open_document(ctx, path, &msg[0])
	runtime.KeepAlive(f) // f's number must not be reused before MuPDF has its own descriptor
	if doc == nil {
		C.fz_drop_context(ctx)
		return nil, fmt.Errorf("open the PDF again to render it: %s", msg.String())
	}
	return &renderer{ctx: ctx, doc: doc}, nil
}

// message is a caught MuPDF error, copied out of its context.
type message [C.MSG_LEN]C.char

func (m *message) String() string { return C.GoString(&m[0]) }

func (r *renderer) close() {
	C.fz_drop_document(r.ctx, r.doc)
	C.fz_drop_context(r.ctx)
}

// page is a loaded page and its bounds in points.
type page struct {
	r      *renderer
	p      *C.fz_page
	bounds C.fz_rect
}

func (r *renderer) load(i int) (*page, error) {
	var b C.fz_rect
	var msg message
	p := C.load_page(r.ctx, r.doc, C.int(i), &b, &msg[0])
	if p == nil {
		return nil, errors.New(msg.String())
	}
	return &page{r: r, p: p, bounds: b}, nil
}

func (p *page) close() { C.fz_drop_page(p.r.ctx, p.p) }

// size is the page's width and height in points.
func (p *page) size() (float64, float64) {
	return float64(p.bounds.x1 - p.bounds.x0), float64(p.bounds.y1 - p.bounds.y0)
}

// pixels is the page's width and height in pixels at dpi: MuPDF rounds
// the page's box outwards, so a page a fraction of a pixel wide is one or
// two.
func (p *page) pixels(dpi float64) (int64, int64) {
	box := C.pixel_box(p.bounds, C.float(dpi/72))
	return int64(box.x1) - int64(box.x0), int64(box.y1) - int64(box.y0)
}

// render draws the page at dpi, in gray or in RGBA (opaque: the page on
// white). The image's origin is (0, 0).
func (p *page) render(dpi float64, gray bool) (image.Image, error) {
	scale := C.float(dpi / 72)
	box := C.pixel_box(p.bounds, scale)
	w, h := int(int64(box.x1)-int64(box.x0)), int(int64(box.y1)-int64(box.y0))
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("the page is %dx%d pixels at %g DPI", w, h, dpi)
	}
	var img image.Image
	var pix []byte
	rgba := 0
	if gray {
		m := image.NewGray(image.Rect(0, 0, w, h))
		img, pix = m, m.Pix
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		img, pix, rgba = m, m.Pix, 1
	}
	var msg message
	// pix holds no Go pointers, and MuPDF keeps none of it after the call.
	if C.draw(p.r.ctx, p.p, scale, box, C.int(rgba), (*C.uchar)(unsafe.Pointer(&pix[0])), &msg[0]) == 0 {
		return nil, errors.New(msg.String())
	}
	return img, nil
}
