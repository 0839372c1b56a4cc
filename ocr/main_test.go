package ocr

import (
	"fmt"
	"os"
	"testing"
)

// testPool is shared by the tests: like the worker, one engine per core.
var testPool *Pool

func TestMain(m *testing.M) {
	if err := EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p, err := NewPool(PoolConfig{Size: 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ocr tests need Tesseract with English (scripts/deps.sh):", err)
		os.Exit(1)
	}
	testPool = p
	code := m.Run()
	p.Close()
	os.Exit(code)
}
