package jobs

import (
	"encoding/json"

	"github.com/riverqueue/river"
)

// MigrateFilesBatchArgs copies the files named by one batch of rows, those
// whose key lies in [From, To], from MEDIA_ROOT to the bucket.
type MigrateFilesBatchArgs struct {
	// PlanID is the id of the migrate_files job that enqueued this batch:
	// `enqueue migrate-files --wait` finds the batches by it and sums their
	// outputs.
	PlanID    int64  `json:"plan_id"`
	Table     string `json:"table"`
	Column    string `json:"column"`
	KeyColumn string `json:"key_column"`
	// From and To bound the batch's keys, inclusive; JSON numbers or strings
	// as the key column holds them.
	From   json.RawMessage `json:"from"`
	To     json.RawMessage `json:"to"`
	DryRun bool            `json:"dry_run"`
}

// Kind implements river.JobArgs.
func (MigrateFilesBatchArgs) Kind() string { return KindMigrateFilesBatch }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (MigrateFilesBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueStorage, MaxAttempts: 5}
}
