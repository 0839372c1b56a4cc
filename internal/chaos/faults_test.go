package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/r2proxy"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/internal/workerproc"
	"github.com/revisbali/worker/jobs"
)

// sized is a test's size: the environment variable name when set, full
// under `make chaos` (CHAOS=1), whose figures RELIABILITY.md records, and
// small otherwise, so that `make test` runs every fault in seconds.
func sized(t *testing.T, name string, full, small int) int {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q is not a positive number", name, v)
		}
		return n
	}
	if os.Getenv("CHAOS") == "1" {
		return full
	}
	return small
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
	if code == 0 || code == 1 || code == 4 {
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
	w.WaitReady()

	// The backup starts; the database goes away under it.
	code, stdout, stderr := cli(t, e, "backup")
	if code != 0 {
		t.Fatalf("enqueue backup: exit %d: %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	pg.stop("fast")
	if code, body, _ := workerproc.Get(w.HTTP + "/readyz"); code != 503 || !strings.Contains(body, "database") {
		t.Errorf("/readyz with the database down: %d %q, want 503 naming the database", code, body)
	}
	if code, _, stderr := cli(t, e, "status", id, "--json"); code != 3 || !strings.Contains(stderr, "connect") {
		t.Errorf("enqueue status with the database down: exit %d, stderr %q; want 3 and the connection error", code, stderr)
	}
	pg.start()
	w.WaitReady()

	code, r, stderr := enqueueWait(t, e, "status", id)
	if code != 0 || r.State != "completed" {
		t.Fatalf("backup after the restart: exit %d, state %s, errors %+v (%s)", code, r.State, r.Errors, stderr)
	}
	var out backupResult
	if err := json.Unmarshal(r.Output, &out); err != nil || out.Bytes == 0 {
		t.Errorf("backup output %s: %v", r.Output, err)
	}
	verifyBackup(t, e)
	if !t.Failed() {
		report(t, "fault", "Postgres stopped (fast) and started under a running worker, backup enqueued", fmt.Sprintf("/readyz 503 while down, 200 after; CLI exit 3 naming the connection; backup completed after %d failed attempts, restored with every row; temp empty", len(r.Errors)))
	}
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
	w.Stop()
}

// startBackup starts a worker with e, skipping the test when this build has
// no backup worker yet, enqueues a backup and returns once it runs, with
// the backup job's id. Catch-up is off: with no backup yet, the leader would
// otherwise run one of its own first, and a test that kills "the" backup
// could find that one complete in the folder.
func startBackup(t *testing.T, e env) (*workerproc.Proc, string) {
	t.Helper()
	e["BACKUP_CATCH_UP"] = "False"
	w := startWorkerWithKinds(t, e)
	requireKind(t, w, "backup_db")
	code, stdout, stderr := cli(t, e, "backup")
	if code != 0 {
		t.Fatalf("enqueue backup: exit %d: %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	waitRunning(t, e, id)
	return w, id
}

// versitygw killed during a backup and restarted: the job is retried and
// completes, the bucket holds whole backups only (each restores), and the
// worker is ready throughout (storage is not part of readiness).
func TestStorageKilledDuringBackup(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	pg.fill("postgres", sized(t, "CHAOS_BACKUP_ROWS", 400_000, 100_000))
	gw := startGateway(t)
	e := gw.env()
	e["DATABASE_URL"] = pg.url("postgres")
	e["WORKER_TMPDIR"] = t.TempDir()
	e["WORKER_HTTP_ADDR"] = "127.0.0.1:0"
	w, id := startBackup(t, e)
	gw.kill()
	time.Sleep(2 * time.Second) // down long enough for the upload to fail
	gw.restart()

	code, r, stderr := enqueueWait(t, e, "status", id)
	if code != 0 || r.State != "completed" {
		t.Fatalf("backup with the storage killed: exit %d, state %s, errors %+v (%s)", code, r.State, r.Errors, stderr)
	}
	verifyBackup(t, e)
	w.WaitReady()
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
	if !t.Failed() {
		report(t, "fault", "versitygw killed (SIGKILL) while a backup runs, restarted 2 s later", fmt.Sprintf("backup completed after %d failed attempts, restored with every row; ready throughout; temp empty", len(r.Errors)))
	}
	w.Stop()
}

// versitygw killed with SIGKILL while OCR jobs read their scans from it and
// save previews, restarted 2 s later: every job completes (retried where
// the outage hit it), each scan has exactly one preview and it is a whole
// JPEG, the temp folder is empty and the worker is ready.
func TestStorageKilledDuringOCR(t *testing.T) {
	t.Parallel()
	n := sized(t, "CHAOS_OUTAGE_OCR_JOBS", 120, 36)
	st := newStack(t, false)
	gw := startGateway(t)
	maps.Copy(st.env, gw.env())
	st.reopen(t)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("scans/outage-%03d.png", i)
		st.save(t, names[i], textPNG(fmt.Sprintf("RECEIPT %03d PAID %d.00", i, i*13%500)))
	}
	e := st.env.clone()
	e["WORKER_QUEUE_OCR"] = "2"
	w := startWorkerWithKinds(t, e)
	requireKind(t, w, "ocr_document")

	ctx := context.Background()
	client, err := river.NewClient(riverpgxv5.New(st.pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	params := make([]river.InsertManyParams, n)
	for i, name := range names {
		params[i] = river.InsertManyParams{Args: jobs.OCRDocumentArgs{Name: name}}
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		t.Fatal(err)
	}
	finished := func() int {
		var c int
		if err := st.pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'ocr_document' AND finalized_at IS NOT NULL").Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	waitFor(t, "a sixth of the jobs done", func() bool { return finished() >= n/6 })
	gw.kill()
	atKill := finished()
	if atKill >= n {
		t.Fatal("every job finished before the kill: the test proves nothing")
	}
	time.Sleep(2 * time.Second)
	gw.restart()
	deadline := time.Now().Add(10 * time.Minute)
	for finished() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs finished 10 minutes after the outage", finished(), n)
		}
		time.Sleep(500 * time.Millisecond)
	}

	rows, err := st.pool.Query(ctx, "SELECT id FROM river_job WHERE kind = 'ocr_document' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, id := range ids {
		j := st.job(t, id)
		if j.State != rivertype.JobStateCompleted {
			t.Errorf("job %d: %s after %d attempts: %q", id, j.State, j.Attempt, j.Errors)
		}
		if j.Attempt > 1 {
			retried++
			t.Logf("job %d retried after: %s", id, workerproc.Last(j.Errors, 1))
		}
	}
	previews := st.names(t, "previews/")
	want := make([]string, n)
	for i, name := range names {
		want[i] = "previews/" + name + ".jpg"
	}
	if !slices.Equal(previews, want) {
		t.Errorf("previews after the outage: %d listed, want one per scan: %v", len(previews), workerproc.Last(previews, 5))
	}
	for _, name := range previews {
		f, err := os.Open(filepath.Join(gw.dir, "media", name))
		if err != nil {
			t.Errorf("preview %s: %v", name, err)
			continue
		}
		if _, err := jpeg.Decode(f); err != nil {
			t.Errorf("preview %s is not a whole JPEG: %v", name, err)
		}
		f.Close()
	}
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
	w.WaitReady()
	if retried == 0 {
		t.Errorf("no job was retried: the outage hit no job, so the test proves nothing")
	}
	if !t.Failed() {
		report(t, "fault", fmt.Sprintf("versitygw killed (SIGKILL) while %d OCR jobs read scans from S3 (2 OCR slots), restarted 2 s later", n),
			fmt.Sprintf("%d jobs done at the kill; %d retried, all %d completed; one whole JPEG preview per scan, none extra; temp empty; ready", atKill, retried, n))
	}
	w.Stop()
}

// kill -9 of the worker mid-backup: no partial backup is visible in
// storage, and the restarted worker sweeps the dead one's temp files and
// is ready.
func TestWorkerKilledMidBackup(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	pg.fill("postgres", sized(t, "CHAOS_BACKUP_ROWS", 400_000, 100_000))
	e := env{
		"DATABASE_URL":     pg.url("postgres"),
		"MEDIA_ROOT":       t.TempDir(),
		"WORKER_TMPDIR":    t.TempDir(),
		"WORKER_HTTP_ADDR": "127.0.0.1:0",
	}
	w, id := startBackup(t, e)
	w.Signal(syscall.SIGKILL)
	w.Wait()

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
	w2.WaitReady()
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("the killed worker's temp files were not swept: %v", files)
	}
	// The killed job stays "running" until River's rescuer gives it back,
	// after its own timeout, 2 h for a backup (RELIABILITY.md says what that
	// means).
	_, stdout, _ := cli(t, e, "status", id, "--json")
	t.Logf("the killed backup job: %s", strings.TrimSpace(stdout))
	w2.Stop()
	if !t.Failed() {
		report(t, "fault", "worker killed (kill -9) mid-backup, restarted", "no partial backup listed; dead worker's temp swept at restart; ready; the killed job stays running until River's rescuer, after the backup's 2 h timeout")
	}
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

// Slow and flaky S3: every request to the bucket waits 200 ms, and one in
// three answers 503. The backup still completes, by the SDK's retries or
// River's, and restores with every row.
func TestFlakyStorageDuringBackup(t *testing.T) {
	t.Parallel()
	pg := startPostgres(t)
	pg.fill("postgres", 50_000)
	s3 := testbed.S3Server(t)
	proxy := r2proxy.Start(t, s3.Endpoint)
	var n atomic.Int64
	proxy.SetFault(func(*http.Request) int {
		time.Sleep(200 * time.Millisecond)
		if n.Add(1)%3 == 0 {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	st := newStack(t, true)
	e := st.env.clone()
	e["DATABASE_URL"] = pg.url("postgres")
	e["AWS_S3_ENDPOINT_URL"] = proxy.URL
	w := startWorkerWithKinds(t, e)
	requireKind(t, w, "backup_db")

	code, r, stderr := enqueueWait(t, e, "backup")
	if code != 0 || r.State != "completed" {
		t.Fatalf("backup through a flaky S3: exit %d, state %s, errors %+v (%s)", code, r.State, r.Errors, stderr)
	}
	verifyBackup(t, e)
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
	w.WaitReady()
	if !t.Failed() {
		report(t, "fault", "S3 +200 ms per request, one request in three answered 503, during a backup", fmt.Sprintf("%d requests, %d answered 503; backup completed after %d failed attempts, restored with every row; temp empty", proxy.Requests(), n.Load()/3, len(r.Errors)))
	}
	w.Stop()
}

// The temp folder is a 2 MiB tmpfs and the scan to read, in the bucket, is
// larger, for every job that copies a scan there (OCR, passport): the copy fails with "no space left on device", a passing
// fault (retried, not cancelled), nothing is left in the folder, and the
// worker stays ready.
func TestTempDiskFull(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "chaos-tmpfs-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a tmpfs (needs root): %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("umount", dir).Run()
		_ = os.Remove(dir)
	})
	st := newStack(t, true)
	e := st.env.clone()
	e["WORKER_TMPDIR"] = dir
	w := startWorkerWithKinds(t, e)

	big := noisePNG(1400, 1000) // about 4 MiB: random pixels do not compress
	if len(big) < 3<<20 {
		t.Fatalf("the test image is %d bytes, not larger than the tmpfs", len(big))
	}
	st.save(t, "scans/big.png", big)
	var tried []string
	for _, k := range nameKinds {
		if !slices.Contains(w.Kinds(), k.kind) {
			t.Logf("this build of the worker has no %s worker yet", k.kind)
			continue
		}
		code, stdout, stderr := cli(t, e, k.command, "scans/big.png")
		if code != 0 {
			t.Fatalf("enqueue %s: exit %d %s", k.command, code, stderr)
		}
		id := strings.TrimSpace(stdout)
		deadline := time.Now().Add(2 * time.Minute)
		var j job
		for time.Now().Before(deadline) {
			j = st.job(t, mustAtoi(t, id))
			if len(j.Errors) > 0 || j.State == "completed" || j.State == "cancelled" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if j.State == "cancelled" || j.State == "completed" || len(j.Errors) == 0 || !strings.Contains(j.Errors[0], "no space left on device") {
			t.Errorf("%s with a full temp disk: state %s, errors %q; want a retry after \"no space left on device\"", k.kind, j.State, j.Errors)
		}
		tried = append(tried, k.kind)
	}
	if len(tried) == 0 {
		t.Skipf("this build of the worker works none of %v", nameKinds)
	}
	if files := workerproc.TempFiles(t, dir); len(files) != 0 {
		t.Errorf("temp files left on the full disk: %v", files)
	}
	w.WaitReady()
	if !t.Failed() {
		report(t, "fault", "temp folder a 2 MiB tmpfs, a 4 MiB scan from S3 through "+strings.Join(tried, " and "), "retried as a passing fault (no space left on device), not cancelled; temp empty; ready")
	}
	w.Stop()
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("job id %q: %v", s, err)
	}
	return n
}

// noisePNG is an RGB image of random pixels, which PNG cannot compress.
func noisePNG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	_, _ = rand.Read(img.Pix)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
