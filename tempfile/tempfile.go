// Package tempfile gives jobs scoped local files: a stored file opened once
// as an *os.File, whatever the storage, and scratch folders for tools that
// write files (pg_restore); copies are removed when the job's function
// returns, fails, panics or is cancelled.
//
// Each worker process works in its own run folder under the configured temp
// folder and holds an exclusive lock on it while alive. At start, Sweep
// removes the run folders nobody holds: leftovers of a crashed run, never the
// files of another live worker sharing the temp folder.
package tempfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/revisbali/worker/storage"
)

const (
	runPrefix = "run-"
	lockName  = ".lock"
)

// Dir is one worker process's private temp folder.
type Dir struct {
	root string // the configured folder, shared by the workers of a host
	run  string // this process's folder inside root
	lock *os.File
	// opened, set only by tests, runs after a stored file is opened and
	// before fn reads it: where a name checked and then opened again
	// could be swapped.
	opened func()
}

// Open creates root if needed (mode 0700) and a run folder inside it that
// this process locks until Close.
func Open(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("tempfile: no folder given")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("tempfile: create %s: %w", root, err)
	}
	run, err := os.MkdirTemp(root, runPrefix)
	if err != nil {
		return nil, fmt.Errorf("tempfile: create run folder: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(run, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err != nil {
		os.RemoveAll(run)
		return nil, fmt.Errorf("tempfile: lock run folder: %w", err)
	}
	return &Dir{root: root, run: run, lock: lock}, nil
}

// Path is this process's run folder.
func (d *Dir) Path() string { return d.run }

// Close removes the run folder and everything left in it.
func (d *Dir) Close() error {
	err := os.RemoveAll(d.run)
	d.lock.Close()
	return err
}

// Sweep removes the run folders under root that no live process holds, and
// returns how many it removed.
func (d *Dir) Sweep() (int, error) {
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return 0, fmt.Errorf("tempfile: sweep %s: %w", d.root, err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		p := filepath.Join(d.root, e.Name())
		if p == d.run || !strings.HasPrefix(e.Name(), runPrefix) || !e.IsDir() {
			continue
		}
		if held(filepath.Join(p, lockName)) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// held reports whether another process holds the lock file.
func held(lockPath string) bool {
	f, err := os.OpenFile(lockPath, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// Usage returns the bytes held by files under root, every run included.
func (d *Dir) Usage() (int64, error) {
	var total int64
	err := filepath.WalkDir(d.root, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		if e.Type().IsRegular() {
			if info, err := e.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total, err
}

// localFiles is a backend whose files live on this machine's disk
// (*storage.Local): it opens one, through its own checks, as an *os.File.
type localFiles interface {
	OpenFile(ctx context.Context, name string) (*os.File, error)
}

// WithFile calls fn with the named stored file opened once, at offset 0.
// With a backend that keeps files on this disk it is the file itself,
// opened through the backend's checks, and nothing is copied. Otherwise
// the file is streamed into a private temp file (mode 0600), removed when
// fn returns or panics. fn and every reader it calls use this open file
// and never the name again: a C library that needs a path is given
// /proc/self/fd/N (package pages does so for MuPDF), which names this file
// whatever happens to the folders it was found through.
func (d *Dir) WithFile(ctx context.Context, store storage.Storage, name string, fn func(f *os.File) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var f *os.File
	if lf, ok := store.(localFiles); ok {
		var err error
		if f, err = lf.OpenFile(ctx, name); err != nil {
			return err
		}
	} else {
		var err error
		if f, err = d.download(ctx, store, name); err != nil {
			return err
		}
		defer os.Remove(f.Name())
	}
	defer f.Close()
	if d.opened != nil {
		d.opened()
	}
	return fn(f)
}

// download copies the named file into a new private temp file and returns
// it open at offset 0; on error nothing is left behind.
func (d *Dir) download(ctx context.Context, store storage.Storage, name string) (*os.File, error) {
	r, err := store.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := os.CreateTemp(d.run, "file-*")
	if err != nil {
		return nil, fmt.Errorf("tempfile: create local copy of %q: %w", name, err)
	}
	_, err = io.Copy(f, r) // r stops once ctx is done (storage.Storage.Open)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("tempfile: copy %q to local disk: %w", name, err)
	}
	return f, nil
}

// WithDir calls fn with a fresh private folder, removed with its contents
// when fn returns or panics.
func (d *Dir) WithDir(ctx context.Context, fn func(dir string) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(d.run, "dir-")
	if err != nil {
		return fmt.Errorf("tempfile: create folder: %w", err)
	}
	defer os.RemoveAll(dir)
	return fn(dir)
}
