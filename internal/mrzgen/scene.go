package mrzgen

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/revisbali/worker/passport"
)

// Scene is how a document was captured.
type Scene string

// The scenes Generate draws.
const (
	// ScanPage: the document on a flatbed A4 page, at most a few degrees
	// askew, sometimes placed sideways or upside down.
	ScanPage Scene = "scan"
	// CardCrop: the document alone with a small border, as an app crops it.
	CardCrop Scene = "card"
	// PhonePhoto: the document on a table, tilted up to 15 degrees, any
	// quarter turn, uneven light, blur, sensor noise, JPEG.
	PhonePhoto Scene = "photo"
)

// Sample is one generated file and what it holds.
type Sample struct {
	ID    string `json:"id"`
	File  string `json:"file"` // set by the caller that writes Data
	Ext   string `json:"ext"`  // "png" or "jpg"
	Data  []byte `json:"-"`
	Truth *Truth `json:"truth"` // nil: a page without a zone
	Scene Scene  `json:"scene"`
	DPI   int    `json:"dpi"`
	// Turn is the quarter turn (0, 90, 180, 270, counter-clockwise) and
	// Tilt the further rotation in degrees.
	Turn int     `json:"turn"`
	Tilt float64 `json:"tilt"`
	// PhotoBox is the holder's portrait box's corners in the pixels of the
	// upright image (EXIF orientation applied): top left, top right, bottom
	// right, bottom left of the upright document; for VisaPage, the
	// passport's own (Others[0]). PhotoBlank says the box was left empty.
	PhotoBox   [4][2]float64 `json:"photo_box"`
	PhotoBlank bool          `json:"photo_blank,omitempty"`
	// Orientation is the EXIF orientation the file was stored with (0 or
	// 1: none); Turn is then the turn of the upright view.
	Orientation int `json:"orientation,omitempty"`
	// Others are the further zones in the image (VisaPage: the passport's
	// own), after Truth.
	Others []Truth `json:"others,omitempty"`
}

// Options choose what Generate makes; zero values draw at random.
type Options struct {
	Format   passport.Format // "" for any
	Scene    Scene           // "" for any
	Negative bool            // a page without a zone
	// BreakCheck prints a wrong expiry-date check digit: a zone that is
	// found and read but cannot validate.
	BreakCheck bool
	// BlankPhoto leaves the portrait box empty.
	BlankPhoto bool
	// PrintDiffers names a field (PrintedFields) whose printed value
	// differs from the zone's by one character, as a page that was
	// misprinted or altered.
	PrintDiffers string
	DPI          int // 0: 150-300
	Turn         int // -1: any; else fixed
	Now          time.Time
}

// Formats are the five formats in a fixed order. The French card
// (passport.FRID) is drawn only when asked for (Options.Format), so that
// random choices and earlier seeds still make the same files.
var Formats = []passport.Format{passport.TD1, passport.TD2, passport.TD3, passport.MRVA, passport.MRVB}

