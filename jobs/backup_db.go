package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/revisbali/worker/backup"
	"github.com/revisbali/worker/config"
)

// BackupDBArgs asks for a backup of the Django database into storage under
// backups/, named as django-dbbackup names its files.
type BackupDBArgs struct {
	// Verify makes no backup: it restores the newest one into a scratch
	// database and compares row counts with the source (enqueue backup
	// --verify).
	Verify bool `json:"verify,omitempty"`
	// CatchUp backs up only if a scheduled run was missed; the leader
	// inserts it at start and hourly, because River's periodic jobs live
	// in memory and a restart across the scheduled minute skips a night.
	CatchUp bool `json:"catch_up,omitempty"`
}

// KindBackupDB is the kind's name, for Go code that inserts or reads it.
const KindBackupDB = "backup_db"

// backupDB allows at most one backup per UTC day, whether it is still
// waiting, running or already done: the nightly schedule, an operator and
// Django cannot pile up dumps of a large database. A verification is never
// merged into a backup, and catch-up checks are one per hour.
var backupDB = declare(Define(Kind{
	Name:        KindBackupDB,
	Queue:       QueueMaintenance,
	Timeout:     2 * time.Hour,
	MaxAttempts: 3,
	Unique:      river.UniqueOpts{ByPeriod: 24 * time.Hour},
	Variants: []Variant{
		{When: "verify", MaxAttempts: 1},
		{When: "catch_up", MaxAttempts: 1, Unique: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}},
	},
	Description: "back up the Django database into storage under backups/, at most once a UTC day",
	Command: &Command{
		Verb: "backup",
		Flags: []Flag{
			{Name: "verify", Arg: "verify", Usage: "make no backup: restore the newest into a scratch database and compare row counts with the source"},
		},
	},
	Periodic: PeriodicJobs,
}, func(deps Deps) (river.Worker[BackupDBArgs], error) {
	// Checked at start, not when the first backup runs: a GPG key nothing
	// can be encrypted to would otherwise cancel it hours later.
	if _, err := backup.FromConfig(deps.Config); err != nil {
		return nil, err
	}
	return &backupDBWorker{deps: deps}, nil
}))

// Kind implements river.JobArgs.
func (BackupDBArgs) Kind() string { return KindBackupDB }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a BackupDBArgs) InsertOpts() river.InsertOpts { return backupDB.InsertOpts(a) }

type backupDBWorker struct {
	river.WorkerDefaults[BackupDBArgs]
	deps Deps
}

func (w *backupDBWorker) Work(ctx context.Context, job *river.Job[BackupDBArgs]) error {
	opts, err := backup.FromConfig(w.deps.Config)
	if err != nil {
		return err
	}
	opts.Logger = Logger(ctx)
	if w.deps.Temp != nil {
		opts.TempDir = w.deps.Temp.Path()
	}

	if job.Args.Verify {
		v, err := backup.Verify(ctx, w.deps.Storage, opts, backup.RestoreRequest{Filter: opts.Filter(), Confirmed: true})
		if err != nil {
			return err
		}
		return recordOutput(ctx, v)
	}
	if job.Args.CatchUp {
		missed, reason, err := w.missedRun(ctx, job.ID, opts)
		if err != nil {
			return err
		}
		if !missed {
			return recordOutput(ctx, map[string]any{"skipped": true, "reason": reason})
		}
		opts.Logger.WarnContext(ctx, "a scheduled backup was missed: catching up", "reason", reason)
	}
	res, err := backup.Run(ctx, w.deps.Storage, opts)
	if err != nil {
		return err
	}
	return recordOutput(ctx, res)
}

// missedRun applies backup.NeedsCatchUp to the newest stored backup, unless
// another backup job is already queued or running.
func (w *backupDBWorker) missedRun(ctx context.Context, self int64, opts backup.Options) (bool, string, error) {
	inFlight, err := backupsInFlight(ctx, w.deps.Pool, self)
	if err != nil {
		return false, "", fmt.Errorf("look for a running backup: %w", err)
	}
	if inFlight > 0 {
		return false, "another backup job is queued or running", nil
	}
	schedule, err := backup.ParseSchedule(w.deps.Config.Backup.Schedule, opts.TimeZone)
	if err != nil {
		return false, "", err
	}
	var newest time.Time
	latest, err := backup.Latest(ctx, w.deps.Storage, opts, opts.Filter())
	switch {
	case err == nil:
		newest = latest.Date
	case !errors.Is(err, backup.ErrNoBackup):
		return false, "", err
	}
	now := time.Now()
	if !backup.NeedsCatchUp(newest, schedule, now) {
		return false, "the newest backup is " + latest.Name, nil
	}
	if newest.IsZero() {
		return true, "no backup yet", nil
	}
	return true, fmt.Sprintf("the newest backup (%s) is older than the run due at %s", latest.Name, schedule.Next(newest).Format(time.RFC3339)), nil
}

// PeriodicJobs are the leader's schedule: the nightly backup at
// BACKUP_SCHEDULE in TIME_ZONE, and an hourly catch-up check that also runs
// when the leader starts; none with BACKUP_SCHEDULE=off.
func PeriodicJobs(cfg config.Config) ([]*river.PeriodicJob, error) {
	if cfg.Backup.Schedule == config.ScheduleOff {
		return nil, nil
	}
	loc, err := time.LoadLocation(cfg.Backup.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("TIME_ZONE: %w", err)
	}
	nightly, err := backup.ParseSchedule(cfg.Backup.Schedule, loc)
	if err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(nightly, func() (river.JobArgs, *river.InsertOpts) {
			return BackupDBArgs{}, nil
		}, nil),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return BackupDBArgs{CatchUp: true}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}, nil
}
