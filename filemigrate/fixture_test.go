package filemigrate

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revisbali/worker/internal/testbed"
)

// schema is shaped like a Django app's: serial, bigserial and uuid keys,
// FileField columns (varchar(100), nullable or with an empty default), text
// columns that are not files, and a table with a composite key.
const schema = `
CREATE TABLE customers_customer (
	id bigserial PRIMARY KEY,
	full_name varchar(200) NOT NULL,
	notes text NOT NULL DEFAULT '',
	passport_file varchar(100) NULL,
	avatar varchar(100) NOT NULL DEFAULT ''
);
CREATE TABLE invoices_invoice (
	id serial PRIMARY KEY,
	number varchar(30) NOT NULL,
	pdf varchar(100) NOT NULL,
	total numeric(12, 2) NOT NULL DEFAULT 0
);
CREATE TABLE documents_document (
	id uuid PRIMARY KEY,
	title text NOT NULL,
	file varchar(255) NULL
);
CREATE TABLE links_attachment (
	owner_id int NOT NULL,
	position int NOT NULL,
	file varchar(100) NOT NULL,
	PRIMARY KEY (owner_id, position)
);
CREATE TABLE django_migrations (
	id bigserial PRIMARY KEY,
	app varchar(255) NOT NULL,
	name varchar(255) NOT NULL
);
INSERT INTO django_migrations (app, name) VALUES ('customers', '0001_initial'), ('invoices', '0001_initial');
`

// bed is a Django-shaped database with files on disk.
type bed struct {
	url   string
	pool  *pgxpool.Pool
	media string
	root  *os.Root
	// files are the names that exist on disk, with their content.
	files map[string][]byte
}

func newBed(t *testing.T) *bed {
	t.Helper()
	url := testbed.NewDatabase(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, schema); err != nil {
		t.Fatal(err)
	}
	media := t.TempDir()
	root, err := os.OpenRoot(media)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &bed{url: url, pool: pool, media: media, root: root, files: map[string][]byte{}}
}

// file writes name under the media root with content derived from the name.
func (b *bed) file(t *testing.T, name string, size int) {
	t.Helper()
	p := filepath.Join(b.media, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	data := content(name, size)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	b.files[name] = data
}

func (b *bed) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := b.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// content is deterministic bytes of the given size, different per name.
func content(name string, size int) []byte {
	out := make([]byte, 0, size+sha256.Size)
	seed := sha256.Sum256([]byte(name))
	for len(out) < size {
		seed = sha256.Sum256(seed[:])
		out = append(out, seed[:]...)
	}
	return out[:size]
}

// checksum is a digest of every row of every user table, to prove that a
// migration changed nothing.
func (b *bed) checksum(t *testing.T) string {
	t.Helper()
	var sum string
	err := b.pool.QueryRow(context.Background(), `
		SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
			SELECT 'c' || c::text AS t FROM customers_customer c
			UNION ALL SELECT 'i' || i::text FROM invoices_invoice i
			UNION ALL SELECT 'd' || d::text FROM documents_document d
			UNION ALL SELECT 'l' || l::text FROM links_attachment l
			UNION ALL SELECT 'm' || m::text FROM django_migrations m) s`).Scan(&sum)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// customers inserts n customers whose passport_file names passports/NNNN.pdf
// (a file on disk of the given size).
func (b *bed) customers(t *testing.T, n, size int) {
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("passports/%04d.pdf", i)
		b.file(t, name, size)
		b.exec(t, `INSERT INTO customers_customer (full_name, notes, passport_file) VALUES ($1, 'met at the office', $2)`,
			fmt.Sprintf("Customer %d", i), name)
	}
}