// Generate makes one sample.
func (fs *Fonts) Generate(rng *rand.Rand, id string, opts Options) (Sample, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	f := opts.Format
	if f == "" {
		f = Formats[rng.IntN(len(Formats))]
	}
	scene := opts.Scene
	if scene == "" {
		scene = []Scene{ScanPage, CardCrop, PhonePhoto}[rng.IntN(3)]
	}
	dpi := opts.DPI
	if dpi == 0 {
		dpi = 150 + 25*rng.IntN(7)
	}
	if scene == VisaPage && f != passport.MRVA && f != passport.MRVB {
		f = passport.MRVA
	}
	s := Sample{ID: id, Scene: scene, DPI: dpi, Turn: opts.Turn}
	if s.Turn < 0 {
		s.Turn = 90 * rng.IntN(4)
	}
	var t *Truth
	if !opts.Negative {
		tr := Identity(rng, f, opts.Now)
		if opts.BreakCheck {
			tr.MRZ = breakExpiryCheck(tr)
		}
		if tr.Printed == nil {
			tr.Printed = PrintedOf(&tr)
		}
		if k := opts.PrintDiffers; k != "" && f == passport.FRID {
			tr.Printed[k] = frenchDiffers(rng, k, tr.Printed[k])
		} else if k != "" {
			tr.Printed[k] = differByOneLetter(rng, tr.Printed[k])
		}
		t = &tr
	}
	s.Truth = t
	s.PhotoBlank = opts.BlankPhoto
	if scene == HandHeld || scene == EdgeCrop || scene == VisaPage {
		return fs.generatePhoto(rng, s, f, opts)
	}
	doc, photo, err := fs.renderDoc(rng, t, f, float64(dpi), opts.BlankPhoto)
	if err != nil {
		return Sample{}, err
	}
	corners := rectCorners(photo)
	mm := float64(dpi) / 25.4
	var canvas *image.RGBA
	var blur, noise float64
	quality := 0
	switch scene {
	case ScanPage:
		s.Tilt = rng.Float64()*6 - 3
		canvas = image.NewRGBA(image.Rect(0, 0, int(210*mm), int(297*mm)))
		paper := uint8(235 + rng.IntN(20))
		draw.Draw(canvas, canvas.Rect, image.NewUniform(color.RGBA{paper, paper, paper, 255}), image.Point{}, draw.Src)
		if t != nil || rng.IntN(2) == 0 {
			fs.pageText(rng, canvas, float64(dpi), int(150*mm))
		}
		// The page is turned, not the document on it: a scan fed sideways.
		cx := float64(doc.Rect.Dx())/2 + (15+rng.Float64()*40)*mm
		cy := float64(doc.Rect.Dy())/2 + (15+rng.Float64()*30)*mm
		paste(canvas, doc, cx, cy, s.Tilt)
		s.PhotoBox = placeCorners(corners, doc, canvas, cx, cy, s.Tilt, s.Turn)
		canvas = turn(canvas, s.Turn)
		blur, noise = rng.Float64()*0.8, 2+rng.Float64()*4
		if rng.IntN(2) == 0 {
			quality = 60 + rng.IntN(31)
		}
	case CardCrop, PhonePhoto:
		margin := 3 + rng.Float64()*8
		scale := 1.0
		if scene == PhonePhoto {
			s.Tilt = rng.Float64()*30 - 15
			margin = 15 + rng.Float64()*40
		} else {
			s.Tilt = rng.Float64()*4 - 2
		}
		w := float64(doc.Rect.Dx())*scale + 2*margin*mm
		h := float64(doc.Rect.Dy())*scale + 2*margin*mm
		if scene == PhonePhoto {
			w, h = math.Max(w, h*4/3), math.Max(h, w*3/4)
		}
		canvas = image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
		table(rng, canvas, scene == PhonePhoto)
		paste(canvas, doc, w/2, h/2, s.Tilt)
		s.PhotoBox = placeCorners(corners, doc, canvas, w/2, h/2, s.Tilt, s.Turn)
		canvas = turn(canvas, s.Turn)
		if scene == PhonePhoto {
			light(rng, canvas)
			blur, noise = 0.3+rng.Float64()*1.0, 3+rng.Float64()*6
			quality = 50 + rng.IntN(41)
		} else {
			blur, noise = rng.Float64()*0.7, 2+rng.Float64()*3
			quality = 70 + rng.IntN(26)
		}
	default:
		return Sample{}, fmt.Errorf("mrzgen: unknown scene %q", scene)
	}
	out := degrade(rng, canvas, blur, noise)
	var buf bytes.Buffer
	if quality > 0 {
		s.Ext = "jpg"
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: quality})
	} else {
		s.Ext = "png"
		err = png.Encode(&buf, out)
	}
	if err != nil {
		return Sample{}, err
	}
	s.Data = buf.Bytes()
	return s, nil
}

// pageText fills the lower part of a scanned page with a letter's text,
// as when a passport is copied onto a form.
func (fs *Fonts) pageText(rng *rand.Rand, page *image.RGBA, dpi float64, top int) {
	f, err := face(fs.sans, 10, dpi)
	if err != nil {
		return
	}
	defer f.Close()
	words := []string{"the", "applicant", "hereby", "declares", "that", "information", "given", "above", "is",
		"true", "and", "complete", "sponsor", "residence", "permit", "KITAS", "number", "address", "Jalan", "Denpasar"}
	ink := image.NewUniform(color.RGBA{20, 20, 20, 255})
	mm := dpi / 25.4
	for y := top; y < page.Rect.Dy()-int(25*mm); y += int(6 * mm) {
		line := ""
		for len(line) < 80 {
			line += words[rng.IntN(len(words))] + " "
		}
		text(page, f, ink, line, int(20*mm), y)
	}
}

