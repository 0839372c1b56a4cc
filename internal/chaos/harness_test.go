package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/internal/workerproc"
	"github.com/revisbali/worker/storage"
)

// The binaries under test, built once by TestMain, the repository's
// tessdata folder (the passport reader's model, which the worker needs to
// start), and every line any of their processes wrote, for the secrets
// scan at the end.
var (
	workerBin, enqueueBin string
	tessdataDir           string
	outputs               = &logbook{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workerBin, enqueueBin = filepath.Join(dir, "worker"), filepath.Join(dir, "enqueue")
	if tessdataDir, err = filepath.Abs("../../tessdata"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for bin, pkg := range map[string]string{workerBin: "../../cmd/worker", enqueueBin: "../../cmd/enqueue"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	if leaks := outputs.secretLeaks(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: secret values appeared in the output of the processes these tests ran:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// logbook keeps every process's output, and the secret values that must
// never appear in it.
type logbook struct {
	mu      sync.Mutex
	secrets map[string]string // value -> what it is
	texts   []string          // "process: output"
}

func (l *logbook) secret(what, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secrets == nil {
		l.secrets = map[string]string{}
	}
	l.secrets[value] = what
}

func (l *logbook) add(who, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.texts = append(l.texts, who+": "+text)
}

// secretLeaks lists each secret found and where.
func (l *logbook) secretLeaks() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var leaks []string
	for value, what := range l.secrets {
		for _, text := range l.texts {
			if strings.Contains(text, value) {
				leaks = append(leaks, fmt.Sprintf("%s in %.200s", what, text))
			}
		}
	}
	slices.Sort(leaks)
	return leaks
}

// env is the environment of a worker or enqueue process, on top of the
// test process's own (for PATH, TESSDATA_PREFIX and the like).
type env map[string]string

func (e env) clone() env {
	c := env{}
	for k, v := range e {
		c[k] = v
	}
	return c
}

func (e env) list() []string {
	// The test bed's variables are for the tests, not the processes.
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEST_") && !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	out = append(out, "OMP_THREAD_LIMIT=1")
	if os.Getenv("PASSPORT_TESSDATA_DIR") == "" {
		out = append(out, "PASSPORT_TESSDATA_DIR="+tessdataDir)
	}
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// stack is one test's database, storage and folders, with the settings a
// worker and the CLI need to reach them.
type stack struct {
	env   env
	pool  *pgxpool.Pool
	store storage.Storage
	dbURL string
}

// newStack gives a test its own database and either a bucket prefix on the
// test bed's versitygw (cloud) or a media folder. The S3 secret is the test
// bed's, registered with the logbook; tests that add secrets register them.
func newStack(t *testing.T, cloud bool) *stack {
	t.Helper()
	dbURL := testbed.NewDatabase(t)
	e := env{
		"DATABASE_URL":     dbURL,
		"MEDIA_ROOT":       t.TempDir(),
		"WORKER_TMPDIR":    t.TempDir(),
		"WORKER_HTTP_ADDR": "127.0.0.1:0",
	}
	if cloud {
		s3 := testbed.S3Server(t)
		outputs.secret("the S3 secret key (AWS_SECRET_ACCESS_KEY)", s3.SecretKey)
		e["USE_CLOUD_STORAGE"] = "True"
		e["AWS_ACCESS_KEY_ID"] = s3.AccessKey
		e["AWS_SECRET_ACCESS_KEY"] = s3.SecretKey
		e["AWS_STORAGE_BUCKET_NAME"] = s3.Bucket
		e["AWS_S3_ENDPOINT_URL"] = s3.Endpoint
		// A location of its own keeps this test's objects apart.
		e["AWS_LOCATION"] = "chaos-" + filepath.Base(e["WORKER_TMPDIR"]) + "-" + fmt.Sprint(time.Now().UnixNano())
	}
	st := &stack{env: e, dbURL: dbURL}
	st.reopen(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st.pool = pool
	return st
}

// reopen builds the test's own handle on the storage from st.env.
func (st *stack) reopen(t *testing.T) {
	t.Helper()
	vars := map[string]string{}
	for k, v := range st.env {
		vars[k] = v
	}
	cfg, err := config.LoadFrom(vars)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	store, err := storage.New(context.Background(), cfg.Storage)
	if err != nil {
		t.Fatalf("storage: %v", err)
	}
	st.store = store
}

func (st *stack) save(t *testing.T, name string, data []byte) {
	t.Helper()
	got, err := st.store.Save(context.Background(), name, bytes.NewReader(data), storage.SaveOptions{Replace: true, Size: int64(len(data))})
	if err != nil || got != name {
		t.Fatalf("save %q: %q, %v", name, got, err)
	}
}

// names lists what the storage holds under prefix.
func (st *stack) names(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	for info, err := range st.store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		out = append(out, info.Name)
	}
	slices.Sort(out)
	return out
}

// startWorker runs the worker and waits until it has started; it fails the
// test if the worker exits first.
func startWorker(t *testing.T, e env) *workerproc.Proc {
	t.Helper()
	p := spawnWorker(t, e)
	p.WaitStarted()
	return p
}

// startWorkerWithKinds is startWorker for tests of job kinds that land on
// main one by one: a build that works none of them yet exits at start,
// and the test is skipped, saying so.
func startWorkerWithKinds(t *testing.T, e env) *workerproc.Proc {
	t.Helper()
	p := spawnWorker(t, e)
	if !p.AwaitStarted() {
		if p.HasLog("no job kind has a worker yet: nothing to do") {
			t.Skip("this build of the worker works no job kind yet")
		}
		t.Fatalf("worker exited (code %d) before it started; last lines:\n%s", p.Code(), strings.Join(workerproc.Last(p.Log(), 20), "\n"))
	}
	return p
}

// spawnWorker runs the built worker with args; every line it writes goes
// to the logbook.
func spawnWorker(t *testing.T, e env, args ...string) *workerproc.Proc {
	t.Helper()
	name := "worker (" + t.Name() + ")"
	return workerproc.Start(t, workerproc.Options{
		Bin: workerBin, Args: args, Env: e.list(), Name: name,
		Output: func(line string) { outputs.add(name, line) },
	})
}

// requireKind skips a test of a kind this build does not work yet: its
// domain package has not landed. The skip names the kind, so that a run
// that proves nothing for it says so.
func requireKind(t *testing.T, p *workerproc.Proc, kind string) {
	t.Helper()
	if !slices.Contains(p.Kinds(), kind) {
		t.Skipf("this build of the worker has no %s worker yet (it works %v)", kind, p.Kinds())
	}
}

// cli runs the enqueue command and returns its exit code, stdout and stderr.
func cli(t *testing.T, e env, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, enqueueBin, args...)
	cmd.Env = e.list()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	outputs.add("enqueue "+strings.Join(args, " "), stdout.String()+stderr.String())
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("enqueue %q: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// jobResult is what `enqueue --json` prints.
type jobResult struct {
	ID     int64              `json:"id"`
	Kind   string             `json:"kind"`
	State  rivertype.JobState `json:"state"`
	Errors []struct {
		Attempt int    `json:"attempt"`
		Error   string `json:"error"`
		Trace   string `json:"trace"`
	} `json:"errors"`
	Output json.RawMessage `json:"output"`
}

// job is a row of river_job, read by the test directly.
type job struct {
	ID      int64
	State   rivertype.JobState
	Attempt int
	Errors  []string
	Output  []byte
}

func (st *stack) job(t *testing.T, id int64) job {
	t.Helper()
	var j job
	var errs []map[string]any
	err := st.pool.QueryRow(context.Background(),
		`SELECT id, state, attempt, coalesce(errors, '{}'), coalesce(metadata->'output', 'null') FROM river_job WHERE id = $1`, id).
		Scan(&j.ID, &j.State, &j.Attempt, &errs, &j.Output)
	if err != nil {
		t.Fatalf("job %d: %v", id, err)
	}
	for _, e := range errs {
		j.Errors = append(j.Errors, fmt.Sprint(e["error"]))
	}
	return j
}

// report appends one row to the figures `make chaos` writes into
// RELIABILITY.md (the file named by CHAOS_REPORT); without it, the row
// goes to the test log only.
func report(t *testing.T, area, check, result string) {
	t.Helper()
	row := fmt.Sprintf("| %s | %s | %s |\n", area, check, result)
	t.Log(strings.TrimSpace(row))
	path := os.Getenv("CHAOS_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("CHAOS_REPORT: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(row); err != nil {
		t.Errorf("CHAOS_REPORT: %v", err)
	}
}
