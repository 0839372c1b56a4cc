package mrzscan

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/docgen"
	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
)

var now = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// engTessdata is the folder of Tesseract's eng model, for the printed page.
func engTessdata(t *testing.T) string {
	t.Helper()
	eng, err := ocr.TessdataDir("")
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func newReader(t *testing.T) *Reader {
	t.Helper()
	r, err := New(testPool, Config{TessdataDir: "../tessdata", PrintTessdataDir: engTessdata(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func generate(t *testing.T, seed uint64, opts mrzgen.Options) mrzgen.Sample {
	t.Helper()
	fonts, err := mrzgen.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = now
	s, err := fonts.Generate(rand.New(rand.NewPCG(seed, 99)), "t", opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// write stores data in a new file and returns it open, as a job hands it.
func write(t *testing.T, name string, data []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// The locator finds the zone and its direction, upright or not, on every
// quarter turn and on tilts up to 15 degrees, without Tesseract.
func TestLocateTurnsAndTilts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		format passport.Format
		scene  mrzgen.Scene
		turn   int
		seed   uint64
	}{
		{passport.TD3, mrzgen.PhonePhoto, 0, 1},
		{passport.TD1, mrzgen.PhonePhoto, 90, 2},
		{passport.TD2, mrzgen.PhonePhoto, 180, 3},
		{passport.MRVA, mrzgen.PhonePhoto, 270, 4},
		{passport.MRVB, mrzgen.ScanPage, 90, 5},
		{passport.TD1, mrzgen.ScanPage, 180, 6},
		{passport.TD3, mrzgen.CardCrop, 270, 7},
	}
	if raceDetector {
		cases = cases[1:4]
	}
	for _, tt := range cases {
		s := generate(t, tt.seed, mrzgen.Options{Format: tt.format, Scene: tt.scene, Turn: tt.turn, DPI: 200})
		img, _, err := image.Decode(bytes.NewReader(s.Data))
		if err != nil {
			t.Fatal(err)
		}
		p := newPage(imgutil.Gray(img), workEdges[0])
		var zones []zone
		for _, deg := range p.orientations() {
			zones = append(zones, p.frame(deg).zones()...)
		}
		zones = distinct(zones)
		if len(zones) == 0 {
			t.Errorf("%s %s turn %d tilt %.1f: no zone", tt.format, tt.scene, tt.turn, s.Tilt)
			continue
		}
		z := zones[0]
		got := z.f.deg + z.delta
		if z.upside {
			got += 180
		}
		// The generator turns counter-clockwise on screen; angles here grow
		// clockwise (y points down).
		want := -float64(tt.turn) - s.Tilt
		if d := math.Mod(math.Abs(got-want)+720, 360); math.Min(d, 360-d) > 1.5 {
			t.Errorf("%s %s turn %d tilt %.1f: zone at %.1f degrees, want %.1f", tt.format, tt.scene, tt.turn, s.Tilt, got, want)
		}
		if z.lines != len(s.Truth.MRZ) {
			t.Errorf("%s %s turn %d: %d lines, want %d", tt.format, tt.scene, tt.turn, z.lines, len(s.Truth.MRZ))
		}
	}
}

// Every format, every kind of capture: every field read right.
func TestReadGenerated(t *testing.T) {
	t.Parallel()
	r := newReader(t)
	cases := []struct {
		format passport.Format
		scene  mrzgen.Scene
		turn   int
		dpi    int
	}{
		{passport.TD3, mrzgen.PhonePhoto, 90, 200},
		{passport.TD1, mrzgen.CardCrop, 180, 150},
		{passport.TD2, mrzgen.ScanPage, 0, 300},
		{passport.MRVA, mrzgen.PhonePhoto, 270, 250},
		{passport.MRVB, mrzgen.CardCrop, 0, 200},
	}
	if raceDetector {
		cases = cases[:2]
	}
	for i, tt := range cases {
		s := generate(t, uint64(100+i), mrzgen.Options{Format: tt.format, Scene: tt.scene, Turn: tt.turn, DPI: tt.dpi})
		res, err := r.ReadFile(context.Background(), write(t, "doc."+s.Ext, s.Data))
		if err != nil {
			t.Errorf("%s %s turn %d: %v", tt.format, tt.scene, tt.turn, err)
			continue
		}
		if !res.Valid {
			t.Errorf("%s %s turn %d: not valid: %v %q", tt.format, tt.scene, tt.turn, res.Checks, res.MRZ)
		}
		got, want := mrzgen.FromResult(res).Fields(), s.Truth.Fields()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %s turn %d: %s = %q, want %q", tt.format, tt.scene, tt.turn, k, got[k], v)
			}
		}
	}
}

// A low-resolution thumbnail, as specimen galleries show them.
func TestReadThumbnail(t *testing.T) {
	t.Parallel()
	s := generate(t, 7, mrzgen.Options{Format: passport.TD3, Scene: mrzgen.CardCrop, Turn: 0, DPI: 300})
	img, _, err := image.Decode(bytes.NewReader(s.Data))
	if err != nil {
		t.Fatal(err)
	}
	g := imgutil.Gray(img)
	small := resize(g, 420, 420*g.Rect.Dy()/g.Rect.Dx())
	res, err := newReader(t).ReadImage(context.Background(), small)
	if err != nil {
		t.Fatal(err)
	}
	if res.DocumentNumber != s.Truth.DocumentNumber || res.BirthDate != s.Truth.BirthDate {
		t.Errorf("420 px thumbnail: %+v, want %+v", mrzgen.FromResult(res), s.Truth)
	}
}

// A PDF whose first page has no zone and whose second is a scan of one; and
// a PDF made by software with the zone in its text layer.
func TestReadPDF(t *testing.T) {
	t.Parallel()
	r := newReader(t)
	blank := generate(t, 21, mrzgen.Options{Scene: mrzgen.ScanPage, Turn: 0, DPI: 150, Negative: true})
	card := generate(t, 22, mrzgen.Options{Format: passport.TD1, Scene: mrzgen.CardCrop, Turn: 0, DPI: 300})
	var pages []image.Image
	for _, s := range []mrzgen.Sample{blank, card} {
		img, _, err := image.Decode(bytes.NewReader(s.Data))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, img)
	}
	pdf, err := docgen.ImagePDF(pages, 300)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ReadFile(context.Background(), write(t, "scan.pdf", pdf))
	if err != nil || !res.Valid || res.DocumentNumber != card.Truth.DocumentNumber {
		t.Errorf("zone on page 2: %+v, %v", res, err)
	}

	text := docgen.TextPDF([]string{"Visa application\n\n" + strings.Join(card.Truth.MRZ, "\n")})
	res, err = r.ReadFile(context.Background(), write(t, "text.pdf", text))
	if err != nil || !res.Valid || res.DocumentNumber != card.Truth.DocumentNumber {
		t.Errorf("zone in the text layer: %+v, %v", res, err)
	}
}

func TestNoZoneAndBadInput(t *testing.T) {
	t.Parallel()
	r := newReader(t)
	letter := generate(t, 31, mrzgen.Options{Scene: mrzgen.ScanPage, Turn: 0, DPI: 150, Negative: true})
	card := generate(t, 32, mrzgen.Options{Format: passport.TD1, Scene: mrzgen.CardCrop, Turn: 0, DPI: 200})

	_, err := r.ReadFile(context.Background(), write(t, "letter."+letter.Ext, letter.Data))
	if !errors.Is(err, passport.ErrNoMRZ) || !fault.IsBadInput(err) || err.Error() != "no machine-readable zone found" {
		t.Errorf("page without a zone: %v", err)
	}
	for name, data := range map[string][]byte{
		"empty.jpg":     nil,
		"notes.jpg":     []byte("just some text, not an image at all"),
		"truncated.jpg": card.Data[:len(card.Data)/4],
		"broken.pdf":    []byte("%PDF-1.7\n1 0 obj garbage"),
	} {
		_, err := r.ReadFile(context.Background(), write(t, name, data))
		if !fault.IsBadInput(err) || errors.Is(err, passport.ErrNoMRZ) {
			t.Errorf("%s: %v, want bad input other than no zone", name, err)
		}
	}
}

// A PDF page too large to render within the pixel limit is refused as it
// is for OCR (package pages owns the rule), not searched at a size MuPDF
// would allocate whatever it asks for.
func TestOversizePDFPageRefused(t *testing.T) {
	t.Parallel()
	r, err := New(testPool, Config{TessdataDir: "../tessdata", MaxPixels: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	poster := bytes.ReplaceAll(docgen.TextPDF([]string{"x"}), []byte("/MediaBox [0 0 595 842]"), []byte("/MediaBox [0 0 14400 14400]"))
	_, err = r.ReadFile(context.Background(), write(t, "poster.pdf", poster))
	if !fault.IsBadInput(err) || !strings.Contains(err.Error(), "too large to render") {
		t.Errorf("200-inch page under a 10,000-pixel limit: %v, want bad input: too large to render", err)
	}
}

func TestFindTessdata(t *testing.T) {
	t.Parallel()
	if _, err := FindTessdata(t.TempDir()); err == nil || !strings.Contains(err.Error(), "PASSPORT_TESSDATA_DIR") {
		t.Errorf("folder without the model: %v", err)
	}
	if dir, err := FindTessdata("../tessdata"); err != nil || dir != "../tessdata" {
		t.Errorf("../tessdata: %q %v", dir, err)
	}
}

// A passport small in a large photo: the zone's glyphs are a few pixels
// high on the coarse working copy.
func TestReadSmallDocumentInLargePhoto(t *testing.T) {
	t.Parallel()
	if raceDetector {
		t.Skip("a 19-megapixel photo takes minutes under -race; run without -race")
	}
	s := generate(t, 8, mrzgen.Options{Format: passport.TD3, Scene: mrzgen.CardCrop, Turn: 0, DPI: 150})
	img, _, err := image.Decode(bytes.NewReader(s.Data))
	if err != nil {
		t.Fatal(err)
	}
	doc := imgutil.Gray(img)
	big := image.NewGray(image.Rect(0, 0, 7*doc.Rect.Dx(), 5*doc.Rect.Dx()))
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range big.Pix {
		big.Pix[i] = uint8(90 + rng.IntN(30))
	}
	for y := range doc.Rect.Dy() {
		copy(big.Pix[(y+doc.Rect.Dx())*big.Stride+2*doc.Rect.Dx():], doc.Pix[y*doc.Stride:y*doc.Stride+doc.Rect.Dx()])
	}
	res, err := newReader(t).ReadImage(context.Background(), big)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || res.DocumentNumber != s.Truth.DocumentNumber {
		t.Errorf("document of 1/7 of the photo's width: %+v, want %+v", mrzgen.FromResult(res), s.Truth)
	}
}

// A read that the caller ends (shutdown, the job's timeout) is not "no
// zone" nor a partial answer: the error is the context's, retryable.
func TestCancelledReadIsRetryable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	card := generate(t, 41, mrzgen.Options{Format: passport.TD2, Scene: mrzgen.CardCrop, Turn: 0, DPI: 150})
	res, err := newReader(t).ReadFile(ctx, write(t, "card."+card.Ext, card.Data))
	if res != nil || err == nil || fault.IsBadInput(err) || errors.Is(err, passport.ErrNoMRZ) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v, %v; want no result and a retryable error wrapping context.Canceled", res, err)
	}
}
