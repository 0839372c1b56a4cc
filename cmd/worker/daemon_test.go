package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	worker "github.com/revisbali/worker"
	"github.com/revisbali/worker/internal/workerproc"
)

func TestMigrateTwiceStartStop(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vars := baseEnv(t, b.dbURL)

	// Without migrations the daemon cannot start: WORKER_MIGRATE=false skips them.
	skip := env{"WORKER_MIGRATE": "false"}
	for k, v := range vars {
		skip[k] = v
	}
	if code := startProc(t, skip).Wait(); code != exitError {
		t.Fatalf("WORKER_MIGRATE=false on an empty database: exit %d, want %d", code, exitError)
	}

	// Two workers deployed at once migrate one after the other, then a
	// third finds nothing to do.
	first, second := startProc(t, vars, "migrate"), startProc(t, vars, "migrate")
	if c1, c2 := first.Wait(), second.Wait(); c1 != exitOK || c2 != exitOK {
		t.Fatalf("concurrent worker migrate: exit %d and %d", c1, c2)
	}
	if code := startProc(t, vars, "migrate").Wait(); code != exitOK {
		t.Fatalf("worker migrate again: exit %d", code)
	}
	// The same settings from a file: --env-file, or .env in the working
	// directory. A named file that is missing stops the worker.
	dir := t.TempDir()
	var dotenv strings.Builder
	for k, v := range vars {
		fmt.Fprintf(&dotenv, "%s=%q # from the file\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := startProc(t, env{}, "--env-file", filepath.Join(dir, ".env"), "migrate").Wait(); code != exitOK {
		t.Fatalf("worker --env-file FILE migrate: exit %d", code)
	}
	if p := startProcIn(t, dir, env{}, "migrate"); p.Wait() != exitOK {
		t.Fatalf("worker migrate beside a .env: exit %d", p.Code())
	}
	if p := startProc(t, env{}, "migrate", "--env-file", filepath.Join(dir, "none.env")); p.Wait() != exitError || !strings.Contains(strings.Join(p.Log(), "\n"), "none.env: no such file") {
		t.Fatalf("worker --env-file MISSING: exit %d\n%s", p.Code(), strings.Join(p.Log(), "\n"))
	}
	var versions int
	if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM river_migration").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions == 0 {
		t.Fatal("no River migration recorded")
	}
	// The worker's own tables too: the migration's manifest.
	if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM worker_migrated_file").Scan(&versions); err != nil {
		t.Fatalf("worker migrate left no manifest table: %v", err)
	}

	// Starting applies them again (a no-op) unless told not to.
	p, base := startWorker(t, vars)
	p.WaitLog("river migrations applied")
	// The release, and how long completed jobs (their outputs) are kept.
	started := p.WaitLog("worker started")
	if started["version"] != worker.Version() || started["completed_job_retention"] != float64(7*24*time.Hour) {
		t.Errorf("worker started with version %v, completed jobs kept %v; want %s, 7 days", started["version"], started["completed_job_retention"], worker.Version())
	}
	for _, path := range []string{"/livez", "/readyz"} {
		if code, body := get(t, base+path); code != 200 {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
	code, body := get(t, base+"/metrics")
	if code != 200 || !strings.Contains(body, "worker_queue_scrape_ok 1") {
		t.Errorf("GET /metrics: %d, want worker_queue_scrape_ok 1 in:\n%s", code, body)
	}

	p.Stop()
	if code := startProc(t, vars, "bogus").Wait(); code != exitUsage {
		t.Errorf("worker bogus: exit %d, want %d", code, exitUsage)
	}
}

// A stop signal lets a short job finish.
func TestSoftStopFinishesRunningJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vars := baseEnv(t, b.dbURL)
	p, base := startWorker(t, vars)

	id := b.insert(t, sleepArgs{Seconds: 5})
	b.waitState(t, id, rivertype.JobStateRunning)
	p.Signal(syscall.SIGTERM)
	p.WaitLog("stopping: no new jobs; running jobs may finish")
	// Still serving while the job finishes, but no longer ready.
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "stopping") {
		t.Errorf("/readyz while stopping: %d %q, want 503 stopping", code, body)
	}
	if code := p.Wait(); code != exitOK {
		t.Errorf("exit %d, want 0", code)
	}
	job := b.waitState(t, id, rivertype.JobStateCompleted, rivertype.JobStateAvailable, rivertype.JobStateRetryable)
	if job.State != rivertype.JobStateCompleted {
		t.Errorf("job is %s after a soft stop, want completed (errors %v)", job.State, job.Errors)
	}
}

