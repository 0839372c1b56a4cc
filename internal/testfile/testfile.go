// Package testfile gives the readers' tests their input as a job hands it
// over: an open file, not a name (a job opens a stored file once and
// passes the *os.File to every reader).
package testfile

import (
	"os"
	"path/filepath"
	"testing"
)

// Open writes data to a new file called name in the test's temp folder and
// returns it open for reading, closed when the test ends.
func Open(t testing.TB, name string, data []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
