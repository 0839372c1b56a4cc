package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/jobs"
	"github.com/revisbali/worker/storage"
)

// helperEnv makes the test binary run as the worker daemon, with the test
// kinds below registered: production code carries no test hook.
const helperEnv = "WORKER_TEST_RUN_DAEMON"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(run(os.Args[1:], registerTestKinds, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// sleepArgs is a job that writes a temp file, then sleeps, or blocks until
// cancelled on its first attempt.
type sleepArgs struct {
	Seconds           float64 `json:"seconds"`
	BlockFirstAttempt bool    `json:"block_first_attempt"`
}

func (sleepArgs) Kind() string { return "test_sleep" }

func (sleepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueStorage, MaxAttempts: 5}
}

const sleepTimeout = 8 * time.Second

type sleepWorker struct {
	river.WorkerDefaults[sleepArgs]
	deps jobs.Deps
}

func (w *sleepWorker) Timeout(*river.Job[sleepArgs]) time.Duration { return sleepTimeout }

func (w *sleepWorker) Work(ctx context.Context, job *river.Job[sleepArgs]) error {
	return w.deps.Temp.WithDir(ctx, func(dir string) error {
		// A stand-in for a local copy of a stored file.
		if err := os.WriteFile(filepath.Join(dir, "scan.pdf"), []byte("partial copy"), 0o600); err != nil {
			return err
		}
		wait := time.Duration(job.Args.Seconds * float64(time.Second))
		if job.Args.BlockFirstAttempt && job.Attempt == 1 {
			wait = time.Hour
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return jobs.RiverError(ctx, fmt.Errorf("sleep: %w", ctx.Err()))
		}
		return river.RecordOutput(ctx, map[string]any{"slept": job.Args.Seconds, "attempt": job.Attempt})
	})
}

type panicArgs struct{}

func (panicArgs) Kind() string { return "test_panic" }

func (panicArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueStorage, MaxAttempts: 1}
}

type panicWorker struct {
	river.WorkerDefaults[panicArgs]
}

func (panicWorker) Work(context.Context, *river.Job[panicArgs]) error {
	var m map[string]int
	//lint:ignore SA5000 a nil map write is the point: a genuine runtime panic
	m["boom"]++
	return nil
}

// storeArgs saves a small file into the storage.
type storeArgs struct {
	Name string `json:"name"`
}

func (storeArgs) Kind() string { return "test_store" }

func (storeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueStorage, MaxAttempts: 2}
}

type storeWorker struct {
	river.WorkerDefaults[storeArgs]
	deps jobs.Deps
}

func (w *storeWorker) Work(ctx context.Context, job *river.Job[storeArgs]) error {
	name, err := w.deps.Storage.Save(ctx, job.Args.Name, strings.NewReader("stored"), storage.SaveOptions{Replace: true})
	if err != nil {
		return err
	}
	return river.RecordOutput(ctx, map[string]any{"name": name})
}

func registerTestKinds(deps jobs.Deps) (*jobs.Registry, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &sleepWorker{deps: deps})
	river.AddWorker(workers, &panicWorker{})
	river.AddWorker(workers, &storeWorker{deps: deps})
	return &jobs.Registry{
		Workers: workers,
		Kinds: []jobs.Kind{
			{Name: "test_sleep", Queue: jobs.QueueStorage, Timeout: sleepTimeout},
			{Name: "test_panic", Queue: jobs.QueueStorage, Timeout: time.Second},
			{Name: "test_store", Queue: jobs.QueueStorage, Timeout: 30 * time.Second},
		},
	}, nil
}

// proc is a worker daemon run by a test.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{}
	code int

	mu    sync.Mutex
	lines []map[string]any
	raw   []string
	cond  *sync.Cond
}

type env map[string]string

// startProc runs the daemon against dbURL with args ("migrate" or none).
func startProc(t *testing.T, vars env, args ...string) *proc {
	t.Helper()
	return startProcIn(t, "", vars, args...)
}

// startProcIn is startProc in the working directory dir.
func startProcIn(t *testing.T, dir string, vars env, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), helperEnv+"=1", "WORKER_HTTP_ADDR=127.0.0.1:0")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, done: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			_ = json.Unmarshal(sc.Bytes(), &line)
			p.mu.Lock()
			p.raw = append(p.raw, sc.Text())
			if line != nil {
				p.lines = append(p.lines, line)
			}
			p.cond.Broadcast()
			p.mu.Unlock()
		}
		err := cmd.Wait()
		p.mu.Lock()
		p.code = cmd.ProcessState.ExitCode()
		if err != nil && p.code == -1 {
			p.code = -9 // killed by a signal
		}
		p.cond.Broadcast()
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("worker log:\n%s", strings.Join(p.log(), "\n"))
		}
	})
	return p
}

func (p *proc) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.raw...)
}

// waitLog waits for a log line with this message and returns it.
func (p *proc) waitLog(msg string) map[string]any {
	p.t.Helper()
	deadline := time.AfterFunc(60*time.Second, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	defer deadline.Stop()
	start := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; ; {
		for ; i < len(p.lines); i++ {
			if p.lines[i]["msg"] == msg {
				return p.lines[i]
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("worker exited (code %d) before logging %q", p.code, msg)
		default:
		}
		if time.Since(start) >= 60*time.Second {
			p.t.Fatalf("no %q in the worker's log after 60s", msg)
		}
		p.cond.Wait()
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(90 * time.Second):
		p.t.Fatal("worker did not exit within 90s")
		return 0
	}
}

func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// baseEnv is what every daemon of a test gets: its database, a media root
// and a temp folder of its own.
func baseEnv(t *testing.T, dbURL string) env {
	return env{"DATABASE_URL": dbURL, "MEDIA_ROOT": t.TempDir(), "WORKER_TMPDIR": t.TempDir()}
}

func startWorker(t *testing.T, vars env) (*proc, string) {
	t.Helper()
	p := startProc(t, vars)
	started := p.waitLog("worker started")
	return p, "http://" + started["http"].(string)
}

type testBundle struct {
	dbURL  string
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx] // insert-only
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	dbURL := testbed.NewDatabase(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{dbURL: dbURL, pool: pool, client: client}
}

func (b *testBundle) insert(t *testing.T, args river.JobArgs) int64 {
	t.Helper()
	res, err := b.client.Insert(context.Background(), args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Job.ID
}

// waitState polls the job until it reaches one of the states.
func (b *testBundle) waitState(t *testing.T, id int64, states ...rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		job, err := b.client.JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if job.State == s {
				return job
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s after 120s, want one of %v (errors: %v)", id, job.State, states, job.Errors)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func tempFiles(t *testing.T, tmp string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() != ".lock" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

// waitTempFile waits until the running job has written its temp file (a
// job is "running" from the moment it is fetched, a little before Work).
func waitTempFile(t *testing.T, tmp string) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if files := tempFiles(t, tmp); len(files) > 0 {
			return files
		}
		if time.Now().After(deadline) {
			t.Fatal("the running job wrote no temp file within 30s: the test would prove nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
