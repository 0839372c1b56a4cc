package filemigrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultBatchSize is the number of named rows in one batch.
const DefaultBatchSize = 500

// Batch is one primary-key range of one field: the unit of work that one
// migrate_files_batch job copies. Bounds are the key's text form, so a batch
// travels as JSON whatever the key's type; Postgres parses them back with the
// key column's own type, so ranges follow the key's order, not text order.
type Batch struct {
	Field
	Key string `json:"key"`
	// After is the exclusive lower bound; nil starts at the first row.
	After *string `json:"after,omitempty"`
	// Upto is the inclusive upper bound; nil runs to the last row, so rows
	// added after planning are copied too.
	Upto *string `json:"upto,omitempty"`
}

// FieldPlan says how one field was split.
type FieldPlan struct {
	Field
	Key string `json:"key"`
	// Rows holds a name; Empty rows (NULL or '') are left out of every batch.
	Rows    int64 `json:"rows"`
	Empty   int64 `json:"empty"`
	Batches int   `json:"batches"`
	// Bytes is what Plan.Measure found: the sizes of the files the named
	// rows point to, one file named by n rows counted n times (as the
	// batches count it), a missing or refused name counted 0.
	Bytes int64 `json:"bytes"`
}

// Plan is the split of every field into batches.
type Plan struct {
	Fields  []FieldPlan `json:"fields"`
	Batches []Batch     `json:"-"`
}

// PlanBatches checks every field and splits its named rows into key ranges
// of batchSize rows (DefaultBatchSize when zero or less). Only the range
// bounds are held in memory, so a table of any size plans in a few kilobytes.
// A missing field or a table without a single-column key is an error matching
// ErrNoField or ErrNoKey, before anything is planned.
func PlanBatches(ctx context.Context, db DB, fields []Field, batchSize int) (Plan, error) {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	var plan Plan
	err := readOnly(ctx, db, func(tx pgx.Tx) error {
		tables := make([]table, len(fields))
		for i, f := range fields {
			t, err := resolve(ctx, tx, f)
			if err != nil {
				return err
			}
			tables[i] = t
		}
		for _, t := range tables {
			fp, batches, err := planField(ctx, tx, t, batchSize)
			if err != nil {
				return err
			}
			plan.Fields = append(plan.Fields, fp)
			plan.Batches = append(plan.Batches, batches...)
		}
		return nil
	})
	if err != nil {
		return Plan{}, err
	}
	return plan, nil
}

func planField(ctx context.Context, tx pgx.Tx, t table, batchSize int) (FieldPlan, []Batch, error) {
	fp := FieldPlan{Field: t.Field, Key: t.key}
	col := pgx.Identifier{t.Column}.Sanitize()
	key := pgx.Identifier{t.key}.Sanitize()

	var total int64
	err := tx.QueryRow(ctx, fmt.Sprintf(
		`SELECT count(*) FILTER (WHERE %[1]s <> ''), count(*) FROM %[2]s`, col, t.ident())).Scan(&fp.Rows, &total)
	if err != nil {
		return FieldPlan{}, nil, fmt.Errorf("field %s: count rows: %w", t.Field, err)
	}
	fp.Empty = total - fp.Rows
	if fp.Rows == 0 {
		return fp, nil, nil
	}

	// The window runs on the server; only every batchSize-th key comes back.
	rows, err := tx.Query(ctx, fmt.Sprintf(`
		SELECT k::text FROM (
			SELECT %[1]s AS k, row_number() OVER (ORDER BY %[1]s) AS n
			FROM %[2]s WHERE %[3]s <> '') s
		WHERE n %% $1 = 0 AND n < $2 ORDER BY n`, key, t.ident(), col), batchSize, fp.Rows)
	if err != nil {
		return FieldPlan{}, nil, fmt.Errorf("field %s: split by %s: %w", t.Field, t.key, err)
	}
	bounds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return FieldPlan{}, nil, fmt.Errorf("field %s: split by %s: %w", t.Field, t.key, err)
	}

	batches := make([]Batch, 0, len(bounds)+1)
	var after *string
	for i := range bounds {
		batches = append(batches, Batch{Field: t.Field, Key: t.key, After: after, Upto: &bounds[i]})
		after = &bounds[i]
	}
	batches = append(batches, Batch{Field: t.Field, Key: t.key, After: after})
	fp.Batches = len(batches)
	return fp, batches, nil
}

// names reads the batch's non-empty names in key order, in a read-only
// transaction, after checking that the field still exists. With a manifest,
// the same query reads the manifest's entries for them (a join, not a
// second round trip).
func (b Batch) names(ctx context.Context, db DB, m *Manifest) ([]string, map[string]entry, error) {
	var names []string
	var prev map[string]entry
	err := readOnly(ctx, db, func(tx pgx.Tx) error {
		t, err := resolve(ctx, tx, b.Field)
		if err != nil {
			return err
		}
		if t.key != b.Key {
			return fmt.Errorf("%w: field %s: primary key is now %q, the plan used %q; plan again", ErrNoKey, b.Field, t.key, b.Key)
		}
		key := "t." + pgx.Identifier{t.key}.Sanitize()
		col := "t." + pgx.Identifier{t.Column}.Sanitize()
		var args []any
		q := fmt.Sprintf(`SELECT %s, NULL::bigint, NULL::timestamptz, NULL::text, NULL::text FROM %s AS t`, col, t.ident())
		if m != nil {
			args = append(args, m.Target)
			q = fmt.Sprintf(`SELECT %[1]s, m.size, m.mtime, m.sha256, m.etag FROM %[2]s AS t
				LEFT JOIN %[3]s AS m ON m.target = $1 AND m.name = %[1]s`, col, t.ident(), ManifestTable)
		}
		q += fmt.Sprintf(` WHERE %s <> ''`, col)
		// A string argument is sent as text and parsed by Postgres as the
		// key's own type.
		if b.After != nil {
			args = append(args, *b.After)
			q += fmt.Sprintf(" AND %s > $%d", key, len(args))
		}
		if b.Upto != nil {
			args = append(args, *b.Upto)
			q += fmt.Sprintf(" AND %s <= $%d", key, len(args))
		}
		rows, err := tx.Query(ctx, q+" ORDER BY "+key, args...)
		if err != nil {
			return b.namesErr(m, err)
		}
		prev = map[string]entry{}
		var name string
		var size *int64
		var mtime *time.Time
		var sum, etag *string
		_, err = pgx.ForEachRow(rows, []any{&name, &size, &mtime, &sum, &etag}, func() error {
			names = append(names, name)
			if size != nil && mtime != nil && sum != nil && etag != nil {
				prev[name] = entry{size: *size, mtime: *mtime, sha256: *sum, etag: *etag}
			}
			return nil
		})
		if err != nil {
			return b.namesErr(m, err)
		}
		return nil
	})
	return names, prev, err
}

// namesErr explains a failed read of the batch's names: the manifest's
// table missing is the one fault named apart, as Manifest reports it.
func (b Batch) namesErr(m *Manifest, err error) error {
	if m != nil && errors.Is(manifestErr("read", err), errNoManifest) {
		return fmt.Errorf("batch %s: %w", b.Field, errNoManifest)
	}
	return fmt.Errorf("field %s: read names: %w", b.Field, err)
}
