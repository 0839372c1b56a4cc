package storage_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/storage"
)

// The check at start names what is wrong with the bucket or the keys, on
// the real versitygw, and leaves no probe object behind when it passes.
func TestS3Check(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	wrongSecret := "wrong-secret-" + randomHex(8)
	tests := []struct {
		name string
		edit func(*config.Storage)
		want string // in the error; "" means the check passes
	}{
		{"right keys and bucket", nil, ""},
		{"right keys, no location", func(c *config.Storage) { c.Location = "" }, ""},
		{"wrong secret", func(c *config.Storage) { c.SecretAccessKey = wrongSecret }, "AWS_SECRET_ACCESS_KEY"},
		{"unknown access key", func(c *config.Storage) { c.AccessKeyID = "nobody-" + randomHex(4) }, "AWS_ACCESS_KEY_ID"},
		{"missing bucket", func(c *config.Storage) { c.Bucket = "missing-" + randomHex(6) }, "bucket does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := bed.storage(t, tt.edit)
			err := s.Check(context.Background(), "web1")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if _, err := s.Stat(context.Background(), ".worker-probe-web1"); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the probe is still in the bucket: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check passed")
			}
			if !errors.Is(err, storage.ErrUnavailable) || !storage.IsUnavailable(err) {
				t.Errorf("not ErrUnavailable: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not say %q: %v", tt.want, err)
			}
			if strings.Contains(err.Error(), wrongSecret) || strings.Contains(err.Error(), bed.server.SecretKey) {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

// A file job that fails because of the keys is told apart from one that
// fails on its own file.
func TestS3IsUnavailable(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	ctx := context.Background()
	good := bed.storage(t, nil)
	if _, err := good.Stat(ctx, "missing.pdf"); err == nil || storage.IsUnavailable(err) {
		t.Errorf("a missing file reads as unavailable storage: %v", err)
	}
	bad := bed.storage(t, func(c *config.Storage) { c.SecretAccessKey = "wrong-" + randomHex(4) })
	if _, err := bad.Stat(ctx, "missing.pdf"); !storage.IsUnavailable(err) {
		t.Errorf("Stat with a wrong secret: %v, want IsUnavailable", err)
	}
	if _, err := bad.Save(ctx, "a.pdf", strings.NewReader("a"), storage.SaveOptions{}); !storage.IsUnavailable(err) {
		t.Errorf("Save with a wrong secret: %v, want IsUnavailable", err)
	}
	nobucket := bed.storage(t, func(c *config.Storage) { c.Bucket = "missing-" + randomHex(6) })
	if _, err := nobucket.Open(ctx, "a.pdf"); !storage.IsUnavailable(err) {
		t.Errorf("Open in a missing bucket: %v, want IsUnavailable", err)
	}
}

func TestLocalCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, root, want string
	}{
		{"writable folder", dir, ""},
		{"missing", filepath.Join(dir, "gone"), "does not exist"},
		{"a file", file, "is not a folder"},
		{"read-only", readOnly, "not writable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "read-only" && os.Geteuid() == 0 {
				t.Skip("root writes into read-only folders")
			}
			s, err := storage.NewLocal(tt.root, "/media/")
			if err != nil {
				t.Fatal(err)
			}
			err = s.Check(context.Background(), "web1")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				entries, _ := os.ReadDir(tt.root)
				for _, e := range entries {
					if strings.HasPrefix(e.Name(), ".worker-probe") {
						t.Errorf("probe %s left in MEDIA_ROOT", e.Name())
					}
				}
				return
			}
			if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "MEDIA_ROOT") {
				t.Errorf("Check: %v, want ErrUnavailable naming MEDIA_ROOT and %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "gone")); err == nil {
				t.Error("Check created a missing MEDIA_ROOT")
			}
		})
	}
}
