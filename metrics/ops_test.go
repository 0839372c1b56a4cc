package metrics

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/revisbali/worker/tempfile"
)

// metricValue returns the value of the sample line starting with series
// (name and labels exactly as exposed), and whether there is one.
func metricValue(t *testing.T, body, series string) (float64, bool) {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return f, true
		}
	}
	return 0, false
}

func TestBackupAgeAndDiscarded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := riverDatabase(t)
	m := New(pool, slog.New(slog.DiscardHandler))

	// No backup yet: the age is absent, which the alert rule catches.
	body := scrape(t, m)
	if _, ok := metricValue(t, body, "worker_backup_newest_age_seconds"); ok {
		t.Errorf("a backup age with no backup:\n%s", grep(body, "backup"))
	}

	_, err := pool.Exec(ctx, `
		INSERT INTO river_job (args, kind, max_attempts, queue, state, scheduled_at, finalized_at, metadata) VALUES
		-- the newest real backup, three hours ago
		('{}', 'backup_db', 3, 'maintenance', 'completed', now() - interval '3 hours', now() - interval '3 hours',
		 '{"output": {"name": "backups/default-web1-2026-11-28-020000.psql.bin.gz", "bytes": 1234}}'),
		('{}', 'backup_db', 3, 'maintenance', 'completed', now() - interval '27 hours', now() - interval '27 hours',
		 '{"output": {"name": "backups/default-web1-2026-11-27-020000.psql.bin.gz", "bytes": 1200}}'),
		-- newer, but not backups: a verification, a catch-up check that found nothing to do, a failed backup
		('{"verify": true}', 'backup_db', 1, 'maintenance', 'completed', now() - interval '1 hour', now() - interval '1 hour',
		 '{"output": {"name": "backups/default-web1-2026-11-28-020000.psql.bin.gz", "ok": true}}'),
		('{"catch_up": true}', 'backup_db', 1, 'maintenance', 'completed', now() - interval '10 minutes', now() - interval '10 minutes',
		 '{"output": {"skipped": true, "reason": "the newest backup is ..."}}'),
		('{}', 'backup_db', 3, 'maintenance', 'discarded', now() - interval '5 minutes', now() - interval '5 minutes', '{}'),
		-- discarded and cancelled jobs of other kinds
		('{"name": "a.pdf"}', 'ocr_document', 5, 'ocr', 'discarded', now(), now(), '{}'),
		('{"name": "b.pdf"}', 'ocr_document', 5, 'ocr', 'discarded', now(), now(), '{}'),
		('{"name": "c.pdf"}', 'ocr_document', 5, 'ocr', 'cancelled', now(), now(), '{}'),
		('{"name": "p.jpg"}', 'passport_mrz', 5, 'passport', 'completed', now(), now(), '{}')`)
	if err != nil {
		t.Fatal(err)
	}
	body = scrape(t, m)
	age, ok := metricValue(t, body, "worker_backup_newest_age_seconds")
	if !ok || age < 3*3600 || age > 3*3600+600 {
		t.Errorf("backup age %v (present %v), want about 3 h:\n%s", age, ok, grep(body, "backup"))
	}
	for series, want := range map[string]float64{
		`worker_jobs_discarded{kind="ocr_document"}`: 2,
		`worker_jobs_discarded{kind="backup_db"}`:    1,
		`worker_queue_scrape_ok`:                     1,
	} {
		if got, ok := metricValue(t, body, series); !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if _, ok := metricValue(t, body, `worker_jobs_discarded{kind="passport_mrz"}`); ok {
		t.Error("a completed job counted as discarded")
	}
}

func TestMigrationProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := riverDatabase(t)
	m := New(pool, slog.New(slog.DiscardHandler))

	if body := scrape(t, m); strings.Contains(body, "\nworker_migration_") {
		t.Errorf("migration metrics before any migration:\n%s", grep(body, "worker_migration_"))
	}

	insertJob := func(args, kind, state, output string) int64 {
		t.Helper()
		var id int64
		err := pool.QueryRow(ctx, `
			INSERT INTO river_job (args, kind, max_attempts, queue, state, finalized_at, metadata)
			VALUES ($1::jsonb, $2, 10, 'storage', $3::river_job_state,
			        CASE WHEN $3 IN ('completed', 'cancelled', 'discarded') THEN now() END,
			        CASE WHEN $4 = '' THEN '{}'::jsonb ELSE jsonb_build_object('output', $4::jsonb) END)
			RETURNING id`, args, kind, state, output).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	batch := func(planID int64, state, output string) {
		insertJob(`{"plan_id": `+strconv.FormatInt(planID, 10)+`, "table": "crm_document", "column": "file", "key_column": "id"}`,
			"migrate_files_batch", state, output)
	}

	// An earlier dry run and its batch: not the newest plan.
	oldPlan := insertJob(`{"dry_run": true}`, "migrate_files", "completed",
		`{"dry_run": true, "fields": [{"table": "crm_document", "column": "file", "rows": 99, "batches": 9}], "batches": 9}`)
	batch(oldPlan, "completed", `{"table": "crm_document", "column": "file", "rows": 99, "uploaded": 0, "pending": 99, "missing_names": []}`)

	// The newest plan is still planning: it is named, nothing is planned yet.
	plan := insertJob(`{}`, "migrate_files", "running", "")
	body := scrape(t, m)
	for series, want := range map[string]float64{
		`worker_migration_plan_id`:                float64(plan),
		`worker_migration_rows{state="planned"}`:  0,
		`worker_migration_rows{state="done"}`:     0,
		`worker_migration_bytes{state="planned"}`: 0,
		`worker_migration_bytes{state="done"}`:    0,
	} {
		if got, ok := metricValue(t, body, series); !ok || got != want {
			t.Errorf("while planning: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}

	// Planned: two fields, 15 rows, 3 batches; two batches done, one running,
	// one failed once and waiting for its retry.
	if _, err := pool.Exec(ctx, `
		UPDATE river_job SET state = 'completed', finalized_at = now(), metadata = jsonb_build_object('output', $2::jsonb)
		WHERE id = $1`, plan, `{"dry_run": false, "batches": 4, "planned_bytes": 9000, "fields": [
			{"table": "crm_document", "column": "file", "rows": 10, "batches": 3},
			{"table": "crm_passport", "column": "scan", "rows": 5, "batches": 1}]}`); err != nil {
		t.Fatal(err)
	}
	batch(plan, "completed", `{"table": "crm_document", "column": "file", "rows": 4, "uploaded": 3, "skipped": 0, "missing": 1, "failed": 0, "bytes": 3000, "skipped_bytes": 0, "missing_names": ["gone.pdf"]}`)
	batch(plan, "completed", `{"table": "crm_passport", "column": "scan", "rows": 5, "uploaded": 2, "skipped": 3, "missing": 0, "failed": 0, "bytes": 700, "skipped_bytes": 2100, "missing_names": []}`)
	batch(plan, "running", "")
	batch(plan, "retryable", "")

	body = scrape(t, m)
	for series, want := range map[string]float64{
		`worker_migration_plan_id`:                   float64(plan),
		`worker_migration_dry_run`:                   0,
		`worker_migration_rows{state="planned"}`:     15,
		`worker_migration_rows{state="done"}`:        9,
		`worker_migration_batches{state="planned"}`:  4,
		`worker_migration_batches{state="done"}`:     2,
		`worker_migration_bytes_uploaded`:            3700,
		`worker_migration_bytes{state="planned"}`:    9000,
		`worker_migration_bytes{state="done"}`:       5800,
		`worker_migration_files{outcome="uploaded"}`: 5,
		`worker_migration_files{outcome="skipped"}`:  3,
		`worker_migration_files{outcome="missing"}`:  1,
		`worker_migration_files{outcome="pending"}`:  0,
		`worker_queue_scrape_ok`:                     1,
	} {
		if got, ok := metricValue(t, body, series); !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
}

func TestTempBytesAndReadiness(t *testing.T) {
	t.Parallel()
	m := New(riverDatabase(t), slog.New(slog.DiscardHandler))
	dir, err := tempfile.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dir.Close() })
	m.WatchTemp(dir)
	var ready atomic.Bool
	m.WatchReadiness(func(context.Context) bool { return ready.Load() })

	body := scrape(t, m)
	if got, ok := metricValue(t, body, "worker_temp_bytes"); !ok || got != 0 {
		t.Errorf("empty temp folder: worker_temp_bytes = %v (present %v)", got, ok)
	}
	if got, _ := metricValue(t, body, "worker_ready"); got != 0 {
		t.Errorf("worker_ready = %v before ready", got)
	}

	err = dir.WithDir(context.Background(), func(path string) error {
		if err := os.WriteFile(filepath.Join(path, "scan.pdf"), make([]byte, 12345), 0o600); err != nil {
			return err
		}
		ready.Store(true)
		body := scrape(t, m)
		if got, ok := metricValue(t, body, "worker_temp_bytes"); !ok || got != 12345 {
			t.Errorf("worker_temp_bytes = %v (present %v), want 12345", got, ok)
		}
		if got, _ := metricValue(t, body, "worker_ready"); got != 1 {
			t.Errorf("worker_ready = %v when ready", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := metricValue(t, scrape(t, m), "worker_temp_bytes"); got != 0 {
		t.Errorf("worker_temp_bytes = %v after the copy was removed", got)
	}
}
