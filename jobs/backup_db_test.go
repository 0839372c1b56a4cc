package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

// A verification is never merged into the day's backup, and catch-up
// checks, one per hour, neither.
func TestBackupVerifyAndCatchUpAreNotTheDaysBackup(t *testing.T) {
	t.Parallel()
	b := setupDB(t)
	ctx := context.Background()
	nightly, err := b.client.Insert(ctx, BackupDBArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	verify, err := b.client.Insert(ctx, BackupDBArgs{Verify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	verifyAgain, err := b.client.Insert(ctx, BackupDBArgs{Verify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	catchUp, err := b.client.Insert(ctx, BackupDBArgs{CatchUp: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	catchUpAgain, err := b.client.Insert(ctx, BackupDBArgs{CatchUp: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if verify.UniqueSkippedAsDuplicate || verifyAgain.UniqueSkippedAsDuplicate || verify.Job.ID == verifyAgain.Job.ID {
		t.Error("a verification was merged into another job")
	}
	if catchUp.UniqueSkippedAsDuplicate || catchUp.Job.ID == nightly.Job.ID {
		t.Error("the catch-up check was merged into the day's backup")
	}
	if !catchUpAgain.UniqueSkippedAsDuplicate || catchUpAgain.Job.ID != catchUp.Job.ID {
		t.Error("two catch-up checks in one hour")
	}
	for _, j := range []int64{verify.Job.ID, catchUp.Job.ID} {
		var attempts int
		if err := b.pool.QueryRow(ctx, "SELECT max_attempts FROM river_job WHERE id = $1", j).Scan(&attempts); err != nil || attempts != 1 {
			t.Errorf("job %d: max_attempts %d (err %v), want 1", j, attempts, err)
		}
	}
}

func TestPeriodicJobs(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": "/m", "BACKUP_SCHEDULE": "30 3 * * 1", "TIME_ZONE": "Asia/Makassar"})
	if err != nil {
		t.Fatal(err)
	}
	periodic, err := PeriodicJobs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(periodic) != 2 {
		t.Fatalf("%d periodic jobs, want the nightly backup and the hourly catch-up", len(periodic))
	}
	cfg.Backup.TimeZone = "Nowhere/Special"
	if _, err := PeriodicJobs(cfg); err == nil {
		t.Error("an unknown TIME_ZONE was accepted")
	}

	off, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": "/m", "BACKUP_SCHEDULE": "off"})
	if err != nil {
		t.Fatal(err)
	}
	if periodic, err := PeriodicJobs(off); err != nil || len(periodic) != 0 {
		t.Errorf("BACKUP_SCHEDULE=off: %d periodic jobs, %v; want none", len(periodic), err)
	}
}

// backupBed is a River database (DATABASE_URL) and a separate application
// database (BACKUP_DATABASE_URL) with data, backed up to a local MEDIA_ROOT.
type backupBed struct {
	db   *dbBundle
	app  string
	deps Deps
}

func setupBackup(t *testing.T) backupBed {
	t.Helper()
	ctx := context.Background()
	db := setupDB(t)
	app := testbed.NewDatabase(t)
	conn, err := pgx.Connect(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE customer AS SELECT g AS id, 'customer ' || g AS name FROM generate_series(1, 500) g`); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(map[string]string{
		"DATABASE_URL":        db.pool.Config().ConnString(),
		"BACKUP_DATABASE_URL": app,
		"MEDIA_ROOT":          t.TempDir(),
		"DBBACKUP_HOSTNAME":   "web1",
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.New(ctx, cfg.Storage)
	if err != nil {
		t.Fatal(err)
	}
	return backupBed{db: db, app: app, deps: Deps{Config: cfg, Storage: store, Pool: db.pool, Logger: slog.New(slog.DiscardHandler)}}
}

// work runs one job through River's test executor, in a transaction that
// is rolled back afterwards, and returns its event and output.
func work[T river.JobArgs](t *testing.T, b backupBed, w river.Worker[T], args T) (river.EventKind, map[string]any, *rivertype.JobRow) {
	t.Helper()
	ctx := context.Background()
	tx, err := b.db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	res, err := rivertest.NewWorker(t, riverpgxv5.New(b.db.pool), &river.Config{Middleware: []rivertype.Middleware{ErrorMiddleware(Kinds())}}, w).Work(ctx, t, tx, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Output map[string]any `json:"output"`
	}
	if err := json.Unmarshal(res.Job.Metadata, &meta); err != nil {
		t.Fatal(err)
	}
	return res.EventKind, meta.Output, res.Job
}

func TestBackupJobs(t *testing.T) {
	t.Parallel()
	b := setupBackup(t)
	backupW := &backupDBWorker{deps: b.deps}
	ctx := context.Background()

	// The nightly job is queued (or running): the catch-up leaves it be.
	nightly, err := b.db.client.Insert(ctx, BackupDBArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	event, out, _ := work(t, b, backupW, BackupDBArgs{CatchUp: true})
	if event != river.EventKindJobCompleted || out["skipped"] != true || !strings.Contains(out["reason"].(string), "queued or running") {
		t.Errorf("catch-up beside a queued backup: %s, output %v; want skipped", event, out)
	}
	if _, err := b.db.pool.Exec(ctx, "DELETE FROM river_job WHERE id = $1", nightly.Job.ID); err != nil {
		t.Fatal(err)
	}

	// No backup yet: the catch-up check makes one.
	event, out, _ = work(t, b, backupW, BackupDBArgs{CatchUp: true})
	if event != river.EventKindJobCompleted || out["name"] == nil {
		t.Fatalf("first catch-up: %s, output %v; want a backup", event, out)
	}
	first, _ := out["name"].(string)
	if !strings.HasPrefix(first, "backups/default-web1-") || !strings.HasSuffix(first, ".psql.bin.gz") || out["compressed"] != true {
		t.Errorf("backup output %v", out)
	}
	// A backup asked for while another runs waits in the queue behind it
	// (snoozed: no attempt used, nothing written), then runs.
	held, err := b.db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.Exec(ctx, "SELECT pg_advisory_lock($1)", backupLockKey); err != nil {
		t.Fatal(err)
	}
	event, _, job := work(t, b, backupW, BackupDBArgs{})
	if event != river.EventKindJobSnoozed || len(job.Errors) != 0 {
		t.Errorf("a backup beside a running one: %s, errors %v; want snoozed", event, job.Errors)
	}
	if _, err := held.Exec(ctx, "SELECT pg_advisory_unlock($1)", backupLockKey); err != nil {
		t.Fatal(err)
	}
	held.Release()
	// Backup names are dbbackup's, to the second: a new one needs a new second.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	event, out, _ = work(t, b, backupW, BackupDBArgs{})
	if event != river.EventKindJobCompleted || out["name"] == nil || out["name"] == first {
		t.Errorf("a backup asked for after the first: %s, output %v; want a new backup", event, out)
	}
	first, _ = out["name"].(string)

	// Now the newest backup is recent: nothing to catch up.
	event, out, _ = work(t, b, backupW, BackupDBArgs{CatchUp: true})
	if event != river.EventKindJobCompleted || out["skipped"] != true {
		t.Errorf("second catch-up: %s, output %v; want skipped", event, out)
	}

	// The verification restores it into a scratch database.
	event, out, _ = work(t, b, backupW, BackupDBArgs{Verify: true})
	if event != river.EventKindJobCompleted || out["ok"] != true || out["name"] != first || out["rows"] != float64(500) {
		t.Errorf("verify: %s, output %v", event, out)
	}

	// A restore without --yes is refused without retry and changes nothing.
	restoreW := &restoreDBWorker{deps: b.deps}
	conn, err := pgx.Connect(ctx, b.app)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "DELETE FROM customer WHERE id > 100"); err != nil {
		t.Fatal(err)
	}
	event, _, job = work(t, b, restoreW, RestoreDBArgs{Latest: true})
	if event != river.EventKindJobCancelled || len(job.Errors) == 0 || !strings.Contains(job.Errors[0].Error, "--yes") {
		t.Errorf("restore without yes: %s, errors %v; want cancelled asking for --yes", event, job.Errors)
	}
	event, out, _ = work(t, b, restoreW, RestoreDBArgs{Latest: true, Yes: true})
	if event != river.EventKindJobCompleted || out["name"] != first {
		t.Fatalf("restore: %s, output %v", event, out)
	}
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM customer").Scan(&n); err != nil || n != 500 {
		t.Errorf("after the restore customer has %d rows (err %v), want 500", n, err)
	}

	// A missing backup is bad input: cancelled, not retried.
	event, _, _ = work(t, b, restoreW, RestoreDBArgs{Name: "default-web1-2020-01-01-000000.psql.bin.gz", Yes: true})
	if event != river.EventKindJobCancelled {
		t.Errorf("restore of a missing backup: %s, want cancelled", event)
	}
}

// BACKUP_CATCH_UP=False leaves the hourly catch-up check out of the
// leader's schedule; the nightly backup stays.
func TestCatchUpCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		catchUp string
		want    int
	}{{"True", 2}, {"False", 1}} {
		cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": "/srv/media", "BACKUP_CATCH_UP": tt.catchUp})
		if err != nil {
			t.Fatal(err)
		}
		periodic, err := PeriodicJobs(cfg)
		if err != nil || len(periodic) != tt.want {
			t.Errorf("BACKUP_CATCH_UP=%s: %d periodic jobs (%v), want %d", tt.catchUp, len(periodic), err, tt.want)
		}
	}
}
