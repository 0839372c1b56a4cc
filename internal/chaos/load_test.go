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

// Load: CHAOS_OCR_JOBS (default 5,000) OCR jobs of small scans on the S3
// test bed, worked by 4 worker processes. Every job completes at its
// first attempt and leaves exactly one preview; the figures are the
// throughput, the run time and queue-to-done latency at p50 and p95, each
// worker's RSS after start and at the end, and the most connections the
// database saw.
func TestLoadOCR(t *testing.T) {
	longTest(t)
	n := 5000
	if v := os.Getenv("CHAOS_OCR_JOBS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
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
	var procs []*proc
	for range workers {
		w := startWorkerWithKinds(t, e)
		requireKind(t, w, "ocr_document")
		procs = append(procs, w)
	}
	rssStart := make([]int, workers)
	for i, w := range procs {
		rssStart[i] = rss(t, w.cmd.Process.Pid)
	}

	// Sample the database's connections while the jobs run.
	var maxConns int
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var c int
			if err := st.pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").Scan(&c); err == nil {
				maxConns = max(maxConns, c)
			}
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()

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
	close(stop)
	<-sampled

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
	rssEnd := make([]int, workers)
	for i, w := range procs {
		rssEnd[i] = rss(t, w.cmd.Process.Pid)
		w.waitReady()
		w.stop()
	}
	if files := tempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left: %d", len(files))
	}
	mib := func(kib []int) string {
		s := make([]string, len(kib))
		for i, k := range kib {
			s[i] = strconv.Itoa(k / 1024)
		}
		return strings.Join(s, "/")
	}
	report(t, "load", fmt.Sprintf("%d OCR jobs of small scans from S3, %d worker processes (1 OCR slot each)", n, workers),
		fmt.Sprintf("%.1f jobs/s; run time p50 %.2f s, p95 %.2f s; queue to done p50 %.0f s, p95 %.0f s; RSS MiB at start %s, at end %s; at most %d database connections; %d completed at attempt 1, %d previews",
			float64(n)/elapsed.Seconds(), runP50, runP95, e2eP50, e2eP95, mib(rssStart), mib(rssEnd), maxConns, firstAttempt, len(previews)))
}
