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

// French cards (FRID) read back as generated, in every scene, and print
// their own fields; a printed field asked to differ differs from the zone
// in one character and stays a field of its kind (a real date, M or F).
func TestFrenchCard(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		tr := Identity(rng, passport.FRID, now) // panics unless it reads back
		if tr.Format != passport.FRID || len(tr.MRZ) != 2 || len(tr.MRZ[0]) != 36 || len(tr.MRZ[1]) != 36 || len(tr.DocumentNumber) != 12 {
			t.Fatalf("%+v", tr)
		}
	}
	fs, err := LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("MRZGEN_KEEP")
	for i, sc := range []Scene{ScanPage, CardCrop, PhonePhoto, HandHeld, EdgeCrop} {
		field := []string{"", "surname", "birth_date", "sex", "document_number"}[i]
		s, err := fs.Generate(rng, "fr", Options{Format: passport.FRID, Scene: sc, Turn: -1, DPI: 200, Now: now, PrintDiffers: field})
		if err != nil {
			t.Fatal(err)
		}
		if s.Truth.Format != passport.FRID || len(s.Data) < 1000 {
			t.Fatalf("%s: %s, %d bytes", sc, s.Truth.Format, len(s.Data))
		}
		if field != "" {
			got, want := s.Truth.Printed[field], map[string]string{"birth_date": "", "sex": s.Truth.Sex}[field]
			switch field {
			case "sex":
				if got == want || got != "M" && got != "F" {
					t.Errorf("sex printed %q, zone %q", got, want)
				}
			case "birth_date":
				if _, err := time.Parse("02.01.2006", got); err != nil || got[:6] != s.Truth.BirthDate[8:10]+"."+s.Truth.BirthDate[5:7]+"." {
					t.Errorf("birth date printed %q (%v), zone %s", got, err, s.Truth.BirthDate)
				}
			}
		}
		if dir != "" {
			os.WriteFile(filepath.Join(dir, "fr-"+string(sc)+"."+s.Ext), s.Data, 0o644)
		}
	}
}
