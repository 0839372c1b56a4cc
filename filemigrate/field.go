// Package filemigrate copies the media files that a Django database names
// from MEDIA_ROOT to a bucket, under the same keys, without changing a single
// database value. It finds the file columns (named, or discovered by
// sampling), splits each table into primary-key ranges that independent
// workers can copy, and copies each range with a digest check that makes
// every run after the first, and every retry, skip what is already there.
package filemigrate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/fault"
)

// Field names a table column that holds file names, as Django's FileField
// stores them. An empty Schema means the connection's current schema.
type Field struct {
	Schema string `json:"schema,omitempty"`
	Table  string `json:"table"`
	Column string `json:"column"`
}

// String returns the field as TABLE.COLUMN, or SCHEMA.TABLE.COLUMN when the
// schema was given.
func (f Field) String() string {
	if f.Schema != "" {
		return f.Schema + "." + f.Table + "." + f.Column
	}
	return f.Table + "." + f.Column
}

// ParseField reads TABLE.COLUMN or SCHEMA.TABLE.COLUMN. Names are taken as
// stored in the catalog, without case folding: Django's table names are
// already lower case.
func ParseField(s string) (Field, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	for _, p := range parts {
		if p == "" || strings.ContainsRune(p, 0) {
			parts = nil
			break
		}
	}
	switch len(parts) {
	case 2:
		return Field{Table: parts[0], Column: parts[1]}, nil
	case 3:
		return Field{Schema: parts[0], Table: parts[1], Column: parts[2]}, nil
	}
	return Field{}, fault.BadInput("field %q: want TABLE.COLUMN or SCHEMA.TABLE.COLUMN", s)
}

// ParseFields reads a list of fields separated by commas or white space, as
// MIGRATE_FILE_FIELDS holds them. Duplicates are dropped.
func ParseFields(list []string) ([]Field, error) {
	var fields []Field
	seen := map[Field]bool{}
	for _, item := range list {
		for _, s := range strings.FieldsFunc(item, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			f, err := ParseField(s)
			if err != nil {
				return nil, err
			}
			if !seen[f] {
				seen[f] = true
				fields = append(fields, f)
			}
		}
	}
	return fields, nil
}

// ErrNoField reports a field whose table or column does not exist, or is not
// a character column. It is bad input.
var ErrNoField = fmt.Errorf("filemigrate: no such file field (%w)", fault.ErrBadInput)

// ErrNoKey reports a table that cannot be split into ranges because it has
// no single-column primary key. It is bad input.
var ErrNoKey = fmt.Errorf("filemigrate: table has no single-column primary key (%w)", fault.ErrBadInput)

// DB is what the package needs from a database: read-only transactions.
// *pgxpool.Pool and *pgx.Conn satisfy it.
type DB interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// readOnly runs fn in a READ ONLY transaction: Postgres itself then refuses
// any write, whatever fn does.
func readOnly(ctx context.Context, db DB, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, fn)
}

// table is a resolved field with what batching needs: the schema the table
// lives in and its primary key column.
type table struct {
	Field
	key string
}

func (t table) ident() string { return pgx.Identifier{t.Schema, t.Table}.Sanitize() }

// characterTypes are the column types a FileField can be stored in.
var characterTypes = map[string]bool{"character varying": true, "text": true, "character": true}

// resolve checks that the field exists and is a character column, fills in
// its schema, and finds the table's primary key. It asks in one round trip,
// from the catalogs rather than information_schema's views: every batch
// resolves its field again, and a re-run's batches are mostly such queries.
func resolve(ctx context.Context, tx pgx.Tx, f Field) (table, error) {
	var schema string
	var dataType *string // nil when the table has no such column
	var keys []string
	// A domain column counts as its base type, as information_schema says.
	err := tx.QueryRow(ctx, `
		SELECT n.nspname,
			(SELECT format_type(CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE a.atttypid END, NULL)
			 FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
			 WHERE a.attrelid = c.oid AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped),
			ARRAY(SELECT a.attname::text FROM pg_index i
			      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			      WHERE i.indisprimary AND i.indrelid = c.oid ORDER BY a.attnum)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname = $2 AND c.relkind IN ('r', 'p')
		  AND n.nspname = coalesce(nullif($1, ''), current_schema())`, f.Schema, f.Table, f.Column).Scan(&schema, &dataType, &keys)
	if errors.Is(err, pgx.ErrNoRows) {
		return table{}, fmt.Errorf("%w: field %s: table %q does not exist%s", ErrNoField, f, f.Table, inSchema(f.Schema))
	}
	if err != nil {
		return table{}, fmt.Errorf("field %s: look up table: %w", f, err)
	}
	f.Schema = schema
	if dataType == nil {
		return table{}, fmt.Errorf("%w: field %s: table %q has no column %q", ErrNoField, f, f.Table, f.Column)
	}
	if !characterTypes[*dataType] {
		return table{}, fmt.Errorf("%w: field %s: column %q is %s, not a character column that could hold file names", ErrNoField, f, f.Column, *dataType)
	}
	// Composite keys and tables without a key are refused: ranges over
	// ctid would not survive a concurrent UPDATE, and Django gives every
	// ordinary model a single key.
	switch len(keys) {
	case 1:
		return table{Field: f, key: keys[0]}, nil
	case 0:
		return table{}, fmt.Errorf("%w: field %s: table %q has no primary key", ErrNoKey, f, f.Table)
	}
	return table{}, fmt.Errorf("%w: field %s: table %q has a composite primary key (%s)", ErrNoKey, f, f.Table, strings.Join(keys, ", "))
}

func inSchema(schema string) string {
	if schema == "" {
		return " in the current schema"
	}
	return fmt.Sprintf(" in schema %q", schema)
}
