package filemigrate

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/storage"
)

// measureChunk is how many names one stat worker takes at a time: sorted
// together, the names of one folder share one open of it.
const measureChunk = 2048

// Measure sets each field's Bytes from the files under root, so that the
// progress of the batches can be told in bytes as well as rows. It streams
// each field's names from a read-only transaction and stats them,
// concurrency workers at a time (DefaultConcurrency if zero or less),
// without opening or reading a file.
func (p *Plan) Measure(ctx context.Context, db DB, root *os.Root, concurrency int) error {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	for i := range p.Fields {
		n, err := measureField(ctx, db, root, p.Fields[i].Field, concurrency)
		if err != nil {
			return err
		}
		p.Fields[i].Bytes = n
	}
	return nil
}

// Bytes is the sum of the fields' Bytes.
func (p Plan) Bytes() int64 {
	var n int64
	for _, f := range p.Fields {
		n += f.Bytes
	}
	return n
}

func measureField(ctx context.Context, db DB, root *os.Root, f Field, concurrency int) (int64, error) {
	var total atomic.Int64
	err := readOnly(ctx, db, func(tx pgx.Tx) error {
		t, err := resolve(ctx, tx, f)
		if err != nil {
			return err
		}
		// Unordered and not deduplicated: sorting or grouping 100,000 names
		// in Postgres costs more than stating the rare duplicate twice, and
		// each row then counts its file, as the batches do.
		col := pgx.Identifier{t.Column}.Sanitize()
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT %[1]s FROM %[2]s WHERE %[1]s <> ''`, col, t.ident()))
		if err != nil {
			return fmt.Errorf("field %s: read names: %w", f, err)
		}
		defer rows.Close()
		work := make(chan []string)
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				s := statter{root: root}
				defer s.close()
				for names := range work {
					total.Add(s.sizes(names))
				}
			})
		}
		send := func(names []string) {
			select {
			case work <- names:
			case <-ctx.Done():
			}
		}
		chunk := make([]string, 0, measureChunk)
		for rows.Next() && ctx.Err() == nil {
			var name string
			if err = rows.Scan(&name); err != nil {
				break
			}
			if chunk = append(chunk, name); len(chunk) == measureChunk {
				send(chunk)
				chunk = make([]string, 0, measureChunk)
			}
		}
		if err == nil && len(chunk) > 0 {
			send(chunk)
		}
		close(work)
		wg.Wait()
		if err == nil {
			err = rows.Err()
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("field %s: measure files: %w", f, err)
		}
		return nil
	})
	return total.Load(), err
}

// statter sizes files under root, keeping the folder of the last name
// open: the next name in it then costs one stat, not an open per folder of
// its path.
type statter struct {
	root *os.Root
	dir  string
	sub  *os.Root // root's dir; nil when it could not be opened
}

// sizes sorts names in place and sums their sizes.
func (s *statter) sizes(names []string) int64 {
	slices.Sort(names)
	var n int64
	for _, name := range names {
		n += s.size(name)
	}
	return n
}

// size is the size of the regular file that name leads to under root, or 0
// for a name a Copier would not upload: missing, escaping root (by .., by
// a symlink, or absolute), or not a regular file. These are copyOnce's
// rules, applied with a stat.
func (s *statter) size(name string) int64 {
	if _, err := storage.LocalFileName(name); err != nil {
		return 0
	}
	var info fs.FileInfo
	err := fs.ErrNotExist
	dir, base := path.Split(name)
	if sub := s.folder(dir); sub != nil {
		info, err = sub.Stat(base)
	}
	if err != nil {
		// Missing, or a symlink leaving the folder, which may still stay
		// inside root: only root itself can tell.
		info, err = s.root.Stat(name)
	}
	if err != nil || !info.Mode().IsRegular() {
		return 0
	}
	return info.Size()
}

// folder returns dir opened under root (root itself for ""), or nil when it
// could not be opened.
func (s *statter) folder(dir string) *os.Root {
	if dir == "" {
		return s.root
	}
	if dir != s.dir {
		s.close()
		s.dir = dir
		s.sub, _ = s.root.OpenRoot(dir)
	}
	return s.sub
}

func (s *statter) close() {
	if s.sub != nil {
		s.sub.Close()
		s.sub = nil
	}
}

// folders stats files under root for the goroutines of one batch, each
// folder opened once: a stat in it is then one system call, where
// root.Stat or root.Open walks the name's path a folder at a time.
type folders struct {
	root *os.Root
	mu   sync.Mutex
	open map[string]*os.Root // nil for a folder that could not be opened
	// stated holds what prefetch found, each taken once by stat.
	stated map[string]statResult
}

type statResult struct {
	info fs.FileInfo
	err  error
}

// prefetch stats the files named in prev on a goroutine of its own, for
// stat to return, and returns a function that waits until it is done.
func (f *folders) prefetch(prev map[string]entry) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		stated := make(map[string]statResult, len(prev))
		for name := range prev {
			if listable(name) {
				info, err := f.stat(name)
				stated[name] = statResult{info, err}
			}
		}
		f.mu.Lock()
		f.stated = stated
		f.mu.Unlock()
	}()
	return func() { <-done }
}

// stat is root.Stat(name), by way of name's open folder when it can.
func (f *folders) stat(name string) (fs.FileInfo, error) {
	f.mu.Lock()
	if r, ok := f.stated[name]; ok {
		delete(f.stated, name)
		f.mu.Unlock()
		return r.info, r.err
	}
	f.mu.Unlock()
	dir, base := path.Split(name)
	if dir == "" {
		return f.root.Stat(name)
	}
	f.mu.Lock()
	sub, ok := f.open[dir]
	if !ok {
		sub, _ = f.root.OpenRoot(dir)
		f.open[dir] = sub
	}
	f.mu.Unlock()
	if sub != nil {
		if info, err := sub.Stat(base); err == nil {
			return info, nil
		}
	}
	// Missing, or a symlink leaving the folder, which may still stay
	// inside root: only root itself can tell.
	return f.root.Stat(name)
}

func (f *folders) close() {
	for _, sub := range f.open {
		if sub != nil {
			sub.Close()
		}
	}
}
