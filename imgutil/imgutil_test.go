package imgutil

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/internal/testfile"
)

// marked is a w x h white image with a black block in its top-left
// quarter, so that tests can tell where the top-left went.
func marked(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 255, 255, 255}
			if x < w/4 && y < h/4 {
				c = color.RGBA{0, 0, 0, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func dark(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y).RGBA()
	return (r+g+b)/3 < 0x8000
}

func encode(t *testing.T, enc func(*bytes.Buffer, image.Image) error, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeSniffsTheContentNotTheName(t *testing.T) {
	t.Parallel()
	img := marked(80, 60)
	pal := image.NewPaletted(img.Rect, color.Palette{color.White, color.Black})
	for y := range 60 {
		for x := range 80 {
			pal.Set(x, y, img.At(x, y))
		}
	}
	tests := []struct {
		name   string
		format Format
		data   []byte
		w, h   int
	}{
		{"scan.pdf", JPEG, encode(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }, img), 80, 60},
		{"scan.jpg", PNG, encode(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }, img), 80, 60},
		{"scan.png", GIF, encode(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }, pal), 80, 60},
		{"scan", BMP, encode(t, func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }, img), 80, 60},
		{"scan.txt", TIFF, encode(t, func(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, nil) }, img), 80, 60},
		{"gopher.jpeg", WebP, []byte(gopherWebP), 75, 100},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			t.Parallel()
			path := testfile.Open(t, tt.name, tt.data)
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Format() != tt.format || s.Len() != 1 {
				t.Fatalf("format %q with %d pages, want %q with 1", s.Format(), s.Len(), tt.format)
			}
			got, err := s.Page(0)
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("decoded %v, want %dx%d", b, tt.w, tt.h)
			}
			if tt.format != WebP && (!dark(got, 2, 2) || dark(got, tt.w-3, tt.h-3)) {
				t.Error("the black block is not in the top-left corner")
			}
		})
	}
}

// tiffPage is one page of a hand-written uncompressed 8-bit gray TIFF.
type tiffPage struct {
	img         *image.Gray
	orientation int
}

// multiTIFF writes pages as one little-endian TIFF, which Go's encoder
// cannot do.
func multiTIFF(pages []tiffPage) []byte {
	le := binary.LittleEndian
	out := []byte("II*\x00\x00\x00\x00\x00")
	link := 4 // where the offset of the next IFD goes
	for _, p := range pages {
		w, h := p.img.Rect.Dx(), p.img.Rect.Dy()
		dataOff := len(out)
		out = append(out, p.img.Pix...)
		if len(out)%2 == 1 {
			out = append(out, 0)
		}
		ifd := len(out)
		le.PutUint32(out[link:], uint32(ifd))
		entries := [][3]uint32{ // tag, type, value
			{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1},
			{262, 3, 1}, {273, 4, uint32(dataOff)}, {274, 3, uint32(p.orientation)},
			{277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(w * h)},
		}
		out = le.AppendUint16(out, uint16(len(entries)))
		for _, e := range entries {
			out = le.AppendUint16(out, uint16(e[0]))
			out = le.AppendUint16(out, uint16(e[1]))
			out = le.AppendUint32(out, 1)
			if e[1] == 3 {
				out = le.AppendUint16(out, uint16(e[2]))
				out = le.AppendUint16(out, 0)
			} else {
				out = le.AppendUint32(out, e[2])
			}
		}
		link = len(out)
		out = le.AppendUint32(out, 0)
	}
	return out
}

