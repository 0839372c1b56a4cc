package filemigrate

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/storage"
)

// DefaultSample is how many values of each column discovery looks at.
const DefaultSample = 50

// Candidate is a character column in which discovery found at least one
// value naming a file under MEDIA_ROOT, kept or not, with the reason.
type Candidate struct {
	Field
	Sampled  int    `json:"sampled"`
	Existing int    `json:"existing"`
	Example  string `json:"example,omitempty"`
	Kept     bool   `json:"kept"`
	Reason   string `json:"reason"`
}

// Discovery is what a scan of the database found.
type Discovery struct {
	// Columns is the number of character columns scanned.
	Columns    int         `json:"columns"`
	Candidates []Candidate `json:"candidates"`
}

// Fields returns the kept columns.
func (d Discovery) Fields() []Field {
	var fields []Field
	for _, c := range d.Candidates {
		if c.Kept {
			fields = append(fields, c.Field)
		}
	}
	return fields
}

// Discover scans the character columns of every user table, samples up to
// sample non-empty values of each (DefaultSample when zero or less), and
// keeps the columns where at least half the sampled values name regular
// files under root: a FileField column with some dangling references still
// qualifies, while a text column that happens to mention a file does not.
// Tables without a single-column primary key are reported but not kept, since
// they cannot be batched.
func Discover(ctx context.Context, db DB, root *os.Root, sample int) (Discovery, error) {
	if sample <= 0 {
		sample = DefaultSample
	}
	var d Discovery
	err := readOnly(ctx, db, func(tx pgx.Tx) error {
		// A scan must not hold the database for long: a column whose values
		// are mostly empty in a huge table is not worth a full scan.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = '60s'"); err != nil {
			return fmt.Errorf("discover: %w", err)
		}
		rows, err := tx.Query(ctx, `
			SELECT c.table_schema, c.table_name, c.column_name
			FROM information_schema.columns c
			JOIN information_schema.tables t USING (table_schema, table_name)
			WHERE t.table_type = 'BASE TABLE'
			  AND c.data_type IN ('character varying', 'text', 'character')
			  AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
			  AND c.table_schema NOT LIKE 'pg\_%'
			  AND c.table_name <> $1 -- the manifest's names are copies of the application's
			ORDER BY 1, 2, c.ordinal_position`, ManifestTable)
		if err != nil {
			return fmt.Errorf("discover: list columns: %w", err)
		}
		fields, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Field, error) {
			var f Field
			err := r.Scan(&f.Schema, &f.Table, &f.Column)
			return f, err
		})
		if err != nil {
			return fmt.Errorf("discover: list columns: %w", err)
		}
		d.Columns = len(fields)
		for _, f := range fields {
			c, err := sampleColumn(ctx, tx, root, f, sample)
			if err != nil {
				return err
			}
			if c.Existing == 0 {
				continue
			}
			if c.Kept {
				if _, err := resolve(ctx, tx, f); errors.Is(err, ErrNoKey) {
					c.Kept = false
					c.Reason += "; not kept: " + err.Error()
				} else if err != nil {
					return err
				}
			}
			d.Candidates = append(d.Candidates, c)
		}
		return nil
	})
	if err != nil {
		return Discovery{}, err
	}
	return d, nil
}

func sampleColumn(ctx context.Context, tx pgx.Tx, root *os.Root, f Field, sample int) (Candidate, error) {
	col := pgx.Identifier{f.Column}.Sanitize()
	// Names longer than any FileField (max_length defaults to 100) or
	// holding a line break are prose, not names.
	rows, err := tx.Query(ctx, fmt.Sprintf(
		`SELECT %[1]s FROM %[2]s WHERE %[1]s <> '' AND length(%[1]s) <= 1024 AND strpos(%[1]s, E'\n') = 0 LIMIT $1`,
		col, pgx.Identifier{f.Schema, f.Table}.Sanitize()), sample)
	if err != nil {
		return Candidate{}, fmt.Errorf("discover: sample %s: %w", f, err)
	}
	values, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return Candidate{}, fmt.Errorf("discover: sample %s: %w", f, err)
	}
	c := Candidate{Field: f, Sampled: len(values)}
	for _, v := range values {
		if isFile(root, v) {
			c.Existing++
			if c.Example == "" {
				c.Example = v
			}
		}
	}
	c.Kept = c.Existing > 0 && 2*c.Existing >= c.Sampled
	if c.Kept {
		c.Reason = fmt.Sprintf("%d of %d sampled values name files under MEDIA_ROOT (e.g. %q)", c.Existing, c.Sampled, c.Example)
	} else {
		c.Reason = fmt.Sprintf("only %d of %d sampled values name files under MEDIA_ROOT (e.g. %q); name it with --field %s to migrate it anyway", c.Existing, c.Sampled, c.Example, f)
	}
	return c, nil
}

// isFile reports whether name is a regular file inside root.
func isFile(root *os.Root, name string) bool {
	clean, err := storage.LocalFileName(name)
	if err != nil {
		return false
	}
	fi, err := root.Stat(clean)
	return err == nil && fi.Mode().IsRegular()
}
