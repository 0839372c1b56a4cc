package mrzgen

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/portrait"
)

// photoBox is the portrait's place: the format's nominal one
// (portrait.Layouts, after ICAO 9303 parts 4-7), varied as issuers do.
func photoBox(rng *rand.Rand, f passport.Format, mm float64, zoneTop int) image.Rectangle {
	b := portrait.Layouts[string(f)]
	jitter := func(v, by float64) float64 { return v + (rng.Float64()*2-1)*by }
	left := jitter(b.Left, 1.5)
	w := b.Width * jitter(1, 0.08)
	h := b.Height * jitter(1, 0.08)
	bottom := float64(zoneTop) - jitter(b.AboveZone, 0.7)*mm
	return image.Rect(int(left*mm), int(bottom-h*mm), int((left+w)*mm), int(bottom))
}

// skinTones run from light to dark.
var skinTones = []color.RGBA{
	{241, 205, 180, 255}, {224, 172, 138, 255}, {198, 145, 105, 255}, {160, 110, 75, 255},
	{120, 80, 55, 255}, {90, 60, 42, 255},
}

// drawPortrait paints a face-like portrait in r: a shaded background,
// shoulders in textured clothing, a neck, a face shaded as a lit oval with
// eyes, brows, nose and mouth, and hair with strands, each varied. With
// blank, the box is left empty: a light, flat panel, as on a page whose
// portrait is missing.
func drawPortrait(rng *rand.Rand, img *image.RGBA, r image.Rectangle, blank bool) {
	w, h := float64(r.Dx()), float64(r.Dy())
	bgTop := color.RGBA{uint8(170 + rng.IntN(70)), uint8(170 + rng.IntN(70)), uint8(180 + rng.IntN(70)), 255}
	bgBottom := blend(bgTop, color.RGBA{120, 130, 150, 255}, rng.Float64()*0.5)
	if blank {
		c := color.RGBA{uint8(225 + rng.IntN(25)), uint8(225 + rng.IntN(25)), uint8(225 + rng.IntN(25)), 255}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				n := rng.IntN(7) - 3
				img.SetRGBA(x, y, color.RGBA{clamp(int(c.R) + n), clamp(int(c.G) + n), clamp(int(c.B) + n), 255})
			}
		}
		return
	}
	skin := skinTones[rng.IntN(len(skinTones))]
	hair := color.RGBA{uint8(10 + rng.IntN(120)), uint8(8 + rng.IntN(80)), uint8(5 + rng.IntN(50)), 255}
	if rng.IntN(6) == 0 {
		hair = color.RGBA{200, 190, 180, 255} // grey
	}
	cloth := color.RGBA{uint8(rng.IntN(200)), uint8(rng.IntN(200)), uint8(rng.IntN(200)), 255}
	stripes := 2 + rng.Float64()*8
	cx := w * (0.47 + rng.Float64()*0.06)
	cy := h * (0.40 + rng.Float64()*0.06)
	rx := w * (0.22 + rng.Float64()*0.07)
	ry := rx * (1.25 + rng.Float64()*0.2)
	longHair := rng.IntN(3) == 0
	glasses := rng.IntN(5) == 0
	eyeY, eyeDX := cy-ry*0.12, rx*0.42
	lightX := rng.Float64()*0.8 - 0.4
	for y := range r.Dy() {
		for x := range r.Dx() {
			fx, fy := float64(x), float64(y)
			c := blend(bgTop, bgBottom, fy/h)
			dx, dy := (fx-cx)/rx, (fy-cy)/ry
			d := dx*dx + dy*dy
			// Shoulders and neck.
			if fy > cy+ry*0.95 && math.Abs(fx-cx) < w*0.5*(0.55+(fy-cy-ry)/h) {
				c = cloth
				if int(fx/stripes)%2 == 0 {
					c = blend(cloth, color.RGBA{0, 0, 0, 255}, 0.25)
				}
			}
			if fy > cy && fy < cy+ry*1.25 && math.Abs(fx-cx) < rx*0.45 {
				c = blend(skin, color.RGBA{0, 0, 0, 255}, 0.2)
			}
			if longHair && d > 1 && math.Abs(dx) < 1.35 && dy > -1.1 && dy < 1.3 {
				c = hair
			}
			if d < 1 {
				// A lit oval: darker towards the edges and away from the light.
				shade := 1 - 0.35*d - 0.15*(dx-lightX)*(dx-lightX)
				c = color.RGBA{clamp(int(float64(skin.R) * shade)), clamp(int(float64(skin.G) * shade)), clamp(int(float64(skin.B) * shade)), 255}
				ex := math.Abs(fx-cx) - eyeDX
				ey := fy - eyeY
				switch {
				case ex*ex/(rx*rx*0.02)+ey*ey/(ry*ry*0.004) < 1: // eyes
					c = color.RGBA{245, 245, 240, 255}
					if ex*ex+ey*ey < rx*rx*0.006 {
						c = color.RGBA{30, 25, 20, 255}
					}
				case math.Abs(ey+ry*0.12) < ry*0.025 && math.Abs(ex) < rx*0.2: // brows
					c = blend(hair, color.RGBA{0, 0, 0, 255}, 0.3)
				case math.Abs(fx-cx+rx*0.05) < rx*0.05 && fy > eyeY+ry*0.05 && fy < cy+ry*0.3: // nose shadow
					c = blend(c, color.RGBA{0, 0, 0, 255}, 0.18)
				case math.Pow((fx-cx)/(rx*0.35), 2)+math.Pow((fy-cy-ry*0.52)/(ry*0.07), 2) < 1: // mouth
					c = blend(skin, color.RGBA{150, 40, 50, 255}, 0.6)
				}
				if glasses && math.Abs(math.Hypot(ex, ey)-rx*0.2) < rx*0.025 {
					c = color.RGBA{20, 20, 20, 255}
				}
				if dy < -0.45+0.15*math.Sin(dx*3) { // hairline
					c = hair
				}
			}
			if (d >= 1 && d < 1.2 && dy < -0.2) && !longHair { // hair over the crown
				c = hair
			}
			if c == hair {
				k := 0.8 + 0.2*math.Sin(fx*0.9+math.Sin(fy*0.2)*3)
				c = color.RGBA{clamp(int(float64(c.R) * k)), clamp(int(float64(c.G) * k)), clamp(int(float64(c.B) * k)), 255}
			}
			n := rng.IntN(13) - 6
			img.SetRGBA(r.Min.X+x, r.Min.Y+y, color.RGBA{clamp(int(c.R) + n), clamp(int(c.G) + n), clamp(int(c.B) + n), 255})
		}
	}
}
