package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/revisbali/worker/storage"
)

// memStore is an in-memory Store for the unit tests of naming and pruning.
// The tests that move real dumps use the real backends.
type memStore struct {
	mu    sync.Mutex
	files map[string][]byte
}

func newMemStore(names ...string) *memStore {
	m := &memStore{files: map[string][]byte{}}
	for _, n := range names {
		m.files[n] = []byte(n)
	}
	return m
}

func (m *memStore) Open(_ context.Context, name string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) Save(_ context.Context, name string, r io.Reader, _ storage.SaveOptions) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = b
	return name, nil
}

func (m *memStore) Stat(_ context.Context, name string) (storage.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return storage.Info{}, fmt.Errorf("stat %s: %w", name, fs.ErrNotExist)
	}
	sum := sha256.Sum256(b)
	return storage.Info{Name: name, Size: int64(len(b)), Digest: hex.EncodeToString(sum[:])}, nil
}

func (m *memStore) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, name)
	return nil
}

func (m *memStore) List(_ context.Context, prefix string) iter.Seq2[storage.Info, error] {
	m.mu.Lock()
	var names []string
	for n := range m.files {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	m.mu.Unlock()
	slices.Sort(names)
	return func(yield func(storage.Info, error) bool) {
		for _, n := range names {
			if !yield(storage.Info{Name: n}, nil) {
				return
			}
		}
	}
}

func (m *memStore) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for n := range m.files {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
