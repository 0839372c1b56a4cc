package jobs

import "github.com/riverqueue/river"

// MigrateFilesArgs plans a migration of media files from MEDIA_ROOT to the
// bucket: it finds the file columns and enqueues one migrate_files_batch
// per batch of rows.
type MigrateFilesArgs struct {
	// Fields limits the migration to these "table.column" pairs; empty means
	// every file column found.
	Fields []string `json:"fields,omitempty"`
	// DryRun counts what would be copied and copies nothing.
	DryRun bool `json:"dry_run"`
	// BatchSize is the number of rows per batch; 0 means the worker's default.
	BatchSize int `json:"batch_size,omitempty"`
}

// Kind implements river.JobArgs.
func (MigrateFilesArgs) Kind() string { return KindMigrateFiles }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (MigrateFilesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueStorage, MaxAttempts: 5}
}
