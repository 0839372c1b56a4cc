package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/jobs"
)

// Stand-ins for the domain workers, run by a real River client on the real
// database, so that the CLI follows jobs that end every way a job can.
type ocrWorker struct {
	river.WorkerDefaults[jobs.OCRDocumentArgs]
}

func (ocrWorker) Work(ctx context.Context, job *river.Job[jobs.OCRDocumentArgs]) error {
	switch job.Args.Name {
	case "scans/ok.png":
		return river.RecordOutput(ctx, map[string]any{"name": job.Args.Name, "text": "hello", "preview": map[string]any{"name": "previews/" + job.Args.Name + ".jpg"}})
	case "scans/corrupt.png":
		return jobs.RiverError(ctx, fmt.Errorf("ocr %s: %w", job.Args.Name, fault.BadInput("not an image")))
	default:
		return jobs.RiverError(ctx, errors.New("s3: 503 slow down"))
	}
}

// NextRetry retries at once, so that a failing job is discarded quickly.
func (ocrWorker) NextRetry(*river.Job[jobs.OCRDocumentArgs]) time.Time { return time.Now() }

// passportWorker records what the passport job stores for a scan whose
// holder's portrait was found: the portrait's name, never a URL.
type passportWorker struct {
	river.WorkerDefaults[jobs.PassportMRZArgs]
}

func (passportWorker) Work(ctx context.Context, job *river.Job[jobs.PassportMRZArgs]) error {
	return river.RecordOutput(ctx, map[string]any{"name": job.Args.Name, "valid": true,
		"portrait": map[string]any{"name": "portraits/" + job.Args.Name + ".jpg"}})
}

type planWorker struct {
	river.WorkerDefaults[jobs.MigrateFilesArgs]
}

func (planWorker) Work(ctx context.Context, job *river.Job[jobs.MigrateFilesArgs]) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	table := "core_document"
	if len(job.Args.Fields) > 0 {
		table, _, _ = strings.Cut(job.Args.Fields[0], ".")
	}
	var batches []river.InsertManyParams
	for i := range 3 {
		batches = append(batches, river.InsertManyParams{Args: jobs.MigrateFilesBatchArgs{
			PlanID: job.ID, Schema: "public", Table: table, Column: "file", KeyColumn: "id",
			After: new(strconv.Itoa(i * 10)), Upto: new(strconv.Itoa(i*10 + 10)),
		}})
	}
	if _, err := client.InsertMany(ctx, batches); err != nil {
		return err
	}
	return river.RecordOutput(ctx, map[string]any{
		"dry_run": job.Args.DryRun,
		"fields":  []map[string]any{{"table": "core_document", "column": "file", "rows": 30, "batches": 3}},
	})
}

type batchWorker struct {
	river.WorkerDefaults[jobs.MigrateFilesBatchArgs]
}

// Work reports a batch of 10 rows; the table's name picks how it ends:
// "failing" fails a file and refuses one, "cancelling" cancels the second
// batch.
func (batchWorker) Work(ctx context.Context, job *river.Job[jobs.MigrateFilesBatchArgs]) error {
	switch {
	case job.Args.Table == "failing":
		return river.RecordOutput(ctx, map[string]any{
			"table": job.Args.Table, "column": job.Args.Column, "rows": 10, "uploaded": 8, "refused": 1, "failed": 1,
			"refused_names": []string{"../outside-" + *job.Args.Upto}, "failed_names": []string{"docs/" + *job.Args.Upto + ".pdf"},
		})
	case job.Args.Table == "cancelling" && *job.Args.Upto == "20":
		return river.JobCancel(errors.New("the batch's table is gone"))
	}
	return river.RecordOutput(ctx, map[string]any{
		"table": job.Args.Table, "column": job.Args.Column, "rows": 10, "uploaded": 8, "skipped": 1,
		"missing": 1, "failed": 0, "bytes": 800, "missing_names": []string{"docs/" + *job.Args.Upto + ".pdf"},
	})
}

type testBundle struct {
	env  map[string]string
	pool *pgxpool.Pool
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	dbURL, pool := testbed.NewRiverDatabase(t)
	return &testBundle{env: map[string]string{"DATABASE_URL": dbURL, "MEDIA_ROOT": t.TempDir()}, pool: pool}
}

