package jobs

import (
	"context"
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

// Kind implements river.JobArgs.
func (RestoreDBArgs) Kind() string { return KindRestoreDB }

// InsertOpts runs a restore once: it replaces the database, so a failed one
// waits for an operator rather than coming back hours later.
func (RestoreDBArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1}
}

type restoreDBWorker struct {
	river.WorkerDefaults[RestoreDBArgs]
	deps Deps
}

func (w *restoreDBWorker) Timeout(*river.Job[RestoreDBArgs]) time.Duration {
	return timeoutOf(KindRestoreDB)
}

func (w *restoreDBWorker) Work(ctx context.Context, job *river.Job[RestoreDBArgs]) error {
	a := job.Args
	if (a.Name == "") == !a.Latest {
		return RiverError(ctx, fault.BadInput("restore_db: give either a name or latest, not both or neither"))
	}
	opts, err := backup.FromConfig(w.deps.Config)
	if err != nil {
		return RiverError(ctx, err)
	}
	opts.Logger = Logger(ctx)
	if w.deps.Temp != nil {
		opts.TempDir = w.deps.Temp.Path()
	}
	res, err := backup.Restore(ctx, w.deps.Storage, opts, backup.RestoreRequest{
		Name: a.Name, Filter: opts.Filter(), Confirmed: a.Yes, Unverified: a.Unverified,
	})
	if err != nil {
		return RiverError(ctx, err)
	}
	return recordOutput(ctx, res)
}
