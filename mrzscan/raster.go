package mrzscan

import (
	"image"
	"math"
	"slices"
)

// resize scales g so that it is w x h, averaging the source pixels each
// output pixel covers when shrinking (no aliasing of thin strokes) and
// interpolating bilinearly when enlarging.
func resize(g *image.Gray, w, h int) *image.Gray {
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	if w >= sw && h >= sh {
		return warp(g, w, h, affine{float64(sw) / float64(w), 0, 0.5*float64(sw)/float64(w) - 0.5, 0, float64(sh) / float64(h), 0.5*float64(sh)/float64(h) - 0.5}, 255)
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	fx, fy := float64(sw)/float64(w), float64(sh)/float64(h)
	for y := range h {
		y0, y1 := int(float64(y)*fy), max(int(float64(y)*fy)+1, int(float64(y+1)*fy))
		y1 = min(y1, sh)
		for x := range w {
			x0, x1 := int(float64(x)*fx), max(int(float64(x)*fx)+1, int(float64(x+1)*fx))
			x1 = min(x1, sw)
			sum := 0
			for yy := y0; yy < y1; yy++ {
				row := g.Pix[g.PixOffset(0, yy):]
				for xx := x0; xx < x1; xx++ {
					sum += int(row[xx])
				}
			}
			dst.Pix[y*dst.Stride+x] = uint8(sum / ((y1 - y0) * (x1 - x0)))
		}
	}
	return dst
}

// affine maps a destination pixel (x, y) to source coordinates
// (a*x + b*y + c, d*x + e*y + f).
type affine struct{ a, b, c, d, e, f float64 }

func (m affine) apply(x, y float64) (float64, float64) {
	return m.a*x + m.b*y + m.c, m.d*x + m.e*y + m.f
}

// warp builds a w x h image whose pixel (x, y) is src sampled bilinearly at
// m(x, y); outside src it is fill.
func warp(src *image.Gray, w, h int, m affine, fill uint8) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for x := range row {
			sx, sy := m.apply(float64(x), float64(y))
			if sx < -0.5 || sy < -0.5 || sx > float64(sw)-0.5 || sy > float64(sh)-0.5 {
				row[x] = fill
				continue
			}
			sx, sy = max(0, min(sx, float64(sw-1))), max(0, min(sy, float64(sh-1)))
			ix, iy := int(sx), int(sy)
			ix1, iy1 := min(ix+1, sw-1), min(iy+1, sh-1)
			fx, fy := sx-float64(ix), sy-float64(iy)
			p00 := float64(src.Pix[iy*src.Stride+ix])
			p10 := float64(src.Pix[iy*src.Stride+ix1])
			p01 := float64(src.Pix[iy1*src.Stride+ix])
			p11 := float64(src.Pix[iy1*src.Stride+ix1])
			v := p00*(1-fx)*(1-fy) + p10*fx*(1-fy) + p01*(1-fx)*fy + p11*fx*fy
			row[x] = uint8(v + 0.5)
		}
	}
	return dst
}

// warpCubic is warp with Catmull-Rom interpolation, for enlarging small
// images: sharper glyph edges than bilinear.
func warpCubic(src *image.Gray, w, h int, m affine, fill uint8) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	kernel := func(t float64) [4]float64 {
		t2, t3 := t*t, t*t*t
		return [4]float64{
			(-t3 + 2*t2 - t) / 2,
			(3*t3 - 5*t2 + 2) / 2,
			(-3*t3 + 4*t2 + t) / 2,
			(t3 - t2) / 2,
		}
	}
	for y := range h {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for x := range row {
			sx, sy := m.apply(float64(x), float64(y))
			if sx < -0.5 || sy < -0.5 || sx > float64(sw)-0.5 || sy > float64(sh)-0.5 {
				row[x] = fill
				continue
			}
			ix, iy := int(math.Floor(sx)), int(math.Floor(sy))
			kx, ky := kernel(sx-float64(ix)), kernel(sy-float64(iy))
			v := 0.0
			for j := range 4 {
				yy := min(max(iy-1+j, 0), sh-1)
				line := src.Pix[yy*src.Stride:]
				acc := 0.0
				for i := range 4 {
					acc += kx[i] * float64(line[min(max(ix-1+i, 0), sw-1)])
				}
				v += ky[j] * acc
			}
			row[x] = uint8(max(0, min(255, v+0.5)))
		}
	}
	return dst
}