// work starts a River client working the stand-in kinds until the test ends.
func (b *testBundle) work(t *testing.T) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &ocrWorker{})
	river.AddWorker(workers, &passportWorker{})
	river.AddWorker(workers, &planWorker{})
	river.AddWorker(workers, &batchWorker{})
	client, err := river.NewClient(riverpgxv5.New(b.pool), &river.Config{
		Queues: map[string]river.QueueConfig{
			jobs.QueueOCR:      {MaxWorkers: 2},
			jobs.QueuePassport: {MaxWorkers: 1},
			jobs.QueueStorage:  {MaxWorkers: 2},
		},
		Workers:  workers,
		TestOnly: true,
		Logger:   testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.StopAndCancel(ctx)
	})
}

type result struct {
	code           int
	stdout, stderr string
}

func (b *testBundle) run(t *testing.T, tty bool, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, args, b.env, &streams{stdout: &stdout, stderr: &stderr, tty: tty})
	return result{code, stdout.String(), stderr.String()}
}

// decodeView reads --json output and checks it has exactly the contract's keys.
func decodeView(t *testing.T, out string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	var keys []string
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"errors", "id", "kind", "output", "state"}; !slices.Equal(keys, want) {
		t.Errorf("--json keys %v, want %v", keys, want)
	}
	return v
}

func TestWaitExitCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(t)
	tests := []struct {
		name      string
		wantCode  int
		wantState string
		wantError string
		attempts  int
	}{
		{"scans/ok.png", exitOK, "completed", "", 0},
		{"scans/corrupt.png", exitNotComplete, "cancelled", "not an image", 1},
		{"scans/flaky.png", exitNotComplete, "discarded", "503 slow down", 5},
	}
	for _, tt := range tests {
		t.Run(tt.wantState, func(t *testing.T) {
			t.Parallel()
			r := b.run(t, false, "ocr", tt.name, "--wait", "--json")
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			v := decodeView(t, r.stdout)
			if v["state"] != tt.wantState || v["kind"] != jobs.KindOCRDocument {
				t.Errorf("state %v kind %v, want %s %s", v["state"], v["kind"], tt.wantState, jobs.KindOCRDocument)
			}
			errs := v["errors"].([]any)
			if len(errs) != tt.attempts {
				t.Errorf("%d errors recorded, want %d: %v", len(errs), tt.attempts, errs)
			}
			if tt.wantError != "" && (len(errs) == 0 || !strings.Contains(errs[len(errs)-1].(map[string]any)["error"].(string), tt.wantError)) {
				t.Errorf("errors %v do not say %q", errs, tt.wantError)
			}
			if tt.wantState == "completed" {
				out, _ := v["output"].(map[string]any)
				if out["text"] != "hello" {
					t.Errorf("output %v, want the job's recorded output", v["output"])
				}
				// The job stored the preview's name; the URL is made now.
				want := map[string]any{"name": "previews/scans/ok.png.jpg", "url": "/media/previews/scans/ok.png.jpg"}
				if preview, _ := out["preview"].(map[string]any); !maps.Equal(preview, want) {
					t.Errorf("preview %v, want %v", out["preview"], want)
				}
			} else if v["output"] != nil {
				t.Errorf("output %v for a job that did not complete", v["output"])
			}
			// Plain lines on a pipe, ending with the final state.
			if !strings.Contains(r.stderr, ": "+tt.wantState) || strings.Contains(r.stderr, "\r") {
				t.Errorf("progress lines:\n%s", r.stderr)
			}
		})
	}
}

// A passport job's output names the holder's portrait; --json shows it
// with a URL made when read (under MEDIA_URL here, presigned with cloud
// storage), as Django's job_result does.
func TestPassportPortraitURL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(t)
	r := b.run(t, false, "passport", "passports/p.jpg", "--wait", "--json")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	v := decodeView(t, r.stdout)
	out, _ := v["output"].(map[string]any)
	want := map[string]any{"name": "portraits/passports/p.jpg.jpg", "url": "/media/portraits/passports/p.jpg.jpg"}
	if portrait, _ := out["portrait"].(map[string]any); !maps.Equal(portrait, want) {
		t.Errorf("portrait %v, want %v", out["portrait"], want)
	}
	// status reads the same job again: the URL is made again, not stored.
	r = b.run(t, false, "status", fmt.Sprint(v["id"]), "--json")
	if out, _ := decodeView(t, r.stdout)["output"].(map[string]any); r.code != exitOK || !maps.Equal(out["portrait"].(map[string]any), want) {
		t.Errorf("status: exit %d, output %v", r.code, out)
	}
	var stored string
	if err := b.pool.QueryRow(context.Background(), `SELECT (metadata->'output')::text FROM river_job WHERE kind = $1`, jobs.KindPassportMRZ).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "url") {
		t.Errorf("the job's stored output %s holds a URL", stored)
	}
}