func TestMultiPageTIFF(t *testing.T) {
	t.Parallel()
	data := multiTIFF([]tiffPage{
		{Gray(marked(40, 20)), 1},
		{Gray(marked(30, 50)), 1},
		{Gray(marked(60, 10)), 6}, // stored sideways: upright it is 10 x 60
	})
	s, err := Open(testfile.Open(t, "fax.bin", data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 {
		t.Fatalf("%d pages, want 3", s.Len())
	}
	for i, want := range []image.Point{{40, 20}, {30, 50}, {10, 60}} {
		img, err := s.Page(i)
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if got := img.Bounds().Size(); got != want {
			t.Errorf("page %d is %v, want %v", i+1, got, want)
		}
	}

	if _, err := Open(testfile.Open(t, "fax.tif", data), Options{MaxPages: 2}); !fault.IsBadInput(err) || !strings.Contains(err.Error(), "more than 2 pages") {
		t.Errorf("3 pages with a limit of 2: %v, want a bad-input error naming the limit", err)
	}
}

// withOrientation inserts an EXIF APP1 segment with the given orientation
// after a JPEG's SOI marker, as a phone camera writes it.
func withOrientation(jpg []byte, orientation int) []byte {
	be := binary.BigEndian
	exif := []byte("Exif\x00\x00MM\x00*\x00\x00\x00\x08")
	exif = be.AppendUint16(exif, 1)
	exif = be.AppendUint16(exif, tagOrientation)
	exif = be.AppendUint16(exif, 3)
	exif = be.AppendUint32(exif, 1)
	exif = be.AppendUint16(exif, uint16(orientation))
	exif = be.AppendUint16(exif, 0)
	exif = be.AppendUint32(exif, 0)
	seg := []byte{0xff, 0xe1}
	seg = be.AppendUint16(seg, uint16(len(exif)+2))
	seg = append(seg, exif...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

func TestEXIFOrientation(t *testing.T) {
	t.Parallel()
	// Stored 80 x 40 with the block top-left; where the block lands once
	// upright tells that the right turn was applied.
	jpg := encode(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, &jpeg.Options{Quality: 95}) }, marked(80, 40))
	tests := []struct {
		orientation int
		size        image.Point
		block       image.Point // a point inside the black block once upright
	}{
		{1, image.Pt(80, 40), image.Pt(5, 5)},
		{2, image.Pt(80, 40), image.Pt(74, 5)},
		{3, image.Pt(80, 40), image.Pt(74, 34)},
		{4, image.Pt(80, 40), image.Pt(5, 34)},
		{5, image.Pt(40, 80), image.Pt(5, 5)},
		{6, image.Pt(40, 80), image.Pt(34, 5)},
		{7, image.Pt(40, 80), image.Pt(34, 74)},
		{8, image.Pt(40, 80), image.Pt(5, 74)},
	}
	for _, tt := range tests {
		img, err := Decode(testfile.Open(t, "photo.jpg", withOrientation(jpg, tt.orientation)), Options{})
		if err != nil {
			t.Fatalf("orientation %d: %v", tt.orientation, err)
		}
		if got := img.Bounds().Size(); got != tt.size {
			t.Errorf("orientation %d: size %v, want %v", tt.orientation, got, tt.size)
		}
		if !dark(img, tt.block.X, tt.block.Y) {
			t.Errorf("orientation %d: no block at %v", tt.orientation, tt.block)
		}
	}
}

// pngHeader is a PNG signature and IHDR chunk claiming w x h RGBA pixels,
// with no image data: what a decompression bomb looks like up front.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

func TestPixelLimitRefusesBeforeAllocating(t *testing.T) {
	path := testfile.Open(t, "bomb.png", pngHeader(60000, 60000))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(path, Options{})
	runtime.ReadMemStats(&after)
	if !fault.IsBadInput(err) || !strings.Contains(err.Error(), "60000 x 60000") || !strings.Contains(err.Error(), "limit of 100 megapixels") {
		t.Fatalf("got %v, want a bad-input error naming the size and the limit", err)
	}
	// 60000 x 60000 RGBA would be 14.4 GB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes to refuse the image", alloc)
	}

	small := testfile.Open(t, "small.png", encode(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }, marked(40, 30)))
	if _, err := Decode(small, Options{MaxPixels: 1000}); !fault.IsBadInput(err) {
		t.Errorf("1200 pixels under a limit of 1000: %v, want bad input", err)
	}
	if _, err := Decode(small, Options{MaxPixels: 1200}); err != nil {
		t.Errorf("1200 pixels under a limit of 1200: %v", err)
	}
}

func TestBadImages(t *testing.T) {
	t.Parallel()
	good := encode(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }, marked(200, 200))
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty.png", nil, "empty file"},
		{"page.png", []byte("<!DOCTYPE html><html><body>Not found</body></html>"), "HTML"},
		{"notes.jpg", []byte("just some words\n"), "plain text"},
		{"scan.png", good[:len(good)/2], "corrupt"},
		{"doc.png", []byte("%PDF-1.7\n"), "PDF is not an image"},
	}
	for _, tt := range tests {
		_, err := Decode(testfile.Open(t, tt.name, tt.data), Options{})
		if !fault.IsBadInput(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want bad input mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestPreview(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want image.Point
		opts     PreviewOptions
	}{
		{image.Pt(2480, 3508), image.Pt(723, 1024), PreviewOptions{}},
		{image.Pt(3000, 2000), image.Pt(1024, 682), PreviewOptions{}},
		{image.Pt(600, 400), image.Pt(600, 400), PreviewOptions{}},
		{image.Pt(600, 400), image.Pt(300, 200), PreviewOptions{LongEdge: 300}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WritePreview(&buf, marked(tt.in.X, tt.in.Y), tt.opts); err != nil {
			t.Fatal(err)
		}
		got, format, err := image.Decode(&buf)
		if err != nil || format != "jpeg" {
			t.Fatalf("preview of %v: %v, format %q", tt.in, err, format)
		}
		if got.Bounds().Size() != tt.want {
			t.Errorf("preview of %v is %v, want %v", tt.in, got.Bounds().Size(), tt.want)
		}
		if !dark(got, 3, 3) || dark(got, tt.want.X-3, tt.want.Y-3) {
			t.Errorf("preview of %v lost the picture", tt.in)
		}
	}
}

func TestGray(t *testing.T) {
	t.Parallel()
	m := image.NewRGBA(image.Rect(0, 0, 4, 1))
	for x, v := range []uint8{20, 60, 180, 230} {
		m.SetRGBA(x, 0, color.RGBA{v, v, v, 255})
	}
	g := Gray(m)
	if !bytes.Equal(g.Pix, []byte{20, 60, 180, 230}) {
		t.Fatalf("gray %v", g.Pix)
	}
}
