package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/internal/workerproc"
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

type env map[string]string

// startProc runs the daemon against dbURL with args ("migrate" or none).
func startProc(t *testing.T, vars env, args ...string) *workerproc.Proc {
	t.Helper()
	return startProcIn(t, "", vars, args...)
}

// startProcIn is startProc in the working directory dir.
func startProcIn(t *testing.T, dir string, vars env, args ...string) *workerproc.Proc {
	t.Helper()
	e := append(os.Environ(), helperEnv+"=1", "WORKER_HTTP_ADDR=127.0.0.1:0")
	for k, v := range vars {
		e = append(e, k+"="+v)
	}
	return workerproc.Start(t, workerproc.Options{Bin: os.Args[0], Args: args, Dir: dir, Env: e})
}

// baseEnv is what every daemon of a test gets: its database, a media root
// and a temp folder of its own.
func baseEnv(t *testing.T, dbURL string) env {
	return env{"DATABASE_URL": dbURL, "MEDIA_ROOT": t.TempDir(), "WORKER_TMPDIR": t.TempDir()}
}

func startWorker(t *testing.T, vars env) (*workerproc.Proc, string) {
	t.Helper()
	p := startProc(t, vars)
	p.WaitStarted()
	return p, p.HTTP
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
	code, body, err := workerproc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

// waitTempFile waits until the running job has written its temp file (a
// job is "running" from the moment it is fetched, a little before Work).
func waitTempFile(t *testing.T, tmp string) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if files := workerproc.TempFiles(t, tmp); len(files) > 0 {
			return files
		}
		if time.Now().After(deadline) {
			t.Fatal("the running job wrote no temp file within 30s: the test would prove nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
