// Package jobs is the River glue of the worker: one declaration per job
// kind (its name, queue, timeout, attempts, uniqueness, description and
// enqueue verb), the args types that are the JSON contract with Django and
// the enqueue CLI, the workers that call the domain packages, and every
// query against River's tables.
//
// # Adding a kind
//
// A new kind is one file, named after the kind (e.g. ocr_document.go),
// holding its args type, its worker and its declaration:
//
//	const KindOCRDocument = "ocr_document"
//
//	var ocrDocument = declare(Define(Kind{
//		Name: KindOCRDocument, Queue: QueueOCR, Timeout: 10 * time.Minute, MaxAttempts: 5,
//		Unique:      uniqueByName(),
//		Description: "read the text of a stored image or PDF",
//		Command:     &Command{Verb: "ocr", Positional: &Positional{Placeholder: "NAME", Arg: "name"}},
//	}, func(deps Deps) (river.Worker[OCRDocumentArgs], error) {
//		return &ocrDocumentWorker{deps: deps}, nil
//	}))
//
//	func (OCRDocumentArgs) Kind() string                   { return KindOCRDocument }
//	func (a OCRDocumentArgs) InsertOpts() river.InsertOpts { return ocrDocument.InsertOpts(a) }
//
//	func (w *ocrDocumentWorker) Work(ctx context.Context, job *river.Job[OCRDocumentArgs]) error {
//		out, err := ...
//		if err != nil {
//			return fmt.Errorf("ocr %q: %w", job.Args.Name, err)
//		}
//		return recordOutput(ctx, out)
//	}
//
// Register, Kinds, the enqueue verbs, their help and `enqueue kinds --json`
// (the contract Django's kit is checked against) all follow from it. A kind
// that runs on a schedule (the nightly backup) also declares Periodic; River's
// elected leader enqueues those jobs.
//
// A job that enqueues others (migrate_files enqueues its batches) inserts
// them with river.ClientFromContext[pgx.Tx](ctx).InsertMany, or InsertManyTx
// inside a transaction on Deps.Pool.
//
// A worker returns its errors as they are, wrapped with what it was doing
// and to which file; ErrorMiddleware passes each through RiverError, which
// cancels the job without retry when the input is at fault
// (fault.IsBadInput, fs.ErrNotExist), sends it back to the queue without
// losing an attempt when the worker is shutting down, and returns everything
// else to River for a retry with backoff. A panic is a bug, which the same
// input would hit again: ErrorMiddleware cancels the job (ErrPanicked) and
// logs the stack.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/tempfile"
)

// The queues of docs/river.md. Each has its own concurrency in config.Worker.
const (
	QueueOCR         = "ocr"
	QueuePassport    = "passport"
	QueueStorage     = "storage"
	QueueMaintenance = "maintenance"
)

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
	// Temp is this worker process's private temp folder: stored files
	// opened once (Temp.WithFile; a local copy when they are in S3) and
	// scratch folders (Temp.WithDir).
	// The daemon opens it, sweeps the leftovers of crashed runs at start,
	// and removes it at exit.
	Temp *tempfile.Dir
	// OCR is the Tesseract engine pool shared by the ocr and passport
	// queues; the daemon creates it (engines warm) and closes it at exit.
	OCR *ocr.Pool
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
//
// An error RiverError already judged is returned as it is.
func RiverError(ctx context.Context, err error) error {
	var cancelled *rivertype.JobCancelError
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
	case errors.As(err, &cancelled):
		return err
	case fault.IsBadInput(err), errors.Is(err, fs.ErrNotExist):
		return river.JobCancel(err)
	default:
		return err
	}
}

// ErrPanicked is wrapped in the cancellation of a job whose worker panicked.
var ErrPanicked = errors.New("the worker panicked (a bug; not retried, since the same input would panic again; the stack is in the worker's log)")

// ErrorMiddleware passes the error of every job of kinds through RiverError,
// and turns a panic into a cancelled job wrapping ErrPanicked: River would
// retry it, and with the same input hit the same panic at each attempt.
// River applies a worker's timeout inside all middleware, where no
// middleware could tell that the job ran out of time; so this one applies
// the kind's timeout itself, just before River does. Install it last, inside
// the middleware that count or log what RiverError decided.
func ErrorMiddleware(kinds []Kind) rivertype.WorkerMiddleware {
	m := &errorMiddleware{timeouts: map[string]time.Duration{}}
	for _, k := range kinds {
		m.timeouts[k.Name] = k.Timeout
	}
	return m
}

type errorMiddleware struct {
	river.MiddlewareDefaults
	timeouts map[string]time.Duration
}

func (m *errorMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	if t := m.timeouts[job.Kind]; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			Logger(ctx).ErrorContext(ctx, "job panicked", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			err = river.JobCancel(fmt.Errorf("%w: %v", ErrPanicked, p))
		}
	}()
	return RiverError(ctx, doInner(ctx))
}

// recordOutput stores a job's result, which Django reads from
// river_job.metadata->'output' and `enqueue --json` prints.
func recordOutput(ctx context.Context, output any) error {
	if err := river.RecordOutput(ctx, output); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

// uniqueByName makes the args' fields tagged river:"unique" (the file name)
// the job's identity while a job for it waits or runs (whileUnfinished):
// a second request then returns that job. Once it has finished, the same
// name makes a new job: the file may have been uploaded again with new
// content under the same name (AWS_S3_FILE_OVERWRITE=True), and a
// completed job would answer with the old content's result. Django's side
// of the key is docs/river.md, with unique_states = B'11110001'.
func uniqueByName() river.UniqueOpts {
	return whileUnfinished()
}

// riverCancelPrefix is how River's JobCancelError starts its message, and so
// every cancelled attempt's error in river_job.errors.
const riverCancelPrefix = "JobCancelError: "

// ErrorText is an attempt's error from river_job.errors as people should
// read it: what happened and to which file, without River's type name.
func ErrorText(stored string) string {
	return strings.TrimPrefix(stored, riverCancelPrefix)
}

// Message is err's text as people should read it: a cancellation's cause
// without River's type name.
func Message(err error) string {
	var cancelled *rivertype.JobCancelError
	if errors.As(err, &cancelled) && cancelled.Unwrap() != nil {
		return cancelled.Unwrap().Error()
	}
	return err.Error()
}
