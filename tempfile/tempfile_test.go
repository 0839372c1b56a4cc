package tempfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func openDir(t *testing.T, root string) *Dir {
	t.Helper()
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// countFiles counts regular files under root, lock files excluded.
func countFiles(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && e.Name() != lockName {
			n++
		}
		return nil
	})
	return n
}

func TestSweepRemovesOnlyDeadRuns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	alive := openDir(t, root)
	if err := os.WriteFile(filepath.Join(alive.Path(), "busy.pdf"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(root, runPrefix+"crashed")
	if err := os.MkdirAll(filepath.Join(crashed, "dir-1"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"file-1.pdf", lockName, "dir-1/page.png"} {
		if err := os.WriteFile(filepath.Join(crashed, f), []byte("left over"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unrelated := filepath.Join(root, "not-ours.txt")
	if err := os.WriteFile(unrelated, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	me := openDir(t, root)
	n, err := me.Sweep()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("swept %d run folders, want 1", n)
	}
	if _, err := os.Stat(crashed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("crashed run folder still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(alive.Path(), "busy.pdf")); err != nil {
		t.Errorf("sweep removed a live worker's file: %v", err)
	}
	if _, err := os.Stat(unrelated); err != nil {
		t.Errorf("sweep removed a file it does not own: %v", err)
	}
}

func TestRunFolderIsPrivateAndRemovedOnClose(t *testing.T) {
	t.Parallel()
	d, err := Open(filepath.Join(t.TempDir(), "nested", "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("run folder mode %o, want 700", perm)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run folder survives Close: %v", err)
	}
}

func TestWithDirCleansUpOnEveryExit(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name string
		fn   func(dir string) error
		want error
	}{
		{"return", func(string) error { return nil }, nil},
		{"error", func(string) error { return boom }, boom},
		{"panic", func(string) error { panic("tesseract crashed") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := openDir(t, t.TempDir())
			var got error
			func() {
				defer func() { recover() }()
				got = d.WithDir(context.Background(), func(dir string) error {
					if err := os.WriteFile(filepath.Join(dir, "page-1.png"), []byte("png"), 0o600); err != nil {
						t.Fatal(err)
					}
					return tt.fn(dir)
				})
			}()
			if !errors.Is(got, tt.want) {
				t.Errorf("WithDir returned %v, want %v", got, tt.want)
			}
			if n := countFiles(t, d.Path()); n != 0 {
				t.Errorf("%d files left in the temp folder", n)
			}
		})
	}
}

func TestWithDirCancelled(t *testing.T) {
	t.Parallel()
	d := openDir(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := d.WithDir(ctx, func(string) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("cancelled WithDir: err %v, fn called %v", err, called)
	}
}
