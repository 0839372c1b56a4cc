package metrics

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/revisbali/worker/jobs"
)

// The operators' questions, answered from river_job at each scrape. Like the
// queue metrics they describe the whole deployment, not this process: every
// worker exports the same values, so aggregate them with max, not sum.
var (
	backupAgeDesc = prometheus.NewDesc("worker_backup_newest_age_seconds",
		"Seconds since the newest successful backup_db job completed (river_job.finalized_at; "+
			"verifications and skipped catch-up checks left out). Absent when river_job holds none: "+
			"River deletes completed jobs after 24 h, so absent for 2 h means no backup for 26 h.", nil, nil)
	discardedDesc = prometheus.NewDesc("worker_jobs_discarded",
		"Jobs in river_job that exhausted their retries (state discarded), by kind. River keeps them 7 days; "+
			"retrying or deleting them in the UI clears them.", []string{"kind"}, nil)
	planIDDesc = prometheus.NewDesc("worker_migration_plan_id",
		"Job id of the newest migrate_files plan, the one the worker_migration_* metrics describe.", nil, nil)
	dryRunDesc = prometheus.NewDesc("worker_migration_dry_run",
		"1 when the newest migrate_files plan is a dry run.", nil, nil)
	migRowsDesc = prometheus.NewDesc("worker_migration_rows",
		"Rows naming a file in the newest migrate_files plan: planned, and done by its completed batches.", []string{"state"}, nil)
	migBatchesDesc = prometheus.NewDesc("worker_migration_batches",
		"Batches of the newest migrate_files plan: planned, and completed.", []string{"state"}, nil)
	migBytesDesc = prometheus.NewDesc("worker_migration_bytes_uploaded",
		"Bytes uploaded to the bucket by the completed batches of the newest migrate_files plan.", nil, nil)
	migProgressBytesDesc = prometheus.NewDesc("worker_migration_bytes",
		"Bytes of the files the rows of the newest migrate_files plan name: planned (their sizes under MEDIA_ROOT when planned, "+
			"missing and refused names counting 0), and done (in the bucket by its completed batches: uploaded, or already there "+
			"and skipped). A file named by n rows counts n times in both.", []string{"state"}, nil)
	migFilesDesc = prometheus.NewDesc("worker_migration_files",
		"Files of the completed batches of the newest migrate_files plan, by outcome: uploaded, skipped (already there), "+
			"pending (dry run), missing (no file under MEDIA_ROOT), refused, failed.", []string{"outcome"}, nil)
)

func describeOps(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{backupAgeDesc, discardedDesc, planIDDesc, dryRunDesc, migRowsDesc, migBatchesDesc, migBytesDesc, migProgressBytesDesc, migFilesDesc} {
		ch <- d
	}
}

func (c *queueCollector) collectOps(ctx context.Context, ch chan<- prometheus.Metric) error {
	age, ok, err := jobs.NewestBackupAge(ctx, c.pool)
	if err != nil {
		return err
	}
	if ok {
		ch <- prometheus.MustNewConstMetric(backupAgeDesc, prometheus.GaugeValue, age.Seconds())
	}
	discarded, err := jobs.Discarded(ctx, c.pool)
	if err != nil {
		return err
	}
	for kind, n := range discarded {
		ch <- prometheus.MustNewConstMetric(discardedDesc, prometheus.GaugeValue, float64(n), kind)
	}
	return c.collectMigration(ctx, ch)
}

// collectMigration describes the newest plan and its completed batches.
func (c *queueCollector) collectMigration(ctx context.Context, ch chan<- prometheus.Metric) error {
	plan, err := jobs.NewestPlan(ctx, c.pool)
	if err != nil || plan == nil {
		return err // nil and nil: no migration yet
	}
	out, err := jobs.PlanOutput(plan)
	if err != nil {
		return err
	}
	p, err := jobs.Progress(ctx, c.pool, plan)
	if err != nil {
		return err
	}
	var rowsPlanned int64
	for _, f := range out.Fields {
		rowsPlanned += f.Rows
	}
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	done := p.Done
	gauge(planIDDesc, plan.ID)
	gauge(dryRunDesc, b2i(out.DryRun))
	gauge(migRowsDesc, rowsPlanned, "planned")
	gauge(migRowsDesc, int64(done.Rows), "done")
	gauge(migBatchesDesc, int64(out.Batches), "planned")
	gauge(migBatchesDesc, int64(p.Completed), "done")
	gauge(migBytesDesc, done.Bytes)
	gauge(migProgressBytesDesc, out.PlannedBytes, "planned")
	gauge(migProgressBytesDesc, done.Bytes+done.SkippedBytes, "done")
	gauge(migFilesDesc, int64(done.Uploaded), "uploaded")
	gauge(migFilesDesc, int64(done.Skipped), "skipped")
	gauge(migFilesDesc, int64(done.Pending), "pending")
	gauge(migFilesDesc, int64(done.Missing), "missing")
	gauge(migFilesDesc, int64(done.Refused), "refused")
	gauge(migFilesDesc, int64(done.Failed), "failed")
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Tempdir is the worker's temp folder, as tempfile.Dir provides it.
type Tempdir interface {
	Usage() (int64, error)
}

var tempBytesDesc = prometheus.NewDesc("worker_temp_bytes",
	"Bytes held in this worker's temp folder (WORKER_TMPDIR, every run folder included): local copies of stored files.", nil, nil)

type tempCollector struct {
	dir    Tempdir
	logger *slog.Logger
}

func (c *tempCollector) Describe(ch chan<- *prometheus.Desc) { ch <- tempBytesDesc }

func (c *tempCollector) Collect(ch chan<- prometheus.Metric) {
	n, err := c.dir.Usage()
	if err != nil {
		c.logger.Warn("metrics: temp folder usage", slog.String("error", err.Error()))
		return
	}
	ch <- prometheus.MustNewConstMetric(tempBytesDesc, prometheus.GaugeValue, float64(n))
}

// WatchTemp exports the bytes in use in the worker's temp folder.
func (m *Metrics) WatchTemp(dir Tempdir) {
	m.registry.MustRegister(&tempCollector{dir: dir, logger: m.logger})
}

// WatchReadiness exports worker_ready: 1 when ready answers true, the same
// answer /readyz gives.
func (m *Metrics) WatchReadiness(ready func(context.Context) bool) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "worker_ready",
		Help: "1 when this worker is ready to work jobs (/readyz answers 200): started, not stopping, database reachable.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		if ready(ctx) {
			return 1
		}
		return 0
	}))
}
