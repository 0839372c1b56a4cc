package ocr

/*
#include <malloc.h>

// Page-sized buffers (a 300 DPI A4 page is 9 MB gray, and Leptonica and
// Tesseract make several of them per page) are allocated and freed by
// MuPDF and Tesseract for every page. Served by mmap (glibc's default
// below its dynamic limit, or the fixed 1 MB threshold this file once
// set), each one arrives as fresh pages: a fault on every 4 KB touched,
// and in a multi-threaded process a TLB flush on every other CPU with it.
// perf showed those faults as a third of the worker's CPU per page, and
// sys time twice the CLI's. Kept on the heap (below 32 MB, glibc's
// maximum threshold) and not trimmed back to the system under 256 MB,
// freed pages are reused as they are.
static void tune_malloc(void) {
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
*/
import "C"

// The malloc settings are process-wide, so they are set before any
// goroutine can start Tesseract. Keeping pages on the heap took the CPU
// of a 16-page scanned 300 DPI PDF with two engines from 27 s to 17 s
// (sys from 9 s to 3.7 s) for 396 MB of peak RSS instead of 341 MB
// (BENCHMARKS.md, OCR).
func init() {
	C.tune_malloc()
}
