package ocr

/*
#include <malloc.h>

// Page-sized buffers (a 300 DPI A4 page is 35 MB as RGBA, 9 MB gray) are
// allocated and freed by MuPDF and Tesseract from several threads. glibc
// raises its mmap threshold after such frees, up to 32 MB, and then serves
// them from per-thread arenas that fragment and never shrink; a fixed 1 MB
// threshold sends them to mmap, returned to the system on free.
static void tune_malloc(void) {
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}
*/
import "C"

import "github.com/gen2brain/go-fitz"

// pdfStoreBytes bounds MuPDF's resource cache per open document. It keeps
// decoded images for reuse by later pages, which a scanned PDF (one image
// per page) never does; go-fitz's default of 256 MB was most of the
// worker's memory on long scans.
const pdfStoreBytes = 8 << 20

// Both settings are process-wide and read when documents are opened, so
// they are set before any goroutine can open one. Measured on a 16-page
// scanned 300 DPI PDF with two engines: peak RSS 542 MB with neither,
// 374 MB with the smaller cache, 345 MB with both.
func init() {
	fitz.MaxStore = pdfStoreBytes
	C.tune_malloc()
}