// table paints a scene's background: a wood-like or cloth-like texture for
// photos, a plain dark or light board for crops.
func table(rng *rand.Rand, img *image.RGBA, textured bool) {
	base := [3]int{60 + rng.IntN(150), 50 + rng.IntN(120), 40 + rng.IntN(100)}
	freq, phase := 0.01+rng.Float64()*0.05, rng.Float64()*6
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			v := 0.0
			if textured {
				v = 25*math.Sin(float64(y)*freq+3*math.Sin(float64(x)*0.004)+phase) + float64(rng.IntN(17)-8)
			}
			img.SetRGBA(x, y, color.RGBA{clamp(base[0] + int(v)), clamp(base[1] + int(v)), clamp(base[2] + int(v)), 255})
		}
	}
}

// light darkens one side of a photo, as a lamp or a window does.
func light(rng *rand.Rand, img *image.RGBA) {
	ang := rng.Float64() * 2 * math.Pi
	dx, dy := math.Cos(ang), math.Sin(ang)
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	depth := 0.15 + rng.Float64()*0.3
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			t := ((float64(x)/w-0.5)*dx + (float64(y)/h-0.5)*dy) + 0.5 // 0..1 roughly
			k := 1 - depth*math.Max(0, math.Min(1, t))
			i := img.PixOffset(x, y)
			for c := range 3 {
				img.Pix[i+c] = uint8(float64(img.Pix[i+c]) * k)
			}
		}
	}
}

// rectCorners are r's corners: top left, top right, bottom right, bottom
// left.
func rectCorners(r image.Rectangle) [4][2]float64 {
	return [4][2]float64{{float64(r.Min.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Min.Y)},
		{float64(r.Max.X), float64(r.Max.Y)}, {float64(r.Min.X), float64(r.Max.Y)}}
}

// placeCorners follows points of src through paste (centred at cx, cy,
// rotated by deg) and turn (by quarter).
func placeCorners(ps [4][2]float64, src, dst *image.RGBA, cx, cy, deg float64, quarter int) [4][2]float64 {
	return turnCorners(pasteCorners(ps, src, cx, cy, deg), dst, quarter)
}

// pasteCorners follows points of src through paste (centred at cx, cy,
// rotated by deg).
func pasteCorners(ps [4][2]float64, src *image.RGBA, cx, cy, deg float64) [4][2]float64 {
	rad := deg * math.Pi / 180
	cos, sin := math.Cos(rad), math.Sin(rad)
	sw, sh := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	var out [4][2]float64
	for i, p := range ps {
		u, v := p[0]-sw/2, p[1]-sh/2
		// paste samples src at R(x-cx, y-cy); its inverse is R's transpose.
		out[i] = [2]float64{cx + cos*u + sin*v, cy - sin*u + cos*v}
	}
	return out
}

// turnCorners follows points of img through turn (by quarter).
func turnCorners(ps [4][2]float64, img *image.RGBA, quarter int) [4][2]float64 {
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	for i, p := range ps {
		x, y := p[0], p[1]
		switch quarter % 360 {
		case 90:
			x, y = y, w-1-x
		case 180:
			x, y = w-1-x, h-1-y
		case 270:
			x, y = h-1-y, x
		}
		ps[i] = [2]float64{x, y}
	}
	return ps
}

// paste draws src onto dst centred at (cx, cy), rotated by deg degrees
// counter-clockwise, with bilinear sampling.
func paste(dst, src *image.RGBA, cx, cy, deg float64) {
	rad := deg * math.Pi / 180
	cos, sin := math.Cos(rad), math.Sin(rad)
	sw, sh := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	r := math.Hypot(sw, sh) / 2
	x0, x1 := max(0, int(cx-r)), min(dst.Rect.Dx(), int(cx+r)+1)
	y0, y1 := max(0, int(cy-r)), min(dst.Rect.Dy(), int(cy+r)+1)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			// Inverse rotation (y axis points down: counter-clockwise on screen).
			dx, dy := float64(x)-cx, float64(y)-cy
			sx := cos*dx - sin*dy + sw/2
			sy := sin*dx + cos*dy + sh/2
			if sx < 0 || sy < 0 || sx > sw-1 || sy > sh-1 {
				continue
			}
			ix, iy := int(sx), int(sy)
			fx, fy := sx-float64(ix), sy-float64(iy)
			i := dst.PixOffset(x, y)
			for c := range 3 {
				p := func(xx, yy int) float64 {
					return float64(src.Pix[src.PixOffset(min(xx, src.Rect.Dx()-1), min(yy, src.Rect.Dy()-1))+c])
				}
				v := p(ix, iy)*(1-fx)*(1-fy) + p(ix+1, iy)*fx*(1-fy) + p(ix, iy+1)*(1-fx)*fy + p(ix+1, iy+1)*fx*fy
				dst.Pix[i+c] = uint8(v + 0.5)
			}
		}
	}
}

