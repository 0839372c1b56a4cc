package mrzgen

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/revisbali/worker/passport"
)

// Every format's generated zone is valid and reads back to the identity
// it was made from (Identity panics otherwise), including long document
// numbers.
func TestIdentityReadsBack(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	long := 0
	for i := range 500 {
		f := Formats[i%len(Formats)]
		tr := Identity(rng, f, now)
		if tr.Format != f || len(tr.MRZ) != zoneLines(f) {
			t.Fatalf("%s: %q", f, tr.MRZ)
		}
		if len(tr.DocumentNumber) > 9 {
			long++
		}
	}
	if long == 0 {
		t.Error("no long document number generated")
	}
}

func TestGenerateWritesImages(t *testing.T) {
	t.Parallel()
	fs, err := LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	dir := os.Getenv("MRZGEN_KEEP")
	for i, sc := range []Scene{ScanPage, CardCrop, PhonePhoto} {
		s, err := fs.Generate(rng, "x", Options{Format: passport.Format(Formats[i]), Scene: sc, Turn: -1, DPI: 150})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Data) < 1000 {
			t.Errorf("%s: %d bytes", sc, len(s.Data))
		}
		if dir != "" {
			os.WriteFile(filepath.Join(dir, string(sc)+"."+s.Ext), s.Data, 0o644)
		}
	}
}
