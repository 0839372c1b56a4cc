package filemigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revisbali/worker/fault"
)

// ManifestTable is the worker's own table (created by `worker migrate`,
// package dbschema) that records what migrations copied. Discovery never
// takes it for a file column of the application.
const ManifestTable = "worker_migrated_file"

// Manifest records, per bucket, what each run copied: the file's name,
// size, modification time and SHA-256, and the ETag the bucket gave the
// object. A re-run compares the local files' sizes and times with it, and
// one listing per 1,000 keys tells whether each object is still the one
// copied: no request per file.
type Manifest struct {
	DB ManifestDB
	// Target names the bucket (endpoint, bucket, location): what was copied
	// to one bucket says nothing about another.
	Target string
}

// NewManifest returns the manifest of the copies to bucket under location
// at endpoint (AWS_S3_ENDPOINT_URL, AWS_STORAGE_BUCKET_NAME, AWS_LOCATION).
func NewManifest(db ManifestDB, endpoint, bucket, location string) *Manifest {
	return &Manifest{DB: db, Target: strings.TrimRight(endpoint, "/") + " " + bucket + " " + strings.Trim(location, "/")}
}

// ManifestDB is what a Manifest needs: *pgxpool.Pool satisfies it.
type ManifestDB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// entry is one file as it was copied.
type entry struct {
	size   int64
	mtime  time.Time // to the microsecond, as Postgres keeps it
	sha256 string
	etag   string
}

// mtimeOf is t as the manifest stores it.
func mtimeOf(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// errNoManifest is the error when `worker migrate` has not created the
// table: a configuration fault that no retry fixes.
var errNoManifest = fault.BadInput("the migration's manifest table %s is missing: run `worker migrate` (it creates the worker's own tables beside River's)", ManifestTable)

func manifestErr(op string, err error) error {
	if err == nil {
		return nil
	}
	// undefined_table names the table; a query that joins the manifest
	// with Django's table fails the same way when Django's is the missing
	// one, and that is not the manifest's fault.
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" && namesManifest(pgErr.Message) {
		return errNoManifest
	}
	return fmt.Errorf("manifest: %s: %w", op, err)
}

// namesManifest reports whether Postgres's message quotes the manifest's
// table, plain or schema-qualified.
func namesManifest(msg string) bool {
	return strings.Contains(msg, `"`+ManifestTable+`"`) || strings.Contains(msg, `.`+ManifestTable+`"`)
}

// Check reports whether the manifest's table exists.
func (m *Manifest) Check(ctx context.Context) error {
	rows, err := m.DB.Query(ctx, `SELECT 1 FROM `+ManifestTable+` LIMIT 0`)
	if err != nil {
		return manifestErr("check", err)
	}
	rows.Close()
	return manifestErr("check", rows.Err())
}

// load returns the manifest's entries for names.
func (m *Manifest) load(ctx context.Context, names []string) (map[string]entry, error) {
	rows, err := m.DB.Query(ctx, `SELECT name, size, mtime, sha256, etag FROM `+ManifestTable+
		` WHERE target = $1 AND name = ANY($2)`, m.Target, names)
	if err != nil {
		return nil, manifestErr("read", err)
	}
	found := map[string]entry{}
	var name string
	var e entry
	_, err = pgx.ForEachRow(rows, []any{&name, &e.size, &e.mtime, &e.sha256, &e.etag}, func() error {
		found[name] = e
		return nil
	})
	if err != nil {
		return nil, manifestErr("read", err)
	}
	return found, nil
}

// record writes entries, replacing what the manifest held for their names.
func (m *Manifest) record(ctx context.Context, entries map[string]entry) error {
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	names, sizes, mtimes, sums, etags := make([]string, 0, n), make([]int64, 0, n), make([]time.Time, 0, n), make([]string, 0, n), make([]string, 0, n)
	for name, e := range entries {
		names, sizes, mtimes, sums, etags = append(names, name), append(sizes, e.size), append(mtimes, e.mtime), append(sums, e.sha256), append(etags, e.etag)
	}
	_, err := m.DB.Exec(ctx, `INSERT INTO `+ManifestTable+` (target, name, size, mtime, sha256, etag)
		SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[])
		ON CONFLICT (target, name) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,
			sha256 = excluded.sha256, etag = excluded.etag, copied_at = now()`,
		m.Target, names, sizes, mtimes, sums, etags)
	if err != nil {
		return manifestErr("write", err)
	}
	return nil
}
