package mrzscan

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/revisbali/worker/imgutil"
)

// TestDebugLocate dumps the candidate zones of MRZDEBUG_FILE into
// MRZDEBUG_OUT; it is a development aid and skips without them.
func TestDebugLocate(t *testing.T) {
	in, out := os.Getenv("MRZDEBUG_FILE"), os.Getenv("MRZDEBUG_OUT")
	if in == "" || out == "" {
		t.Skip("set MRZDEBUG_FILE and MRZDEBUG_OUT")
	}
	img, err := imgutil.Decode(in, imgutil.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(imgutil.Gray(img), workEdges[0])
	write := func(name string, g image.Image) {
		f, _ := os.Create(filepath.Join(out, name))
		defer f.Close()
		png.Encode(f, g)
	}
	write("mask.png", p.mask)
	ors := p.orientations()
	t.Logf("orientations %v", ors)
	var zones []zone
	for k, deg := range ors {
		f := p.frame(deg)
		write(fmt.Sprintf("frame%d.png", k), f.mask)
		zones = append(zones, f.zones()...)
	}
	zones = distinct(zones)
	for i, z := range zones {
		t.Logf("zone %d deg %.1f%+.1f box %+v w %.0f h %.0f lineH %.1f lines %d score %.0f upside %v", i, z.f.deg, z.delta, z.b, z.w, z.h, z.lineH, z.lines, z.score, z.upside)
		if i < 6 {
			g := p.crop(z, 0, 34, 1.2, 0.9, z.upside)
			write(fmt.Sprintf("zone%d.png", i), g)
		}
	}
}