func TestWaitOnTerminalAndPlain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(t)

	r := b.run(t, true, "ocr", "scans/ok.png", "--lang", "eng", "--wait")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "\r\033[K[") || !strings.Contains(r.stderr, "completed") {
		t.Errorf("no progress bar on a terminal: %q", r.stderr)
	}
	// A person reads the output, indented.
	if !strings.Contains(r.stdout, `"text": "hello"`) {
		t.Errorf("stdout %q does not show the output", r.stdout)
	}

	r = b.run(t, false, "ocr", "scans/corrupt.png", "--wait")
	if r.code != exitNotComplete || !strings.Contains(r.stderr, "cancelled after 1 attempt(s)") || !strings.Contains(r.stderr, "not an image") {
		t.Errorf("exit %d, stderr %q: want 1 and the reason", r.code, r.stderr)
	}
}

func TestMigrateFilesWaitTotalsBatches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(t)
	r := b.run(t, false, "migrate-files", "--field", "core_document.file", "--batch-size", "10", "--wait", "--json")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	v := decodeView(t, r.stdout)
	out := v["output"].(map[string]any)
	want := map[string]float64{"batches": 3, "rows": 30, "uploaded": 24, "skipped": 3, "missing": 3, "failed": 0, "bytes": 2400}
	for k, n := range want {
		if out[k] != n {
			t.Errorf("output[%s] = %v, want %v", k, out[k], n)
		}
	}
	if names, _ := out["missing_names"].([]any); len(names) != 3 {
		t.Errorf("missing_names %v, want one per batch", out["missing_names"])
	}
	if fields, _ := out["fields"].([]any); len(fields) != 1 {
		t.Errorf("the plan's fields are lost: %v", out["fields"])
	}
	if !strings.Contains(r.stderr, "batches: 3 of 3 done") {
		t.Errorf("no batch progress:\n%s", r.stderr)
	}
}

// A migration exits 0 only when every batch completed with no failed file:
// a failed file exits 1, a batch that did not complete 4, each saying so on
// stderr, and the totals name the refused and failed files.
func TestMigrateFilesWaitExitCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.work(t)
	for _, tt := range []struct {
		table      string
		code       int
		stderr     string
		incomplete float64
		names      map[string]int
	}{
		{"core_document", exitOK, "batches: 3 of 3 done", 0, map[string]int{"missing_names": 3, "refused_names": 0, "failed_names": 0}},
		{"failing", exitNotComplete, "3 files failed: docs/10.pdf, docs/20.pdf, docs/30.pdf", 0, map[string]int{"missing_names": 0, "refused_names": 3, "failed_names": 3}},
		{"cancelling", exitIncomplete, "incomplete: 10 files pending in batches ", 10, map[string]int{"missing_names": 2}},
	} {
		r := b.run(t, false, "migrate-files", "--field", tt.table+".file", "--batch-size", "10", "--wait", "--json")
		if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.table, r.code, r.stderr, tt.code, tt.stderr)
			continue
		}
		out := decodeView(t, r.stdout)["output"].(map[string]any)
		if out["incomplete_files"] != tt.incomplete {
			t.Errorf("%s: incomplete_files %v, want %v", tt.table, out["incomplete_files"], tt.incomplete)
		}
		for k, n := range tt.names {
			if names, ok := out[k].([]any); !ok || len(names) != n {
				t.Errorf("%s: %s = %v, want %d names", tt.table, k, out[k], n)
			}
		}
	}
}

