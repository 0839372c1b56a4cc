package pages_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/docgen"
	"github.com/revisbali/worker/internal/testfile"
	"github.com/revisbali/worker/pages"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// openScan opens a scanned PDF of pages at 100 DPI; the caller closes it.
func openScan(t *testing.T, scans ...image.Image) *pages.Document {
	t.Helper()
	data, err := docgen.ImagePDF(scans, 100)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pages.Open(testfile.Open(t, "scan.pdf", data), pages.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// poster is a one-page PDF of 14400 x 14400 points (200 x 200 inches, the
// largest PDF allows): 3.6 gigapixels at 300 DPI.
func poster() []byte {
	return bytes.ReplaceAll(docgen.TextPDF([]string{"x"}), []byte("/MediaBox [0 0 595 842]"), []byte("/MediaBox [0 0 14400 14400]"))
}

func TestOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		data   []byte
		opts   pages.Options
		format imgutil.Format
		pages  int
		text   string // of page 1
		bad    string // when refused, what the error says
	}{
		{name: "letter.pdf", data: docgen.TextPDF([]string{"Dear Sir", "Yours"}), format: imgutil.PDF, pages: 2, text: "Dear Sir"},
		{name: "scan.pdf.png", data: pngOf(t, 40, 30), format: imgutil.PNG, pages: 1},
		{name: "empty.pdf", bad: "empty"},
		{name: "login.pdf", data: []byte("<!DOCTYPE html><html><body>Session expired</body></html>"), bad: "HTML"},
		{name: "cut.pdf", data: docgen.TextPDF([]string{"Dear Sir"})[:100], bad: "damaged or truncated"},
		{name: "blank.pdf", data: docgen.BlankPDF(21), opts: pages.Options{MaxPages: 20}, bad: "21 pages, more than the limit of 20"},
		{name: "big.png", data: pngOf(t, 40, 30), opts: pages.Options{MaxPixels: 1000}, bad: "40 x 30 pixels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := pages.Open(testfile.Open(t, tt.name, tt.data), tt.opts)
			if tt.bad != "" {
				if !fault.IsBadInput(err) || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("Open = %v, want bad input saying %q", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer doc.Close()
			if doc.Format() != tt.format || doc.Len() != tt.pages {
				t.Errorf("opened as %s of %d pages, want %s of %d", doc.Format(), doc.Len(), tt.format, tt.pages)
			}
			text, err := doc.Text(0)
			if err != nil || !strings.Contains(text, tt.text) {
				t.Errorf("Text(0) = %q, %v; want it to hold %q", text, err, tt.text)
			}
		})
	}
}

// The PDF read is the open file's, whatever its name now leads to: the
// name was replaced by another PDF after it was opened.
func TestOpenReadsTheOpenFileNotItsName(t *testing.T) {
	t.Parallel()
	f := testfile.Open(t, "scan.pdf", docgen.TextPDF([]string{"Opened file"}))
	if err := os.WriteFile(f.Name()+".new", docgen.TextPDF([]string{"Swapped in"}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(f.Name()+".new", f.Name()); err != nil {
		t.Fatal(err)
	}
	doc, err := pages.Open(f, pages.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	if text, _ := doc.Text(0); !strings.Contains(text, "Opened file") {
		t.Errorf("read %q, want the text of the file that was opened", text)
	}
}

// A page too large for the pixel limit at the asked resolution is rendered
// at the resolution that fits; one too large even at 1 DPI is refused.
func TestRenderKeepsToThePixelLimit(t *testing.T) {
	t.Parallel()
	const limit = 4_000_000
	doc, err := pages.Open(testfile.Open(t, "poster.pdf", poster()), pages.Options{MaxPixels: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	img, dpi, err := doc.Render(context.Background(), 0, 300)
	if err != nil {
		t.Fatal(err)
	}
	size := img.Bounds().Size()
	if px := size.X * size.Y; px > limit || px < limit*9/10 || dpi >= 300 {
		t.Errorf("rendered %v (%d pixels) at %v DPI, want just under %d pixels", size, px, dpi, limit)
	}
	if img, err := doc.RenderEdge(context.Background(), 0, 4000); err != nil || img.Bounds().Dx()*img.Bounds().Dy() > limit {
		t.Errorf("RenderEdge at 4000 pixels = %v, %v; want within %d pixels", img.Bounds(), err, limit)
	}

	tiny, err := pages.Open(testfile.Open(t, "poster.pdf", poster()), pages.Options{MaxPixels: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	defer tiny.Close()
	_, _, err = tiny.Render(context.Background(), 0, 300)
	if !fault.IsBadInput(err) || !strings.Contains(err.Error(), "too large to render") {
		t.Errorf("Render of a 200-inch page under 10,000 pixels = %v, want bad input: too large to render", err)
	}
}

// MuPDF rounds a page's pixel box outwards: a page a fraction of a pixel
// wide is drawn one or two pixels wide, far more pixels than its area in
// points says. A render stays within the limit, or is refused.
func TestRenderKeepsThinPagesToThePixelLimit(t *testing.T) {
	t.Parallel()
	const limit = 1_000_000 // the smallest OCR_MAX_PIXELS allows
	for _, box := range []string{
		"/MediaBox [0.5 0.5 1.5 100000000]", "/MediaBox [0.5 0.5 1.5 5000000]", "/MediaBox [0.5 0.5 3 40000000]",
		"/MediaBox [0.5 0.5 100000000 1.5]", "/MediaBox [0 0 1 100000000]", "/MediaBox [0 0 595 842] /UserUnit 100000000",
	} {
		for _, gray := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s gray=%v", box, gray), func(t *testing.T) {
				t.Parallel()
				data := bytes.ReplaceAll(docgen.TextPDF([]string{"x"}), []byte("/MediaBox [0 0 595 842]"), []byte(box))
				doc, err := pages.Open(testfile.Open(t, "thin.pdf", data), pages.Options{MaxPixels: limit})
				if err != nil {
					t.Fatal(err)
				}
				defer doc.Close()
				var img image.Image
				var dpi float64
				if gray {
					img, dpi, err = doc.RenderGray(context.Background(), 0, 300)
				} else {
					img, dpi, err = doc.Render(context.Background(), 0, 300)
				}
				switch {
				case err != nil:
					if !fault.IsBadInput(err) || !strings.Contains(err.Error(), "too large to render") {
						t.Errorf("%v; want a page within %d pixels or bad input: too large to render", err, limit)
					}
				case img.Bounds().Dx()*img.Bounds().Dy() > limit:
					t.Errorf("rendered %v at %v DPI: %d pixels, over the limit %d", img.Bounds().Size(), dpi, img.Bounds().Dx()*img.Bounds().Dy(), limit)
				}
			})
		}
	}
}

// Pages rendered at once from several goroutines (each on a MuPDF handle
// of its own) are the pages rendered one after the other.
func TestConcurrentRendersAreTheSequentialOnes(t *testing.T) {
	t.Parallel()
	var imgs []image.Image
	for i := range 6 {
		img, err := docgen.Page(fmt.Sprintf("Page %d\n\n%s", i+1, docgen.Letter), docgen.PageOptions{DPI: 100})
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	doc := openScan(t, imgs...)
	defer doc.Close()
	want := make([][]byte, doc.Len())
	for i := range want {
		img, _, err := doc.Render(context.Background(), i, 100)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = img.(*image.RGBA).Pix
	}
	var wg sync.WaitGroup
	for range 3 {
		for i := range want {
			wg.Go(func() {
				img, _, err := doc.Render(context.Background(), i, 100)
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(img.(*image.RGBA).Pix, want[i]) {
					t.Errorf("page %d rendered concurrently differs from its sequential render", i+1)
				}
			})
		}
	}
	wg.Wait()
}

// OCR reads PDF pages rendered straight to gray: they hold the pixels of
// the page rendered in colour and then converted, for a gray scan and a
// colour one alike.
func TestRenderGrayIsTheColourRenderInGray(t *testing.T) {
	t.Parallel()
	gray, err := docgen.Page("Invoice 2026-0417\n\n"+docgen.Letter, docgen.PageOptions{DPI: 100})
	if err != nil {
		t.Fatal(err)
	}
	colour := image.NewRGBA(gray.Bounds())
	for y := range gray.Bounds().Dy() {
		for x := range gray.Bounds().Dx() {
			v := gray.GrayAt(x, y).Y
			colour.Set(x, y, color.RGBA{R: v, G: v / 2, B: 255 - v/3, A: 255})
		}
	}
	for _, tc := range []struct {
		name string
		page image.Image
	}{{"gray scan", gray}, {"colour scan", colour}} {
		t.Run(tc.name, func(t *testing.T) {
			doc := openScan(t, tc.page)
			defer doc.Close()
			g, gdpi, err := doc.RenderGray(context.Background(), 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			c, cdpi, err := doc.Render(context.Background(), 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			want := imgutil.Gray(c)
			if g.Rect != want.Rect || g.Rect.Size() != tc.page.Bounds().Size() || gdpi != cdpi {
				t.Fatalf("gray render %v at %v DPI, colour render %v at %v DPI, scan %v", g.Rect, gdpi, want.Rect, cdpi, tc.page.Bounds())
			}
			var sum, worst int
			for i := range g.Pix {
				d := int(g.Pix[i]) - int(want.Pix[i])
				sum += max(d, -d)
				worst = max(worst, d, -d)
			}
			mean := float64(sum) / float64(len(g.Pix))
			t.Logf("mean difference %.3f gray levels, largest %d", mean, worst)
			if mean > 0.1 || worst > 2 {
				t.Errorf("gray render differs from the colour render in gray by %.3f levels on average, %d at most", mean, worst)
			}
		})
	}
}

// A page MuPDF cannot load is bad input naming the page, in gray as in
// colour, and the document's other pages still render.
func TestRenderOfAMissingPageIsBadInput(t *testing.T) {
	t.Parallel()
	data := docgen.TextPDF([]string{"first page", "second page"})
	data = bytes.Replace(data, []byte("/Count 2"), []byte("/Count 3"), 1)
	doc, err := pages.Open(testfile.Open(t, "short.pdf", data), pages.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	t.Logf("%d pages", doc.Len())
	last := doc.Len() - 1
	if _, _, err := doc.RenderGray(context.Background(), last, 100); !fault.IsBadInput(err) || !strings.Contains(err.Error(), fmt.Sprintf("page %d", last+1)) {
		t.Errorf("RenderGray of page %d = %v, want bad input naming the page", last+1, err)
	}
	if _, _, err := doc.Render(context.Background(), last, 100); !fault.IsBadInput(err) {
		t.Errorf("Render of page %d = %v, want bad input", last+1, err)
	}
	if _, _, err := doc.RenderGray(context.Background(), 0, 100); err != nil {
		t.Errorf("RenderGray of page 1 after the failure: %v", err)
	}
}

// Closing a document while its pages render waits for those renders, and
// a render asked for afterwards is refused: MuPDF's handles are never
// freed under a render (run with -race).
func TestCloseDuringRenders(t *testing.T) {
	t.Parallel()
	img, err := docgen.Page("Page\n\n"+docgen.Letter, docgen.PageOptions{DPI: 100})
	if err != nil {
		t.Fatal(err)
	}
	doc := openScan(t, img, img, img, img)
	var wg sync.WaitGroup
	started := make(chan struct{}, 12)
	for i := range 8 {
		wg.Go(func() {
			started <- struct{}{}
			img, _, err := doc.RenderGray(context.Background(), i%doc.Len(), 100)
			switch {
			case errors.Is(err, pages.ErrClosed):
			case err != nil:
				t.Errorf("render of page %d: %v; want a page or ErrClosed", i%doc.Len()+1, err)
			case img.Bounds().Dx() < 100:
				t.Errorf("page %d rendered %v", i%doc.Len()+1, img.Bounds())
			}
		})
	}
	for i := range 4 {
		wg.Go(func() {
			started <- struct{}{}
			if _, err := doc.Text(i % doc.Len()); err != nil && !errors.Is(err, pages.ErrClosed) {
				t.Errorf("text of page %d: %v; want the text or ErrClosed", i%doc.Len()+1, err)
			}
		})
	}
	<-started
	if err := doc.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

// Whatever is asked of a closed PDF is refused with ErrClosed: MuPDF's
// handles are freed.
func TestClosedDocumentRefuses(t *testing.T) {
	t.Parallel()
	doc, err := pages.Open(testfile.Open(t, "x.pdf", docgen.TextPDF([]string{"x"})), pages.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := doc.RenderGray(context.Background(), 0, 50); err != nil { // a renderer to free
		t.Fatal(err)
	}
	if err := doc.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		do   func() error
	}{
		{"Text", func() error { _, err := doc.Text(0); return err }},
		{"Render", func() error { _, _, err := doc.Render(ctx, 0, 100); return err }},
		{"RenderGray", func() error { _, _, err := doc.RenderGray(ctx, 0, 100); return err }},
		{"RenderEdge", func() error { _, err := doc.RenderEdge(ctx, 0, 100); return err }},
		{"Close", func() error {
			if err := doc.Close(); err != nil {
				return err
			}
			return pages.ErrClosed
		}},
	} {
		if err := tt.do(); !errors.Is(err, pages.ErrClosed) {
			t.Errorf("%s after Close: %v; want ErrClosed", tt.name, err)
		}
	}
}

// MuPDF's error messages live in its context: each is copied out before
// the context is freed (here a renderer that cannot open the PDF again for
// want of file descriptors), and marked handled, else MuPDF 1.24 prints
// "UNHANDLED EXCEPTION!" and the old error at the context's next one (a
// damaged page rendered twice). Run in a child process, whose descriptors
// it limits and whose freed memory glibc overwrites with 'Z'.
func TestMuPDFErrorsAreCopiedAndHandled(t *testing.T) {
	const child = "PAGES_TEST_MUPDF_ERRORS"
	if which := os.Getenv(child); which != "" {
		mupdfErrorsChild(t, which)
		return
	}
	t.Parallel()
	for _, tt := range []struct {
		name, want string
	}{
		{"no descriptors", "Too many open files"},
		{"damaged page twice", "page 3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMuPDFErrorsAreCopiedAndHandled$", "-test.v")
			cmd.Env = append(os.Environ(), child+"="+tt.name, "GOMAXPROCS=1", "GLIBC_TUNABLES=glibc.malloc.perturb=90:glibc.malloc.tcache_count=0")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			got := string(out)
			if !strings.Contains(got, "error: ") || !strings.Contains(got, tt.want) || strings.Contains(got, "ZZZZ") || strings.Contains(got, "UNHANDLED") {
				t.Errorf("want MuPDF's error naming %q, nothing freed read, no unhandled exception:\n%s", tt.want, got)
			}
		})
	}
}

func mupdfErrorsChild(t *testing.T, which string) {
	ctx := context.Background()
	switch which {
	case "no descriptors":
		doc, err := pages.Open(testfile.Open(t, "x.pdf", docgen.TextPDF([]string{"x"})), pages.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var old syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
		lim := old
		lim.Cur = 64
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatal(err)
		}
		var held []*os.File
		for {
			f, err := os.Open(os.DevNull)
			if err != nil {
				break
			}
			held = append(held, f)
		}
		_, _, err = doc.RenderGray(ctx, 0, 100)
		for _, f := range held {
			f.Close()
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
		t.Logf("error: %v", err)
		doc.Close()
	case "damaged page twice":
		data := bytes.Replace(docgen.TextPDF([]string{"first page", "second page"}), []byte("/Count 2"), []byte("/Count 3"), 1)
		doc, err := pages.Open(testfile.Open(t, "short.pdf", data), pages.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer doc.Close()
		for range 2 {
			_, _, err = doc.RenderGray(ctx, doc.Len()-1, 100)
			t.Logf("error: %v", err)
		}
	}
}
