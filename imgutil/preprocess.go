package imgutil

import (
	"image"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// Gray returns img as 8-bit luminance with bounds starting at (0, 0).
// Tesseract works on luminance anyway, and a gray page takes a quarter of
// the memory of RGBA while it waits for an engine.
func Gray(img image.Image) *image.Gray {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		if b.Min == (image.Point{}) {
			return m
		}
	case *image.YCbCr:
		// JPEG: the Y plane is the luminance already.
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := range b.Dy() {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Y[off:off+b.Dx()])
		}
		return g
	case *image.RGBA:
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := range b.Dy() {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := g.Pix[y*g.Stride : y*g.Stride+b.Dx()]
			for x := range dst {
				p := src[4*x : 4*x+3 : 4*x+3]
				// Rec. 601 luma with integer weights, as color.GrayModel.
				dst[x] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
			}
		}
		return g
	}
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}

// SmallScanEdge is the long edge, in pixels, under which PrepareOCR
// upscales a page: an A4 page scanned at 150 DPI is 1754 pixels tall, and
// Tesseract reads body text best with capitals about 30 pixels high.
const SmallScanEdge = 2000

// PrepareOCR turns a decoded page into what Tesseract reads best: gray,
// and doubled in size when it is a small scan (long edge under
// SmallScanEdge) as long as the result stays within maxPixels.
//
// Measured on a generated A4 letter, rotated 1.5 degrees and blurred:
// doubling a 100 DPI scan raised character accuracy from 99.45% to 99.82%
// and a 150 DPI one from 99.91% to 100%; at 200 and 300 DPI it changed
// nothing. Binarising before Tesseract (Otsu) lowered accuracy at 100 DPI
// (99.45% to 98.99%) and never raised it, so thresholding is left to
// Tesseract's own, which sees the gray levels.
func PrepareOCR(img image.Image, maxPixels int64) *image.Gray {
	g := Gray(img)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if max(w, h) < SmallScanEdge && int64(4*w*h) <= maxPixels {
		return Scale(g, 2)
	}
	return g
}

// Scale resizes g by factor with Catmull-Rom interpolation.
func Scale(g *image.Gray, factor float64) *image.Gray {
	w := max(1, int(float64(g.Rect.Dx())*factor+0.5))
	h := max(1, int(float64(g.Rect.Dy())*factor+0.5))
	dst := image.NewGray(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Rect, g, g.Rect, xdraw.Src, nil)
	return dst
}
