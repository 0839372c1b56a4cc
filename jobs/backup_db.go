package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// BackupDBArgs asks for a backup of the Django database into storage under
// backups/, named as django-dbbackup names its files.
type BackupDBArgs struct{}

// Kind implements river.JobArgs.
func (BackupDBArgs) Kind() string { return KindBackupDB }

// InsertOpts allows at most one backup per UTC day, whether it is still
// waiting, running or already done: the nightly schedule, an operator and
// Django cannot pile up dumps of a large database.
func (BackupDBArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueMaintenance,
		MaxAttempts: 3,
		UniqueOpts:  river.UniqueOpts{ByPeriod: 24 * time.Hour},
	}
}
