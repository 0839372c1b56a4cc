package filemigrate

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/storage"
)

// Measure sets each field's Bytes from the files under root, so that the
// progress of the batches can be told in bytes as well as rows. It reads
// each field's distinct names in a read-only transaction and stats them,
// concurrency at a time (DefaultConcurrency if zero or less), without
// opening or reading a file.
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
		// Each name is stat'ed once however many rows name it.
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT %[1]s, count(*) FROM %[2]s WHERE %[1]s <> '' GROUP BY 1`,
			pgx.Identifier{t.Column}.Sanitize(), t.ident()))
		if err != nil {
			return fmt.Errorf("field %s: read names: %w", f, err)
		}
		defer rows.Close()
		type named struct {
			name string
			rows int64
		}
		work := make(chan named)
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				for w := range work {
					total.Add(fileSize(root, w.name) * w.rows)
				}
			})
		}
		for rows.Next() {
			var w named
			if err = rows.Scan(&w.name, &w.rows); err != nil {
				break
			}
			select {
			case work <- w:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
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

// fileSize is the size of the regular file that name leads to under root,
// or 0 for a name a Copier would not upload: missing, escaping root (by ..,
// by a symlink, or absolute), or not a regular file. These are copyOnce's
// rules, applied with a stat.
func fileSize(root *os.Root, name string) int64 {
	if _, err := storage.CleanName(name); err != nil || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") {
		return 0
	}
	info, err := root.Stat(name)
	if err != nil || !info.Mode().IsRegular() {
		return 0
	}
	return info.Size()
}
