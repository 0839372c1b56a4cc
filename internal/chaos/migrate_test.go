package chaos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/r2proxy"
	"github.com/revisbali/worker/internal/workerproc"
)

// media is a Django table, core_document, whose file column names one
// file per row under MEDIA_ROOT, each with content of its own.
type media struct {
	sums map[string]string // name -> hex SHA-256 of its content
}

// newMedia writes n files of about size bytes under root and a row naming
// each into the database, in key order. Names spread over folders of a
// thousand, as Django's upload_to with a date does.
func newMedia(t *testing.T, st *stack, n, size int) *media {
	t.Helper()
	ctx := context.Background()
	root := st.env["MEDIA_ROOT"]
	names := make([]string, n)
	sums := make([]string, n)
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				names[i] = fmt.Sprintf("documents/2026/%03d/scan %06d.pdf", i/1000, i)
				line := fmt.Sprintf("%%PDF-1.4 document %d of %d\n", i, n)
				data := []byte(strings.Repeat(line, max(1, (size+i%7*len(line))/len(line))))
				sum := sha256.Sum256(data)
				sums[i] = hex.EncodeToString(sum[:])
				path := filepath.Join(root, names[i])
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					errs <- err
					continue
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	_, err := st.pool.Exec(ctx, `CREATE TABLE core_document (id bigserial PRIMARY KEY, title text NOT NULL, file varchar(100) NOT NULL DEFAULT '')`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.pool.CopyFrom(ctx, pgx.Identifier{"core_document"}, []string{"title", "file"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) { return []any{"document " + strconv.Itoa(i), names[i]}, nil }))
	if err != nil {
		t.Fatal(err)
	}
	m := &media{sums: make(map[string]string, n)}
	for i, name := range names {
		m.sums[name] = sums[i]
	}
	return m
}

