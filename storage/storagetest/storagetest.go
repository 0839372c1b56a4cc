// Package storagetest is the conformance suite every storage backend
// passes: the same round trips, listings, naming rules and failure
// guarantees, whatever holds the bytes.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/revisbali/worker/storage"
)

// Backend describes the storage under test.
type Backend struct {
	// New returns an empty storage for one test.
	New func(t *testing.T) storage.Storage
	// Overwrites says whether Save without Replace replaces an existing
	// name (django-storages with AWS_S3_FILE_OVERWRITE=True) instead of
	// choosing Django's alternative name (FileSystemStorage).
	Overwrites bool
}

// MiB is a mebibyte.
const MiB = 1 << 20

// Run runs the conformance suite against b.
func Run(t *testing.T, b Backend) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, b) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, b) })
	t.Run("OpenStopsWithContext", func(t *testing.T) { testOpenStops(t, b) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, b) })
	t.Run("List", func(t *testing.T) { testList(t, b) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, b) })
	t.Run("SuspiciousNames", func(t *testing.T) { testSuspicious(t, b) })
	t.Run("FailedSaveLeavesNothing", func(t *testing.T) { testFailedSave(t, b) })
	t.Run("URL", func(t *testing.T) { testURL(t, b) })
}

// Content is deterministic pseudo-random data of a given size.
type Content struct {
	Size int64
	Seed uint64
}

// Reader streams the content without revealing its size or allowing
// seeks, as a pipe would.
func (c Content) Reader() io.Reader {
	return struct{ io.Reader }{io.LimitReader(rand.NewChaCha8(seed(c.Seed)), c.Size)}
}

// Bytes returns the content in memory.
func (c Content) Bytes() []byte {
	b := make([]byte, c.Size)
	_, _ = io.ReadFull(rand.NewChaCha8(seed(c.Seed)), b)
	return b
}

// Digest returns the hex SHA-256 of the content.
func (c Content) Digest() string {
	h := sha256.New()
	_, _ = io.Copy(h, c.Reader())
	return hex.EncodeToString(h.Sum(nil))
}

func seed(s uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(s >> (8 * i))
	}
	return b
}

// ReadDigest opens name and returns the size and hex SHA-256 of what it
// reads.
func ReadDigest(t testing.TB, s storage.Storage, name string) (int64, string) {
	t.Helper()
	r, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("read %q: %v", name, err)
	}
	return n, hex.EncodeToString(h.Sum(nil))
}

// ReadAll returns the content of name.
func ReadAll(t testing.TB, s storage.Storage, name string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", name, err)
	}
	return b
}

// SaveString saves s under name with the given options and returns the
// name used.
func SaveString(t testing.TB, st storage.Storage, name, s string, opts storage.SaveOptions) string {
	t.Helper()
	got, err := st.Save(context.Background(), name, strings.NewReader(s), opts)
	if err != nil {
		t.Fatalf("Save(%q): %v", name, err)
	}
	return got
}

func testRoundTrip(t *testing.T, b Backend) {
	sizes := []int64{0, 1, 5*MiB + 1, 64 * MiB}
	for i, size := range sizes {
		for _, how := range []string{"stream", "sized"} {
			t.Run(fmt.Sprintf("%d/%s", size, how), func(t *testing.T) {
				s := b.New(t)
				c := Content{Size: size, Seed: uint64(i) + 1}
				name := fmt.Sprintf("round trip/%d %s.pdf", size, how)
				var body io.Reader
				var opts storage.SaveOptions
				if how == "stream" {
					body = c.Reader()
				} else {
					// A seekable body of known size: what the migration
					// hands over from an open file.
					body = bytes.NewReader(c.Bytes())
					opts.Size = size
				}
				got, err := s.Save(context.Background(), name, body, opts)
				if err != nil {
					t.Fatalf("Save: %v", err)
				}
				if got != name {
					t.Errorf("Save into an empty storage returned %q, want %q", got, name)
				}
				want := c.Digest()
				n, digest := ReadDigest(t, s, got)
				if n != size || digest != want {
					t.Errorf("read back %d bytes with sha256 %s; saved %d bytes with %s", n, digest, size, want)
				}
				info, err := s.Stat(context.Background(), got)
				if err != nil {
					t.Fatalf("Stat: %v", err)
				}
				if info.Name != got || info.Size != size || info.Digest != want || info.ContentType != "application/pdf" {
					t.Errorf("Stat = %+v; want name %q, size %d, digest %s, type application/pdf", info, got, size, want)
				}
				if info.ModTime.IsZero() {
					t.Error("Stat: zero ModTime")
				}
			})
		}
	}
}

// testOpenStops checks that reading an opened file stops once its context
// is done: a cancelled job stops copying a large file.
func testOpenStops(t *testing.T, b Backend) {
	s := b.New(t)
	name := SaveString(t, s, "big.bin", strings.Repeat("x", 64<<10), storage.SaveOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	r, err := s.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, context.Canceled) {
		t.Errorf("reading on after the context was cancelled: %v, want context.Canceled", err)
	}
}

