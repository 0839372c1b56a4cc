package mrzscan

import (
	"image"
	"math"
)

// maxCropWidth bounds a crop handed to Tesseract.
const maxCropWidth = 2600

// crop renders zone z from the full-resolution image, turned so that its
// lines run along the frame's direction plus delta degrees, upright when
// flip is false, with glyphs glyphH pixels high and a margin of mx and my
// glyph heights around the lines.
func (p *page) crop(z zone, delta, glyphH, mx, my float64, flip bool) *image.Gray {
	f := z.f
	zoom := glyphH / z.lineH // output pixels per working pixel
	wOut := (z.w + 2*mx*z.lineH) * zoom
	if wOut > maxCropWidth {
		zoom *= maxCropWidth / wOut
		wOut = maxCropWidth
	}
	hOut := (z.h + 2*my*z.lineH) * zoom
	cx, cy := f.toWork(z.cx, z.cy)
	sin, cos := math.Sincos(deg2rad(f.deg + z.delta + delta))
	// Original pixels per output pixel decides the source level.
	perOut := 1 / (zoom * p.s)
	k := max(1, int(perOut/1.5))
	src := p.level(k)
	// orig = work/s, level = orig/k; output (x, y) -> (u, v) around the centre.
	toSrc := 1 / (p.s * float64(k))
	u := func(x, y float64) (float64, float64) {
		uu, vv := (x-wOut/2)/zoom, (y-hOut/2)/zoom
		return (cx + uu*cos - vv*sin) * toSrc, (cy + uu*sin + vv*cos) * toSrc
	}
	ox, oy := u(0, 0)
	ax, ay := u(1, 0)
	bx, by := u(0, 1)
	m := affine{ax - ox, bx - ox, ox, ay - oy, by - oy, oy}
	var out *image.Gray
	if perOut < 0.6 {
		out = warpCubic(src, int(wOut), int(hOut), m, 255) // a thumbnail, enlarged
	} else {
		out = warp(src, int(wOut), int(hOut), m, 255)
	}
	if flip {
		out = rotate180(out)
	}
	return out
}

// upright renders the whole original turned so that direction deg runs
// left to right (then by 180 degrees when flip), scaled by k.
func (p *page) upright(deg, k float64, flip bool) *image.Gray {
	w, h := float64(p.orig.Rect.Dx()), float64(p.orig.Rect.Dy())
	sin, cos := math.Sincos(deg2rad(deg))
	ow := (math.Abs(w*cos) + math.Abs(h*sin)) * k
	oh := (math.Abs(w*sin) + math.Abs(h*cos)) * k
	lv := max(1, int(1/(k*1.5)))
	toSrc := 1 / float64(lv)
	u := func(x, y float64) (float64, float64) {
		uu, vv := (x-ow/2)/k, (y-oh/2)/k
		return (w/2 + uu*cos - vv*sin) * toSrc, (h/2 + uu*sin + vv*cos) * toSrc
	}
	ox, oy := u(0, 0)
	ax, ay := u(1, 0)
	bx, by := u(0, 1)
	out := warp(p.level(lv), int(ow), int(oh), affine{ax - ox, bx - ox, ox, ay - oy, by - oy, oy}, 255)
	if flip {
		out = rotate180(out)
	}
	return out
}

// skew measures the angle, in degrees within +-3, of the text lines of a
// binarised crop (dark ink on white).
func skew(b *image.Gray) float64 {
	w, h := b.Rect.Dx(), b.Rect.Dy()
	var pts [][2]float64
	step := 1
	if w*h > 400000 {
		step = 2
	}
	for y := 0; y < h; y += step {
		for x := 0; x < w; x += step {
			if b.Pix[y*b.Stride+x] == 0 {
				pts = append(pts, [2]float64{float64(x - w/2), float64(y - h/2)})
			}
		}
	}
	if len(pts) < 50 {
		return 0
	}
	bins := make([]int, int(math.Hypot(float64(w), float64(h)))+4)
	bestD, bestS := 0.0, -1.0
	for d := -3.0; d <= 3.0; d += 0.2 {
		clear(bins)
		sin, cos := math.Sincos(deg2rad(d))
		off := float64(len(bins)) / 2
		for _, q := range pts {
			bins[int(-q[0]*sin+q[1]*cos+off)/step]++
		}
		s := 0.0
		for _, v := range bins {
			s += float64(v) * float64(v)
		}
		if s > bestS {
			bestD, bestS = d, s
		}
	}
	return bestD
}

// splitLines cuts a binarised crop into its text lines by the rows that
// hold ink, each with a margin, for single-line recognition.
func splitLines(b *image.Gray) []image.Rectangle {
	w, h := b.Rect.Dx(), b.Rect.Dy()
	rows := make([]int, h)
	peak := 0
	for y := range h {
		for _, v := range b.Pix[y*b.Stride : y*b.Stride+w] {
			if v == 0 {
				rows[y]++
			}
		}
		peak = max(peak, rows[y])
	}
	var out []image.Rectangle
	start := -1
	for y := 0; y <= h; y++ {
		on := y < h && rows[y] > peak/12
		switch {
		case on && start < 0:
			start = y
		case !on && start >= 0:
			if y-start >= 8 {
				m := (y - start) / 3
				out = append(out, image.Rect(0, max(0, start-m), w, min(h, y+m)))
			}
			start = -1
		}
	}
	return out
}
