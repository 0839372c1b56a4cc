// Package jobs is the River glue of the worker: one args type per job kind
// (the JSON contract with Django and the enqueue CLI), the workers that call
// the domain packages, and their registration in one place.
//
// # Adding a kind
//
// A domain engineer adds one file per kind, named after the kind (e.g.
// ocr_document.go), holding the args type, already declared here, and its
// worker:
//
//	type ocrDocumentWorker struct {
//		river.WorkerDefaults[OCRDocumentArgs]
//		deps Deps
//	}
//
//	func (w *ocrDocumentWorker) Timeout(*river.Job[OCRDocumentArgs]) time.Duration {
//		return timeoutOf(KindOCRDocument)
//	}
//
//	func (w *ocrDocumentWorker) Work(ctx context.Context, job *river.Job[OCRDocumentArgs]) error {
//		out, err := ocr.Document(ctx, w.deps.Storage, job.Args.Name, ...)
//		if err != nil {
//			return RiverError(ctx, fmt.Errorf("ocr %s: %w", job.Args.Name, err))
//		}
//		return recordOutput(ctx, out)
//	}
//
// and one line in Register:
//
//	if err := add(r, KindOCRDocument, &ocrDocumentWorker{deps: deps}); err != nil {
//		return nil, err
//	}
//
// A kind that runs on a schedule (the nightly backup) also appends a
// river.PeriodicJob to r.Periodic there; River's elected leader enqueues it.
//
// A job that enqueues others (migrate_files enqueues its batches) inserts
// them with river.ClientFromContext[pgx.Tx](ctx).InsertMany, or InsertManyTx
// inside a transaction on Deps.Pool.
//
// Every error leaves Work through RiverError, which cancels the job without
// retry when the input is at fault (fault.IsBadInput, fs.ErrNotExist), sends
// it back to the queue without losing an attempt when the worker is shutting
// down, and returns everything else to River for a retry with backoff.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/tempfile"
)

// The queues of design.md. Each has its own concurrency in config.Worker.
const (
	QueueOCR         = "ocr"
	QueuePassport    = "passport"
	QueueStorage     = "storage"
	QueueMaintenance = "maintenance"
)

// The kinds Django inserts by name. They never change; a rename needs
// River's KindAliases.
const (
	KindOCRDocument       = "ocr_document"
	KindPassportMRZ       = "passport_mrz"
	KindMigrateFiles      = "migrate_files"
	KindMigrateFilesBatch = "migrate_files_batch"
	KindBackupDB          = "backup_db"
	KindRestoreDB         = "restore_db"
)

// Kind describes one job kind: where it runs and how long one attempt may
// take before its context is cancelled.
type Kind struct {
	Name    string
	Queue   string
	Timeout time.Duration
}

// Kinds lists every kind of design.md, whether or not its worker exists yet.
func Kinds() []Kind {
	return []Kind{
		{KindOCRDocument, QueueOCR, 10 * time.Minute},
		{KindPassportMRZ, QueuePassport, 2 * time.Minute},
		{KindMigrateFiles, QueueStorage, 10 * time.Minute},
		{KindMigrateFilesBatch, QueueStorage, 30 * time.Minute},
		{KindBackupDB, QueueMaintenance, 2 * time.Hour},
		{KindRestoreDB, QueueMaintenance, 2 * time.Hour},
	}
}

// timeoutOf is the Timeout of a kind listed by Kinds.
func timeoutOf(name string) time.Duration {
	for _, k := range Kinds() {
		if k.Name == name {
			return k.Timeout
		}
	}
	panic("jobs: unknown kind " + name) // a typo in this package, caught by its tests
}

// LongestTimeout is the longest Timeout among kinds; the daemon sets River's
// RescueStuckJobsAfter above it so that no running job is rescued.
func LongestTimeout(kinds []Kind) time.Duration {
	var longest time.Duration
	for _, k := range kinds {
		longest = max(longest, k.Timeout)
	}
	return longest
}

// Deps is what workers need from the daemon.
type Deps struct {
	Config config.Config
	// Storage reaches the media files, on disk or in the bucket.
	Storage storage.Storage
	// Pool is the Django database, where River's tables live too.
	Pool *pgxpool.Pool
	// Logger is the daemon's logger; inside Work prefer Logger(ctx), which
	// carries the job's id, kind, attempt and queue.
	Logger *slog.Logger
	// Temp is this worker process's private temp folder: local copies of
	// stored files (Temp.WithLocalPath) and scratch folders (Temp.WithDir).
	// The daemon opens it, sweeps the leftovers of crashed runs at start,
	// and removes it at exit.
	Temp *tempfile.Dir
	// OCR is the Tesseract engine pool shared by the ocr and passport
	// queues; the daemon creates it (engines warm) and closes it at exit.
	OCR *ocr.Pool
}

