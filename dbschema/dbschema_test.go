package dbschema_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revisbali/worker/dbschema"
	"github.com/revisbali/worker/internal/testbed"
)

// Workers starting together apply each migration once; a later run applies
// nothing and leaves the tables as they were.
func TestMigrateOnceAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testbed.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ms, err := dbschema.Migrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("Migrations() = %v, %v", ms, err)
	}
	var mu sync.Mutex
	var all []int
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			applied, err := dbschema.Migrate(ctx, pool)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			all = append(all, applied...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	var want []int
	for _, m := range ms {
		want = append(want, m.Version)
	}
	if !slices.Equal(all, want) {
		t.Errorf("three concurrent runs applied %v; want each of %v once", all, want)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO worker_migrated_file (target, name, size, mtime, sha256, etag) VALUES ('t', 'a.pdf', 1, now(), 'x', 'y')`); err != nil {
		t.Fatal(err)
	}
	applied, err := dbschema.Migrate(ctx, pool)
	if err != nil || len(applied) != 0 {
		t.Errorf("a second run applied %v, %v; want nothing", applied, err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM worker_migrated_file`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the manifest holds %d rows, %v after a second run; want its row kept", n, err)
	}
}
