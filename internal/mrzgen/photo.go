package mrzgen

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"time"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/passport"
)

// The scenes of real phone photos, drawn only when asked for (Options.Scene):
// the evaluation set and the bench use them; Generate's random choice keeps
// the three older scenes so that earlier seeds still make the same files.
const (
	// HandHeld: a phone photo as clients send them. A fine-line colour
	// guilloche over the whole document (zone included), the document on a
	// patterned cloth, seen in perspective, with a soft shadow, a glare
	// spot, uneven light, blur, noise and JPEG quality 60-90; a third are
	// small enough for zone glyphs of 8-10 pixels; stored in any of the 8
	// EXIF orientations.
	HandHeld Scene = "handheld"
	// EdgeCrop: an app's tight crop, the zone's lines one to three pixels
	// from the image's left, right and bottom edges.
	EdgeCrop Scene = "edgecrop"
	// VisaPage: an open passport photographed flat: a visa sticker (MRV-A
	// or MRV-B) among entry stamps on one page, the passport's own data
	// page with its TD3 zone on the facing one. Sample.Truth is the visa,
	// Sample.Others the passport.
	VisaPage Scene = "visapage"
)

// photoScene reports whether s is a phone-photo-like scene.
func (s Scene) photoScene() bool { return s == PhonePhoto || s == HandHeld || s == VisaPage }

// guilloche overlays dense interfering fine lines in a light colour on the
// whole document, multiplied in so that ink stays dark, as security printing
// runs under the zone of many passports and ID cards.
func guilloche(rng *rand.Rand, img *image.RGBA, dpi float64) {
	mm := dpi / 25.4
	pitch := (0.35 + rng.Float64()*0.35) * mm // line spacing
	c1 := [3]float64{150 + rng.Float64()*90, 150 + rng.Float64()*90, 150 + rng.Float64()*90}
	c2 := [3]float64{150 + rng.Float64()*90, 150 + rng.Float64()*90, 150 + rng.Float64()*90}
	a1, a2 := (2+rng.Float64()*4)*mm, (3+rng.Float64()*5)*mm
	p1, p2 := (8+rng.Float64()*20)*mm, (12+rng.Float64()*25)*mm
	strength := 0.35 + rng.Float64()*0.4
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			// Two families of waved lines; a pixel lies on a line where the
			// phase is near a whole number.
			u := (fy + a1*math.Sin(fx/p1*2*math.Pi)) / pitch
			v := (fx*0.6 + fy*0.8 + a2*math.Sin(fy/p2*2*math.Pi)) / (pitch * 1.3)
			d1 := math.Abs(u - math.Round(u))
			d2 := math.Abs(v - math.Round(v))
			k1 := math.Max(0, 1-d1*5) * strength
			k2 := math.Max(0, 1-d2*5) * strength
			i := img.PixOffset(x, y)
			for c := range 3 {
				m := (1 - k1*(1-c1[c]/255)) * (1 - k2*(1-c2[c]/255))
				img.Pix[i+c] = uint8(float64(img.Pix[i+c]) * m)
			}
		}
	}
}

// cloth paints a patterned colour background: checks or stripes with a
// weave, as a tablecloth or a bedspread under a photographed document.
func cloth(rng *rand.Rand, img *image.RGBA) {
	c1 := [3]int{40 + rng.IntN(200), 40 + rng.IntN(200), 40 + rng.IntN(200)}
	c2 := [3]int{40 + rng.IntN(200), 40 + rng.IntN(200), 40 + rng.IntN(200)}
	period := 8 + rng.IntN(40)
	checks := rng.IntN(2) == 0
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			on := (x/period)%2 == 0
			if checks {
				on = on != ((y/period)%2 == 0)
			}
			c := c1
			if on {
				c = c2
			}
			n := rng.IntN(13) - 6 + 6*((x+y)%3-1)
			img.SetRGBA(x, y, color.RGBA{clamp(c[0] + n), clamp(c[1] + n), clamp(c[2] + n), 255})
		}
	}
}