// turn rotates img by a quarter turn counter-clockwise deg/90 times.
func turn(img *image.RGBA, deg int) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var out *image.RGBA
	switch deg % 360 {
	case 0:
		return img
	case 180:
		out = image.NewRGBA(image.Rect(0, 0, w, h))
	default:
		out = image.NewRGBA(image.Rect(0, 0, h, w))
	}
	for y := range h {
		for x := range w {
			var dx, dy int
			switch deg % 360 {
			case 90:
				dx, dy = y, w-1-x
			case 180:
				dx, dy = w-1-x, h-1-y
			case 270:
				dx, dy = h-1-y, x
			}
			copy(out.Pix[out.PixOffset(dx, dy):out.PixOffset(dx, dy)+4], img.Pix[img.PixOffset(x, y):img.PixOffset(x, y)+4])
		}
	}
	return out
}

// degrade blurs (a box blur approximating a Gaussian of sigma) and adds
// sensor noise.
func degrade(rng *rand.Rand, img *image.RGBA, sigma, noise float64) *image.RGBA {
	if sigma >= 0.3 {
		// Three box passes of radius r approximate a Gaussian of sigma.
		r := max(1, int(math.Round(sigma)))
		if sigma < 0.75 {
			img = mixBlur(img, sigma/0.75)
		} else {
			for range 2 {
				img = boxBlur(img, r, true)
				img = boxBlur(img, r, false)
			}
		}
	}
	for i := 0; i < len(img.Pix); i += 4 {
		n := int(rng.NormFloat64() * noise)
		for c := range 3 {
			img.Pix[i+c] = clamp(int(img.Pix[i+c]) + n)
		}
	}
	return img
}

// mixBlur is a light blur: each pixel mixed with its 4 neighbours by t.
func mixBlur(img *image.RGBA, t float64) *image.RGBA {
	out := image.NewRGBA(img.Rect)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			for c := range 4 {
				s := 0.0
				for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
					xx, yy := min(max(x+d[0], 0), w-1), min(max(y+d[1], 0), h-1)
					s += float64(img.Pix[img.PixOffset(xx, yy)+c])
				}
				out.Pix[i+c] = uint8(float64(img.Pix[i+c])*(1-t*0.5) + s/4*t*0.5)
			}
		}
	}
	return out
}

func boxBlur(img *image.RGBA, r int, horizontal bool) *image.RGBA {
	out := image.NewRGBA(img.Rect)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := 2*r + 1
	for a := range map[bool]int{true: h, false: w}[horizontal] {
		length := map[bool]int{true: w, false: h}[horizontal]
		at := func(b int) int {
			b = min(max(b, 0), length-1)
			if horizontal {
				return img.PixOffset(b, a)
			}
			return img.PixOffset(a, b)
		}
		for c := range 4 {
			sum := 0
			for b := -r; b <= r; b++ {
				sum += int(img.Pix[at(b)+c])
			}
			for b := range length {
				o := at(b)
				out.Pix[o+c] = uint8(sum / n)
				sum += int(img.Pix[at(b+r+1)+c]) - int(img.Pix[at(b-r)+c])
			}
		}
	}
	return out
}

// breakExpiryCheck returns t's zone with the expiry date's check digit
// replaced by another digit.
func breakExpiryCheck(t Truth) []string {
	lines := slices.Clone(t.MRZ)
	i, col := 1, 27 // TD2, TD3 and visas: line 2, column 28
	if t.Format == passport.TD1 {
		col = 14 // line 2, column 15
	}
	b := []byte(lines[i])
	b[col] = '0' + (b[col]-'0'+5)%10
	lines[i] = string(b)
	return lines
}