// tableDigest sums every row of core_document: the migration only reads
// the database, so the digest must not change.
func tableDigest(t *testing.T, st *stack) string {
	t.Helper()
	var d string
	err := st.pool.QueryRow(context.Background(),
		`SELECT md5(coalesce(string_agg(id || ':' || title || ':' || file, E'\n' ORDER BY id), '')) FROM core_document`).Scan(&d)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkBucket compares what the bucket lists under documents/ with the
// files, name for name, and every stored object's content with its file,
// read from the gateway's folder (versitygw's posix backend keeps each
// object as a file named by its key). It returns a description of the
// first problems found, empty when the bucket is exactly the media.
func (m *media) checkBucket(t *testing.T, st *stack, gw *gateway) []string {
	t.Helper()
	listed := st.names(t, "documents/")
	var problems []string
	if extra := len(listed) - len(slices.Compact(slices.Clone(listed))); extra > 0 {
		problems = append(problems, fmt.Sprintf("%d names listed twice", extra))
	}
	for _, name := range listed {
		if _, ok := m.sums[name]; !ok {
			problems = append(problems, fmt.Sprintf("%q in the bucket names no file", name))
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan string)
	for range 4 {
		wg.Go(func() {
			for name := range next {
				var problem string
				data, err := os.ReadFile(filepath.Join(gw.dir, "media", name))
				if err != nil {
					problem = fmt.Sprintf("%q not stored: %v", name, err)
				} else if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != m.sums[name] {
					problem = fmt.Sprintf("%q stored with other content (%d bytes)", name, len(data))
				}
				if problem != "" {
					mu.Lock()
					problems = append(problems, problem)
					mu.Unlock()
				}
			}
		})
	}
	for _, name := range slices.Sorted(maps.Keys(m.sums)) {
		next <- name
	}
	close(next)
	wg.Wait()
	if len(listed) != len(m.sums) {
		problems = append(problems, fmt.Sprintf("the bucket lists %d objects for %d files", len(listed), len(m.sums)))
	}
	slices.Sort(problems)
	return workerproc.Last(problems, 10)
}

// migrationStack is a database with River's tables, a media folder and a
// private versitygw as the bucket, which a test may kill.
func migrationStack(t *testing.T) (*stack, *gateway) {
	t.Helper()
	st := newStack(t, false)
	gw := startGateway(t)
	maps.Copy(st.env, gw.env())
	st.reopen(t)
	return st, gw
}

// batchCounts sums the outputs of the migration's batches.
type batchCounts struct {
	Rows, Uploaded, Skipped, Missing, Refused, Failed int
}

// migrationView is `enqueue status PLAN --wait --json`: the plan with the
// sums of its batches.
func migrationView(t *testing.T, e env, plan string) (int, jobResult, batchCounts) {
	t.Helper()
	code, r, stderr := enqueueWait(t, e, "status", plan)
	var c batchCounts
	if code == 0 || code == 1 || code == 4 {
		if err := json.Unmarshal(r.Output, &c); err != nil {
			t.Fatalf("migration output %s: %v", r.Output, err)
		}
	} else {
		t.Fatalf("enqueue status %s --wait: exit %d: %s", plan, code, stderr)
	}
	return code, r, c
}

// batchJobs lists the migration's batch jobs.
func batchJobs(t *testing.T, st *stack) []job {
	t.Helper()
	rows, err := st.pool.Query(context.Background(), `SELECT id FROM river_job WHERE kind = 'migrate_files_batch' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]job, len(ids))
	for i, id := range ids {
		out[i] = st.job(t, id)
	}
	return out
}

// waitFor polls cond every 100 ms for up to two minutes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 2 minutes: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// storedCount is the number of objects the gateway holds under documents/,
// counted on its disk (cheaper than listing while uploads run).
func storedCount(gw *gateway) int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(gw.dir, "media", "documents"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// migrationWorker starts a worker with st's settings and vars over them,
// skipping the test when this build has no migration worker yet; slow, when
// not zero, puts a proxy before the bucket that delays every request by it,
// long enough for a batch to be caught in the middle. It returns the
// worker's settings, for the CLI too, and the proxy (nil without slow).
func migrationWorker(t *testing.T, st *stack, gw *gateway, slow time.Duration, vars env) (env, *workerproc.Proc, *r2proxy.Proxy) {
	t.Helper()
	e := st.env.clone()
	maps.Copy(e, vars)
	var proxy *r2proxy.Proxy
	if slow > 0 {
		proxy = r2proxy.Start(t, gw.endpoint())
		proxy.SetFault(func(*http.Request) int { time.Sleep(slow); return 0 })
		e["AWS_S3_ENDPOINT_URL"] = proxy.URL
	}
	w := startWorkerWithKinds(t, e)
	requireKind(t, w, "migrate_files_batch")
	return e, w, proxy
}

// migrateFiles is `enqueue migrate-files` of core_document.file in batches
// of batch rows, plus args; it returns the arguments, for a re-run, and the
// plan's job id.
func migrateFiles(t *testing.T, e env, batch int, args ...string) ([]string, string) {
	t.Helper()
	field := append([]string{"migrate-files", "--field", "core_document.file", "--batch-size", strconv.Itoa(batch)}, args...)
	code, stdout, stderr := cli(t, e, field...)
	if code != 0 {
		t.Fatalf("enqueue migrate-files: exit %d: %s", code, stderr)
	}
	return field, strings.TrimSpace(stdout)
}

// rerunMigration runs the migration again with --wait, as an operator
// would, and checks what it promises: exit 0 only when the bucket is the
// media, in state completed, its totals covering all n rows.
func rerunMigration(t *testing.T, st *stack, gw *gateway, m *media, e env, n int, field []string) {
	t.Helper()
	code, r, stderr := enqueueWait(t, e, field...)
	problems := m.checkBucket(t, st, gw)
	var c batchCounts
	_ = json.Unmarshal(r.Output, &c)
	if code == 0 && len(problems) > 0 {
		t.Errorf("the re-run exited 0 (%s) while the bucket is not the media:\n%s", r.Output, strings.Join(problems, "\n"))
	} else if len(problems) > 0 {
		t.Errorf("the bucket is not the media after the re-run (exit %d, %s):\n%s", code, stderr, strings.Join(problems, "\n"))
	}
	if code != 0 || r.State != "completed" {
		t.Errorf("re-run: exit %d, state %s, errors %+v, stderr %q", code, r.State, r.Errors, stderr)
	}
	if c.Rows != n || c.Uploaded+c.Skipped != n || c.Failed+c.Missing+c.Refused != 0 {
		t.Errorf("the re-run's totals %+v, want all %d rows uploaded or skipped", c, n)
	}
}

// versitygw killed with SIGKILL while migration batches upload, restarted
// 2 s later: every batch completes (retried where the outage hit it), the
// bucket holds every file exactly once with its content, the database is
// untouched, the temp folder is empty and the worker is ready.
func TestStorageKilledDuringMigration(t *testing.T) {
	t.Parallel()
	n := sized(t, "CHAOS_OUTAGE_MIGRATE_ROWS", 3000, 600)
	st, gw := migrationStack(t)
	m := newMedia(t, st, n, 16<<10)
	before := tableDigest(t, st)
	e, w, _ := migrationWorker(t, st, gw, 0, env{"WORKER_QUEUE_STORAGE": "2", "MIGRATE_CONCURRENCY": "4"})
	_, plan := migrateFiles(t, e, 200)
	waitFor(t, "a tenth of the files uploaded", func() bool { return storedCount(gw) >= n/10 })
	gw.kill()
	atKill := storedCount(gw)
	if atKill >= n {
		t.Fatalf("every file was uploaded before the kill: the test proves nothing; make the files more or larger")
	}
	time.Sleep(2 * time.Second) // down long enough for uploads in flight to fail
	gw.restart()

	code, r, c := migrationView(t, e, plan)
	if code != 0 || r.State != "completed" {
		t.Errorf("migration with the storage killed: exit %d, state %s, errors %+v", code, r.State, r.Errors)
	}
	if c.Rows != n || c.Uploaded+c.Skipped != n || c.Failed+c.Missing+c.Refused != 0 {
		t.Errorf("batch totals %+v, want %d rows all uploaded or skipped", c, n)
	}
	retried := 0
	for _, b := range batchJobs(t, st) {
		if b.State != rivertype.JobStateCompleted {
			t.Errorf("batch %d: %s after %d attempts, errors %q", b.ID, b.State, b.Attempt, b.Errors)
		}
		if b.Attempt > 1 {
			retried++
			t.Logf("batch %d retried: %s", b.ID, workerproc.Last(b.Errors, 1))
		}
	}
	if problems := m.checkBucket(t, st, gw); len(problems) > 0 {
		t.Errorf("the bucket is not the media after the outage:\n%s", strings.Join(problems, "\n"))
	}
	if after := tableDigest(t, st); after != before {
		t.Errorf("the migration changed core_document")
	}
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
	w.WaitReady()
	if retried == 0 {
		t.Errorf("no batch was retried: the outage hit no upload, so the test proves nothing")
	}
	if !t.Failed() {
		report(t, "fault", fmt.Sprintf("versitygw killed (SIGKILL) while migration batches upload (%d files of 16 KiB, batches of 200), restarted 2 s later", n),
			fmt.Sprintf("%d files stored at the kill; %d batches retried, all completed; %d uploaded + %d skipped (already in the bucket, same content) = %d rows; the bucket lists each file once with its content; table unchanged; temp empty; ready",
				atKill, retried, c.Uploaded, c.Skipped, n))
	}
	w.Stop()
}

// The worker killed with kill -9 while a migration batch uploads, restarted,
// and `enqueue migrate-files --wait --json` run again at once, as an
// operator would: nothing half-written is listed; the re-run finds the
// killed batch (still running) and the first run's others, and waits for
// them; River's own rescuer gives the killed batch back once its timeout
// (MIGRATE_BATCH_TIMEOUT, seconds here) has passed, and its rerun skips
// what the dead worker had uploaded. The re-run exits 0 only when the
// bucket is the media.
func TestWorkerKilledMidMigration(t *testing.T) {
	t.Parallel()
	n := sized(t, "CHAOS_KILL_MIGRATE_ROWS", 600, 300)
	batch := n / 3
	st, gw := migrationStack(t)
	m := newMedia(t, st, n, 4<<10)
	before := tableDigest(t, st)
	// Every request 20 ms slower: a batch takes seconds, long enough to be
	// killed in the middle.
	const batchTimeout = 5 * time.Second
	e, w, proxy := migrationWorker(t, st, gw, 20*time.Millisecond,
		env{"WORKER_QUEUE_STORAGE": "1", "MIGRATE_CONCURRENCY": "2", "MIGRATE_BATCH_TIMEOUT": batchTimeout.String()})
	field, _ := migrateFiles(t, e, batch)
	// Kill in the middle of the second batch: the first is done.
	waitFor(t, "the second batch half uploaded", func() bool { return storedCount(gw) >= batch+batch/2 })
	w.Signal(syscall.SIGKILL)
	w.Wait()
	atKill := storedCount(gw)

	var killed []job
	for _, b := range batchJobs(t, st) {
		if b.State == rivertype.JobStateRunning {
			killed = append(killed, b)
		}
	}
	if len(killed) != 1 || atKill >= n {
		t.Fatalf("after kill -9: %d batches running, %d of %d files stored; want one batch killed in the middle", len(killed), atKill, n)
	}
	// What the dead worker stored is whole: each listed object is its file.
	for _, name := range st.names(t, "documents/") {
		data, err := os.ReadFile(filepath.Join(gw.dir, "media", name))
		if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != m.sums[name] {
			t.Errorf("after kill -9, %q is listed but is not its file (%v)", name, err)
		}
	}

	proxy.SetFault(nil)
	w2 := startWorker(t, e)
	w2.WaitReady()
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("the killed worker's temp files were not swept: %v", files)
	}

	start := time.Now()
	rerunMigration(t, st, gw, m, e, n, field)
	waited := time.Since(start)
	rerun := st.job(t, killed[0].ID)
	var out batchCounts
	_ = json.Unmarshal(rerun.Output, &out)
	if rerun.State != rivertype.JobStateCompleted || rerun.Attempt != 2 || out.Skipped == 0 || out.Uploaded+out.Skipped != batch {
		t.Errorf("the killed batch: %s at attempt %d, output %+v; want completed at attempt 2, skipping what the dead worker uploaded", rerun.State, rerun.Attempt, out)
	}
	if after := tableDigest(t, st); after != before {
		t.Errorf("the migration changed core_document")
	}
	w2.Stop()
	if !t.Failed() {
		report(t, "fault", fmt.Sprintf("worker killed (kill -9) mid-batch during a migration (%d files, batches of %d), restarted, `migrate-files --wait` run again at once", n, batch),
			fmt.Sprintf("%d files stored at the kill, each whole; the re-run waited %.0f s for the first run's batches: River's rescuer gave the killed one back after its timeout (MIGRATE_BATCH_TIMEOUT=%s), it completed at attempt 2 with %d skipped, %d uploaded; exit 0 with %d rows all uploaded or skipped; the bucket lists each file once with its content; table unchanged; temp swept; ready",
				atKill, waited.Seconds(), batchTimeout, out.Skipped, out.Uploaded, n))
	}
}

// A migration run again while the first run's batches are still queued
// and running: without --wait the re-run says so; with --wait it waits
// for them and exits 0 only when the bucket is the media, its totals
// covering every row.
func TestMigrationRerunWhileBatchesUnfinished(t *testing.T) {
	t.Parallel()
	n := sized(t, "CHAOS_RERUN_MIGRATE_ROWS", 2000, 400)
	batch := n / 10
	st, gw := migrationStack(t)
	m := newMedia(t, st, n, 4<<10)
	// Slow requests, and a slot for every batch and the re-run's plan: all
	// the first run's batches are running when the re-run plans.
	e, w, _ := migrationWorker(t, st, gw, 50*time.Millisecond, env{"WORKER_QUEUE_STORAGE": "12", "MIGRATE_CONCURRENCY": "1"})
	field, first := migrateFiles(t, e, batch)
	waitFor(t, "the first run planned and its first files stored", func() bool {
		return st.job(t, int64(mustAtoi(t, first))).State == rivertype.JobStateCompleted && storedCount(gw) >= 1
	})

	// Without --wait: the re-run is enqueued, and says what is unfinished.
	code, _, stderr := cli(t, e, field...)
	if code != 0 || !strings.Contains(stderr, "unfinished") || !strings.Contains(stderr, "plan "+first+":") {
		t.Errorf("re-run without --wait: exit %d, stderr %q; want it to name the first run's unfinished batches (plan %s)", code, stderr, first)
	}
	atRerun := storedCount(gw)
	rerunMigration(t, st, gw, m, e, n, field)
	w.Stop()
	if !t.Failed() {
		report(t, "fault", fmt.Sprintf("`migrate-files --wait` run again while the first run's batches (%d files, batches of %d) are unfinished", n, batch),
			fmt.Sprintf("%d files stored when the re-run started; without --wait it named the first run's unfinished batches; with --wait it waited for them and exited 0 with %d rows all uploaded or skipped; the bucket lists each file once with its content",
				atRerun, n))
	}
}
