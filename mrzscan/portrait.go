package mrzscan

import (
	"image"
	"image/color"
	"math"

	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/portrait"
)

// portraitPxPerMM is the portrait crop's resolution: 10 pixels per
// millimetre (254 DPI), 350 x 450 pixels for a passport photo.
const portraitPxPerMM = 10

// findPortrait crops the portrait from its ICAO 9303 place relative to the
// zone read at at, each side moved to the photo's own edge when one is
// clear nearby. It returns nil when the crop is not face-like (an empty
// box, a misplaced area): no portrait rather than a wrong one. The crop
// keeps colour's colours (the page as decoded, upright), unless colour is
// grey or nil.
func findPortrait(at *placement, f passport.Format, colour image.Image) *passport.Crop {
	lay, ok := portrait.Layouts[string(f)]
	if !ok || at == nil {
		return nil
	}
	left, _, _, _, zoneTop := docFrame(f, at)
	x0 := left + lay.Left
	y1 := zoneTop - lay.AboveZone
	x1, y0 := x0+lay.Width, y1-lay.Height
	const margin = portraitMargin
	area := at.region(f, x0-margin, y0-margin, x1+margin, y1+margin, portraitPxPerMM)
	m := int(margin * portraitPxPerMM)
	nominal := image.Rect(m, m, m+int(lay.Width*portraitPxPerMM), m+int(lay.Height*portraitPxPerMM)).Add(area.Rect.Min)
	// The photo lies inside the document, more than 0.7 mm from its left
	// edge, and ends above the zone (ICAO: AboveZone, at least
	// 1.5 mm): the card's edge and the zone's top line of capitals are long
	// straight edges too, not to be taken for the photo's.
	inside := image.Rect(nominal.Min.X-int((lay.Left-0.7)*portraitPxPerMM), area.Rect.Min.Y, area.Rect.Max.X, nominal.Max.Y+int((lay.AboveZone-0.3)*portraitPxPerMM))
	// The photo's edges are looked for in colour when there is colour: a
	// light photo background and light paper often differ more in hue than
	// in brightness.
	planes := []*image.Gray{area}
	if isColour(colour) {
		c := at.colourRegion(f, colour, x0-margin, y0-margin, area.Rect.Dx(), area.Rect.Dy(), portraitPxPerMM)
		planes = append(planes, split(c, area.Rect.Min)...)
	}
	box, ok := locatePortrait(planes, inside, nominal)
	if !ok {
		return nil
	}
	mm := func(x, y int) (float64, float64) {
		return x0 - margin + float64(x-area.Rect.Min.X)/portraitPxPerMM, y0 - margin + float64(y-area.Rect.Min.Y)/portraitPxPerMM
	}
	p := &passport.Crop{Image: cut(area, box)}
	if isColour(colour) {
		xm, ym := mm(box.Min.X, box.Min.Y)
		p.Image = at.colourRegion(f, colour, xm, ym, box.Dx(), box.Dy(), portraitPxPerMM)
	}
	for i, c := range [4]image.Point{box.Min, {box.Max.X, box.Min.Y}, box.Max, {box.Min.X, box.Max.Y}} {
		xm, ym := mm(c.X, c.Y)
		p.Corners[i][0], p.Corners[i][1] = at.toPage(f, xm, ym)
	}
	return p
}

// portraitSlack is how far from its nominal place each side of the photo
// is looked for, millimetres: issuers place it up to 1.5 mm apart and
// size it up to 8% apart, and the zone's measured scale and a page seen in
// perspective add to that. portraitMargin is the area rendered around the
// nominal box to look in.
const (
	portraitSlack  = 5.0
	portraitMargin = portraitSlack + 1
)

// locatePortrait finds the photo in planes (the area's grey levels, then
// its colours if any) near its nominal box, its sides within limit: the box
// moved to the photo's edges (portrait.Refine) or, when that is not
// face-like, the nominal place. It reports false when neither is
// face-like.
func locatePortrait(planes []*image.Gray, limit, nominal image.Rectangle) (image.Rectangle, bool) {
	inside := make([]*image.Gray, len(planes))
	for i, p := range planes {
		inside[i] = p.SubImage(limit.Intersect(p.Rect)).(*image.Gray)
	}
	area := planes[0].Rect
	// A photo's light background on light paper has weak edges, and a
	// strong one inside it (hair, shoulders) may still win: the nominal
	// place is the second guess. Neither face-like: no portrait.
	for _, b := range []image.Rectangle{portrait.Refine(inside, nominal, int(portraitSlack*portraitPxPerMM)), nominal} {
		crops := make([]*image.Gray, len(planes))
		for i, p := range planes {
			crops[i] = cut(p, b)
		}
		if portrait.FaceLike(crops[0], crops[1:]...) {
			return b.Intersect(area), true
		}
	}
	return image.Rectangle{}, false
}

