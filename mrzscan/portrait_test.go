package mrzscan

import (
	"context"
	"image"
	"math"
	"testing"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
)

// The portrait keeps the source's colours, cut where the reading placed
// it: a colour phone photo stored turned (EXIF orientation 5-8) gives a
// colour portrait whose brightness matches the upright page's at the
// crop's corners, pixel for pixel; the same page read grey gives a grey
// portrait.
func TestPortraitKeepsColour(t *testing.T) {
	t.Parallel()
	if raceDetector {
		t.Skip("reads several photos: too slow under the race detector")
	}
	r := newReader(t)
	ctx := context.Background()
	tried := 0
	for seed := uint64(700); seed < 760 && tried < 4; seed++ {
		s := generate(t, seed, mrzgen.Options{Format: passport.TD3, Scene: mrzgen.HandHeld, Turn: 0})
		if s.Orientation < 5 {
			continue // stored upright or half-turned: try a quarter turn
		}
		tried++
		f := write(t, "colour.jpg", s.Data)
		res, err := r.ReadFile(ctx, f)
		if err != nil || res.HolderCrop() == nil {
			t.Logf("seed %d: no portrait (%v): another photo", seed, err)
			continue
		}
		crop := res.HolderCrop()
		if share := colourful(crop.Image); share < 0.2 {
			t.Errorf("seed %d: %.0f%% of the portrait's pixels are coloured, want a colour picture", seed, 100*share)
		}
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		upright, err := imgutil.Decode(f, imgutil.Options{})
		if err != nil {
			t.Fatal(err)
		}
		grey := imgutil.Gray(upright)
		if d := meanDifference(crop, grey); d > 12 {
			t.Errorf("seed %d: the portrait's brightness differs from the upright page's at its corners by %.1f levels on average, want the same place", seed, d)
		}
		gres, err := r.ReadImage(ctx, grey)
		if err != nil || gres.HolderCrop() == nil {
			// A face whose hair and skin differ in hue alone is too
			// faint in grey to be taken for one.
			t.Logf("seed %d read grey: no portrait (%v): another photo", seed, err)
			continue
		}
		if img, ok := gres.HolderCrop().Image.(*image.Gray); !ok {
			t.Errorf("seed %d read grey: portrait is %T, want *image.Gray", seed, img)
		}
		return
	}
	t.Fatalf("no hand-held photo stored turned gave a portrait in colour and in grey (%d read)", tried)
}

// colourful is the share of img's pixels whose channels differ by 24
// levels or more: skin, hair and clothes; a grey picture has none.
func colourful(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl)>>8, min(r, g, bl)>>8
			if hi-lo >= 24 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// meanDifference is the mean absolute difference between the brightness
// of c's picture and grey's, sampled where c's corners map each pixel.
func meanDifference(c *passport.Crop, grey *image.Gray) float64 {
	b := c.Image.Bounds()
	p0, p1, p3 := c.Corners[0], c.Corners[1], c.Corners[3]
	sum, n := 0.0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			u := (float64(x-b.Min.X) + 0.5) / float64(b.Dx())
			v := (float64(y-b.Min.Y) + 0.5) / float64(b.Dy())
			px := p0[0] + u*(p1[0]-p0[0]) + v*(p3[0]-p0[0])
			py := p0[1] + u*(p1[1]-p0[1]) + v*(p3[1]-p0[1])
			pt := image.Pt(int(px), int(py))
			if !pt.In(grey.Rect) {
				continue
			}
			r, g, bl, _ := c.Image.At(x, y).RGBA()
			lum := (19595*r + 38470*g + 7471*bl + 1<<15) >> 24
			sum += math.Abs(float64(lum) - float64(grey.GrayAt(pt.X, pt.Y).Y))
			n++
		}
	}
	if n == 0 {
		return math.Inf(1)
	}
	return sum / float64(n)
}
