package filemigrate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The bytes a plan measures are those its batches then put in the bucket:
// uploaded the first time, skipped (already there) the next.
func TestMeasureThenCopy(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	want, _, _ := djangoData(t, b)
	// A symlink into another folder of the root; a file at the top; a name
	// in a folder that does not exist, whose base name is that file's.
	if err := os.MkdirAll(filepath.Join(b.media, "links"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../invoices/2026/11/INV-0002.pdf", filepath.Join(b.media, "links", "inv.pdf")); err != nil {
		t.Fatal(err)
	}
	b.file(t, "top.pdf", 4321)
	want["links/inv.pdf"], want["top.pdf"] = b.files["invoices/2026/11/INV-0002.pdf"], b.files["top.pdf"]
	b.exec(t, `INSERT INTO documents_document VALUES (gen_random_uuid(), 'link', 'links/inv.pdf'),
		(gen_random_uuid(), 'top', 'top.pdf'), (gen_random_uuid(), 'lost', 'nofolder/top.pdf')`)

	// What the rows name, by the fixture's own account: a file named by two
	// rows counts twice; missing and refused names count nothing.
	wantBytes := map[Field]int64{}
	for _, f := range allFields {
		rows, err := b.pool.Query(ctx, `SELECT `+pgx.Identifier{f.Column}.Sanitize()+` FROM `+pgx.Identifier{f.Table}.Sanitize()+
			` WHERE `+pgx.Identifier{f.Column}.Sanitize()+` <> ''`)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			wantBytes[Field{Schema: "public", Table: f.Table, Column: f.Column}] += int64(len(want[name]))
		}
	}
	var wantTotal int64
	for _, n := range wantBytes {
		wantTotal += n
	}

	plan, err := PlanBatches(ctx, b.pool, allFields, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, concurrency := range []int{1, 0, 64} {
		if err := plan.Measure(ctx, b.pool, b.root, concurrency); err != nil {
			t.Fatal(err)
		}
		for _, fp := range plan.Fields {
			if fp.Bytes != wantBytes[fp.Field] {
				t.Errorf("concurrency %d: %s measured %d bytes; want %d", concurrency, fp.Field, fp.Bytes, wantBytes[fp.Field])
			}
		}
		if plan.Bytes() != wantTotal {
			t.Errorf("concurrency %d: plan measured %d bytes; want %d", concurrency, plan.Bytes(), wantTotal)
		}
	}

	// Files an hour old are settled: the second run skips them by their
	// recorded modification time, the first by their digest (the name
	// named twice).
	hourAgo := time.Now().Add(-time.Hour)
	for name := range b.files {
		if err := os.Chtimes(filepath.Join(b.media, filepath.FromSlash(name)), hourAgo, hourAgo); err != nil {
			t.Fatal(err)
		}
	}
	target, _ := newTarget(t)
	c := &Copier{Root: b.root, Target: target, Concurrency: 4}
	copyAll := func() Report {
		t.Helper()
		var total Report
		for _, batch := range plan.Batches {
			rep, err := c.CopyBatch(ctx, b.pool, batch)
			if err != nil {
				t.Fatal(err)
			}
			total.Add(rep, 1000)
		}
		return total
	}
	first := copyAll()
	if done := first.Bytes + first.SkippedBytes; done != wantTotal || first.SkippedBytes == 0 {
		t.Errorf("first run: %d bytes uploaded + %d skipped (a file named twice); want %d in all", first.Bytes, first.SkippedBytes, wantTotal)
	}
	again := copyAll()
	if again.Bytes != 0 || again.SkippedBytes != wantTotal {
		t.Errorf("second run: %d bytes uploaded, %d skipped; want 0 and %d", again.Bytes, again.SkippedBytes, wantTotal)
	}
}

func TestMeasureHonoursContext(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 50, 10)
	plan, err := PlanBatches(context.Background(), b.pool, allFields[:1], 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := plan.Measure(ctx, b.pool, b.root, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("Measure with an ended context = %v; want context.Canceled", err)
	}
	// A field dropped since planning is the error it is for the batches.
	b.exec(t, `ALTER TABLE customers_customer DROP COLUMN passport_file`)
	if err := plan.Measure(context.Background(), b.pool, b.root, 2); !errors.Is(err, ErrNoField) {
		t.Errorf("Measure of a dropped column = %v; want ErrNoField", err)
	}
}
