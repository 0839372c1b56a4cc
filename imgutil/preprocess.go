package imgutil

import (
	"image"
	"image/draw"
)

// Gray returns img as 8-bit luminance with bounds starting at (0, 0).
// Tesseract works on luminance anyway, and a gray page takes a quarter of
// the memory of RGBA while it waits for an engine.
//
// Pages go to Tesseract as these pixels and nothing more: no scaling, no
// thresholding. Doubling small scans (long edge under 2000 pixels) once
// raised a 100 DPI letter from 99.45% to 99.82%, but it lowered a 100 DPI
// invoice from 100% to 99.80%, a 200 DPI letter from 100% to 99.91%, and
// misread generated 590x95 job labels that the tesseract CLI reads right
// ("6767" as "6/67"): Tesseract scales each text line itself, and a
// resampled page only moves its thresholds. Binarising (Otsu) lowered
// accuracy too. See docs/architecture.md, OCR.
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
