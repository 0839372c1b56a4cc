package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/revisbali/worker/backup"
	"github.com/revisbali/worker/fault"
)

// RestoreDBArgs asks to restore a backup over the Django database: the
// named one, or the latest when Latest is set. Yes is the operator's
// confirmation (enqueue restore --yes); without it the job is refused.
// Unverified (--unverified) accepts a backup whose bytes nothing can check:
// no stored SHA-256, not gzipped, not encrypted.
type RestoreDBArgs struct {
	Name       string `json:"name,omitempty"`
	Latest     bool   `json:"latest,omitempty"`
	Yes        bool   `json:"yes,omitempty"`
	Unverified bool   `json:"unverified,omitempty"`
}

// KindRestoreDB is the kind's name, for Go code that inserts or reads it.
const KindRestoreDB = "restore_db"

// restoreDB runs a restore once: it replaces the database, so a failed one
// waits for an operator rather than coming back hours later.
var restoreDB = declare(Define(Kind{
	Name:        KindRestoreDB,
	Queue:       QueueMaintenance,
	Timeout:     2 * time.Hour,
	MaxAttempts: 1,
	Description: "restore a backup over the Django database (it replaces the database)",
	Command: &Command{
		Verb:       "restore",
		Usage:      "(NAME | --latest) --yes [--unverified]",
		Positional: &Positional{Placeholder: "NAME", Arg: "name", Optional: true, Usage: "the backup to restore, e.g. backups/default-web1-2026-11-28-020000.psql.bin.gz"},
		Flags: []Flag{
			{Name: "latest", Arg: "latest", Usage: "restore the latest backup instead of a named one"},
			{Name: "yes", Arg: "yes", Usage: "confirm: the restore replaces the database"},
			{Name: "unverified", Arg: "unverified", Usage: "accept a backup nothing can check (no stored SHA-256, not gzipped, not encrypted)"},
		},
		Check: func(a river.JobArgs) error {
			args := a.(RestoreDBArgs)
			switch {
			case args.Name != "" && args.Latest:
				return errors.New("give a NAME or --latest, not both")
			case args.Name == "" && !args.Latest:
				return errors.New("give one backup NAME or --latest")
			case !args.Yes:
				return errors.New("it replaces the database: add --yes to confirm")
			}
			return nil
		},
	},
}, func(deps Deps) (river.Worker[RestoreDBArgs], error) {
	return &restoreDBWorker{deps: deps}, nil
}))

// Kind implements river.JobArgs.
func (RestoreDBArgs) Kind() string { return KindRestoreDB }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a RestoreDBArgs) InsertOpts() river.InsertOpts { return restoreDB.InsertOpts(a) }

type restoreDBWorker struct {
	river.WorkerDefaults[RestoreDBArgs]
	deps Deps
}

func (w *restoreDBWorker) Work(ctx context.Context, job *river.Job[RestoreDBArgs]) error {
	a := job.Args
	if (a.Name == "") == !a.Latest {
		return fault.BadInput("restore_db: give either a name or latest, not both or neither")
	}
	opts, err := backup.FromConfig(w.deps.Config)
	if err != nil {
		return err
	}
	opts.Logger = Logger(ctx)
	if w.deps.Temp != nil {
		opts.TempDir = w.deps.Temp.Path()
	}
	res, err := backup.Restore(ctx, w.deps.Storage, opts, backup.RestoreRequest{
		Name: a.Name, Filter: opts.Filter(), Confirmed: a.Yes, Unverified: a.Unverified,
	})
	if err != nil {
		return err
	}
	return recordOutput(ctx, res)
}
