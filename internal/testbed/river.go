package testbed

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/revisbali/worker/dbschema"
)

// NewRiverDatabase is NewDatabase with River's tables and the worker's own
// (dbschema) migrated in, as `worker migrate` leaves a database. It
// returns the database's URL and a pool on it, closed when the test ends.
func NewRiverDatabase(t testing.TB) (string, *pgxpool.Pool) {
	t.Helper()
	url := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("testbed: connect: %v", err)
	}
	t.Cleanup(pool.Close)
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		t.Fatalf("testbed: river migrator: %v", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatalf("testbed: river migrations: %v", err)
	}
	if _, err := dbschema.Migrate(ctx, pool); err != nil {
		t.Fatalf("testbed: worker migrations: %v", err)
	}
	return url, pool
}
