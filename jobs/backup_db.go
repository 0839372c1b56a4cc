package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
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
	// Nightly marks the leader's scheduled backup, and Night its date in
	// TIME_ZONE (2006-01-02): one scheduled backup per night, in the zone of
	// the schedule and of the backup names. Only the schedule sets them.
	Nightly bool   `json:"nightly,omitempty"`
	Night   string `json:"night,omitempty"`
}

// KindBackupDB is the kind's name, for Go code that inserts or reads it.
const KindBackupDB = "backup_db"

// backupDB makes a new backup for every request, as manage.py dbbackup
// does: someone who asks for one before a risky deploy gets one, not the
// night's. Backups never run side by side (backupLock): one asked for while
// another runs waits in the queue behind it. The scheduled backup is one
// per night in TIME_ZONE, however many leaders insert it; a verification is
// never merged with anything, and catch-up checks are one per hour.
var backupDB = declare(Define(Kind{
	Name:        KindBackupDB,
	Queue:       QueueMaintenance,
	Timeout:     2 * time.Hour,
	MaxAttempts: 3,
	Variants: []Variant{
		{When: "verify", MaxAttempts: 1},
		{When: "catch_up", MaxAttempts: 1, Unique: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}},
		{When: "nightly", MaxAttempts: 3, Unique: river.UniqueOpts{ByArgs: true}},
	},
	Description: "back up the Django database into storage under backups/: a new backup each time, after any running one",
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
	release, ok, err := lockBackup(ctx, w.deps.Pool)
	if err != nil {
		return err
	}
	if !ok {
		opts.Logger.InfoContext(ctx, "another backup is running: this one waits in the queue behind it", "retry_in", backupWait)
		return river.JobSnooze(backupWait)
	}
	defer release()
	res, err := backup.Run(ctx, w.deps.Storage, opts)
	if err != nil {
		return err
	}
	return recordOutput(ctx, res)
}

// backupLockKey is the advisory lock a running backup holds: "rvbk".
const backupLockKey = 0x7276626b

// backupWait is how long a backup asked for while another runs waits
// before it looks again; River does not count the wait as an attempt.
const backupWait = 30 * time.Second

// lockBackup takes the lock that keeps backups from running side by side,
// on a connection of its own for the backup's duration (a crashed worker's
// connection, and so its lock, goes with it). ok is false when another
// backup holds it.
func lockBackup(ctx context.Context, pool *pgxpool.Pool) (release func(), ok bool, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("backup lock: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", backupLockKey).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, false, fmt.Errorf("backup lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", backupLockKey)
		conn.Release()
	}, true, nil
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

// NightlyBackup is the scheduled backup of the night of now in loc
// (TIME_ZONE).
func NightlyBackup(now time.Time, loc *time.Location) BackupDBArgs {
	return BackupDBArgs{Nightly: true, Night: now.In(loc).Format(time.DateOnly)}
}

// PeriodicJobs are the leader's schedule: the nightly backup at
// BACKUP_SCHEDULE in TIME_ZONE, and (unless BACKUP_CATCH_UP=False) an
// hourly catch-up check that also runs when the leader starts; none with
// BACKUP_SCHEDULE=off.
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
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(nightly, func() (river.JobArgs, *river.InsertOpts) {
			return NightlyBackup(time.Now(), loc), nil
		}, nil),
	}
	if cfg.Backup.CatchUp {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return BackupDBArgs{CatchUp: true}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	return periodic, nil
}
