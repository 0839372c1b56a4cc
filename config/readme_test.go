package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table is where operators look: it must name
// every variable the worker reads.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, v := range Variables() {
		if !strings.Contains(readme, "| `"+v+"` |") {
			t.Errorf("README.md's configuration table has no row for %s", v)
		}
	}
}
