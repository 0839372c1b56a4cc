package mrzscan

import (
	"fmt"
	"os"
	"testing"

	"github.com/revisbali/worker/ocr"
)

// testPool is shared by the tests: one engine, as cores are scarce.
var testPool *ocr.Pool

func TestMain(m *testing.M) {
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := ocr.NewPool(ocr.PoolConfig{Size: 1, Languages: []string{Language}, TessdataDir: "../tessdata"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrzscan tests need Tesseract and ../tessdata/mrz.traineddata:", err)
		os.Exit(1)
	}
	testPool = p
	code := m.Run()
	p.Close()
	os.Exit(code)
}
