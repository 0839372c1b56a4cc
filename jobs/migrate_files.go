package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/filemigrate"
)

// MigrateFilesArgs plans a migration of media files from MEDIA_ROOT to the
// bucket: it finds the file columns and enqueues one migrate_files_batch
// per batch of rows.
type MigrateFilesArgs struct {
	// Fields limits the migration to these "table.column" pairs; empty means
	// MIGRATE_FILE_FIELDS, or when that is empty too, every file column
	// discovery finds.
	Fields []string `json:"fields,omitempty"`
	// DryRun counts what would be copied and copies nothing.
	DryRun bool `json:"dry_run"`
	// BatchSize is the number of rows per batch; 0 means the worker's default.
	BatchSize int `json:"batch_size,omitempty"`
	// CheckObjects asks the bucket about every file (its stored SHA-256)
	// instead of trusting the manifest of earlier runs: it finds objects
	// changed inside the bucket with their size and ETag kept.
	CheckObjects bool `json:"check_objects,omitempty"`
}

// KindMigrateFiles is the kind's name, for Go code that inserts or reads it.
const KindMigrateFiles = "migrate_files"

// migrateFiles: the same plan enqueued again while it is queued or running
// is that job.
var migrateFiles = declare(Define(Kind{
	Name:        KindMigrateFiles,
	Queue:       QueueStorage,
	Timeout:     10 * time.Minute,
	MaxAttempts: 5,
	Unique:      whileUnfinished(),
	Description: "copy the media files named by Django's file columns from MEDIA_ROOT to the bucket, in batches",
	Command: &Command{
		Verb: "migrate-files",
		Flags: []Flag{
			{Name: "field", Arg: "fields", Placeholder: "TABLE.COLUMN", Usage: "a file column to migrate (repeatable); default: MIGRATE_FILE_FIELDS, or every file column discovery finds"},
			{Name: "dry-run", Arg: "dry_run", Usage: "count what would be copied; copy nothing"},
			{Name: "batch-size", Arg: "batch_size", Placeholder: "N", Usage: "rows per batch (default: the worker's)"},
			{Name: "check-objects", Arg: "check_objects", Usage: "ask the bucket about every file instead of trusting the manifest of earlier runs (finds objects changed inside the bucket)"},
		},
		Check: func(a river.JobArgs) error {
			args := a.(MigrateFilesArgs)
			for _, f := range args.Fields {
				table, column, ok := strings.Cut(f, ".")
				if !ok || !identifier.MatchString(table) || !identifier.MatchString(column) {
					return fmt.Errorf("--field %q is not TABLE.COLUMN", f)
				}
			}
			if args.BatchSize < 0 {
				return fmt.Errorf("--batch-size %d is negative", args.BatchSize)
			}
			return nil
		},
	},
}, func(deps Deps) (river.Worker[MigrateFilesArgs], error) {
	return &migrateFilesWorker{deps: deps}, nil
}))

// identifier is a table or column name as Django names them.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Kind implements river.JobArgs.
func (MigrateFilesArgs) Kind() string { return KindMigrateFiles }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a MigrateFilesArgs) InsertOpts() river.InsertOpts { return migrateFiles.InsertOpts(a) }

// whileUnfinished makes the whole args (or their river:"unique" fields) the
// job's identity until it finishes: a second identical job is refused while
// the first is queued, running or waiting for a retry, and allowed once it
// completed, so a migration can be run again.
func whileUnfinished() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}
}

// MigrateFilesOutput is the plan's result. `enqueue migrate-files --wait`
// adds the totals of its batches.
type MigrateFilesOutput struct {
	DryRun bool                    `json:"dry_run"`
	Fields []filemigrate.FieldPlan `json:"fields"`
	// Discovery says which columns were found and why, when no field was
	// named.
	Discovery *filemigrate.Discovery `json:"discovery,omitempty"`
	// Batches is the number of batches planned; QueuedElsewhere lists the
	// jobs of an earlier, unfinished plan that already cover some of them
	// and were not enqueued twice.
	Batches         int     `json:"batches"`
	QueuedElsewhere []int64 `json:"queued_elsewhere,omitempty"`
	// PlannedBytes is the sum of the fields' bytes: what the batches'
	// bytes (uploaded) and skipped_bytes add up to once all completed, if
	// no file changed meanwhile.
	PlannedBytes int64 `json:"planned_bytes"`
}

