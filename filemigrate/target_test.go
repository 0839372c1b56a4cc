package filemigrate

// TEMPORARY until the storage backends land on main: a folder target.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/revisbali/worker/storage"
)

type dirTarget struct{ dir string }

func (d dirTarget) Stat(ctx context.Context, name string) (storage.Info, error) {
	data, err := os.ReadFile(filepath.Join(d.dir, name))
	if err != nil {
		return storage.Info{}, err
	}
	sum := sha256.Sum256(data)
	return storage.Info{Name: name, Size: int64(len(data)), Digest: hex.EncodeToString(sum[:])}, nil
}

func (d dirTarget) Save(ctx context.Context, name string, r io.Reader, opts storage.SaveOptions) (string, error) {
	p := filepath.Join(d.dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	data, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	return name, os.WriteFile(p, data, 0o644)
}

// target returns the storage files are copied to and a function reading a
// key back.
func newTarget(t *testing.T) (Target, func(key string) ([]byte, error)) {
	dir := t.TempDir()
	return dirTarget{dir}, func(key string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, key)) }
}
