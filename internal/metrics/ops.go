package metrics

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
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

// migrationOutcomes are the counters of a migrate_files_batch output.
var migrationOutcomes = []string{"uploaded", "skipped", "pending", "missing", "refused", "failed"}

func describeOps(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{backupAgeDesc, discardedDesc, planIDDesc, dryRunDesc, migRowsDesc, migBatchesDesc, migBytesDesc, migProgressBytesDesc, migFilesDesc} {
		ch <- d
	}
}

func (c *queueCollector) collectOps(ctx context.Context, ch chan<- prometheus.Metric) error {
	var age *float64
	err := c.pool.QueryRow(ctx, `
		SELECT extract(epoch FROM now() - max(finalized_at))::float8
		FROM river_job
		WHERE kind = 'backup_db' AND state = 'completed'
		  AND metadata->'output' ? 'name'
		  AND NOT coalesce((args->>'verify')::boolean, false)`).Scan(&age)
	if err != nil {
		return err
	}
	if age != nil {
		ch <- prometheus.MustNewConstMetric(backupAgeDesc, prometheus.GaugeValue, max(*age, 0))
	}

	rows, err := c.pool.Query(ctx, `SELECT kind, count(*) FROM river_job WHERE state = 'discarded' GROUP BY kind`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var kind string
		var n int64
		if err := rows.Scan(&kind, &n); err != nil {
			rows.Close()
			return err
		}
		ch <- prometheus.MustNewConstMetric(discardedDesc, prometheus.GaugeValue, float64(n), kind)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return c.collectMigration(ctx, ch)
}

// collectMigration sums the outputs of the newest plan's completed batches
// (their args carry the plan's id). A batch that an earlier, unfinished plan
// had already queued counts for that plan, not this one.
func (c *queueCollector) collectMigration(ctx context.Context, ch chan<- prometheus.Metric) error {
	var (
		planID                       *int64
		dryRun                       bool
		rowsPlanned, batchesPlanned  int64
		bytesPlanned, skippedBytes   int64
		rowsDone, batchesDone, bytes int64
		uploaded, skipped, pending   int64
		missing, refused, failed     int64
	)
	// The batches are summed before meeting the plan's row: grouping them
	// by the plan's output instead sorted every batch with it.
	err := c.pool.QueryRow(ctx, `
		WITH plan AS (
			SELECT id, coalesce(metadata->'output', '{}') AS out
			FROM river_job WHERE kind = 'migrate_files' ORDER BY id DESC LIMIT 1
		), done AS (
			SELECT coalesce(sum((b.out->>'rows')::bigint), 0)::bigint AS rows,
			       count(b.out) AS batches,
			       coalesce(sum((b.out->>'bytes')::bigint), 0)::bigint AS bytes,
			       coalesce(sum((b.out->>'skipped_bytes')::bigint), 0)::bigint AS skipped_bytes,
			       coalesce(sum((b.out->>'uploaded')::bigint), 0)::bigint AS uploaded,
			       coalesce(sum((b.out->>'skipped')::bigint), 0)::bigint AS skipped,
			       coalesce(sum((b.out->>'pending')::bigint), 0)::bigint AS pending,
			       coalesce(sum((b.out->>'missing')::bigint), 0)::bigint AS missing,
			       coalesce(sum((b.out->>'refused')::bigint), 0)::bigint AS refused,
			       coalesce(sum((b.out->>'failed')::bigint), 0)::bigint AS failed
			FROM (
				SELECT metadata->'output' AS out FROM river_job, plan
				WHERE kind = 'migrate_files_batch' AND state = 'completed' AND args->>'plan_id' = plan.id::text
			) b
		)
		SELECT plan.id,
		       coalesce((plan.out->>'dry_run')::boolean, false),
		       coalesce((SELECT sum((f->>'rows')::bigint) FROM jsonb_array_elements(
		           CASE jsonb_typeof(plan.out->'fields') WHEN 'array' THEN plan.out->'fields' ELSE '[]' END) f), 0)::bigint,
		       coalesce((plan.out->>'batches')::bigint, 0),
		       coalesce((plan.out->>'planned_bytes')::bigint, 0),
		       done.rows, done.batches, done.bytes, done.skipped_bytes, done.uploaded, done.skipped,
		       done.pending, done.missing, done.refused, done.failed
		FROM plan, done`).Scan(&planID, &dryRun, &rowsPlanned, &batchesPlanned, &bytesPlanned,
		&rowsDone, &batchesDone, &bytes, &skippedBytes, &uploaded, &skipped, &pending, &missing, &refused, &failed)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // no migration yet
		}
		return err
	}
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	gauge(planIDDesc, *planID)
	gauge(dryRunDesc, b2i(dryRun))
	gauge(migRowsDesc, rowsPlanned, "planned")
	gauge(migRowsDesc, rowsDone, "done")
	gauge(migBatchesDesc, batchesPlanned, "planned")
	gauge(migBatchesDesc, batchesDone, "done")
	gauge(migBytesDesc, bytes)
	gauge(migProgressBytesDesc, bytesPlanned, "planned")
	gauge(migProgressBytesDesc, bytes+skippedBytes, "done")
	for i, n := range []int64{uploaded, skipped, pending, missing, refused, failed} {
		gauge(migFilesDesc, n, migrationOutcomes[i])
	}
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