type migrateFilesWorker struct {
	river.WorkerDefaults[MigrateFilesArgs]
	deps Deps
}

// Work implements river.Worker.
func (w *migrateFilesWorker) Work(ctx context.Context, job *river.Job[MigrateFilesArgs]) error {
	out, batches, err := w.plan(ctx, job.Args)
	if err != nil {
		return fmt.Errorf("migrate_files: %w", err)
	}
	if len(batches) > 0 {
		client := river.ClientFromContext[pgx.Tx](ctx)
		params := make([]river.InsertManyParams, len(batches))
		for i, b := range batches {
			params[i] = river.InsertManyParams{Args: newBatchArgs(job.ID, b, job.Args)}
		}
		// A retry of this plan, or a second plan while this one's batches
		// run, inserts nothing twice: batch jobs are unique by range.
		results, err := client.InsertMany(ctx, params)
		if err != nil {
			return fmt.Errorf("migrate_files: enqueue %d batches: %w", len(params), err)
		}
		for _, r := range results {
			if r.UniqueSkippedAsDuplicate && migratePlanID(r.Job) != job.ID {
				out.QueuedElsewhere = append(out.QueuedElsewhere, r.Job.ID)
			}
		}
	}
	Logger(ctx).Info("migrate_files: planned", "fields", len(out.Fields), "batches", out.Batches,
		"planned_bytes", out.PlannedBytes, "dry_run", out.DryRun)
	return recordOutput(ctx, out)
}

func (w *migrateFilesWorker) plan(ctx context.Context, args MigrateFilesArgs) (MigrateFilesOutput, []filemigrate.Batch, error) {
	out := MigrateFilesOutput{DryRun: args.DryRun}
	root, err := migrationRoot(w.deps)
	if err != nil {
		return out, nil, err
	}
	defer root.Close()
	// The batches record what they copy: the table must be there first.
	if err := migrationManifest(w.deps).Check(ctx); err != nil {
		return out, nil, err
	}

	named := args.Fields
	if len(named) == 0 {
		named = w.deps.Config.Migrate.Fields
	}
	fields, err := filemigrate.ParseFields(named)
	if err != nil {
		return out, nil, err
	}
	if len(fields) == 0 {
		d, err := filemigrate.Discover(ctx, w.deps.Pool, root, 0)
		if err != nil {
			return out, nil, err
		}
		out.Discovery = &d
		fields = d.Fields()
	}
	plan, err := filemigrate.PlanBatches(ctx, w.deps.Pool, fields, args.BatchSize)
	if err != nil {
		return out, nil, err
	}
	if err := plan.Measure(ctx, w.deps.Pool, root, w.deps.Config.Migrate.Concurrency); err != nil {
		return out, nil, err
	}
	out.PlannedBytes = plan.Bytes()
	out.Fields = plan.Fields
	if out.Fields == nil {
		out.Fields = []filemigrate.FieldPlan{}
	}
	out.Batches = len(plan.Batches)
	return out, plan.Batches, nil
}

// migrationManifest is the manifest of the copies to the worker's bucket.
func migrationManifest(deps Deps) *filemigrate.Manifest {
	cfg := deps.Config.Storage
	return filemigrate.NewManifest(deps.Pool, cfg.EndpointURL, cfg.Bucket, cfg.Location)
}

// migrationRoot opens MEDIA_ROOT, the migration's source, after checking
// that the worker's storage is the bucket, the migration's target.
func migrationRoot(deps Deps) (*os.Root, error) {
	cfg := deps.Config.Storage
	if !cfg.UseCloudStorage {
		return nil, fault.BadInput("USE_CLOUD_STORAGE is not True: the migration copies MEDIA_ROOT into the bucket, " +
			"so the worker must run with USE_CLOUD_STORAGE=True and the bucket's AWS_* settings")
	}
	if cfg.MediaRoot == "" {
		return nil, fault.BadInput("MEDIA_ROOT is not set: the migration reads the files from there")
	}
	root, err := os.OpenRoot(cfg.MediaRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fault.BadInput("MEDIA_ROOT %q does not exist on this worker's host", cfg.MediaRoot)
	}
	if err != nil {
		return nil, fmt.Errorf("open MEDIA_ROOT: %w", err)
	}
	return root, nil
}