// perspective warps img as a camera held at an angle sees it: each corner
// moved inwards by up to k of the image's size, bilinear sampling, the
// uncovered border filled with edge pixels' neighbours (the background).
// It also returns where a point of img lands in the warped image.
func perspective(rng *rand.Rand, img *image.RGBA, k float64) (*image.RGBA, func([2]float64) [2]float64) {
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	src := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	var dst [4][2]float64
	for i, p := range src {
		dx, dy := rng.Float64()*k*w, rng.Float64()*k*h
		if p[0] > 0 {
			dx = -dx
		}
		if p[1] > 0 {
			dy = -dy
		}
		dst[i] = [2]float64{p[0] + dx, p[1] + dy}
	}
	hm := homography(dst, src) // output pixel -> source pixel
	fw := homography(src, dst)
	forward := func(p [2]float64) [2]float64 {
		den := fw[6]*p[0] + fw[7]*p[1] + 1
		return [2]float64{(fw[0]*p[0] + fw[1]*p[1] + fw[2]) / den, (fw[3]*p[0] + fw[4]*p[1] + fw[5]) / den}
	}
	out := image.NewRGBA(img.Rect)
	iw, ih := img.Rect.Dx(), img.Rect.Dy()
	for y := range ih {
		for x := range iw {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			den := hm[6]*fx + hm[7]*fy + 1
			sx := (hm[0]*fx+hm[1]*fy+hm[2])/den - 0.5
			sy := (hm[3]*fx+hm[4]*fy+hm[5])/den - 0.5
			// Outside the source: mirror back in, a plausible background.
			sx = math.Min(math.Max(sx, 0), w-1.001)
			sy = math.Min(math.Max(sy, 0), h-1.001)
			ix, iy := int(sx), int(sy)
			ax, ay := sx-float64(ix), sy-float64(iy)
			o := out.PixOffset(x, y)
			for c := range 3 {
				p := func(xx, yy int) float64 { return float64(img.Pix[img.PixOffset(xx, yy)+c]) }
				v := p(ix, iy)*(1-ax)*(1-ay) + p(ix+1, iy)*ax*(1-ay) + p(ix, iy+1)*(1-ax)*ay + p(ix+1, iy+1)*ax*ay
				out.Pix[o+c] = uint8(v + 0.5)
			}
			out.Pix[o+3] = 255
		}
	}
	return out, forward
}

// homography returns the projective map taking from[i] to to[i], as
// h[0..7] with h[8] = 1.
func homography(from, to [4][2]float64) [8]float64 {
	var a [8][9]float64
	for i := range 4 {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	// Gauss-Jordan with partial pivoting.
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := range 8 {
			if r == c || a[c][c] == 0 {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k < 9; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	var hm [8]float64
	for i := range 8 {
		hm[i] = a[i][8] / a[i][i]
	}
	return hm
}

// shadow darkens the part of img beyond a soft straight edge, as the
// phone or a hand does between the lamp and the document.
func shadow(rng *rand.Rand, img *image.RGBA) {
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	ang := rng.Float64() * 2 * math.Pi
	nx, ny := math.Cos(ang), math.Sin(ang)
	// The edge passes 20-45% in from one side: the shadow covers a corner
	// or a side, rarely the middle of the zone.
	off := (0.05 + rng.Float64()*0.25) * math.Hypot(w, h) / 2
	soft := (0.02 + rng.Float64()*0.05) * math.Hypot(w, h)
	depth := 0.25 + rng.Float64()*0.3
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			d := (float64(x)-w/2)*nx + (float64(y)-h/2)*ny - off
			t := math.Min(1, math.Max(0, d/soft+0.5))
			if t == 0 {
				continue
			}
			k := 1 - depth*t
			i := img.PixOffset(x, y)
			for c := range 3 {
				img.Pix[i+c] = uint8(float64(img.Pix[i+c]) * k)
			}
		}
	}
}

// glare lightens a soft elliptical spot, as a lamp reflected by a
// laminated page does; ink under it fades but stays darker than the page.
func glare(rng *rand.Rand, img *image.RGBA, area image.Rectangle) {
	cx := float64(area.Min.X) + rng.Float64()*float64(area.Dx())
	cy := float64(area.Min.Y) + rng.Float64()*float64(area.Dy())
	rx := (0.08 + rng.Float64()*0.15) * float64(area.Dx())
	ry := rx * (0.4 + rng.Float64()*0.6)
	strength := 0.45 + rng.Float64()*0.3
	x0, x1 := max(0, int(cx-2*rx)), min(img.Rect.Dx(), int(cx+2*rx))
	y0, y1 := max(0, int(cy-2*ry)), min(img.Rect.Dy(), int(cy+2*ry))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			a := strength * math.Exp(-(dx*dx+dy*dy)*1.5)
			i := img.PixOffset(x, y)
			for c := range 3 {
				v := float64(img.Pix[i+c])
				img.Pix[i+c] = uint8(v + (255-v)*a)
			}
		}
	}
}

