package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/filemigrate"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

type migrateBundle struct {
	*dbBundle
	media  string
	store  storage.Storage
	worker *river.Client[pgx.Tx]
	files  map[string][]byte
}

// setupMigrate is a Django database with River's tables, a media folder, and
// a running River client with the migration's workers against versitygw.
func setupMigrate(t *testing.T, cloud bool) *migrateBundle {
	t.Helper()
	ctx := context.Background()
	b := &migrateBundle{dbBundle: setupDB(t), media: t.TempDir(), files: map[string][]byte{}}
	s3 := testbed.S3Server(t)
	vars := map[string]string{
		"DATABASE_URL": "postgres://unused@localhost/unused", "MEDIA_ROOT": b.media,
		"AWS_ACCESS_KEY_ID": s3.AccessKey, "AWS_SECRET_ACCESS_KEY": s3.SecretKey,
		"AWS_STORAGE_BUCKET_NAME": s3.Bucket, "AWS_S3_ENDPOINT_URL": s3.Endpoint,
		"AWS_LOCATION":        "jobs-" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-") + fmt.Sprint(time.Now().UnixNano()),
		"MIGRATE_CONCURRENCY": "4", "USE_CLOUD_STORAGE": "True",
	}
	cfg, err := config.LoadFrom(vars)
	if err != nil {
		t.Fatal(err)
	}
	if b.store, err = storage.New(ctx, cfg.Storage); err != nil {
		t.Fatal(err)
	}
	if !cloud {
		vars["USE_CLOUD_STORAGE"] = "False"
		if cfg, err = config.LoadFrom(vars); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.pool.Exec(ctx, `
		CREATE TABLE customers_customer (id bigserial PRIMARY KEY, name text NOT NULL, passport_file varchar(100));
		CREATE TABLE invoices_invoice (id serial PRIMARY KEY, number varchar(30) NOT NULL, pdf varchar(100) NOT NULL DEFAULT '')`); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		name := fmt.Sprintf("passports/Ünï %d.pdf", i)
		b.file(t, name, 1000+i)
		if _, err := b.pool.Exec(ctx, `INSERT INTO customers_customer (name, passport_file) VALUES ('c', $1)`, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO customers_customer (name, passport_file) VALUES ('gone', 'passports/gone.pdf'), ('none', NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		name := fmt.Sprintf("invoices/INV-%d.pdf", i)
		b.file(t, name, 5000)
		if _, err := b.pool.Exec(ctx, `INSERT INTO invoices_invoice (number, pdf) VALUES ('n', $1)`, name); err != nil {
			t.Fatal(err)
		}
	}

	reg, err := Register(Deps{Config: cfg, Storage: b.store, Pool: b.pool})
	if err != nil {
		t.Fatal(err)
	}
	b.worker, err = river.NewClient(riverpgxv5.New(b.pool), &river.Config{
		Queues:            map[string]river.QueueConfig{QueueStorage: {MaxWorkers: 3}},
		Workers:           reg.Workers,
		Middleware:        []rivertype.Middleware{ErrorMiddleware(reg.Kinds)},
		FetchPollInterval: 100 * time.Millisecond,
		TestOnly:          true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.worker.Stop(ctx)
	})
	return b
}

func (b *migrateBundle) file(t *testing.T, name string, size int) {
	t.Helper()
	data := bytes.Repeat([]byte(name), size/len(name)+1)[:size]
	p := filepath.Join(b.media, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Settled, as a media folder's files are: the manifest records them.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	b.files[name] = data
}

// run enqueues a plan and waits for it and all its batches to finish, then
// returns the plan job and the sum of its batches' outputs.
func (b *migrateBundle) run(t *testing.T, args MigrateFilesArgs) (*rivertype.JobRow, filemigrate.Report, int) {
	t.Helper()
	ctx := context.Background()
	res, err := b.client.Insert(ctx, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var unfinished int
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE finalized_at IS NULL`).Scan(&unfinished); err != nil {
			t.Fatal(err)
		}
		if unfinished == 0 {
			break
		}
		if time.Now().After(deadline) {
			var states string
			_ = b.pool.QueryRow(ctx, `SELECT string_agg(kind || ' ' || state || ' ' || to_jsonb(errors)::text, '; ') FROM river_job WHERE finalized_at IS NULL`).Scan(&states)
			t.Fatalf("%d jobs still unfinished: %s", unfinished, states)
		}
		time.Sleep(50 * time.Millisecond)
	}
	plan, err := b.client.JobGet(ctx, res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := b.pool.Query(ctx, `SELECT state::text, coalesce(metadata->'output', 'null') FROM river_job WHERE kind = $1 AND args->>'plan_id' = $2::text`,
		KindMigrateFilesBatch, fmt.Sprint(plan.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var total filemigrate.Report
	n := 0
	for rows.Next() {
		var state string
		var out []byte
		if err := rows.Scan(&state, &out); err != nil {
			t.Fatal(err)
		}
		if state != "completed" {
			t.Errorf("a batch ended %s", state)
		}
		var rep filemigrate.Report
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("batch output %s: %v", out, err)
		}
		total.Add(rep, 100)
		n++
	}
	return plan, total, n
}

func TestMigrateFilesJobs(t *testing.T) {
	t.Parallel()
	b := setupMigrate(t, true)
	ctx := context.Background()

	plan, total, batches := b.run(t, MigrateFilesArgs{BatchSize: 3})
	if plan.State != rivertype.JobStateCompleted {
		t.Fatalf("plan %s: %v", plan.State, plan.Errors)
	}
	var out MigrateFilesOutput
	if err := json.Unmarshal(plan.Output(), &out); err != nil {
		t.Fatal(err)
	}
	// Discovered: both columns, 8 + 3 named rows, in batches of 3.
	if out.Discovery == nil || len(out.Fields) != 2 || out.Batches != 3+1 || batches != out.Batches {
		t.Errorf("plan output %s with %d batch jobs; want 2 discovered fields in 4 batches", plan.Output(), batches)
	}
	if total.Uploaded != 10 || total.Missing != 1 || total.Rows != 11 || len(total.MissingNames) != 1 || total.MissingNames[0] != "passports/gone.pdf" {
		t.Errorf("batches = %+v; want 10 uploaded, 1 missing", total)
	}
	// The plan measured the files on disk (the missing one counts 0); the
	// batches then put exactly that much in the bucket, which Progress (the
	// CLI's and the metrics' reader) shows.
	var onDisk int64
	for _, data := range b.files {
		onDisk += int64(len(data))
	}
	if out.PlannedBytes != onDisk || total.Bytes+total.SkippedBytes != onDisk {
		t.Errorf("planned %d bytes, batches uploaded %d + skipped %d; want %d each way", out.PlannedBytes, total.Bytes, total.SkippedBytes, onDisk)
	}
	p, err := Progress(ctx, b.pool, plan)
	if err != nil {
		t.Fatal(err)
	}
	if p.Batches != batches || p.Completed != batches || p.Unfinished != 0 || p.Failed != "" ||
		p.Done.Bytes+p.Done.SkippedBytes != onDisk || p.Done.Rows != total.Rows || p.Done.Uploaded != total.Uploaded ||
		p.Done.Missing != total.Missing || !slices.Equal(p.Done.MissingNames, total.MissingNames) {
		t.Errorf("Progress = %+v; want %d completed batches summing to %+v", p, batches, total)
	}
	for name, data := range b.files {
		info, err := b.store.Stat(ctx, name)
		if err != nil || info.Size != int64(len(data)) {
			t.Errorf("%s in the bucket: %+v, %v", name, info, err)
		}
	}

	// The batches recorded what they copied.
	var recorded int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM worker_migrated_file`).Scan(&recorded); err != nil || recorded != 10 {
		t.Errorf("the manifest holds %d rows, %v; want the 10 files copied", recorded, err)
	}

	// Again, naming one field: nothing to upload, whether the manifest is
	// trusted or every object is asked.
	for _, check := range []bool{true, false} {
		_, again, _ := b.run(t, MigrateFilesArgs{Fields: []string{"customers_customer.passport_file"}, CheckObjects: check})
		if again.Uploaded != 0 || again.Skipped != 7 {
			t.Errorf("second run (check objects: %v) = %+v; want 7 skipped, nothing uploaded", check, again)
		}
	}
	// Deleted in the bucket by hand: the listing finds it gone.
	if err := b.store.Delete(ctx, "passports/Ünï 3.pdf"); err != nil {
		t.Fatal(err)
	}
	plan, again, _ := b.run(t, MigrateFilesArgs{Fields: []string{"customers_customer.passport_file"}})
	if again.Uploaded != 1 || again.Skipped != 6 {
		t.Errorf("run after a deletion = %+v; want 1 uploaded, 6 skipped", again)
	}
	again.Skipped++ // as if nothing had been deleted, for the bytes below
	again.SkippedBytes += int64(len(b.files["passports/Ünï 3.pdf"]))
	if err := json.Unmarshal(plan.Output(), &out); err != nil {
		t.Fatal(err)
	}
	if want := onDisk - 3*5000; out.PlannedBytes != want || again.SkippedBytes != want {
		t.Errorf("second run planned %d bytes and skipped %d; want the passports' %d", out.PlannedBytes, again.SkippedBytes, want)
	}
}

// A plan enqueued again while the first is unfinished is the first; a batch
// range still queued is not enqueued twice by another plan.
func TestMigrateFilesUnique(t *testing.T) {
	t.Parallel()
	b := setupDB(t)
	ctx := context.Background()
	args := MigrateFilesArgs{Fields: []string{"a.b"}, BatchSize: 10}
	first, err := b.client.Insert(ctx, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.client.Insert(ctx, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !second.UniqueSkippedAsDuplicate || second.Job.ID != first.Job.ID {
		t.Errorf("a second identical plan was enqueued while the first waits")
	}
	batch := newBatchArgs(first.Job.ID, filemigrate.Batch{Field: filemigrate.Field{Schema: "public", Table: "a", Column: "b"}, Key: "id", Upto: new("500")}, MigrateFilesArgs{})
	other := batch
	other.PlanID = first.Job.ID + 1
	res, err := b.client.InsertMany(ctx, []river.InsertManyParams{{Args: batch}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.client.InsertMany(ctx, []river.InsertManyParams{{Args: other}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].UniqueSkippedAsDuplicate || !again[0].UniqueSkippedAsDuplicate || migratePlanID(again[0].Job) != first.Job.ID {
		t.Errorf("the same range from another plan was enqueued again")
	}
	dry := batch
	dry.DryRun = true
	if r, err := b.client.Insert(ctx, dry, nil); err != nil || r.UniqueSkippedAsDuplicate {
		t.Errorf("a dry run of the range was refused: %v", err)
	}
}

func TestMigrateFilesRefusesLocalStorage(t *testing.T) {
	t.Parallel()
	b := setupMigrate(t, false)
	plan, _, batches := b.run(t, MigrateFilesArgs{})
	if plan.State != rivertype.JobStateCancelled || batches != 0 || len(plan.Errors) == 0 ||
		!strings.Contains(plan.Errors[len(plan.Errors)-1].Error, "USE_CLOUD_STORAGE is not True") {
		t.Errorf("plan with local storage: %s, %d batches, errors %v; want cancelled naming USE_CLOUD_STORAGE", plan.State, batches, plan.Errors)
	}
}
