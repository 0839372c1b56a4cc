package ocr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/tiff"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/docgen"
)

func mustPage(t *testing.T, text string, opts docgen.PageOptions) *image.Gray {
	t.Helper()
	img, err := docgen.Page(text, opts)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openFile opens the file at path for a reader, closed when the test ends.
func openFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func encoded(t *testing.T, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func imagePDF(t *testing.T, dpi float64, pages ...image.Image) []byte {
	t.Helper()
	data, err := docgen.ImagePDF(pages, dpi)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Character accuracy on generated scans: the known text rendered, turned
// and blurred like a page fed through a scanner, in the formats clients
// upload. Figures are logged for the report.
func TestAccuracy(t *testing.T) {
	t.Parallel()
	clean300 := mustPage(t, docgen.Letter, docgen.PageOptions{DPI: 300})
	askew300 := mustPage(t, docgen.Letter, docgen.PageOptions{DPI: 300, Rotate: 1.5, Blur: 1})
	askew200 := mustPage(t, docgen.Invoice, docgen.PageOptions{DPI: 200, Rotate: -1, Blur: 0.7})
	small100 := mustPage(t, docgen.Letter, docgen.PageOptions{DPI: 100, Rotate: 1.5, Blur: 0.3})
	invoice300 := mustPage(t, docgen.Invoice, docgen.PageOptions{DPI: 300, Rotate: 2})

	tests := []struct {
		name    string
		file    string
		data    []byte
		want    []string
		atLeast float64
	}{
		{"clean 300 DPI PNG", "clean.png", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, clean300) }), []string{docgen.Letter}, 0.98},
		{"clean 300 DPI image-only PDF", "clean.pdf", imagePDF(t, 300, clean300), []string{docgen.Letter}, 0.98},
		{"askew blurred 300 DPI JPEG", "askew.jpg", encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, askew300, &jpeg.Options{Quality: 75}) }), []string{docgen.Letter}, 0.97},
		{"askew blurred 200 DPI two-page PDF", "scan.pdf", imagePDF(t, 200, askew200, mustPage(t, docgen.Letter, docgen.PageOptions{DPI: 200, Rotate: 1, Blur: 0.7})), []string{docgen.Invoice, docgen.Letter}, 0.97},
		{"two-page 300 DPI TIFF", "fax.tiff", encodedTIFF(t, invoice300, askew300), []string{docgen.Invoice, docgen.Letter}, 0.97},
		{"askew 100 DPI PNG", "small.png", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, small100) }), []string{docgen.Letter}, 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), tt.file, tt.data)
			res, err := testPool.Document(context.Background(), openFile(t, path), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Pages) != len(tt.want) {
				t.Fatalf("%d pages, want %d", len(res.Pages), len(tt.want))
			}
			for i, pg := range res.Pages {
				acc := docgen.CharAccuracy(tt.want[i], pg.Text)
				t.Logf("page %d: character accuracy %.2f%%, confidence %.1f", i+1, 100*acc, pg.Confidence)
				if pg.Number != i+1 || pg.Source != FromOCR {
					t.Errorf("page %d: number %d, source %q", i+1, pg.Number, pg.Source)
				}
				if acc < tt.atLeast {
					t.Errorf("page %d: character accuracy %.2f%%, want at least %.0f%%\n%s", i+1, 100*acc, 100*tt.atLeast, pg.Text)
				}
				if pg.Confidence < 50 {
					t.Errorf("page %d: confidence %.1f for a readable page", i+1, pg.Confidence)
				}
			}
		})
	}
}

