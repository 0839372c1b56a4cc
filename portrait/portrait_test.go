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
}

// Refine moves a box offset by a few pixels onto the photo's edges.
func TestRefine(t *testing.T) {
	t.Parallel()
	photo := image.Rect(40, 50, 240, 310)
	g := picture(300, 360, func(x, y float64) uint8 {
		if image.Pt(int(x*300), int(y*360)).In(photo) {
			return 90
		}
		return 225
	})
	got := Refine(g, photo.Add(image.Pt(12, -9)), 25)
	if got != photo {
		t.Errorf("Refine: %v, want %v", got, photo)
	}
}
