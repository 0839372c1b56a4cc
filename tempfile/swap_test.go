package tempfile_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/revisbali/worker/internal/docgen"
	"github.com/revisbali/worker/pages"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/tempfile"
)

// A folder inside MEDIA_ROOT, or the file itself, is replaced by a
// symbolic link leading outside at the worst moment: after the storage
// checked the name and before the readers read. The readers, Go's and
// MuPDF's (given /proc/self/fd/N), still read the file that was checked.
// Before files were opened once, the readers opened the name again and
// read the file outside every time.
func TestSwapAfterTheCheckReadsTheCheckedFile(t *testing.T) {
	t.Parallel()
	inside := docgen.TextPDF([]string{"Passport scan inside MEDIA_ROOT"})
	secret := docgen.TextPDF([]string{"Secret document outside MEDIA_ROOT"})
	swaps := []struct {
		name string
		swap func(t *testing.T, media, outside string)
	}{
		{"folder becomes a link outside", func(t *testing.T, media, outside string) {
			mustDo(t, os.Rename(filepath.Join(media, "scans"), filepath.Join(media, "moved")))
			mustDo(t, os.Symlink(filepath.Join(outside, "scans"), filepath.Join(media, "scans")))
		}},
		{"file becomes a link outside", func(t *testing.T, media, outside string) {
			mustDo(t, os.Remove(filepath.Join(media, "scans", "a.pdf")))
			mustDo(t, os.Symlink(filepath.Join(outside, "scans", "a.pdf"), filepath.Join(media, "scans", "a.pdf")))
		}},
	}
	for _, sw := range swaps {
		t.Run(sw.name, func(t *testing.T) {
			t.Parallel()
			media, outside := t.TempDir(), t.TempDir()
			for dir, data := range map[string][]byte{media: inside, outside: secret} {
				mustDo(t, os.MkdirAll(filepath.Join(dir, "scans"), 0o755))
				mustDo(t, os.WriteFile(filepath.Join(dir, "scans", "a.pdf"), data, 0o644))
			}
			store, err := storage.NewLocal(media, "/media/")
			mustDo(t, err)
			dir, err := tempfile.Open(t.TempDir())
			mustDo(t, err)
			defer dir.Close()
			tempfile.OnOpened(dir, func() { sw.swap(t, media, outside) })

			err = dir.WithFile(context.Background(), store, "scans/a.pdf", func(f *os.File) error {
				doc, err := pages.Open(f, pages.Options{})
				if err != nil {
					return err
				}
				defer doc.Close()
				text, err := doc.Text(0)
				if err != nil {
					return err
				}
				if !strings.Contains(text, "inside MEDIA_ROOT") {
					t.Errorf("MuPDF read %q, want the checked file inside MEDIA_ROOT", text)
				}
				data, err := io.ReadAll(f)
				if err != nil {
					return err
				}
				if string(data) != string(inside) {
					t.Errorf("Go read %d bytes that are not the checked file's", len(data))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
