package mrzscan

import (
	"image"
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
// box, a misplaced area): no portrait rather than a wrong one.
func findPortrait(at *placement, f passport.Format) *passport.Crop {
	lay, ok := portrait.Layouts[string(f)]
	if !ok || at == nil {
		return nil
	}
	left, _, _, _, zoneTop := docFrame(f, at)
	x0 := left + lay.Left
	y1 := zoneTop - lay.AboveZone
	x1, y0 := x0+lay.Width, y1-lay.Height
	const margin = 4.0 // mm searched around the nominal box
	area := at.region(f, x0-margin, y0-margin, x1+margin, y1+margin, portraitPxPerMM)
	m := int(margin * portraitPxPerMM)
	nominal := image.Rect(m, m, m+int(lay.Width*portraitPxPerMM), m+int(lay.Height*portraitPxPerMM)).Add(area.Rect.Min)
	// The sides moved to the photo's edges or, when that is not face-like,
	// the nominal place: a photo's light background on light paper has
	// weak edges, and a strong one inside it (hair, shoulders) can pull a
	// side in. Neither face-like: no portrait.
	var box image.Rectangle
	var crop *image.Gray
	for _, b := range []image.Rectangle{portrait.Refine(area, nominal, int(2.5*portraitPxPerMM)), nominal} {
		if c := cut(area, b); portrait.FaceLike(c) {
			box, crop = b.Intersect(area.Rect), c
			break
		}
	}
	if crop == nil {
		return nil
	}
	mm := func(x, y int) (float64, float64) {
		return x0 - margin + float64(x-area.Rect.Min.X)/portraitPxPerMM, y0 - margin + float64(y-area.Rect.Min.Y)/portraitPxPerMM
	}
	p := &passport.Crop{Image: crop}
	for i, c := range [4]image.Point{box.Min, {box.Max.X, box.Min.Y}, box.Max, {box.Min.X, box.Max.Y}} {
		xm, ym := mm(c.X, c.Y)
		p.Corners[i][0], p.Corners[i][1] = at.toPage(f, xm, ym)
	}
	return p
}

// toPage maps a point in millimetres from the zone's centre (the document
// upright) to the page's pixels.
func (at *placement) toPage(f passport.Format, x, y float64) (float64, float64) {
	z := at.z
	mmPer := at.mmPerWork(f)
	sign := 1.0
	if z.upside != at.flip {
		sign = -1
	}
	sin, cos := math.Sincos(deg2rad(z.delta))
	u, v := x/mmPer, y/mmPer
	wx, wy := z.f.toWork(z.cx+sign*(u*cos-v*sin), z.cy+sign*(u*sin+v*cos))
	return wx / at.p.s, wy / at.p.s
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