func testMissing(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	for _, name := range []string{"missing.pdf", "no/such/folder/x.txt"} {
		if _, err := s.Open(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) error %v, want fs.ErrNotExist", name, err)
		}
		if _, err := s.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) error %v, want fs.ErrNotExist", name, err)
		}
		if err := s.Delete(ctx, name); err != nil {
			t.Errorf("Delete(%q) of a missing file: %v", name, err)
		}
	}
	for info, err := range s.List(ctx, "") {
		t.Errorf("List of an empty storage yielded %+v, %v", info, err)
	}
}

func testDelete(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	keep := SaveString(t, s, "del/keep.txt", "keep", storage.SaveOptions{})
	gone := SaveString(t, s, "del/gone.txt", "gone", storage.SaveOptions{})
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx, gone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat after Delete: %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Open(ctx, gone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Delete: %v, want fs.ErrNotExist", err)
	}
	if got := string(ReadAll(t, s, keep)); got != "keep" {
		t.Errorf("Delete of a neighbour changed %q to %q", keep, got)
	}
	if err := s.Delete(ctx, gone); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

func testList(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	files := map[string]string{
		"list/a.txt":       "1",
		"list/a/b.txt":     "22",
		"list/a b/ü.txt":   "333",
		"list/b.txt":       "4444",
		"list/z/y/x/w.pdf": "55555",
		"listing.txt":      "666666",
		"other/list/c.txt": "7777777",
	}
	for name, body := range files {
		SaveString(t, s, name, body, storage.SaveOptions{Replace: true})
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"list/", []string{"list/a b/ü.txt", "list/a.txt", "list/a/b.txt", "list/b.txt", "list/z/y/x/w.pdf"}},
		{"list", []string{"list/a b/ü.txt", "list/a.txt", "list/a/b.txt", "list/b.txt", "list/z/y/x/w.pdf", "listing.txt"}},
		{"list/a", []string{"list/a b/ü.txt", "list/a.txt", "list/a/b.txt"}},
		{"list/z/", []string{"list/z/y/x/w.pdf"}},
		{"nothing/", nil},
		{"", []string{"list/a b/ü.txt", "list/a.txt", "list/a/b.txt", "list/b.txt", "list/z/y/x/w.pdf", "listing.txt", "other/list/c.txt"}},
	}
	for _, tt := range tests {
		var got []string
		for info, err := range s.List(ctx, tt.prefix) {
			if err != nil {
				t.Fatalf("List(%q): %v", tt.prefix, err)
			}
			got = append(got, info.Name)
			if want := int64(len(files[info.Name])); info.Size != want {
				t.Errorf("List(%q): %q has size %d, want %d", tt.prefix, info.Name, info.Size, want)
			}
			if info.ModTime.IsZero() {
				t.Errorf("List(%q): %q has no ModTime", tt.prefix, info.Name)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
	// Stopping early must be honoured.
	n := 0
	for range s.List(ctx, "") {
		n++
		if n == 2 {
			break
		}
	}
	// A cancelled context ends the listing with its error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	var lastErr error
	for _, err := range s.List(cctx, "") {
		lastErr = err
	}
	if !errors.Is(lastErr, context.Canceled) {
		t.Errorf("List with a cancelled context ended with %v, want context.Canceled", lastErr)
	}
}

// AlternativeName matches Django's get_alternative_name as the Debian
// Django 3.2 applies it: "_" and 7 characters before the last extension.
func AlternativeName(original string) *regexp.Regexp {
	dir, base := "", original
	if i := strings.LastIndexByte(original, '/'); i >= 0 {
		dir, base = original[:i+1], original[i+1:]
	}
	root, ext := base, ""
	if i := strings.LastIndexByte(base, '.'); i > 0 && strings.Trim(base[:i], ".") != "" {
		root, ext = base[:i], base[i:]
	}
	return regexp.MustCompile("^" + regexp.QuoteMeta(dir+root) + "_[a-zA-Z0-9]{7}" + regexp.QuoteMeta(ext) + "$")
}

func testOverwrite(t *testing.T, b Backend) {
	for _, name := range []string{"ow/doc.pdf", "ow/archive.tar.gz", "ow/noext", "ow/.hidden", "ow/scan 1 (ü).jpg"} {
		t.Run(name, func(t *testing.T) {
			s := b.New(t)
			first := SaveString(t, s, name, "first", storage.SaveOptions{})
			if first != name {
				t.Fatalf("first Save returned %q, want %q", first, name)
			}
			second := SaveString(t, s, name, "second", storage.SaveOptions{})
			if b.Overwrites {
				if second != name {
					t.Errorf("overwriting Save returned %q, want %q", second, name)
				}
				if got := string(ReadAll(t, s, name)); got != "second" {
					t.Errorf("after overwrite %q holds %q", name, got)
				}
			} else {
				if re := AlternativeName(name); !re.MatchString(second) {
					t.Errorf("second Save returned %q, want a name matching %s", second, re)
				}
				if got := string(ReadAll(t, s, name)); got != "first" {
					t.Errorf("second Save changed %q to %q", name, got)
				}
				if got := string(ReadAll(t, s, second)); got != "second" {
					t.Errorf("%q holds %q, want %q", second, got, "second")
				}
			}
			third := SaveString(t, s, name, "third", storage.SaveOptions{Replace: true})
			if third != name {
				t.Errorf("Save with Replace returned %q, want %q", third, name)
			}
			if got := string(ReadAll(t, s, name)); got != "third" {
				t.Errorf("after Replace %q holds %q", name, got)
			}
		})
	}
}

// SuspiciousNames are refused by every backend in every configuration.
var SuspiciousNames = []string{"", ".", "/", "../x.pdf", "a/../../x.pdf", `a\..\..\x.pdf`, "a/../b.pdf", "..", "a\x00b.pdf"}

func testSuspicious(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	for _, name := range SuspiciousNames {
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, storage.ErrSuspiciousName) {
				t.Errorf("%s(%q) error %v, want storage.ErrSuspiciousName", op, name, err)
			}
		}
		_, err := s.Open(ctx, name)
		check("Open", err)
		_, err = s.Save(ctx, name, strings.NewReader("x"), storage.SaveOptions{})
		check("Save", err)
		_, err = s.Save(ctx, name, strings.NewReader("x"), storage.SaveOptions{Replace: true})
		check("Save with Replace", err)
		_, err = s.Stat(ctx, name)
		check("Stat", err)
		check("Delete", s.Delete(ctx, name))
		_, err = s.URL(ctx, name)
		check("URL", err)
	}
	_, err := s.Save(ctx, "folder/", strings.NewReader("x"), storage.SaveOptions{})
	if !errors.Is(err, storage.ErrSuspiciousName) {
		t.Errorf("Save of a folder name: %v, want storage.ErrSuspiciousName", err)
	}
	for _, prefix := range []string{"../", "a/../../"} {
		var lastErr error
		for _, err := range s.List(ctx, prefix) {
			lastErr = err
		}
		if !errors.Is(lastErr, storage.ErrSuspiciousName) {
			t.Errorf("List(%q) ended with %v, want storage.ErrSuspiciousName", prefix, lastErr)
		}
	}
	for info, err := range s.List(ctx, "") {
		t.Errorf("refused names left %+v, %v", info, err)
	}
}

// failingReader yields size bytes of content, then fails.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// cancellingReader cancels its context once after bytes have been read.
type cancellingReader struct {
	r      io.Reader
	after  int64
	read   atomic.Int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.read.Add(int64(n)) >= c.after {
		c.cancel()
	}
	return n, err
}

func testFailedSave(t *testing.T, b Backend) {
	errBroken := errors.New("the source broke")
	for _, size := range []int64{10, 20 * MiB} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s := b.New(t)
			ctx := context.Background()
			for _, replace := range []bool{false, true} {
				body := &failingReader{r: Content{Size: size, Seed: 7}.Reader(), err: errBroken}
				_, err := s.Save(ctx, "failed/a.pdf", body, storage.SaveOptions{Replace: replace})
				if !errors.Is(err, errBroken) {
					t.Errorf("Save from a failing reader (replace=%v): %v, want the reader's error", replace, err)
				}
			}

			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.Save(cctx, "failed/b.pdf", strings.NewReader("x"), storage.SaveOptions{}); !errors.Is(err, context.Canceled) {
				t.Errorf("Save with a cancelled context: %v, want context.Canceled", err)
			}

			cctx, cancel = context.WithCancel(ctx)
			defer cancel()
			body := &cancellingReader{r: Content{Size: size + 16*MiB, Seed: 8}.Reader(), after: size, cancel: cancel}
			if _, err := s.Save(cctx, "failed/c.pdf", body, storage.SaveOptions{}); !errors.Is(err, context.Canceled) {
				t.Errorf("Save cancelled midway: %v, want context.Canceled", err)
			}

			for info, err := range s.List(ctx, "") {
				t.Errorf("a failed Save left %+v, %v", info, err)
			}
			for _, name := range []string{"failed/a.pdf", "failed/b.pdf", "failed/c.pdf"} {
				if _, err := s.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Stat(%q) after a failed Save: %v, want fs.ErrNotExist", name, err)
				}
			}
		})
	}
}

func testURL(t *testing.T, b Backend) {
	s := b.New(t)
	ctx := context.Background()
	name := SaveString(t, s, "url/a file.pdf", "x", storage.SaveOptions{})
	u, err := s.URL(ctx, name)
	if err != nil {
		t.Fatalf("URL(%q): %v", name, err)
	}
	if !strings.Contains(u, "url/a%20file.pdf") {
		t.Errorf("URL(%q) = %q; want the quoted name in it", name, u)
	}
}
