package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Verification is the result of restoring a backup into a scratch database
// and comparing it with the source.
type Verification struct {
	Name string `json:"name"`
	// Scratch is the temporary database, dropped before Verify returns.
	Scratch    string     `json:"scratch"`
	Tables     int        `json:"tables"`
	Rows       int64      `json:"rows"`
	Mismatches []Mismatch `json:"mismatches"`
	OK         bool       `json:"ok"`
	// Verified says how the stored bytes were checked before the restore
	// (Restored.Verified); "none" means nothing could check them.
	Verified string `json:"verified"`
}

// Mismatch is a table whose exact row count differs; -1 means the table is
// missing on that side.
type Mismatch struct {
	Table    string `json:"table"`
	Source   int64  `json:"source"`
	Restored int64  `json:"restored"`
}

// Verify restores a backup (req.Name, or the newest matching req.Filter)
// into a new scratch database on the source's server, compares every
// table's exact row count with the source database, and drops the scratch
// database, also on failure. Writes to the source since the backup show up
// as mismatches, so verify right after a backup. The database user needs
// CREATEDB.
func Verify(ctx context.Context, store Store, opts Options, req RestoreRequest) (Verification, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Verification{}, err
	}
	name, err := resolve(ctx, store, opts, req)
	if err != nil {
		return Verification{}, err
	}
	src, err := parseConn(opts.DatabaseURL)
	if err != nil {
		return Verification{}, err
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	scratch := src.withDatabase("verify_" + time.Now().UTC().Format("20060102150405") + "_" + hex.EncodeToString(suffix))
	v := Verification{Name: name, Scratch: scratch.dbname, Mismatches: []Mismatch{}}

	admin, err := pgx.Connect(ctx, src.pgxURL())
	if err != nil {
		return v, fmt.Errorf("verify: connect to source: %w", redactErr(src, err))
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{scratch.dbname}.Sanitize()); err != nil {
		return v, fmt.Errorf("verify: create scratch database: %w", err)
	}
	defer func() {
		dropCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, err := admin.Exec(dropCtx, "DROP DATABASE IF EXISTS "+pgx.Identifier{scratch.dbname}.Sanitize()+" WITH (FORCE)"); err != nil {
			opts.Logger.ErrorContext(dropCtx, "verify: drop scratch database", "database", scratch.dbname, "error", err)
		}
	}()

	// A scratch database risks nothing: a backup nothing can check is
	// restored there all the same, and the result says so.
	restoredInto, err := restoreInto(ctx, store, opts, name, scratch, true)
	v.Verified = restoredInto.Verified
	if err != nil {
		return v, fmt.Errorf("verify: %w", err)
	}
	want, err := rowCounts(ctx, admin)
	if err != nil {
		return v, fmt.Errorf("verify: count source rows: %w", err)
	}
	restored, err := pgx.Connect(ctx, scratch.pgxURL())
	if err != nil {
		return v, fmt.Errorf("verify: connect to scratch database: %w", redactErr(scratch, err))
	}
	got, err := rowCounts(ctx, restored)
	restored.Close(context.WithoutCancel(ctx))
	if err != nil {
		return v, fmt.Errorf("verify: count restored rows: %w", err)
	}

	v.Tables = len(want)
	for table, n := range want {
		v.Rows += n
		r, ok := got[table]
		if !ok {
			r = -1
		}
		if r != n {
			v.Mismatches = append(v.Mismatches, Mismatch{Table: table, Source: n, Restored: r})
		}
	}
	for table, r := range got {
		if _, ok := want[table]; !ok {
			v.Mismatches = append(v.Mismatches, Mismatch{Table: table, Source: -1, Restored: r})
		}
	}
	sortMismatches(v.Mismatches)
	v.OK = len(v.Mismatches) == 0
	return v, nil
}

// rowCounts returns the exact row count of every ordinary and partitioned
// table outside the system schemas and River's, keyed by schema.table.
func rowCounts(ctx context.Context, conn *pgx.Conn) (map[string]int64, error) {
	tables, err := userTables(ctx, conn)
	if err != nil {
		return nil, err
	}
	counts := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+t.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s.%s: %w", t[0], t[1], err)
		}
		counts[t[0]+"."+t[1]] = n
	}
	return counts, nil
}

// userTables lists every ordinary and partitioned table outside the system
// schemas, River's left out: restores leave River's queue alone, it is
// never the backup's.
func userTables(ctx context.Context, conn *pgx.Conn) ([]pgx.Identifier, error) {
	rows, err := conn.Query(ctx, `
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	tables, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pgx.Identifier, error) {
		var schema, table string
		err := row.Scan(&schema, &table)
		return pgx.Identifier{schema, table}, err
	})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(tables, func(t pgx.Identifier) bool { return isRiverTable(t[1]) }), nil
}

// redactErr keeps a connection error from carrying the password.
func redactErr(c connInfo, err error) error {
	if c.password == "" {
		return err
	}
	return fmt.Errorf("%s", c.redact(err.Error()))
}

func sortMismatches(m []Mismatch) {
	slices.SortFunc(m, func(a, b Mismatch) int { return strings.Compare(a.Table, b.Table) })
}

func isRiverTable(name string) bool {
	for _, p := range riverObjects {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