// Nothing works the queue here: jobs stay available.
func TestSameNameIsOneJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := func(args ...string) string {
		t.Helper()
		r := b.run(t, false, args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	for _, args := range [][]string{{"ocr", "scans/a.pdf"}, {"passport", "passports/p.jpg"}} {
		first := id(args...)
		if again := id(args...); again != first {
			t.Errorf("%v twice made jobs %s and %s", args, first, again)
		}
	}
	// A backup asked for is a new one every time.
	if first, second := id("backup"), id("backup"); first == second {
		t.Error("backup twice made one job")
	}
	if id("ocr", "scans/a.pdf") == id("ocr", "scans/b.pdf") {
		t.Error("two names made one job")
	}
	if first, second := id("restore", "--latest", "--yes"), id("restore", "--latest", "--yes"); first == second {
		t.Error("restores are deduplicated; each request should be its own job")
	}

	r := b.run(t, false, "status", id("passport", "passports/p.jpg"), "--json")
	if r.code != exitOK {
		t.Fatalf("status: exit %d: %s", r.code, r.stderr)
	}
	if v := decodeView(t, r.stdout); v["state"] != "available" || v["output"] != nil {
		t.Errorf("status %v", v)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"scan", "a.pdf"}, `unknown command "scan"`},
		{[]string{"ocr"}, "exactly one NAME"},
		{[]string{"ocr", "a.pdf", "b.pdf"}, "exactly one NAME"},
		{[]string{"ocr", ""}, "NAME is empty"},
		{[]string{"ocr", "a.pdf", "--speed"}, "flag provided but not defined: -speed"},
		{[]string{"passport", "--wait"}, "exactly one NAME"},
		{[]string{"backup", "now"}, "takes no arguments"},
		{[]string{"migrate-files", "--field", "core_document"}, `--field "core_document" is not TABLE.COLUMN`},
		{[]string{"migrate-files", "--field", "a.b;drop"}, "is not TABLE.COLUMN"},
		{[]string{"migrate-files", "--batch-size", "-5"}, "negative"},
		{[]string{"restore", "x.psql.bin"}, "add --yes"},
		{[]string{"restore", "--yes"}, "NAME or --latest"},
		{[]string{"restore", "x.psql.bin", "--latest", "--yes"}, "not both"},
		{[]string{"status", "abc"}, `JOB_ID "abc" is not a job id`},
		{[]string{"status", "0"}, "is not a job id"},
		{[]string{"url"}, "exactly one NAME"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			// No environment: usage errors come before any configuration.
			code := run(context.Background(), tt.args, nil, &streams{stdout: &stdout, stderr: &stderr})
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q on a usage error", stdout.String())
			}
		})
	}
}

func TestInfrastructureErrors(t *testing.T) {
	t.Parallel()
	unmigrated := testbed.NewDatabase(t)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no configuration", map[string]string{}, "DATABASE_URL: not set"},
		{"database down", map[string]string{"DATABASE_URL": "postgres://app:secret-pw@127.0.0.1:1/app?connect_timeout=2", "MEDIA_ROOT": "/srv"}, "insert"},
		{"river tables missing", map[string]string{"DATABASE_URL": unmigrated, "MEDIA_ROOT": "/srv"}, "run `worker migrate` first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"ocr", "a.pdf"}, tt.env, &streams{stdout: &stdout, stderr: &stderr})
			if code != exitInfra || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitInfra, tt.want)
			}
			if strings.Contains(stderr.String(), "secret-pw") {
				t.Errorf("the password leaked: %s", stderr.String())
			}
		})
	}

	// The configuration may come from a file: its values are used, a bad
	// one is named.
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.env"), filepath.Join(dir, "bad.env")
	if err := os.WriteFile(good, []byte("# the app's .env\nDATABASE_URL='"+unmigrated+"'\nMEDIA_ROOT=/srv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("DATABASE_URL=\"postgres://x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{
		{good, "run `worker migrate` first"},
		{bad, "bad.env: line 1: an unclosed double quote"},
		{filepath.Join(dir, "none.env"), "none.env: no such file"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"ocr", "a.pdf", "--env-file", tt.file}, map[string]string{}, &streams{stdout: &stdout, stderr: &stderr})
		if code != exitInfra || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("--env-file %s: exit %d, stderr %q; want %d and %q", tt.file, code, stderr.String(), exitInfra, tt.want)
		}
	}

	b := setup(t)
	r := b.run(t, false, "status", "424242")
	if r.code != exitUsage || !strings.Contains(r.stderr, "job 424242 does not exist") {
		t.Errorf("status of a missing job: exit %d, %q", r.code, r.stderr)
	}
}