// toPage maps a point in millimetres from the zone's centre (the document
// upright) to the page's pixels.
func (at *placement) toPage(f passport.Format, x, y float64) (float64, float64) {
	wx, wy := at.z.f.toWork(at.inFrame(f, x, y))
	return wx / at.p.s, wy / at.p.s
}

// isColour reports whether img holds colours: not a grey image (a grey
// scan, a PDF rendered grey) nor none.
func isColour(img image.Image) bool {
	switch img.(type) {
	case nil, *image.Gray, *image.Gray16:
		return false
	}
	return true
}

// colourRegion renders w x h pixels of src at pxPerMM from (x0, y0),
// millimetres from the zone's centre in the upright document, with the
// geometry of region: each pixel the mean of the source pixels it covers.
func (at *placement) colourRegion(f passport.Format, src image.Image, x0, y0 float64, w, h int, pxPerMM float64) *image.RGBA {
	b := src.Bounds()
	ox, oy := at.toPage(f, x0, y0)
	ax, ay := at.toPage(f, x0+1/pxPerMM, y0)
	bx, by := at.toPage(f, x0, y0+1/pxPerMM)
	ux, uy, vx, vy := ax-ox, ay-oy, bx-ox, by-oy
	// Source pixels per output pixel: a k x k block is averaged.
	k := max(1, int(math.Round(math.Hypot(ux, uy))))
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	// JPEG decodes to YCbCr: read it without boxing each pixel.
	add := func(r, g, b, n uint32, src image.Image, x, y int) (uint32, uint32, uint32, uint32) {
		if m, ok := src.(*image.YCbCr); ok {
			c := m.YCbCrAt(x, y)
			cr, cg, cb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			return r + uint32(cr)<<8, g + uint32(cg)<<8, b + uint32(cb)<<8, n + 1
		}
		cr, cg, cb, _ := src.At(x, y).RGBA()
		return r + cr, g + cg, b + cb, n + 1
	}
	for y := range h {
		for x := range w {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			sx := int(math.Floor(ox+fx*ux+fy*vx)) - k/2 + b.Min.X
			sy := int(math.Floor(oy+fx*uy+fy*vy)) - k/2 + b.Min.Y
			var r, g, bl, n uint32
			for j := sy; j < sy+k; j++ {
				for i := sx; i < sx+k; i++ {
					if !image.Pt(i, j).In(b) {
						continue
					}
					r, g, bl, n = add(r, g, bl, n, src, i, j)
				}
			}
			if n == 0 {
				out.SetRGBA(x, y, color.RGBA{255, 255, 255, 255})
				continue
			}
			out.SetRGBA(x, y, color.RGBA{uint8(r / n >> 8), uint8(g / n >> 8), uint8(bl / n >> 8), 255})
		}
	}
	return out
}

// split returns the red, green and blue planes of c, placed at min.
func split(c *image.RGBA, min image.Point) []*image.Gray {
	r := c.Rect.Sub(c.Rect.Min).Add(min)
	out := []*image.Gray{image.NewGray(r), image.NewGray(r), image.NewGray(r)}
	for i := range c.Rect.Dx() * c.Rect.Dy() {
		y, x := i/c.Rect.Dx(), i%c.Rect.Dx()
		o := c.PixOffset(c.Rect.Min.X+x, c.Rect.Min.Y+y)
		for k, p := range out {
			p.Pix[y*p.Stride+x] = c.Pix[o+k]
		}
	}
	return out
}

// cut copies r out of g.
func cut(g *image.Gray, r image.Rectangle) *image.Gray {
	r = r.Intersect(g.Rect)
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := range r.Dy() {
		copy(out.Pix[y*out.Stride:y*out.Stride+r.Dx()], g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):])
	}
	return out
}
