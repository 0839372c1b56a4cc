package jobs

import "github.com/riverqueue/river"

// RestoreDBArgs asks to restore a backup over the Django database: the
// named one, or the latest when Latest is set.
type RestoreDBArgs struct {
	Name   string `json:"name,omitempty"`
	Latest bool   `json:"latest,omitempty"`
}

// Kind implements river.JobArgs.
func (RestoreDBArgs) Kind() string { return KindRestoreDB }

// InsertOpts runs a restore once: it replaces the database, so a failed one
// waits for an operator rather than coming back hours later.
func (RestoreDBArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1}
}
