package djangokit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/revisbali/worker/jobs"
)

// The test's own workers for the worker's real args types: what matters
// here is the road from Django to River and back, not OCR.
type ocrWorker struct {
	river.WorkerDefaults[jobs.OCRDocumentArgs]
}

func (ocrWorker) Work(ctx context.Context, job *river.Job[jobs.OCRDocumentArgs]) error {
	return river.RecordOutput(ctx, map[string]any{"name": job.Args.Name, "lang": job.Args.Lang, "text": "text of " + job.Args.Name})
}

type passportWorker struct {
	river.WorkerDefaults[jobs.PassportMRZArgs]
}

func (passportWorker) Work(ctx context.Context, job *river.Job[jobs.PassportMRZArgs]) error {
	return river.JobCancel(fmt.Errorf("no MRZ found in %s", job.Args.Name))
}

// jobResult is what revisbali_worker.jobs.job_result returns.
type jobResult struct {
	ID     int64                    `json:"id"`
	Kind   string                   `json:"kind"`
	State  string                   `json:"state"`
	Errors []struct{ Error string } `json:"errors"`
	Output json.RawMessage          `json:"output"`
}

func pyEnqueue(t *testing.T, env map[string]string, kind, args string, rollback bool) int64 {
	t.Helper()
	argv := []string{"-m", "tests.jobctl", "enqueue", kind, args}
	if rollback {
		argv = append(argv, "--rollback")
	}
	out := runPython(t, env, nil, argv...)
	id, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatalf("enqueue printed %q, not a job id", out)
	}
	return id
}

func pyWait(t *testing.T, env map[string]string, id int64) jobResult {
	t.Helper()
	out := runPython(t, env, nil, "-m", "tests.jobctl", "wait", strconv.FormatInt(id, 10))
	var r jobResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("wait printed %q: %v", out, err)
	}
	return r
}

// TestKindsAgreeWithJobsPackage checks the kit's table of kinds against
// the worker's declarations, as `enqueue kinds --json` prints them
// (jobs.ContractOf): every kind the app may enqueue, its queue, attempts,
// arguments in Go's order (type, omitempty, required), uniqueness of the kind
// and of each variant, and the output's stored files. Any difference fails.
func TestKindsAgreeWithJobsPackage(t *testing.T) {
	requirePython(t)
	// Arguments only the worker sets (the leader's hourly catch-up check and
	// its nightly schedule).
	internal := map[string][]string{jobs.KindBackupDB: {"catch_up", "nightly", "night"}}

	type arg struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		OmitEmpty bool   `json:"omitempty"`
		Required  bool   `json:"required"`
	}
	type unique struct {
		Args          []string `json:"args"`
		PeriodSeconds int64    `json:"period_seconds"`
		StatesBitmask string   `json:"states_bitmask"`
	}
	type variant struct {
		When        string  `json:"when"`
		MaxAttempts int     `json:"max_attempts"`
		Unique      *unique `json:"unique"`
	}
	type kind struct {
		Name        string    `json:"name"`
		Queue       string    `json:"queue"`
		MaxAttempts int       `json:"max_attempts"`
		Unique      *unique   `json:"unique"`
		Variants    []variant `json:"variants"`
		Args        []arg     `json:"args"`
		Files       []string  `json:"files"`
	}
	uniqueOf := func(u *jobs.UniqueContract) *unique {
		if u == nil {
			return nil
		}
		return &unique{Args: u.Args, PeriodSeconds: u.PeriodSeconds, StatesBitmask: u.StatesBitmask}
	}
	var want []kind
	for _, k := range jobs.ContractOf(jobs.Kinds()).Kinds {
		if k.Verb == "" {
			continue // the worker's own, as migrate_files_batch
		}
		w := kind{Name: k.Name, Queue: k.Queue, MaxAttempts: k.MaxAttempts, Unique: uniqueOf(k.Unique), Variants: []variant{}, Args: []arg{}, Files: k.Files}
		for _, v := range k.Variants {
			if !slices.Contains(internal[k.Name], v.When) {
				w.Variants = append(w.Variants, variant{v.When, v.MaxAttempts, uniqueOf(v.Unique)})
			}
		}
		for _, a := range k.Args {
			if !slices.Contains(internal[k.Name], a.Name) {
				w.Args = append(w.Args, arg{a.Name, a.Type, a.OmitEmpty, a.Required})
			}
		}
		want = append(want, w)
	}

	const script = `import json
from revisbali_worker.jobs import ALL_ARGS, KINDS, insert_options
TYPES = {str: "string", bool: "boolean", int: "integer", list: "array"}

def unique(opts, args):
    if not opts.unique_states:
        return None
    names = list(args) if opts.unique_args == ALL_ARGS else list(opts.unique_args)
    return {"args": names, "period_seconds": opts.unique_period or 0, "states_bitmask": opts.unique_states}

out = []
for name, k in sorted(KINDS.items()):
    base = insert_options(name, {})
    variants = []
    for arg, spec in k.args.items():
        v = insert_options(name, {arg: True}) if spec.type is bool else base
        if v != base:
            variants.append({"when": arg, "max_attempts": v.max_attempts, "unique": unique(v, k.args)})
    out.append({"name": name, "queue": k.queue, "max_attempts": base.max_attempts, "unique": unique(base, k.args),
                "variants": variants, "files": list(k.files),
                "args": [{"name": a, "type": TYPES[s.type], "omitempty": s.omitempty, "required": s.required} for a, s in k.args.items()]})
print(json.dumps(out))
`
	var got []kind
	out := runPython(t, nil, nil, "-c", script)
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	slices.SortFunc(want, func(a, b kind) int { return strings.Compare(a.Name, b.Name) })
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("the kit's KINDS differ from the worker's declarations (enqueue kinds --json)\nkit:\n%s\nworker:\n%s", g, w)
	}
}

