package jobs

import (
	"fmt"
	"os"
	"testing"

	"github.com/revisbali/worker/ocr"
)

func TestMain(m *testing.M) {
	// Tesseract must run with one OpenMP thread per engine (see ocr).
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
