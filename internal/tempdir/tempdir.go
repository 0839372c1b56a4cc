// Package tempdir gives a worker process a private folder for its temp
// files and removes the folders of processes that died without cleaning up
// (kill -9, a crash, a lost host), while leaving those of live processes
// sharing the same parent alone.
package tempdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const (
	prefix   = "worker-"
	lockName = ".lock"
)

// Dir is a folder owned by this process for as long as it holds the lock.
type Dir struct {
	Path string
	lock *os.File
}

// Open creates a private folder under parent (created if missing), locks it
// for this process, and removes the folders of dead processes found there.
// It returns the names of the folders it removed.
func Open(parent string) (*Dir, []string, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, nil, fmt.Errorf("tempdir: %w", err)
	}
	// The folder gets its final name only once locked, so that a sweep by
	// another process never takes it for the folder of a dead one.
	staging, err := os.MkdirTemp(parent, ".new-*")
	if err != nil {
		return nil, nil, fmt.Errorf("tempdir: %w", err)
	}
	lock, err := tryLock(filepath.Join(staging, lockName))
	if err != nil {
		_ = os.RemoveAll(staging)
		return nil, nil, fmt.Errorf("tempdir: lock %s: %w", staging, err)
	}
	path := filepath.Join(parent, prefix+strings.TrimPrefix(filepath.Base(staging), ".new-"))
	if err := os.Rename(staging, path); err != nil {
		lock.Close()
		_ = os.RemoveAll(staging)
		return nil, nil, fmt.Errorf("tempdir: %w", err)
	}
	d := &Dir{Path: path, lock: lock}
	swept, err := sweep(parent, path)
	if err != nil {
		_ = d.Close()
		return nil, nil, err
	}
	return d, swept, nil
}

// Close removes the folder and everything in it, then releases the lock.
func (d *Dir) Close() error {
	err := os.RemoveAll(d.Path)
	_ = d.lock.Close()
	if err != nil {
		return fmt.Errorf("tempdir: %w", err)
	}
	return nil
}

// sweep removes every folder under parent whose lock nobody holds: its
// process is gone. The kernel releases a flock when its holder dies.
func sweep(parent, own string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, fmt.Errorf("tempdir: sweep: %w", err)
	}
	var swept []string
	for _, e := range entries {
		path := filepath.Join(parent, e.Name())
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) || path == own {
			continue
		}
		lock, err := tryLock(filepath.Join(path, lockName))
		switch {
		case errors.Is(err, syscall.EWOULDBLOCK):
			continue // a live process
		case errors.Is(err, os.ErrNotExist):
			continue // removed meanwhile
		case err != nil:
			return swept, fmt.Errorf("tempdir: sweep %s: %w", path, err)
		default:
			defer lock.Close()
		}
		if err := os.RemoveAll(path); err != nil {
			return swept, fmt.Errorf("tempdir: sweep: %w", err)
		}
		swept = append(swept, path)
	}
	return swept, nil
}

func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