// shrink scales img by k < 1 with area averaging.
func shrink(img *image.RGBA, k float64) *image.RGBA {
	w, h := max(1, int(float64(img.Rect.Dx())*k)), max(1, int(float64(img.Rect.Dy())*k))
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	sx, sy := float64(img.Rect.Dx())/float64(w), float64(img.Rect.Dy())/float64(h)
	for y := range h {
		for x := range w {
			x0, x1 := int(float64(x)*sx), max(int(float64(x)*sx)+1, int(float64(x+1)*sx))
			y0, y1 := int(float64(y)*sy), max(int(float64(y)*sy)+1, int(float64(y+1)*sy))
			var s [3]int
			n := 0
			for yy := y0; yy < min(y1, img.Rect.Dy()); yy++ {
				for xx := x0; xx < min(x1, img.Rect.Dx()); xx++ {
					i := img.PixOffset(xx, yy)
					s[0], s[1], s[2] = s[0]+int(img.Pix[i]), s[1]+int(img.Pix[i+1]), s[2]+int(img.Pix[i+2])
					n++
				}
			}
			o := out.PixOffset(x, y)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), 255
		}
	}
	return out
}

// stored returns the pixels a camera stores for upright img with EXIF
// orientation o: the inverse of the turn a viewer applies.
func stored(img *image.RGBA, o int) *image.RGBA {
	inv := map[int]int{6: 8, 8: 6}[o]
	if inv == 0 {
		inv = o
	}
	m := imgutil.Orient(img, inv)
	if r, ok := m.(*image.RGBA); ok {
		return r
	}
	out := image.NewRGBA(m.Bounds())
	draw.Draw(out, out.Rect, m, m.Bounds().Min, draw.Src)
	return out
}