// Registry is what the daemon works: the workers, their kinds, and the
// jobs River's elected leader enqueues on a schedule.
type Registry struct {
	Workers  *river.Workers
	Kinds    []Kind
	Periodic []*river.PeriodicJob
}

// Register adds a worker for every kind whose domain package exists. A kind
// without its domain package is left out: the daemon then leaves its jobs
// in the queue for a worker that can run them, instead of failing them.
func Register(deps Deps) (*Registry, error) {
	r := &Registry{Workers: river.NewWorkers()}
	// One line per kind with a worker: if err := add(r, KindX, &xWorker{deps: deps}); err != nil { return nil, err }
	// The passport reader loads its model at registration; callers without
	// an OCR pool (tests of other kinds) leave it out.
	if deps.Storage != nil && deps.Temp != nil && deps.OCR != nil {
		w, err := newPassportMRZWorker(deps)
		if err != nil {
			return nil, err
		}
		if err := add(r, KindPassportMRZ, w); err != nil {
			return nil, err
		}
	}
	if err := add(r, KindOCRDocument, &ocrDocumentWorker{deps: deps}); err != nil {
		return nil, err
	}
	if err := add(r, KindMigrateFiles, &migrateFilesWorker{deps: deps}); err != nil {
		return nil, err
	}
	if err := add(r, KindMigrateFilesBatch, &migrateFilesBatchWorker{deps: deps}); err != nil {
		return nil, err
	}
	if err := add(r, KindBackupDB, &backupDBWorker{deps: deps}); err != nil {
		return nil, err
	}
	if err := add(r, KindRestoreDB, &restoreDBWorker{deps: deps}); err != nil {
		return nil, err
	}
	periodic, err := PeriodicJobs(deps.Config)
	if err != nil {
		return nil, err
	}
	r.Periodic = append(r.Periodic, periodic...)
	return r, nil
}

// add registers one worker and records its kind; an error means a kind was
// registered twice or is not one of Kinds.
func add[T river.JobArgs](r *Registry, name string, w river.Worker[T]) error {
	for _, k := range Kinds() {
		if k.Name == name {
			if err := river.AddWorkerSafely(r.Workers, w); err != nil {
				return fmt.Errorf("jobs: register %s: %w", name, err)
			}
			r.Kinds = append(r.Kinds, k)
			return nil
		}
	}
	return fmt.Errorf("jobs: register %s: not a kind of design.md", name)
}

// RiverError turns the error a domain package returned into what River
// should do with the job:
//   - the worker is stopping (the job's context was cancelled by River's
//     shutdown): an error wrapping the context's cause, which River
//     recognises and makes the job available again without counting the
//     attempt;
//   - bad input (fault.IsBadInput, or a file that does not exist): cancel
//     the job, no retry, the message says what was wrong;
//   - anything else: a passing fault, retried with River's backoff.
func RiverError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		// Whatever the domain package made of the cancellation (a killed
		// subprocess, a closed body), report the cause itself.
		cause := context.Cause(ctx)
		switch {
		case errors.Is(err, ctx.Err()) && errors.Is(err, cause):
			return err
		case cause == ctx.Err():
			return fmt.Errorf("%w: %w", cause, err)
		default:
			return fmt.Errorf("%w (%w): %w", ctx.Err(), cause, err)
		}
	case fault.IsBadInput(err), errors.Is(err, fs.ErrNotExist):
		return river.JobCancel(err)
	default:
		return err
	}
}

// recordOutput stores a job's result, which Django reads from
// river_job.metadata->'output' and `enqueue --json` prints.
func recordOutput(ctx context.Context, output any) error {
	if err := river.RecordOutput(ctx, output); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

// FileOutputs are the keys of a kind's output that hold a stored file as
// {"name": ...}. Outputs keep names only, since a URL made when the job ran
// would expire: readers (`enqueue --json`, the Django kit's job_result) add
// a fresh URL beside each name.
func FileOutputs(kind string) []string {
	switch kind {
	case KindOCRDocument:
		return []string{"preview"}
	}
	return nil
}

// uniqueByName makes the args' fields tagged river:"unique" (the file name)
// the job's identity while a job for it waits or runs (whileUnfinished):
// a second request then returns that job. Once it has finished, the same
// name makes a new job: the file may have been uploaded again with new
// content under the same name (AWS_S3_FILE_OVERWRITE=True), and a
// completed job would answer with the old content's result. Django's side
// of the key is compat.md section 5, with unique_states = B'11110001'.
func uniqueByName() river.UniqueOpts {
	return whileUnfinished()
}
