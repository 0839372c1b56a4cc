package jobs

import (
	"context"
	"testing"

	"github.com/revisbali/worker/config"
)

// A verification is never merged into the day's backup, and catch-up
// checks, one per hour, neither.
func TestBackupVerifyAndCatchUpAreNotTheDaysBackup(t *testing.T) {
	t.Parallel()
	b := setupDB(t)
	ctx := context.Background()
	nightly, err := b.client.Insert(ctx, BackupDBArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	verify, err := b.client.Insert(ctx, BackupDBArgs{Verify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	verifyAgain, err := b.client.Insert(ctx, BackupDBArgs{Verify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	catchUp, err := b.client.Insert(ctx, BackupDBArgs{CatchUp: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	catchUpAgain, err := b.client.Insert(ctx, BackupDBArgs{CatchUp: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if verify.UniqueSkippedAsDuplicate || verifyAgain.UniqueSkippedAsDuplicate || verify.Job.ID == verifyAgain.Job.ID {
		t.Error("a verification was merged into another job")
	}
	if catchUp.UniqueSkippedAsDuplicate || catchUp.Job.ID == nightly.Job.ID {
		t.Error("the catch-up check was merged into the day's backup")
	}
	if !catchUpAgain.UniqueSkippedAsDuplicate || catchUpAgain.Job.ID != catchUp.Job.ID {
		t.Error("two catch-up checks in one hour")
	}
	for _, j := range []int64{verify.Job.ID, catchUp.Job.ID} {
		var attempts int
		if err := b.pool.QueryRow(ctx, "SELECT max_attempts FROM river_job WHERE id = $1", j).Scan(&attempts); err != nil || attempts != 1 {
			t.Errorf("job %d: max_attempts %d (err %v), want 1", j, attempts, err)
		}
	}
}

func TestPeriodicJobs(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": "/m", "BACKUP_SCHEDULE": "30 3 * * 1", "TIME_ZONE": "Asia/Makassar"})
	if err != nil {
		t.Fatal(err)
	}
	periodic, err := PeriodicJobs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(periodic) != 2 {
		t.Fatalf("%d periodic jobs, want the nightly backup and the hourly catch-up", len(periodic))
	}
	cfg.Backup.TimeZone = "Nowhere/Special"
	if _, err := PeriodicJobs(cfg); err == nil {
		t.Error("an unknown TIME_ZONE was accepted")
	}
}
