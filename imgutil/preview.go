package imgutil

import (
	"fmt"
	"image"
	"image/jpeg"
	"io"

	xdraw "golang.org/x/image/draw"
)

// Preview defaults.
const (
	DefaultPreviewEdge    = 1024
	DefaultPreviewQuality = 80
)

// PreviewOptions shape a preview. Zero fields take the defaults.
type PreviewOptions struct {
	LongEdge int // pixels; the image is only ever shrunk
	Quality  int // JPEG quality 1-100
}

// WithDefaults returns a copy with zero fields set to their defaults.
func (o PreviewOptions) WithDefaults() PreviewOptions {
	if o.LongEdge <= 0 {
		o.LongEdge = DefaultPreviewEdge
	}
	if o.Quality <= 0 || o.Quality > 100 {
		o.Quality = DefaultPreviewQuality
	}
	return o
}

// WritePreview encodes img as a JPEG whose long edge is at most
// opts.LongEdge pixels.
func WritePreview(w io.Writer, img image.Image, opts PreviewOptions) error {
	opts = opts.WithDefaults()
	if err := jpeg.Encode(w, Fit(img, opts.LongEdge), &jpeg.Options{Quality: opts.Quality}); err != nil {
		return fmt.Errorf("encode preview: %w", err)
	}
	return nil
}

// Fit shrinks img so that its long edge is at most edge pixels, keeping
// its aspect ratio; a smaller image is returned as it is.
func Fit(img image.Image, edge int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if max(w, h) <= edge {
		return img
	}
	if w >= h {
		w, h = edge, max(1, h*edge/w)
	} else {
		w, h = max(1, w*edge/h), edge
	}
	var dst xdraw.Image = image.NewRGBA(image.Rect(0, 0, w, h))
	if _, ok := img.(*image.Gray); ok {
		dst = image.NewGray(image.Rect(0, 0, w, h))
	}
	xdraw.BiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst
}