// flatten divides g by its local background (a grey closing wider than
// a glyph's strokes), which removes glare, shadows and coloured
// backgrounds, then stretches the result.
func flatten(g *image.Gray, r int) *image.Gray {
	bg := morph(morph(g, r, r, true), r, r, false)
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		b := max(int(bg.Pix[i]), 1)
		out.Pix[i] = uint8(min(255, int(v)*255/b))
	}
	return stretch(out)
}

// rotate180 returns g turned upside down.
func rotate180(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			dst.Pix[(h-1-y)*dst.Stride+w-1-x] = g.Pix[y*g.Stride+x]
		}
	}
	return dst
}

// minMax1D replaces each value of a line by the minimum (erode) or maximum
// (dilate) of the window of radius r around it, in three comparisons per
// value whatever r (van Herk / Gil-Werman).
func minMax1D(src, dst []uint8, r int, maximum bool) {
	n, k := len(src), 2*r+1
	op := func(a, b uint8) uint8 {
		if (a > b) == maximum {
			return a
		}
		return b
	}
	var identity uint8 = 255
	if maximum {
		identity = 0
	}
	m := n + 2*r
	m += (k - m%k) % k // whole blocks
	a := make([]uint8, m)
	for i := range a {
		a[i] = identity
	}
	copy(a[r:], src)
	g, h := make([]uint8, m), make([]uint8, m)
	for i := range m {
		if i%k == 0 {
			g[i] = a[i]
		} else {
			g[i] = op(g[i-1], a[i])
		}
	}
	for i := m - 1; i >= 0; i-- {
		if (i+1)%k == 0 || i == m-1 {
			h[i] = a[i]
		} else {
			h[i] = op(h[i+1], a[i])
		}
	}
	for j := range n {
		dst[j] = op(h[j], g[j+k-1])
	}
}

// morph dilates (maximum) or erodes (minimum) g with a (2rx+1) x (2ry+1)
// rectangle, separably.
func morph(g *image.Gray, rx, ry int, maximum bool) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	tmp := image.NewGray(g.Rect)
	for y := range h {
		minMax1D(g.Pix[y*g.Stride:y*g.Stride+w], tmp.Pix[y*tmp.Stride:y*tmp.Stride+w], rx, maximum)
	}
	out := image.NewGray(g.Rect)
	col, res := make([]uint8, h), make([]uint8, h)
	for x := range w {
		for y := range h {
			col[y] = tmp.Pix[y*tmp.Stride+x]
		}
		minMax1D(col, res, ry, maximum)
		for y := range h {
			out.Pix[y*out.Stride+x] = res[y]
		}
	}
	return out
}

// blackhat is the closing of g minus g: dark details (text strokes) thinner
// than the window stand out; backgrounds, photos and shading vanish.
func blackhat(g *image.Gray, r int) *image.Gray {
	closed := morph(morph(g, r, r, true), r, r, false)
	for i := range closed.Pix {
		closed.Pix[i] -= g.Pix[i] // closing >= g
	}
	return closed
}

// otsu returns the threshold that best separates vals' histogram into two
// classes.
func otsu(hist *[256]int) uint8 {
	total, sum := 0, 0
	for v, n := range hist {
		total += n
		sum += v * n
	}
	var best float64
	var thr uint8
	wB, sumB := 0, 0
	for v, n := range hist {
		wB += n
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += v * n
		mB := float64(sumB) / float64(wB)
		mF := float64(sum-sumB) / float64(wF)
		if between := float64(wB) * float64(wF) * (mB - mF) * (mB - mF); between > best {
			best, thr = between, uint8(v)
		}
	}
	return thr
}

func histogram(g *image.Gray) *[256]int {
	var h [256]int
	w := g.Rect.Dx()
	for y := range g.Rect.Dy() {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			h[v]++
		}
	}
	return &h
}

// binarise returns g in black and white by Otsu's threshold.
func binarise(g *image.Gray) *image.Gray {
	t := otsu(histogram(g))
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		if v > t {
			out.Pix[i] = 255
		}
	}
	return out
}

// stretch maps g's 1st percentile to black and 99th to white, so faint
// or low-contrast prints reach Tesseract with full contrast.
func stretch(g *image.Gray) *image.Gray {
	h := histogram(g)
	n := g.Rect.Dx() * g.Rect.Dy()
	lo, hi, acc := 0, 255, 0
	for v := range 256 {
		acc += h[v]
		if acc >= n/100 {
			lo = v
			break
		}
	}
	acc = 0
	for v := 255; v >= 0; v-- {
		acc += h[v]
		if acc >= n/100 {
			hi = v
			break
		}
	}
	if hi-lo < 10 {
		return g
	}
	var lut [256]uint8
	for v := range 256 {
		lut[v] = uint8(max(0, min(255, (v-lo)*255/(hi-lo))))
	}
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		out.Pix[i] = lut[v]
	}
	return out
}

