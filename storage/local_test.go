package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/storage/storagetest"
)

func newLocal(t *testing.T) (*storage.Local, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "media")
	s, err := storage.NewLocal(root, "/media/")
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

func TestLocalConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, storagetest.Backend{
		New: func(t *testing.T) storage.Storage {
			s, root := newLocal(t)
			t.Cleanup(func() { assertNoPartials(t, root) })
			return s
		},
	})
}

// assertNoPartials fails if a temporary file of Save is left under root.
func assertNoPartials(t *testing.T, root string) {
	t.Helper()
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".storage-partial-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func TestLocalFileMode(t *testing.T) {
	t.Parallel()
	s, root := newLocal(t)
	name := storagetest.SaveString(t, s, "a/b/c.txt", "x", storage.SaveOptions{})
	st, err := os.Stat(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (Django's FILE_UPLOAD_PERMISSIONS)", st.Mode().Perm())
	}
}

func TestLocalConcurrentSavesNeverClobber(t *testing.T) {
	t.Parallel()
	s, _ := newLocal(t)
	const n = 16
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got, err := s.Save(context.Background(), "same/name.pdf", strings.NewReader(fmt.Sprint(i)), storage.SaveOptions{})
			if err != nil {
				t.Error(err)
			}
			names[i] = got
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			t.Errorf("two saves returned %q", name)
		}
		seen[name] = true
		if got := string(storagetest.ReadAll(t, s, name)); got != fmt.Sprint(i) {
			t.Errorf("%q holds %q, want %q", name, got, fmt.Sprint(i))
		}
	}
}

func TestLocalSymlinksStayInside(t *testing.T) {
	t.Parallel()
	s, root := newLocal(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	storagetest.SaveString(t, s, "inside/real.txt", "real", storage.SaveOptions{})
	for link, target := range map[string]string{
		"evil":           outside,
		"evil.txt":       filepath.Join(outside, "secret.txt"),
		"inside/abs.txt": filepath.Join(root, "inside", "real.txt"),
		"inside/alias":   ".",
		"inside/alias.t": "real.txt",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// os.Root refuses absolute links even when they lead inside.
	for _, name := range []string{"evil/secret.txt", "evil.txt", "inside/abs.txt"} {
		if _, err := s.Open(ctx, name); !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("Open(%q): %v, want ErrSuspiciousName", name, err)
		}
		if _, err := s.Stat(ctx, name); !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("Stat(%q): %v, want ErrSuspiciousName", name, err)
		}
		if _, err := s.OpenFile(ctx, name); !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("OpenFile(%q): %v, want ErrSuspiciousName", name, err)
		}
	}
	if _, err := s.Save(ctx, "evil/planted.txt", strings.NewReader("x"), storage.SaveOptions{Replace: true}); !errors.Is(err, storage.ErrSuspiciousName) {
		t.Errorf("Save through a link leading outside: %v, want ErrSuspiciousName", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "planted.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save wrote outside MEDIA_ROOT: %v", err)
	}
	// Links that stay inside work.
	for _, name := range []string{"inside/alias/real.txt", "inside/alias.t"} {
		if got := string(storagetest.ReadAll(t, s, name)); got != "real" {
			t.Errorf("%q holds %q", name, got)
		}
	}
	var listed []string
	for info, err := range s.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, info.Name)
	}
	if want := "[inside/alias.t inside/real.txt]"; fmt.Sprint(listed) != want {
		t.Errorf("List = %v, want %s (no links leading outside, link folders not followed)", listed, want)
	}
}

func TestLocalOpenFile(t *testing.T) {
	t.Parallel()
	s, _ := newLocal(t)
	ctx := context.Background()
	name := storagetest.SaveString(t, s, "scans/a b.jpg", "jpg", storage.SaveOptions{})
	f, err := s.OpenFile(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(got) != "jpg" {
		t.Errorf("OpenFile(%q) read %q, %v; want the saved bytes", name, got, err)
	}
	if _, err := s.OpenFile(ctx, "scans/missing.jpg"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenFile of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.OpenFile(ctx, "scans"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenFile of a folder: %v, want fs.ErrNotExist", err)
	}
	for _, name := range append(storagetest.SuspiciousNames, "/etc/passwd") {
		if _, err := s.OpenFile(ctx, name); !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("OpenFile(%q): %v, want ErrSuspiciousName", name, err)
		}
	}
}

func TestLocalRefusesAbsoluteNames(t *testing.T) {
	t.Parallel()
	s, _ := newLocal(t)
	ctx := context.Background()
	if _, err := s.Save(ctx, "/etc/x.txt", strings.NewReader("x"), storage.SaveOptions{}); !errors.Is(err, storage.ErrSuspiciousName) {
		t.Errorf("Save of an absolute name: %v", err)
	}
	if _, err := s.Open(ctx, "/etc/passwd"); !errors.Is(err, storage.ErrSuspiciousName) {
		t.Errorf("Open of an absolute name: %v", err)
	}
}

func TestLocalURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ mediaURL, name, want string }{
		{"/media/", "passports/abc.pdf", "/media/passports/abc.pdf"},
		{"/media/", "a b/ü #1?.pdf", "/media/a%20b/%C3%BC%20%231%3F.pdf"},
		{"/media/", "keep/~!*()'.pdf", "/media/keep/~!*()'.pdf"},
		{"/media/", "q/a+b&c=d;e,f:g@h$.pdf", "/media/q/a%2Bb%26c%3Dd%3Be%2Cf%3Ag%40h%24.pdf"},
		{"/media/", `win\path.pdf`, "/media/win/path.pdf"},
		{"/media/", "a/./b//c.pdf", "/media/a/b/c.pdf"},
		{"https://crm.example.com/media/", "x/y z.png", "https://crm.example.com/media/x/y%20z.png"},
	}
	for _, tt := range tests {
		s, err := storage.NewLocal(t.TempDir(), tt.mediaURL)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.URL(context.Background(), tt.name)
		if err != nil || got != tt.want {
			t.Errorf("URL(%q) with MEDIA_URL %q = %q, %v; want %q", tt.name, tt.mediaURL, got, err, tt.want)
		}
	}
}

func TestLocalListSkipsPartialFiles(t *testing.T) {
	t.Parallel()
	s, root := newLocal(t)
	storagetest.SaveString(t, s, "d/done.txt", "done", storage.SaveOptions{})
	if err := os.WriteFile(filepath.Join(root, "d", ".storage-partial-abcdefg"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	var names []string
	for info, err := range s.List(context.Background(), "d/") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, info.Name)
	}
	if fmt.Sprint(names) != "[d/done.txt]" {
		t.Errorf("List = %v, want only d/done.txt", names)
	}
}

// LocalFileName is the rule the migration applies to names it opens
// through its own os.Root: the local backend's.
func TestLocalFileName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"scans/a b.jpg", "scans/a b.jpg", true},
		{`scans\a.jpg`, "scans/a.jpg", true},
		{"scans//./a.jpg", "scans/a.jpg", true},
		{"/etc/passwd", "", false},
		{"scans/", "", false},
		{"scans/../../etc/passwd", "", false},
		{"", "", false},
		{"a\x00b", "", false},
	}
	for _, tt := range tests {
		got, err := storage.LocalFileName(tt.name)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("LocalFileName(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
		if !tt.ok && !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("LocalFileName(%q) = %q, %v; want ErrSuspiciousName", tt.name, got, err)
		}
	}
}
