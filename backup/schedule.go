package backup

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// ParseSchedule reads a five-field cron line (BACKUP_SCHEDULE) whose times
// are in loc (TIME_ZONE). The result's Next is what River's periodic jobs
// call, so the same value drives the schedule and the catch-up rule.
func ParseSchedule(spec string, loc *time.Location) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("BACKUP_SCHEDULE %q: %w", spec, err)
	}
	if spec, ok := s.(*cron.SpecSchedule); ok {
		spec.Location = loc
	}
	return s, nil
}

// NeedsCatchUp reports whether a scheduled backup was missed: a run was due
// after the newest backup (zero when there is none) and at or before now.
// River keeps periodic jobs in memory, so a restart across the scheduled
// minute skips a night; the leader asks this at start and hourly.
func NeedsCatchUp(newest time.Time, schedule cron.Schedule, now time.Time) bool {
	if newest.IsZero() {
		return true
	}
	due := schedule.Next(newest)
	return !due.IsZero() && !due.After(now)
}