// TestEnqueueFromDjangoWorkedByRiver enqueues from Django, has a River
// client work the jobs, and reads the results back from Django: the
// protocol of docs/river.md against River itself.
func TestEnqueueFromDjangoWorkedByRiver(t *testing.T) {
	requirePython(t)
	db := riverDatabase(t)
	env := modeEnv(t, false, db)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Unique keys: a job inserted by River from Go and one enqueued from
	// Django with the same name are the same job, whichever comes first.
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	goFirst, err := inserter.Insert(ctx, jobs.PassportMRZArgs{Name: "scans/ünïcode & <x>.jpg"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id := pyEnqueue(t, env, "passport_mrz", `{"name": "scans/ünïcode & <x>.jpg"}`, false); id != goFirst.Job.ID {
		t.Errorf("Django enqueued job %d beside River's equal job %d", id, goFirst.Job.ID)
	}
	pyFirst := pyEnqueue(t, env, "ocr_document", `{"name": "scans/b.pdf", "lang": "ind"}`, false)
	goSecond, err := inserter.Insert(ctx, jobs.OCRDocumentArgs{Name: "scans/b.pdf", Lang: "eng"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !goSecond.UniqueSkippedAsDuplicate || goSecond.Job.ID != pyFirst {
		t.Errorf("River inserted job %d (duplicate %v) beside Django's equal job %d", goSecond.Job.ID, goSecond.UniqueSkippedAsDuplicate, pyFirst)
	}

	backup, err := inserter.Insert(ctx, jobs.BackupDBArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A backup asked for is a new one, from Django as from the CLI.
	if id := pyEnqueue(t, env, "backup_db", `{}`, false); id == backup.Job.ID {
		t.Errorf("Django's backup is River's job %d, not a new one", id)
	}
	migrate, err := inserter.Insert(ctx, jobs.MigrateFilesArgs{Fields: []string{"documents_document.file"}, DryRun: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id := pyEnqueue(t, env, "migrate_files", `{"dry_run": true, "fields": ["documents_document.file"], "batch_size": 0}`, false); id != migrate.Job.ID {
		t.Errorf("Django enqueued migration %d beside River's equal migration %d", id, migrate.Job.ID)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM river_job WHERE kind IN ('backup_db', 'migrate_files')`); err != nil {
		t.Fatal(err)
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, ocrWorker{})
	river.AddWorker(workers, passportWorker{})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:  map[string]river.QueueConfig{"ocr": {MaxWorkers: 1}, "passport": {MaxWorkers: 1}},
		Workers: workers,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := client.Stop(stopCtx); err != nil {
			t.Errorf("stop river: %v", err)
		}
	}()

	rolledBack := pyEnqueue(t, env, "ocr_document", `{"name": "scans/rolled-back.pdf"}`, true)
	committed := pyEnqueue(t, env, "ocr_document", `{"name": "scans/committed.pdf", "lang": "eng+ind"}`, false)
	if rolledBack == committed {
		t.Fatalf("a rolled-back id %d was reused", rolledBack)
	}

	r := pyWait(t, env, committed)
	if r.State != "completed" || r.Kind != "ocr_document" {
		t.Fatalf("committed job: %+v", r)
	}
	var out struct{ Name, Lang, Text string }
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s: %v", r.Output, err)
	}
	if out.Name != "scans/committed.pdf" || out.Lang != "eng+ind" || out.Text != "text of scans/committed.pdf" {
		t.Errorf("output read from Django: %s", r.Output)
	}

	r = pyWait(t, env, goFirst.Job.ID)
	// What people read has no Go type name (River stores "JobCancelError: ...").
	if r.State != "cancelled" || len(r.Errors) != 1 || r.Errors[0].Error != "no MRZ found in scans/ünïcode & <x>.jpg" {
		t.Errorf("cancelled job read from Django: %+v", r)
	}
	if r = pyWait(t, env, pyFirst); r.State != "completed" {
		t.Errorf("job enqueued first by Django: %+v", r)
	}

	// All jobs committed so far are finished: the rolled-back one never
	// existed, so nothing is left and nothing else ran.
	var left, total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE finalized_at IS NULL), count(*) FROM river_job`).Scan(&left, &total); err != nil {
		t.Fatal(err)
	}
	if left != 0 || total != 3 {
		t.Errorf("river_job holds %d jobs, %d unfinished; want the 3 committed ones, finished", total, left)
	}
}
