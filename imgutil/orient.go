package imgutil

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
	"io"
)

// jpegOrientation returns the EXIF orientation of a JPEG (1 when it has
// none or it cannot be read: a damaged EXIF block must not lose the image).
// Phones store photos of documents sideways and set this tag instead.
func jpegOrientation(r io.Reader) int {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:2]); err != nil || b[0] != 0xff || b[1] != 0xd8 {
		return 1
	}
	for {
		if _, err := io.ReadFull(r, b[:4]); err != nil || b[0] != 0xff {
			return 1
		}
		marker, n := b[1], int64(binary.BigEndian.Uint16(b[2:]))-2
		if n < 0 || marker == 0xda { // start of scan: no metadata follows
			return 1
		}
		if marker != 0xe1 { // APP1 holds EXIF
			if _, err := io.CopyN(io.Discard, r, n); err != nil {
				return 1
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(r, seg); err != nil {
			return 1
		}
		if !bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			continue
		}
		tr := bytes.NewReader(seg[6:])
		order, off, err := tiffHeader(tr)
		if err != nil {
			return 1
		}
		o, _, err := readIFD(tr, order, off)
		if err != nil {
			return 1
		}
		return o
	}
}

// Orient returns img turned upright according to an EXIF orientation
// (1 to 8); 1 and unknown values return img itself.
func Orient(img image.Image, orientation int) image.Image {
	if orientation <= 1 || orientation > 8 {
		return img
	}
	src := toRGBA(img)
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if orientation >= 5 { // 5-8 swap width and height
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := range w {
			var dx, dy int
			switch orientation {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // rotated 180
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // stored rotated 90 counter-clockwise: turn clockwise
				dx, dy = h-1-y, x
			case 7: // transversed
				dx, dy = h-1-y, w-1-x
			case 8: // stored rotated 90 clockwise: turn counter-clockwise
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+4*dx:], row[4*x:4*x+4])
		}
	}
	return dst
}

// toRGBA returns img as an *image.RGBA whose bounds start at (0, 0).
func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Rect, img, b.Min, draw.Src)
	return m
}
