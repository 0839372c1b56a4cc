// Package dbschema keeps the worker's own tables, beside River's: numbered
// migrations, each applied once and in order, and recorded in
// worker_schema_migration. `worker migrate` applies them after River's.
package dbschema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var files embed.FS

// Migration is one numbered step, from migrations/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns every migration in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(files, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("dbschema: %s is not NNNN_name.sql", e.Name())
		}
		sql, err := fs.ReadFile(files, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(sql)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("dbschema: two migrations numbered %d", ms[i].Version)
		}
	}
	return ms, nil
}

// DB is what Migrate needs: transactions. *pgxpool.Pool and *pgx.Conn
// satisfy it.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// lockKey serialises Migrate across workers starting together: "wkmg".
const lockKey = 0x776b6d67

// Migrate applies the migrations not yet recorded, all in one transaction
// (Postgres' DDL is transactional: either every step lands or none), and
// returns the versions it applied. Running it again applies nothing.
func Migrate(ctx context.Context, db DB) ([]int, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []int
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS worker_schema_migration (
			version    int         PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create worker_schema_migration: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT version FROM worker_schema_migration")
		if err != nil {
			return fmt.Errorf("read worker_schema_migration: %w", err)
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("read worker_schema_migration: %w", err)
		}
		for _, m := range ms {
			if slices.Contains(done, int32(m.Version)) {
				continue
			}
			migrationSQL := m.SQL // embedded in the binary: migrations/*.sql
			if _, err := tx.Exec(ctx, migrationSQL); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO worker_schema_migration (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, err)
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dbschema: %w", err)
	}
	return applied, nil
}
