package tempfile_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/r2proxy"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/tempfile"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func s3Store(t *testing.T) storage.Storage {
	t.Helper()
	srv := testbed.S3Server(t)
	proxy := r2proxy.Start(t, srv.Endpoint)
	s, err := storage.NewS3(context.Background(), config.Storage{
		UseCloudStorage: true, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
		Bucket: srv.Bucket, EndpointURL: proxy.URL, Region: "auto", SignatureVersion: "s3v4",
		QuerystringAuth: true, QuerystringExpire: 3600, URLProtocol: "https:", FileOverwrite: true,
		Location: "tempfile-" + randomHex(6),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// filesIn counts the files under dir that are not the run folder's lock.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && e.Name() != ".lock" {
			found = append(found, p)
		}
		return nil
	})
	return found
}

func TestWithFileOnEveryBackend(t *testing.T) {
	t.Parallel()
	content := []byte("%PDF-1.4 scanned passport\n")
	boom := errors.New("tesseract failed")
	backends := []struct {
		name  string
		store func(t *testing.T) storage.Storage
		local bool
	}{
		{"local", func(t *testing.T) storage.Storage {
			s, err := storage.NewLocal(t.TempDir(), "/media/")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, true},
		{"s3", s3Store, false},
	}
	exits := []struct {
		name      string
		fn        func(f *os.File) error
		cancelled bool
		want      error
	}{
		{name: "return", fn: func(*os.File) error { return nil }},
		{name: "error", fn: func(*os.File) error { return boom }, want: boom},
		{name: "panic", fn: func(*os.File) error { panic("cgo crashed") }},
		{name: "cancel", fn: func(*os.File) error { return nil }, cancelled: true, want: context.Canceled},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			store := b.store(t)
			ctx := context.Background()
			name, err := store.Save(ctx, "passports/a b/scan.pdf", bytes.NewReader(content), storage.SaveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, exit := range exits {
				t.Run(exit.name, func(t *testing.T) {
					dir, err := tempfile.Open(t.TempDir())
					if err != nil {
						t.Fatal(err)
					}
					defer dir.Close()
					ctx, cancel := context.WithCancel(ctx)
					defer cancel()
					if exit.cancelled {
						cancel()
					}
					var got error
					var saw *os.File
					func() {
						defer func() { recover() }()
						got = dir.WithFile(ctx, store, name, func(f *os.File) error {
							saw = f
							data, err := io.ReadAll(f)
							if err != nil || !bytes.Equal(data, content) {
								t.Errorf("fn read %q, %v; want the stored bytes", data, err)
							}
							copies := filesIn(t, dir.Path())
							if b.local && len(copies) != 0 {
								t.Errorf("local backend copied into the temp folder: %v", copies)
							}
							if !b.local {
								info, _ := f.Stat()
								if info.Mode().Perm() != 0o600 || len(copies) != 1 {
									t.Errorf("local copy mode %o, copies %v; want one, mode 600", info.Mode().Perm(), copies)
								}
							}
							return exit.fn(f)
						})
					}()
					if exit.want != nil && !errors.Is(got, exit.want) || exit.want == nil && got != nil {
						t.Errorf("WithFile = %v, want %v", got, exit.want)
					}
					if saw != nil {
						if _, err := saw.Stat(); !errors.Is(err, os.ErrClosed) {
							t.Errorf("the file handed to fn is still open after WithFile: %v", err)
						}
					}
					if left := filesIn(t, dir.Path()); len(left) != 0 {
						t.Errorf("files left in the temp folder: %v", left)
					}
				})
			}
		})
	}
}

func TestWithFileMissingName(t *testing.T) {
	t.Parallel()
	local, err := storage.NewLocal(t.TempDir(), "/media/")
	if err != nil {
		t.Fatal(err)
	}
	for name, store := range map[string]storage.Storage{"local": local, "s3": s3Store(t)} {
		dir, err := tempfile.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		called := false
		err = dir.WithFile(context.Background(), store, "passports/missing.pdf", func(*os.File) error { called = true; return nil })
		if !errors.Is(err, fs.ErrNotExist) || called {
			t.Errorf("%s: missing name gave %v (fn called %v), want fs.ErrNotExist", name, err, called)
		}
		err = dir.WithFile(context.Background(), store, "../../etc/passwd", func(*os.File) error { called = true; return nil })
		if !errors.Is(err, storage.ErrSuspiciousName) || called {
			t.Errorf("%s: escaping name gave %v, want ErrSuspiciousName", name, err)
		}
		if left := filesIn(t, dir.Path()); len(left) != 0 {
			t.Errorf("%s: files left: %v", name, left)
		}
		dir.Close()
	}
}