// pad adds a white border of b pixels: Tesseract misreads glyphs that touch
// the image's edge.
func pad(g *image.Gray, b int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w+2*b, h+2*b))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for y := range h {
		copy(out.Pix[(y+b)*out.Stride+b:], g.Pix[y*g.Stride:y*g.Stride+w])
	}
	return out
}

// median of a non-empty slice (sorted in place).
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

func deg2rad(d float64) float64 { return d * math.Pi / 180 }

// localContrast stretches each pixel between the darkest and lightest
// values within r pixels, so that ink faded by glare or sunk in a shadow
// reaches full contrast as ink elsewhere does. Where the window holds no
// ink (a small range) the stretch is limited, so that paper texture is not
// raised to ink.
func localContrast(g *image.Gray, r int) *image.Gray {
	hi := morph(g, r, r, true)
	lo := morph(g, r, r, false)
	out := image.NewGray(g.Rect)
	for i, v := range g.Pix {
		span := max(int(hi.Pix[i])-int(lo.Pix[i]), 48)
		out.Pix[i] = uint8(min(255, max(0, (int(v)-int(lo.Pix[i]))*255/span)))
	}
	return out
}

// unline returns g binarised, without the long straight strokes that are no
// glyph's: a stamp's frame drawn across the zone (horizontal runs of ink
// longer than 2.5 glyph heights, vertical runs longer than 1.4). Where such
// a stroke crosses a glyph, its pixels stay where they are darker than the
// stroke elsewhere (the glyph's ink under the stamp's) or, when the stroke
// is as dark as the glyphs, where the glyph's ink lies on both sides of it. ok is false when g holds no such
// stroke, so that no attempt is spent on the same image.
func unline(g *image.Gray, glyphH int) (out *image.Gray, ok bool) {
	f := flatten(g, glyphH)
	b := binarise(f)
	w, h := b.Rect.Dx(), b.Rect.Dy()
	// An opening of the ink (0) along one axis: the ink of runs at least
	// 2r+1 long, once gaps of a few pixels are closed (a stamp's ink is
	// patchy).
	hl, vl, gap := glyphH*5/4, glyphH*7/10, max(1, glyphH/12)
	horiz := morph(morph(morph(morph(b, gap, 0, false), gap, 0, true), hl, 0, true), hl, 0, false)
	vert := morph(morph(morph(morph(b, 0, gap, false), 0, gap, true), 0, vl, true), 0, vl, false)
	out = image.NewGray(b.Rect)
	copy(out.Pix, b.Pix)
	var stroke, ink []float64
	for y := range h {
		for x := range w {
			i := y*b.Stride + x
			switch {
			case b.Pix[i] != 0:
			case horiz.Pix[i] == 0 || vert.Pix[i] == 0:
				out.Pix[i] = 255
				stroke = append(stroke, float64(f.Pix[y*f.Stride+x]))
			default:
				ink = append(ink, float64(f.Pix[y*f.Stride+x]))
			}
		}
	}
	if len(stroke) < glyphH*glyphH/2 || len(ink) == 0 {
		return b, false
	}
	// Glyph ink under a stamp is darker than the stamp over paper.
	ms, mi := median(stroke), median(ink)
	dark := uint8(max(0, ms-(ms-mi)/4))
	reach := max(3, glyphH/5)
	inkAt := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < w && y < h && out.Pix[y*out.Stride+x] == 0
	}
	// side reports glyph ink within reach from (x, y) along (dx, dy),
	// across the stroke's removed pixels only.
	side := func(x, y, dx, dy int) bool {
		for k := 1; k <= reach; k++ {
			xx, yy := x+k*dx, y+k*dy
			if xx < 0 || yy < 0 || xx >= w || yy >= h || b.Pix[yy*b.Stride+xx] != 0 {
				return false
			}
			if inkAt(xx, yy) {
				return true
			}
		}
		return false
	}
	restored := image.NewGray(out.Rect)
	copy(restored.Pix, out.Pix)
	for y := range h {
		for x := range w {
			i := y*b.Stride + x
			if b.Pix[i] != 0 || out.Pix[i] == 0 {
				continue
			}
			if ms-mi >= 24 && f.Pix[y*f.Stride+x] < dark ||
				ms-mi < 24 && ((horiz.Pix[i] == 0 && side(x, y, 0, -1) && side(x, y, 0, 1)) ||
					(vert.Pix[i] == 0 && side(x, y, -1, 0) && side(x, y, 1, 0))) {
				restored.Pix[i] = 0
			}
		}
	}
	return restored, true
}
