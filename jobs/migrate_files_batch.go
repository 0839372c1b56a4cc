package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/filemigrate"
)

// MigrateFilesBatchArgs copies the files named by one batch of rows, those
// whose key lies after After and up to Upto, from MEDIA_ROOT to the bucket.
// Only the migrate_files plan enqueues it.
type MigrateFilesBatchArgs struct {
	// PlanID is the id of the migrate_files job that enqueued this batch:
	// `enqueue migrate-files --wait` finds the batches by it and sums their
	// outputs. It is not part of the batch's identity: a second plan does
	// not enqueue a range that is still being copied.
	PlanID    int64  `json:"plan_id"`
	Schema    string `json:"schema" river:"unique"`
	Table     string `json:"table" river:"unique"`
	Column    string `json:"column" river:"unique"`
	KeyColumn string `json:"key_column" river:"unique"`
	// After (exclusive) and Upto (inclusive) bound the keys, in the key's
	// text form; null leaves that side open.
	After  *string `json:"after" river:"unique"`
	Upto   *string `json:"upto" river:"unique"`
	DryRun bool    `json:"dry_run" river:"unique"`
	// CheckObjects is the plan's: ask the bucket about every file.
	CheckObjects bool `json:"check_objects,omitempty" river:"unique"`
}

// KindMigrateFilesBatch is the kind's name, for Go code that inserts or
// reads it.
const KindMigrateFilesBatch = "migrate_files_batch"

// migrateFilesBatch has no verb: only a migrate_files plan inserts it.
var migrateFilesBatch = declare(Define(Kind{
	Name:  KindMigrateFilesBatch,
	Queue: QueueStorage,
	// A batch whose worker died is worked again once its attempt is older
	// than this (River's rescuer honours it): MIGRATE_BATCH_TIMEOUT.
	Timeout:     5 * time.Minute,
	TimeoutFrom: func(cfg config.Config) time.Duration { return cfg.Migrate.BatchTimeout },
	MaxAttempts: 10,
	Unique:      whileUnfinished(),
	Description: "copy the files named by one batch of rows of a migrate_files plan",
}, func(deps Deps) (river.Worker[MigrateFilesBatchArgs], error) {
	return &migrateFilesBatchWorker{deps: deps}, nil
}))

// Kind implements river.JobArgs.
func (MigrateFilesBatchArgs) Kind() string { return KindMigrateFilesBatch }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a MigrateFilesBatchArgs) InsertOpts() river.InsertOpts { return migrateFilesBatch.InsertOpts(a) }

func newBatchArgs(planID int64, b filemigrate.Batch, plan MigrateFilesArgs) MigrateFilesBatchArgs {
	return MigrateFilesBatchArgs{
		PlanID: planID, Schema: b.Schema, Table: b.Table, Column: b.Column,
		KeyColumn: b.Key, After: b.After, Upto: b.Upto, DryRun: plan.DryRun, CheckObjects: plan.CheckObjects,
	}
}

func (a MigrateFilesBatchArgs) batch() filemigrate.Batch {
	return filemigrate.Batch{
		Field: filemigrate.Field{Schema: a.Schema, Table: a.Table, Column: a.Column},
		Key:   a.KeyColumn, After: a.After, Upto: a.Upto,
	}
}

// migratePlanID is the plan that enqueued a batch job.
func migratePlanID(job *rivertype.JobRow) int64 {
	var args MigrateFilesBatchArgs
	if job == nil || json.Unmarshal(job.EncodedArgs, &args) != nil {
		return 0
	}
	return args.PlanID
}

type migrateFilesBatchWorker struct {
	river.WorkerDefaults[MigrateFilesBatchArgs]
	deps Deps
}

// Work implements river.Worker. A retry skips every file already copied
// (same size and SHA-256 in the bucket, or as the manifest recorded it), so
// an interrupted batch costs only the files that were in flight.
func (w *migrateFilesBatchWorker) Work(ctx context.Context, job *river.Job[MigrateFilesBatchArgs]) error {
	root, err := migrationRoot(w.deps)
	if err != nil {
		return fmt.Errorf("migrate_files_batch: %w", err)
	}
	defer root.Close()
	c := &filemigrate.Copier{
		Root:         root,
		Target:       w.deps.Storage,
		Concurrency:  w.deps.Config.Migrate.Concurrency,
		DryRun:       job.Args.DryRun,
		Log:          Logger(ctx),
		Manifest:     migrationManifest(w.deps),
		CheckObjects: job.Args.CheckObjects,
	}
	b := job.Args.batch()
	rep, err := c.CopyBatch(ctx, w.deps.Pool, b)
	if err != nil {
		return fmt.Errorf("migrate_files_batch %s: %w", b.Field, err)
	}
	Logger(ctx).Info("migrate_files_batch: done", "field", b.Field.String(), "rows", rep.Rows,
		"uploaded", rep.Uploaded, "skipped", rep.Skipped, "missing", rep.Missing, "refused", rep.Refused, "bytes", rep.Bytes)
	return recordOutput(ctx, rep)
}