// A job still running at the soft stop timeout, or at a second signal, goes
// back to the queue without losing an attempt, and its temp files are gone.
func TestStopInterruptsJobWithoutLosingAttempt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		softStop string
		signals  int
	}{
		{"soft stop timeout", "1s", 1},
		{"second signal", "10m", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			vars := baseEnv(t, b.dbURL)
			vars["WORKER_SOFT_STOP_TIMEOUT"] = tt.softStop
			p, _ := startWorker(t, vars)

			id := b.insert(t, sleepArgs{Seconds: 3600})
			b.waitState(t, id, rivertype.JobStateRunning)
			waitTempFile(t, vars["WORKER_TMPDIR"])
			p.Signal(syscall.SIGTERM)
			if tt.signals == 2 {
				p.WaitLog("stopping: no new jobs; running jobs may finish")
				p.Signal(syscall.SIGINT)
			}
			if code := p.Wait(); code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}

			job, err := b.client.JobGet(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if job.State != rivertype.JobStateAvailable || job.Attempt != 0 || len(job.Errors) != 0 {
				t.Errorf("interrupted job: state %s, attempt %d, errors %v; want available, 0, none", job.State, job.Attempt, job.Errors)
			}
			if files := workerproc.TempFiles(t, vars["WORKER_TMPDIR"]); len(files) != 0 {
				t.Errorf("temp files left: %v", files)
			}

			// The next worker takes it up and, the sleep being long, it is
			// attempt 1 again.
			p2, _ := startWorker(t, vars)
			job = b.waitState(t, id, rivertype.JobStateRunning)
			if job.Attempt != 1 {
				t.Errorf("resumed job at attempt %d, want 1", job.Attempt)
			}
			p2.Signal(syscall.SIGTERM)
			p2.WaitLog("stopping: no new jobs; running jobs may finish")
			p2.Signal(syscall.SIGTERM)
			p2.Wait()
		})
	}
}

func TestPanicIsRecordedWorkerStaysUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p, base := startWorker(t, baseEnv(t, b.dbURL))

	// A bug: the same input would panic again, so no retry.
	id := b.insert(t, panicArgs{})
	job := b.waitState(t, id, rivertype.JobStateCancelled)
	if len(job.Errors) != 1 || !strings.Contains(job.Errors[0].Error, "assignment to entry in nil map") || !strings.Contains(job.Errors[0].Error, "panicked") {
		t.Errorf("panic not recorded as the attempt's error: %+v", job.Errors)
	}
	if line := p.WaitLog("job panicked"); !strings.Contains(fmt.Sprint(line["stack"]), "goroutine") {
		t.Errorf("no stack logged: %v", line)
	}

	// Still working.
	id = b.insert(t, sleepArgs{Seconds: 0})
	b.waitState(t, id, rivertype.JobStateCompleted)
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz after a panic: %d", code)
	}
	_, metrics := get(t, base+"/metrics")
	if !strings.Contains(metrics, `worker_jobs_failed_total{kind="test_panic",reason="panic"} 1`) {
		t.Errorf("panic not counted in /metrics:\n%s", metrics)
	}
	p.Signal(syscall.SIGTERM)
	p.Wait()
}

// kill -9 mid-job: the job stays "running" in the table until the restarted
// worker's rescuer gives it back, and then it completes; the dead process's
// temp files are swept at restart.
func TestKilledWorkerJobIsRescued(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vars := baseEnv(t, b.dbURL)
	p, _ := startWorker(t, vars)

	id := b.insert(t, sleepArgs{BlockFirstAttempt: true})
	b.waitState(t, id, rivertype.JobStateRunning)
	leftovers := waitTempFile(t, vars["WORKER_TMPDIR"])
	p.Signal(syscall.SIGKILL)
	p.Wait()

	p2, _ := startWorker(t, vars)
	job := b.waitState(t, id, rivertype.JobStateCompleted)
	if job.Attempt != 2 {
		t.Errorf("rescued job completed at attempt %d, want 2", job.Attempt)
	}
	for _, f := range leftovers {
		if strings.Contains(strings.Join(workerproc.TempFiles(t, vars["WORKER_TMPDIR"]), "\n"), f) {
			t.Errorf("the killed worker's temp file %s was not swept", f)
		}
	}
	p2.Stop()
}

// A job inserted by Django's raw SQL (docs/river.md), woken by its
// pg_notify, is worked, and its output is where Django reads it.
func TestDjangoRawSQLRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p, _ := startWorker(t, baseEnv(t, b.dbURL))
	ctx := context.Background()
	var id int64
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `
			INSERT INTO river_job (args, kind, max_attempts, priority, queue, scheduled_at, state, tags, metadata)
			VALUES ($1::jsonb, 'test_sleep', 5, 1, 'storage', now(), 'available', '{}', '{}')
			RETURNING id`, `{"seconds": 0.1}`).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify(current_schema() || '.river_insert', '{"queue": "storage"}')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.waitState(t, id, rivertype.JobStateCompleted)
	var output map[string]any
	if err := b.pool.QueryRow(ctx, `SELECT metadata->'output' FROM river_job WHERE id = $1`, id).Scan(&output); err != nil {
		t.Fatal(err)
	}
	if output["slept"] != 0.1 || output["attempt"] != 1.0 {
		t.Errorf("output %v, want the job's recorded output", output)
	}
	p.Signal(syscall.SIGTERM)
	p.Wait()
}
