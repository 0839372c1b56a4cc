package chaos

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/revisbali/worker/internal/workerproc"
	"github.com/revisbali/worker/jobs"
)

// textPNG is a small scan: one line of black text on white.
func textPNG(text string) []byte {
	img := image.NewGray(image.Rect(0, 0, 8*len(text)+40, 40))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13, Dot: fixed.P(20, 25)}
	d.DrawString(text)
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// rss is a process's resident set in KiB, from /proc.
func rss(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// rssAll is rss of each worker.
func rssAll(t *testing.T, procs []*workerproc.Proc) []int {
	t.Helper()
	kib := make([]int, len(procs))
	for i, w := range procs {
		kib[i] = rss(t, w.Pid())
	}
	return kib
}

// startLoadWorkers starts n workers on e, each registering kind.
func startLoadWorkers(t *testing.T, e env, n int, kind string) []*workerproc.Proc {
	t.Helper()
	procs := make([]*workerproc.Proc, n)
	for i := range procs {
		procs[i] = startWorkerWithKinds(t, e)
		requireKind(t, procs[i], kind)
	}
	return procs
}

// mib shows resident sets in KiB as MiB, one per worker.
func mib(kib []int) string {
	s := make([]string, len(kib))
	for i, k := range kib {
		s[i] = strconv.Itoa(k / 1024)
	}
	return strings.Join(s, "/")
}

// sampleConnections counts the database's connections every 250 ms until
// the returned function is called, which returns the most seen.
func sampleConnections(st *stack) func() int {
	var most int
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var c int
			if err := st.pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").Scan(&c); err == nil {
				most = max(most, c)
			}
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return func() int {
		close(stop)
		<-sampled
		return most
	}
}

