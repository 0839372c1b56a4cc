package chaos

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// longTest skips unless CHAOS=1: `make chaos` runs these, `make test`
// does not have the minutes they take.
func longTest(t *testing.T) {
	t.Helper()
	if os.Getenv("CHAOS") != "1" {
		t.Skip("long fault test: run by `make chaos` (CHAOS=1)")
	}
}

// backupResult is the output of a backup_db job.
type backupResult struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// enqueueWait runs `enqueue ARGS --wait --json` and returns the job.
func enqueueWait(t *testing.T, e env, args ...string) (int, jobResult, string) {
	t.Helper()
	code, stdout, stderr := cli(t, e, append(args, "--wait", "--json")...)
	var r jobResult
	if code == 0 || code == 1 {
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("enqueue %v: exit %d, stdout is not the job's JSON: %q (stderr %q)", args, code, stdout, stderr)
		}
	}
	return code, r, stderr
}

// verifyBackup restores the newest backup into a scratch database and
// compares row counts: a partial or corrupt backup fails it.
func verifyBackup(t *testing.T, e env) {
	t.Helper()
	code, r, stderr := enqueueWait(t, e, "backup", "--verify")
	if code != 0 || r.State != "completed" {
		t.Errorf("backup --verify: exit %d, state %s, errors %+v, stderr %q", code, r.State, r.Errors, stderr)
	}
}

// Postgres stopped and started under a running worker, in the middle of a
// backup: /readyz says 503 while it is down and 200 again after, the CLI
// fails clearly instead of hanging, the backup completes (retried if the
// restart hit it) and restores with every row, and no temp file is left.
func TestPostgresRestartUnderWorker(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	pg.fill("postgres", 100_000)
	e := env{
		"DATABASE_URL":     pg.url("postgres"),
		"MEDIA_ROOT":       t.TempDir(),
		"WORKER_TMPDIR":    t.TempDir(),
		"WORKER_HTTP_ADDR": "127.0.0.1:0",
	}
	w := startWorkerWithKinds(t, e)
	requireKind(t, w, "backup_db")
	w.waitReady()

	// The backup starts; the database goes away under it.
	code, stdout, stderr := cli(t, e, "backup")
	if code != 0 {
		t.Fatalf("enqueue backup: exit %d: %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	pg.stop("fast")
	if code, body, _ := get(w.http + "/readyz"); code != 503 || !strings.Contains(body, "database") {
		t.Errorf("/readyz with the database down: %d %q, want 503 naming the database", code, body)
	}
	if code, _, stderr := cli(t, e, "status", id, "--json"); code != 3 || !strings.Contains(stderr, "connect") {
		t.Errorf("enqueue status with the database down: exit %d, stderr %q; want 3 and the connection error", code, stderr)
	}
	pg.start()
	w.waitReady()

	code, r, stderr := enqueueWait(t, e, "status", id)
	if code != 0 || r.State != "completed" {
		t.Fatalf("backup after the restart: exit %d, state %s, errors %+v (%s)", code, r.State, r.Errors, stderr)
	}
	var out backupResult
	if err := json.Unmarshal(r.Output, &out); err != nil || out.Bytes == 0 {
		t.Errorf("backup output %s: %v", r.Output, err)
	}
	t.Logf("backup completed after %d failed attempts", len(r.Errors))
	verifyBackup(t, e)
	if files := tempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
	w.stop()
}

// versitygw killed during a backup and restarted: the job is retried and
// completes, the bucket holds whole backups only (each restores), and the
// worker is ready throughout (storage is not part of readiness).
func TestStorageKilledDuringBackup(t *testing.T) {
	t.Parallel()
	longTest(t)
	pg := startPostgres(t)
	pg.fill("postgres", 400_000)
	gw := startGateway(t)
	e := gw.env()
	e["DATABASE_URL"] = pg.url("postgres")
	e["WORKER_TMPDIR"] = t.TempDir()
	e["WORKER_HTTP_ADDR"] = "127.0.0.1:0"
	w := startWorkerWithKinds(t, e)
	requireKind(t, w, "backup_db")

	code, stdout, stderr := cli(t, e, "backup")
	if code != 0 {
		t.Fatalf("enqueue backup: exit %d: %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	waitRunning(t, e, id)
	gw.kill()
	time.Sleep(2 * time.Second) // down long enough for the upload to fail
	gw.restart()

	code, r, stderr := enqueueWait(t, e, "status", id)
	if code != 0 || r.State != "completed" {
		t.Fatalf("backup with the storage killed: exit %d, state %s, errors %+v (%s)", code, r.State, r.Errors, stderr)
	}
	t.Logf("backup completed after %d failed attempts: %+v", len(r.Errors), r.Errors)
	verifyBackup(t, e)
	w.waitReady()
	if files := tempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
	w.stop()
}

// kill -9 of the worker mid-backup: no partial backup is visible in
// storage, and the restarted worker sweeps the dead one's temp files and
// is ready.
func TestWorkerKilledMidBackup(t *testing.T) {
	t.Parallel()
	longTest(t)
	pg := startPostgres(t)
	pg.fill("postgres", 400_000)
	e := env{
		"DATABASE_URL":     pg.url("postgres"),
		"MEDIA_ROOT":       t.TempDir(),
		"WORKER_TMPDIR":    t.TempDir(),
		"WORKER_HTTP_ADDR": "127.0.0.1:0",
	}
	w := startWorkerWithKinds(t, e)
	requireKind(t, w, "backup_db")
	code, stdout, stderr := cli(t, e, "backup")
	if code != 0 {
		t.Fatalf("enqueue backup: exit %d: %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	waitRunning(t, e, id)
	w.signal(syscall.SIGKILL)
	w.wait()

	// Nothing a reader lists (the worker's retention, dbrestore's choice
	// of the latest) is a partial backup. The local backend's half-written
	// file stays on disk under a hidden name, which no one lists.
	st := &stack{env: e}
	st.reopen(t)
	if names := st.names(t, "backups/"); len(names) != 0 {
		t.Errorf("after kill -9 mid-backup, storage lists %v: a partial backup", names)
	}
	if entries, _ := os.ReadDir(e["MEDIA_ROOT"] + "/backups"); len(entries) > 0 {
		t.Logf("hidden leftovers on disk after kill -9: %d (e.g. %s)", len(entries), entries[0].Name())
	}
	w2 := startWorker(t, e)
	w2.waitReady()
	if files := tempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("the killed worker's temp files were not swept: %v", files)
	}
	// The killed job stays "running" until River's rescuer gives it back,
	// after the longest job timeout (RELIABILITY.md says what that means).
	_, stdout, _ = cli(t, e, "status", id, "--json")
	t.Logf("the killed backup job: %s", strings.TrimSpace(stdout))
	w2.stop()
}

// waitRunning waits until job id is running.
func waitRunning(t *testing.T, e env, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_, stdout, _ := cli(t, e, "status", id, "--json")
		if strings.Contains(stdout, `"state":"running"`) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s not running within a minute", id)
}
