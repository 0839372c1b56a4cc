package portrait

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

func picture(w, h int, f func(x, y float64) uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.SetGray(x, y, color.Gray{f(float64(x)/float64(w), float64(y)/float64(h))})
		}
	}
	return g
}

func TestFaceLike(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	head := func(x, y float64) uint8 {
		dx, dy := (x-0.5)/0.28, (y-0.42)/0.34
		switch {
		case dx*dx+dy*dy < 1:
			if math.Abs(math.Abs(x-0.5)-0.11) < 0.04 && math.Abs(y-0.38) < 0.02 {
				return 30 // eyes
			}
			return uint8(170 - 40*(dx*dx+dy*dy))
		case y > 0.78 && math.Abs(x-0.5) < 0.45:
			return 60 // shoulders
		}
		return 215
	}
	cases := []struct {
		name string
		img  *image.Gray
		want bool
	}{
		{"head and shoulders", picture(200, 260, head), true},
		{"empty box", picture(200, 260, func(x, y float64) uint8 { return uint8(235 + rng.IntN(5)) }), false},
		{"noise", picture(200, 260, func(x, y float64) uint8 { return uint8(rng.IntN(256)) }), false},
		// A crop shifted onto the printed fields: lines on one side,
		// contrast but no mirror image.
		{"text beside the box", picture(200, 260, func(x, y float64) uint8 {
			if x < 0.45 && int(y*40)%3 == 0 {
				return 20
			}
			return 230
		}), false},
	}
	for _, c := range cases {
		if got := FaceLike(c.img); got != c.want {
			t.Errorf("%s: FaceLike %v (contrast %.1f, symmetry %.2f), want %v", c.name, got, Contrast(c.img), Symmetry(c.img), c.want)
		}
	}
	// In colour: a face whose hair and skin differ in hue more than in
	// brightness (grey contrast about 10) is face-like; an empty box in a
	// flat colour is not.
	faint := func(x, y float64) uint8 { return uint8(120 + (int(head(x, y))-120)/6) }
	inverse := func(x, y float64) uint8 { return uint8(255 - int(head(x, y))) }
	grey := picture(200, 260, faint)
	if !FaceLike(grey, picture(200, 260, head), grey, picture(200, 260, inverse)) {
		t.Errorf("a face in colour, faint in grey (contrast %.1f): not face-like", Contrast(grey))
	}
	if FaceLike(grey) {
		t.Errorf("the faint grey face alone (contrast %.1f) is face-like: the colour case tests nothing", Contrast(grey))
	}
	flat := func(v uint8) *image.Gray {
		return picture(200, 260, func(x, y float64) uint8 { return v + uint8(rng.IntN(5)) })
	}
	if FaceLike(flat(230), flat(200), flat(230), flat(180)) {
		t.Error("an empty box in a flat colour is face-like")
	}
	// A blank box over a rainbow-printed background: yellow at the top to
	// light blue at the bottom, faint in grey, strong in blue, and its own
	// mirror image. It changes only down the rows: no face.
	ramp := func(top, bottom float64) *image.Gray {
		return picture(320, 400, func(x, y float64) uint8 { return uint8(top + (bottom-top)*y + float64(rng.IntN(3))) })
	}
	if r, gr, b := ramp(255, 185), ramp(245, 215), ramp(135, 255); FaceLike(ramp(236, 212), r, gr, b) {
		t.Errorf("a blank box shading top to bottom is face-like (blue contrast %.1f, row contrast %.1f)", Contrast(b), RowContrast(b))
	}
}

// Refine moves a box offset by a few pixels onto the photo's edges: a
// clear border; a border seen only in one colour plane (a light photo
// background on light paper) around a dark hair block, beside the card's
// edge (the hair's and the card's edges lie about a photo's width apart);
// and a photo seen turned a little.
func TestRefine(t *testing.T) {
	t.Parallel()
	photo := image.Rect(60, 50, 260, 310)
	hair := image.Rect(100, 90, 220, 240)
	plane := func(paper, table, background, inside uint8, lean float64) *image.Gray {
		return picture(320, 360, func(x, y float64) uint8 {
			px, py := x*320, y*360
			// The page turned by lean about the photo's centre.
			u := 160 + (px-160)*math.Cos(lean) + (py-180)*math.Sin(lean)
			v := 180 - (px-160)*math.Sin(lean) + (py-180)*math.Cos(lean)
			p := image.Pt(int(u), int(v))
			switch {
			case p.In(hair):
				return inside
			case p.In(photo):
				return background
			case u < 40:
				return table
			}
			return paper
		})
	}
	for _, c := range []struct {
		name   string
		planes []*image.Gray
		slack  int
		tol    int
	}{
		{"clear border", []*image.Gray{plane(225, 225, 90, 90, 0)}, 25, 0},
		// Grey and green alike; red tells the photo from the paper.
		{"border in one colour", []*image.Gray{plane(220, 90, 222, 40, 0), plane(230, 60, 200, 40, 0), plane(220, 90, 222, 40, 0)}, 50, 2},
		{"turned 1.5 degrees", []*image.Gray{plane(225, 90, 200, 40, 0.026)}, 50, 4},
	} {
		got := Refine(c.planes, photo.Add(image.Pt(12, -9)), c.slack)
		d := max(abs(got.Min.X-photo.Min.X), abs(got.Min.Y-photo.Min.Y), abs(got.Max.X-photo.Max.X), abs(got.Max.Y-photo.Max.Y))
		if d > c.tol {
			t.Errorf("%s: Refine %v, want %v within %d pixels", c.name, got, photo, c.tol)
		}
	}
}

// A photo whose background is the paper's grey (a grey scan of a light
// photo on light paper) shows neither side; the printed fields' aligned
// left margin beside it is a long straight edge that is no side of it.
// The box is centred on the holder's head and shoulders, which are
// centred in the photo.
func TestRefineSidesInvisible(t *testing.T) {
	t.Parallel()
	photo := image.Rect(60, 50, 260, 310)
	g := picture(380, 360, func(x, y float64) uint8 {
		px, py := x*380, y*360
		dx, dy := (px-160)/50, (py-150)/65
		switch {
		case dx*dx+dy*dy < 1:
			if math.Abs(math.Abs(px-160)-20) < 6 && math.Abs(py-140) < 4 {
				return 30 // eyes
			}
			return uint8(150 - 30*(dx*dx+dy*dy))
		case py > 225 && py < 310 && math.Abs(px-160) < 45+(py-225)*0.6:
			return 60 // shoulders
		case px >= 290 && px < 370 && int(py)%14 < 7 && int(px)%9 < 6:
			return 40 // lines of print, aligned on their left margin
		}
		return 225
	})
	for _, off := range []image.Point{{12, -9}, {-14, 6}} {
		got := Refine([]*image.Gray{g}, photo.Add(off), 30)
		if d := max(abs(got.Min.X-photo.Min.X), abs(got.Max.X-photo.Max.X)); d > 6 {
			t.Errorf("nominal box off by %v: Refine %v, want the sides of %v within 6 pixels", off, got, photo)
		}
	}
}