// Load: CHAOS_OCR_JOBS (default 5,000) OCR jobs of small scans on the S3
// test bed, worked by 4 worker processes. Every job completes at its
// first attempt and leaves exactly one preview; the figures are the
// throughput, the run time and queue-to-done latency at p50 and p95, each
// worker's RSS after start and at the end, and the most connections the
// database saw.
func TestLoadOCR(t *testing.T) {
	n := sized(t, "CHAOS_OCR_JOBS", 5000, 40)
	const workers = 4
	st := newStack(t, true)
	ctx := context.Background()

	// The scans, uploaded eight at a time.
	names := make([]string, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				names[i] = fmt.Sprintf("load/scan-%05d.png", i)
				st.save(t, names[i], textPNG(fmt.Sprintf("INVOICE %05d TOTAL %d.00", i, i*7%1000)))
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()

	e := st.env.clone()
	e["WORKER_QUEUE_OCR"] = "1"
	procs := startLoadWorkers(t, e, workers, "ocr_document")
	rssStart := rssAll(t, procs)

	maxConns := sampleConnections(st)

	client, err := river.NewClient(riverpgxv5.New(st.pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < n; i += 500 {
		var params []river.InsertManyParams
		for _, name := range names[i:min(i+500, n)] {
			params = append(params, river.InsertManyParams{Args: jobs.OCRDocumentArgs{Name: name}})
		}
		if _, err := client.InsertMany(ctx, params); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(3 * time.Hour)
	for {
		var done int
		if err := st.pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'ocr_document' AND finalized_at IS NOT NULL").Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs finished after 3 hours", done, n)
		}
		if time.Since(start).Round(time.Second)%(30*time.Second) == 0 {
			t.Logf("%s: %d of %d jobs finished", time.Since(start).Round(time.Second), done, n)
		}
		time.Sleep(time.Second)
	}
	elapsed := time.Since(start)
	conns := maxConns()

	var completed, firstAttempt int
	var runP50, runP95, e2eP50, e2eP95 float64
	err = st.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE attempt = 1),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - attempted_at)),
		percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - attempted_at)),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - created_at)),
		percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - created_at))
		FROM river_job WHERE kind = 'ocr_document'`).Scan(&completed, &firstAttempt, &runP50, &runP95, &e2eP50, &e2eP95)
	if err != nil {
		t.Fatal(err)
	}
	if completed != n || firstAttempt != n {
		t.Errorf("%d jobs: %d completed, %d at their first attempt; want all", n, completed, firstAttempt)
	}
	previews := st.names(t, "previews/load/")
	if len(previews) != n || len(slices.Compact(previews)) != n {
		t.Errorf("%d previews for %d jobs: an object lost or duplicated", len(previews), n)
	}
	rssEnd := rssAll(t, procs)
	for _, w := range procs {
		w.WaitReady()
		w.Stop()
	}
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %d", len(files))
	}
	report(t, "load", fmt.Sprintf("%d OCR jobs of small scans from S3, %d worker processes (1 OCR slot each)", n, workers),
		fmt.Sprintf("%.1f jobs/s; run time p50 %.2f s, p95 %.2f s; queue to done p50 %.0f s, p95 %.0f s; RSS MiB at start %s, at end %s; at most %d database connections; %d completed at attempt 1, %d previews",
			float64(n)/elapsed.Seconds(), runP50, runP95, e2eP50, e2eP95, mib(rssStart), mib(rssEnd), conns, firstAttempt, len(previews)))
}

// Load: a migration plan of CHAOS_MIGRATE_ROWS rows (default 100,000),
// each naming a small file of its own (about 1 KiB: the figure is the
// cost per file, which the S3 round trips dominate, not the bandwidth),
// worked by 4 worker processes with the default queue and copy settings,
// into a private versitygw. Every batch completes at its first attempt and
// the bucket holds every file once with its content; the figures are rows
// and files per second, a batch's run time at p50 and p95, each worker's
// RSS after start and at the end, and the most connections the database saw.
func TestLoadMigration(t *testing.T) {
	n := sized(t, "CHAOS_MIGRATE_ROWS", 100_000, 2000)
	const workers = 4
	st, gw := migrationStack(t)
	m := newMedia(t, st, n, 1<<10)
	before := tableDigest(t, st)
	ctx := context.Background()

	e := st.env.clone()
	procs := startLoadWorkers(t, e, workers, "migrate_files_batch")
	rssStart := rssAll(t, procs)
	maxConns := sampleConnections(st)

	start := time.Now()
	code, stdout, stderr := cli(t, e, "migrate-files", "--field", "core_document.file")
	if code != 0 {
		t.Fatalf("enqueue migrate-files: exit %d: %s", code, stderr)
	}
	plan := strings.TrimSpace(stdout)
	deadline := time.Now().Add(time.Hour)
	logged := start
	for {
		var planDone bool
		var batches, pending int
		err := st.pool.QueryRow(ctx, `SELECT
			(SELECT finalized_at IS NOT NULL FROM river_job WHERE id = $1),
			count(*), count(*) FILTER (WHERE finalized_at IS NULL)
			FROM river_job WHERE kind = 'migrate_files_batch'`, mustAtoi(t, plan)).Scan(&planDone, &batches, &pending)
		if err != nil {
			t.Fatal(err)
		}
		if planDone && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("migration of %d rows: %d of %d batches unfinished after an hour", n, pending, batches)
		}
		if time.Since(logged) >= 30*time.Second {
			logged = time.Now()
			t.Logf("%s: %d of %d batches finished", time.Since(start).Round(time.Second), batches-pending, batches)
		}
		time.Sleep(250 * time.Millisecond)
	}
	elapsed := time.Since(start)
	conns := maxConns()

	code, r, c := migrationView(t, e, plan)
	if code != 0 || r.State != "completed" {
		t.Errorf("migration: exit %d, state %s, errors %+v", code, r.State, r.Errors)
	}
	if c.Rows != n || c.Uploaded != n || c.Failed+c.Missing+c.Refused+c.Skipped != 0 {
		t.Errorf("batch totals %+v, want %d rows, each uploaded once", c, n)
	}
	var batches, firstAttempt int
	var runP50, runP95, planRun float64
	err := st.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE attempt = 1 AND state = 'completed'),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - attempted_at)),
		percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - attempted_at)),
		(SELECT extract(epoch FROM finalized_at - attempted_at) FROM river_job WHERE id = $1)
		FROM river_job WHERE kind = 'migrate_files_batch'`, mustAtoi(t, plan)).Scan(&batches, &firstAttempt, &runP50, &runP95, &planRun)
	if err != nil {
		t.Fatal(err)
	}
	if firstAttempt != batches {
		t.Errorf("%d of %d batches completed at their first attempt; want all", firstAttempt, batches)
	}
	rssEnd := rssAll(t, procs)
	for _, w := range procs {
		w.WaitReady()
		w.Stop()
	}
	if problems := m.checkBucket(t, st, gw); len(problems) > 0 {
		t.Errorf("the bucket is not the media:\n%s", strings.Join(problems, "\n"))
	}
	if after := tableDigest(t, st); after != before {
		t.Errorf("the migration changed core_document")
	}
	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %d", len(files))
	}
	report(t, "load", fmt.Sprintf("migration plan of %d rows, one 1 KiB file each, from MEDIA_ROOT to versitygw, %d worker processes (8 storage slots, 16 files in flight per batch)", n, workers),
		fmt.Sprintf("%.0f rows/s, %.0f files/s (%d in %.0f s); %d batches of 500, run time p50 %.1f s, p95 %.1f s, plan %.1f s; RSS MiB at start %s, at end %s; at most %d database connections; %d batches completed at attempt 1; every file in the bucket once with its content; table unchanged",
			float64(n)/elapsed.Seconds(), float64(c.Uploaded)/elapsed.Seconds(), c.Uploaded, elapsed.Seconds(), batches, runP50, runP95, planRun, mib(rssStart), mib(rssEnd), conns, firstAttempt))
}
