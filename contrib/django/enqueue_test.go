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
	"github.com/riverqueue/river/rivershared/uniquestates"
	"github.com/riverqueue/river/rivertype"

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

// TestKindsAgreeWithJobsPackage checks the Python table of kinds against the
// worker's args types: argument names, and queue, attempts and uniqueness
// of each variant.
func TestKindsAgreeWithJobsPackage(t *testing.T) {
	requirePython(t)
	type variant struct {
		args interface {
			river.JobArgs
			river.JobArgsWithInsertOpts
		}
		python string // the same arguments, as Django passes them
	}
	variants := []variant{
		{jobs.OCRDocumentArgs{Name: "a.png", Lang: "ind"}, `{"name": "a.png", "lang": "ind"}`},
		{jobs.PassportMRZArgs{Name: "a.png"}, `{"name": "a.png"}`},
		{jobs.MigrateFilesArgs{DryRun: true}, `{"dry_run": true}`},
		{jobs.BackupDBArgs{}, `{}`},
		{jobs.BackupDBArgs{Verify: true}, `{"verify": true}`},
		{jobs.RestoreDBArgs{Latest: true, Yes: true}, `{"latest": true, "yes": true}`},
	}
	// Arguments the app never sets: the leader's hourly catch-up check.
	internal := map[string][]string{jobs.KindBackupDB: {"catch_up"}}

	var script strings.Builder
	script.WriteString("import json\nfrom revisbali_worker.jobs import KINDS, insert_options\nout = {'args': {k: sorted(v.args) for k, v in KINDS.items()}, 'variants': []}\n")
	for _, v := range variants {
		fmt.Fprintf(&script, "out['variants'].append(insert_options(%q, json.loads(%q))._asdict())\n", v.args.Kind(), v.python)
	}
	script.WriteString("print(json.dumps(out))\n")
	var got struct {
		Args     map[string][]string `json:"args"`
		Variants []struct {
			Queue        string          `json:"queue"`
			MaxAttempts  int             `json:"max_attempts"`
			UniqueArgs   json.RawMessage `json:"unique_args"`
			UniquePeriod int             `json:"unique_period"`
			UniqueStates string          `json:"unique_states"`
		} `json:"variants"`
	}
	out := runPython(t, nil, nil, "-c", script.String())
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}

	for i, v := range variants {
		kind := v.args.Kind()
		opts, py := v.args.InsertOpts(), got.Variants[i]
		if want := uniqueStates(opts.UniqueOpts); py.UniqueStates != want {
			t.Errorf("%s %s: Python unique states %q; worker %q", kind, v.python, py.UniqueStates, want)
		}
		if py.Queue != opts.Queue || py.MaxAttempts != opts.MaxAttempts {
			t.Errorf("%s %s: Python queue %s, %d attempts; worker %s, %d", kind, v.python, py.Queue, py.MaxAttempts, opts.Queue, opts.MaxAttempts)
		}
		// By args: the river:"unique" fields, or all of them when none is
		// tagged; not by args: none.
		want := []string{}
		if opts.UniqueOpts.ByArgs {
			if want = uniqueFields(v.args); want == nil {
				want = jsonFields(v.args)
			}
		}
		var pyArgs []string
		_ = json.Unmarshal(py.UniqueArgs, &pyArgs)
		slices.Sort(pyArgs)
		if !slices.Equal(pyArgs, want) || time.Duration(py.UniquePeriod)*time.Second != opts.UniqueOpts.ByPeriod {
			t.Errorf("%s %s: Python unique by %s every %ds; worker %+v", kind, v.python, py.UniqueArgs, py.UniquePeriod, opts.UniqueOpts)
		}
		want = slices.DeleteFunc(jsonFields(v.args), func(f string) bool { return slices.Contains(internal[kind], f) })
		if args, ok := got.Args[kind]; !ok || !slices.Equal(args, want) {
			t.Errorf("%s: Python takes %v, the worker reads %v (internal %v)", kind, args, want, internal[kind])
		}
	}
	for kind := range got.Args {
		if !slices.ContainsFunc(variants, func(v variant) bool { return v.args.Kind() == kind }) {
			t.Errorf("Python enqueues %s, which the worker does not define", kind)
		}
	}
}

// uniqueStates is the bit(8) string River stores in unique_states for
// these options, empty for a job that is not unique.
func uniqueStates(o river.UniqueOpts) string {
	if !o.ByArgs && o.ByPeriod == 0 && !o.ByQueue && o.ByState == nil && !o.ExcludeKind {
		return ""
	}
	states := o.ByState
	if len(states) == 0 {
		states = rivertype.UniqueOptsByStateDefault()
	}
	return fmt.Sprintf("%08b", uniquestates.UniqueStatesToBitmask(states))
}

// jsonFields are the JSON names of an args struct's fields, sorted.
func jsonFields(v any) []string {
	return fieldNames(v, func(reflect.StructField) bool { return true })
}

// uniqueFields are the JSON names of the fields tagged river:"unique".
func uniqueFields(v any) []string {
	return fieldNames(v, func(f reflect.StructField) bool { return f.Tag.Get("river") == "unique" })
}

func fieldNames(v any, keep func(reflect.StructField) bool) []string {
	var names []string
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" && keep(typ.Field(i)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
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
	// Unless the UTC day turned between the two inserts.
	if id := pyEnqueue(t, env, "backup_db", `{}`, false); id != backup.Job.ID && time.Now().UTC().Truncate(24*time.Hour).Equal(backup.Job.CreatedAt.UTC().Truncate(24*time.Hour)) {
		t.Errorf("Django enqueued backup %d beside River's backup %d of the same day", id, backup.Job.ID)
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
