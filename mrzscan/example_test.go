package mrzscan_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/mrzscan"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
)

func ExampleReader_ReadFile() {
	// A phone photo of an ID card, turned by 90 degrees.
	fonts, _ := mrzgen.LoadFonts()
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	photo, _ := fonts.Generate(rand.New(rand.NewPCG(3, 3)), "card", mrzgen.Options{
		Format: passport.TD1, Scene: mrzgen.PhonePhoto, Turn: 90, DPI: 250, Now: now,
	})
	dir, _ := os.MkdirTemp("", "mrzscan-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "card."+photo.Ext)
	_ = os.WriteFile(path, photo.Data, 0o600)

	pool, err := ocr.NewPool(ocr.PoolConfig{Size: 1, Languages: []string{mrzscan.Language}, TessdataDir: "../tessdata"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	reader, err := mrzscan.New(pool, mrzscan.Config{TessdataDir: "../tessdata", Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A job opens the stored file once and hands it over (tempfile.WithFile).
	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	res, err := reader.ReadFile(context.Background(), f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Format, res.Valid, res.DocumentNumber == photo.Truth.DocumentNumber, res.Surname == photo.Truth.Surname)
	// Output: TD1 true true true
}
