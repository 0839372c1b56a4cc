package mrzscan

import (
	"fmt"
	"os"
	"testing"

	"github.com/revisbali/worker/ocr"
)

// testPool is shared by the tests: two engines, one for the zone's model and
// one for the printed page's, as cores are scarce.
var testPool *ocr.Pool

func TestMain(m *testing.M) {
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := ocr.NewPool(ocr.PoolConfig{Size: 2, Languages: []string{Language}, TessdataDir: "../tessdata"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrzscan tests need Tesseract and ../tessdata/mrz.traineddata:", err)
		os.Exit(1)
	}
	testPool = p
	code := m.Run()
	p.Close()
	os.Exit(code)
}