// jpegWithOrientation encodes img at quality q with an EXIF block holding
// orientation o (1-8).
func jpegWithOrientation(img image.Image, q, o int) ([]byte, error) {
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	// APP1: "Exif\0\0", a big-endian TIFF header, one IFD entry 0x0112.
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, 0, 0, 0, 0}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	var out bytes.Buffer
	out.Write(enc.Bytes()[:2]) // SOI
	out.Write([]byte{0xff, 0xe1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(enc.Bytes()[2:])
	return out.Bytes(), nil
}

// stamps prints entry and exit stamps on a passport page: rings and boxes
// of coloured ink with dates, some overlapping.
func (fs *Fonts) stamps(rng *rand.Rand, page *image.RGBA, dpi float64, n int) {
	mm := dpi / 25.4
	f, err := face(fs.bold, 7, dpi)
	if err != nil {
		return
	}
	defer f.Close()
	for range n {
		ink := color.RGBA{uint8(rng.IntN(120)), uint8(rng.IntN(120)), uint8(80 + rng.IntN(170)), 255}
		if rng.IntN(3) == 0 {
			ink = color.RGBA{uint8(150 + rng.IntN(100)), uint8(rng.IntN(60)), uint8(rng.IntN(80)), 255}
		}
		cx := rng.Float64() * float64(page.Rect.Dx())
		cy := rng.Float64() * float64(page.Rect.Dy())
		r := (10 + rng.Float64()*8) * mm
		round := rng.IntN(2) == 0
		for y := int(cy - r); y < int(cy+r); y++ {
			for x := int(cx - r*1.3); x < int(cx+r*1.3); x++ {
				if x < 0 || y < 0 || x >= page.Rect.Dx() || y >= page.Rect.Dy() {
					continue
				}
				dx, dy := (float64(x)-cx)/r, (float64(y)-cy)/r
				var edge bool
				if round {
					d := math.Hypot(dx, dy)
					edge = math.Abs(d-0.95) < 0.04 || math.Abs(d-0.75) < 0.025
				} else {
					edge = (math.Abs(math.Abs(dx)-1.25) < 0.03 && math.Abs(dy) < 0.8) || (math.Abs(math.Abs(dy)-0.8) < 0.04 && math.Abs(dx) < 1.25)
				}
				if edge && rng.IntN(5) > 0 {
					page.SetRGBA(x, y, blend(page.RGBAAt(x, y), ink, 0.8))
				}
			}
		}
		day := []string{"12 MAR 2025", "03 JUL 2026", "28 NOV 2026", "15 JAN 2024"}[rng.IntN(4)]
		text(page, f, image.NewUniform(ink), day, int(cx-r*0.7), int(cy+r*0.1))
		text(page, f, image.NewUniform(ink), []string{"ARRIVAL", "DEPARTURE", "NGURAH RAI", "ADMITTED"}[rng.IntN(4)], int(cx-r*0.7), int(cy-r*0.3))
	}
}

// visaSpread draws an open passport: the visa sticker among stamps on the
// upper page, the passport's data page with its own zone on the lower one.
// It returns the spread and the data page's portrait box in it.
func (fs *Fonts) visaSpread(rng *rand.Rand, visa, passportTruth *Truth, dpi float64, blankPhoto bool) (*image.RGBA, image.Rectangle, error) {
	mm := dpi / 25.4
	pw, ph := int(125*mm), int(88*mm)
	spread := image.NewRGBA(image.Rect(0, 0, pw, 2*ph+int(mm)))
	paper := color.RGBA{uint8(225 + rng.IntN(25)), uint8(225 + rng.IntN(25)), uint8(215 + rng.IntN(30)), 255}
	draw.Draw(spread, spread.Rect, image.NewUniform(paper), image.Point{}, draw.Src)
	top := spread.SubImage(image.Rect(0, 0, pw, ph)).(*image.RGBA)
	guilloche(rng, top, dpi)
	fs.stamps(rng, top, dpi, 2+rng.IntN(3))
	sticker, _, err := fs.renderDoc(rng, visa, visa.Format, dpi, blankPhoto)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	paste(spread, sticker, float64(pw)/2+(rng.Float64()-0.5)*2*mm, float64(ph)/2+(rng.Float64()-0.5)*2*mm, rng.Float64()*2-1)
	// A stamp or two over the sticker's edge, as officers do.
	fs.stamps(rng, top, dpi, rng.IntN(2))
	data, photo, err := fs.renderDoc(rng, passportTruth, passport.TD3, dpi, blankPhoto)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	at := image.Pt(0, ph+int(mm))
	draw.Draw(spread, data.Rect.Add(at), data, image.Point{}, draw.Src)
	// The fold between the pages.
	for x := range pw {
		for dy := -int(mm); dy <= int(mm); dy++ {
			y := ph + dy
			k := 0.75 + 0.25*math.Abs(float64(dy))/mm
			i := spread.PixOffset(x, y)
			for c := range 3 {
				spread.Pix[i+c] = uint8(float64(spread.Pix[i+c]) * k)
			}
		}
	}
	return spread, photo.Add(at), nil
}

// holder returns a passport identity of the visa's holder: the same names,
// nationality, birth date and sex, its own number and dates.
func holder(rng *rand.Rand, visa Truth, now time.Time) Truth {
	p := Identity(rng, passport.TD3, now)
	p.Surname, p.GivenNames, p.Nationality, p.BirthDate, p.Sex = visa.Surname, visa.GivenNames, visa.Nationality, visa.BirthDate, visa.Sex
	p.IssuingCountry = visa.Nationality
	p.MRZ = lines(p)
	return p
}

// generatePhoto makes the HandHeld, EdgeCrop and VisaPage scenes of s
// (whose Truth, Scene, DPI and Turn are set).
func (fs *Fonts) generatePhoto(rng *rand.Rand, s Sample, f passport.Format, opts Options) (Sample, error) {
	dpi := float64(s.DPI)
	mm := dpi / 25.4
	var doc *image.RGBA
	var photo image.Rectangle
	var err error
	if s.Scene == VisaPage && s.Truth != nil {
		p := holder(rng, *s.Truth, opts.Now)
		p.Printed = PrintedOf(&p)
		s.Others = []Truth{p}
		doc, photo, err = fs.visaSpread(rng, s.Truth, &p, dpi, opts.BlankPhoto)
	} else {
		doc, photo, err = fs.renderDoc(rng, s.Truth, f, dpi, opts.BlankPhoto)
		if err == nil && s.Scene == HandHeld {
			guilloche(rng, doc, dpi)
		}
	}
	if err != nil {
		return Sample{}, err
	}
	corners := rectCorners(photo)
	var canvas *image.RGBA
	quality := 60 + rng.IntN(31)
	blur, noise := 0.3+rng.Float64()*0.8, 3+rng.Float64()*5
	switch s.Scene {
	case EdgeCrop:
		// The zone's characters end 1-3 pixels from the edges: cut the
		// document just outside its zone's left, right and bottom.
		s.Tilt = rng.Float64()*1.6 - 0.8
		pitch := 2.54 * mm
		width := float64(len(s.Truth.MRZ[0])) * pitch
		left := (float64(doc.Rect.Dx())-width)/2 - float64(1+rng.IntN(3))
		right := (float64(doc.Rect.Dx())+width)/2 - 0.3*pitch + float64(1+rng.IntN(3))
		bottom := float64(doc.Rect.Dy()) - 2.8*mm + float64(1+rng.IntN(3))
		canvas = image.NewRGBA(image.Rect(0, 0, int(right-left), int(bottom)))
		table(rng, canvas, false)
		paste(canvas, doc, float64(doc.Rect.Dx())/2-left, float64(doc.Rect.Dy())/2, s.Tilt)
		s.PhotoBox = placeCorners(corners, doc, canvas, float64(doc.Rect.Dx())/2-left, float64(doc.Rect.Dy())/2, s.Tilt, s.Turn)
		canvas = turn(canvas, s.Turn)
		blur, noise = rng.Float64()*0.6, 2+rng.Float64()*3
	default:
		s.Tilt = rng.Float64()*16 - 8
		margin := 12 + rng.Float64()*25
		w := float64(doc.Rect.Dx()) + 2*margin*mm
		h := float64(doc.Rect.Dy()) + 2*margin*mm
		w, h = math.Max(w, h*3/4), math.Max(h, w*3/4)
		canvas = image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
		cloth(rng, canvas)
		paste(canvas, doc, w/2, h/2, s.Tilt)
		pc := pasteCorners(corners, doc, w/2, h/2, s.Tilt)
		var warp func([2]float64) [2]float64
		canvas, warp = perspective(rng, canvas, 0.02+rng.Float64()*0.07)
		for i := range pc {
			pc[i] = warp(pc[i])
		}
		light(rng, canvas)
		if rng.IntN(2) == 0 {
			shadow(rng, canvas)
		}
		docArea := image.Rect(int(w/2)-doc.Rect.Dx()/2, int(h/2)-doc.Rect.Dy()/2, int(w/2)+doc.Rect.Dx()/2, int(h/2)+doc.Rect.Dy()/2)
		glare(rng, canvas, docArea)
		pc = turnCorners(pc, canvas, s.Turn)
		canvas = turn(canvas, s.Turn)
		if s.Scene == HandHeld && rng.IntN(3) == 0 {
			// Small: zone glyphs of 8-10 pixels (OCR-B capitals are about
			// 2.4 mm high).
			glyph := 8 + rng.Float64()*2
			big := canvas
			canvas = shrink(canvas, glyph/(2.4*mm))
			kx, ky := float64(canvas.Rect.Dx())/float64(big.Rect.Dx()), float64(canvas.Rect.Dy())/float64(big.Rect.Dy())
			for i := range pc {
				pc[i] = [2]float64{pc[i][0] * kx, pc[i][1] * ky}
			}
			s.DPI = int(dpi * glyph / (2.4 * mm))
			blur = rng.Float64() * 0.4
		}
		s.PhotoBox = pc
	}
	out := degrade(rng, canvas, blur, noise)
	s.Ext = "jpg"
	if s.Scene == HandHeld {
		s.Orientation = 1 + rng.IntN(8)
		s.Data, err = jpegWithOrientation(stored(out, s.Orientation), quality, s.Orientation)
	} else {
		var buf bytes.Buffer
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: quality})
		s.Data = buf.Bytes()
	}
	if err != nil {
		return Sample{}, err
	}
	return s, nil
}