// encodedTIFF writes pages as one multi-page TIFF of uncompressed gray
// strips, by hand: Go's encoder writes a single page.
func encodedTIFF(t *testing.T, pages ...image.Image) []byte {
	t.Helper()
	var out []byte
	out = append(out, "II*\x00\x00\x00\x00\x00"...)
	link := 4
	for _, p := range pages {
		g := imgutil.Gray(p)
		w, h := g.Rect.Dx(), g.Rect.Dy()
		dataOff := len(out)
		out = append(out, g.Pix...)
		if len(out)%2 == 1 {
			out = append(out, 0)
		}
		putU32(out[link:], uint32(len(out)))
		entries := [][3]uint32{{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, uint32(dataOff)}, {277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(w * h)}}
		out = appendU16(out, uint16(len(entries)))
		for _, e := range entries {
			out = appendU16(out, uint16(e[0]))
			out = appendU16(out, uint16(e[1]))
			out = appendU32(out, 1)
			if e[1] == 3 {
				out = appendU16(appendU16(out, uint16(e[2])), 0)
			} else {
				out = appendU32(out, e[2])
			}
		}
		link = len(out)
		out = appendU32(out, 0)
	}
	if _, err := tiff.DecodeConfig(bytes.NewReader(out)); err != nil {
		t.Fatal(err)
	}
	return out
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
func appendU16(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }
func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func TestTextLayerIsReadExactly(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "letter.pdf", docgen.TextPDF([]string{docgen.Letter, docgen.Invoice}))
	res, err := testPool.Document(context.Background(), openFile(t, path), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{docgen.Letter, docgen.Invoice} {
		pg := res.Pages[i]
		if pg.Source != FromText || pg.Confidence != 100 {
			t.Errorf("page %d: source %q confidence %v, want the text layer", i+1, pg.Source, pg.Confidence)
		}
		if pg.Text != want {
			t.Errorf("page %d text differs from the PDF's:\n got %q\nwant %q", i+1, pg.Text, want)
		}
	}
	if res.Text != docgen.Letter+"\n\f"+docgen.Invoice {
		t.Errorf("document text is not the pages joined by a form feed: %q", res.Text)
	}
}

// A PDF whose first page was typed and second scanned: each page goes its
// own way.
func TestMixedPDF(t *testing.T) {
	t.Parallel()
	typed := docgen.TextPDF([]string{docgen.Letter})
	scanned := mustPage(t, docgen.Invoice, docgen.PageOptions{DPI: 300, Rotate: 1})
	dir := t.TempDir()
	path := writeFile(t, dir, "mixed.pdf", joinPDFs(t, dir, typed, imagePDF(t, 300, scanned)))
	res, err := testPool.Document(context.Background(), openFile(t, path), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pages) != 2 || res.Pages[0].Source != FromText || res.Pages[1].Source != FromOCR {
		t.Fatalf("pages %+v, want the text layer then OCR", res.Pages)
	}
	if acc := docgen.CharAccuracy(docgen.Invoice, res.Pages[1].Text); acc < 0.97 {
		t.Errorf("scanned page: accuracy %.2f%%", 100*acc)
	}

	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var contract struct {
		Pages []map[string]any `json:"pages"`
		Text  *string          `json:"text"`
	}
	if err := json.Unmarshal(raw, &contract); err != nil || contract.Text == nil || len(contract.Pages) != 2 {
		t.Fatalf("JSON %s does not follow the ocr_document contract", raw)
	}
	for _, key := range []string{"number", "text", "confidence", "source"} {
		if _, ok := contract.Pages[1][key]; !ok {
			t.Errorf("page JSON lacks %q: %s", key, raw)
		}
	}
}

// joinPDFs concatenates PDFs with qpdf.
func joinPDFs(t *testing.T, dir string, pdfs ...[]byte) []byte {
	t.Helper()
	qpdf := requireTool(t, "qpdf")
	args := []string{"--empty", "--pages"}
	for i, p := range pdfs {
		args = append(args, writeFile(t, dir, "part"+string(rune('a'+i))+".pdf", p))
	}
	out := filepath.Join(dir, "joined.pdf")
	args = append(args, "--", out)
	if b, err := exec.Command(qpdf, args...).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// requireTool finds a command installed by scripts/deps.sh: missing, the
// test fails under CI and is skipped elsewhere.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (scripts/deps.sh installs it)", name)
		}
		t.Skipf("%s is not installed (scripts/deps.sh installs it)", name)
	}
	return path
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scan := imagePDF(t, 150, mustPage(t, docgen.Letter, docgen.PageOptions{DPI: 150}))
	encrypted := filepath.Join(dir, "locked.pdf")
	plain := writeFile(t, dir, "plain.pdf", scan)
	if b, err := exec.Command(requireTool(t, "qpdf"), "--encrypt", "s3cret", "owner", "256", "--", plain, encrypted).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v\n%s", err, b)
	}
	os.Remove(plain)

	tests := []struct {
		name string
		path string
		want string
	}{
		{"zero-byte file", writeFile(t, dir, "empty.pdf", nil), "empty"},
		{"truncated PDF", writeFile(t, dir, "cut.pdf", scan[:len(scan)*2/3]), "damaged or truncated"},
		{"encrypted PDF", encrypted, "encrypted"},
		{"HTML named .pdf", writeFile(t, dir, "invoice.pdf", []byte("<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Session expired</body></html>")), "HTML"},
		{"PNG claiming 60,000 x 60,000 pixels", writeFile(t, dir, "bomb.png", pngHeader(60000, 60000)), "60000 x 60000 pixels"},
		{"PDF of 10,000 blank pages", writeFile(t, dir, "blank.pdf", docgen.BlankPDF(10000)), "10000 pages, more than the limit of 200"},
	}
	before := listDir(t, dir)
	for _, tt := range tests {
		_, err := testPool.Document(context.Background(), openFile(t, tt.path), Options{})
		switch {
		case err == nil:
			t.Errorf("%s: no error", tt.name)
		case !fault.IsBadInput(err):
			t.Errorf("%s: %v, want bad input (no retry)", tt.name, err)
		case !strings.Contains(err.Error(), tt.want):
			t.Errorf("%s: %q should say %q", tt.name, err, tt.want)
		default:
			t.Logf("%s: %v", tt.name, err)
		}
	}
	if after := listDir(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("files changed next to the inputs: before %v, after %v", before, after)
	}
	// The pool still works after all that.
	path := writeFile(t, t.TempDir(), "ok.pdf", docgen.TextPDF([]string{"Still reading documents after bad input."}))
	if res, err := testPool.Document(context.Background(), openFile(t, path), Options{}); err != nil || res.Pages[0].Text != "Still reading documents after bad input." {
		t.Errorf("after bad input: %v %+v", err, res)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// pngHeader is a PNG signature and IHDR chunk claiming w x h pixels, and
// nothing else: a decompression bomb's first bytes.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	data := b.Bytes()
	ihdr := data[8 : 8+25]
	// Width and height sit at bytes 8..15 of the chunk; the CRC follows.
	ihdr[8], ihdr[9], ihdr[10], ihdr[11] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
	ihdr[12], ihdr[13], ihdr[14], ihdr[15] = byte(h>>24), byte(h>>16), byte(h>>8), byte(h)
	return append(append([]byte{}, data[:8]...), withCRC(ihdr)...)
}

// A job past its deadline stops instead of reading on.
func TestDeadlineStopsTheDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scan := imagePDF(t, 300, mustPage(t, docgen.Letter, docgen.PageOptions{}), mustPage(t, docgen.Invoice, docgen.PageOptions{}))
	for _, path := range []string{writeFile(t, dir, "scan.pdf", scan), writeFile(t, dir, "scan.png", pngHeader(100, 100))} {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now())
		_, err := testPool.Document(ctx, openFile(t, path), Options{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: got %v, want the deadline", filepath.Base(path), err)
		}
	}
}
