package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/jobs"
)

// pollEvery is how often --wait reads the job: often at first, when most
// jobs end, then less so that a long backup costs the database little.
func pollEvery(elapsed time.Duration) time.Duration {
	if elapsed < 10*time.Second {
		return 200 * time.Millisecond
	}
	return time.Second
}

type queue struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
}

func (q *queue) get(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	job, err := q.client.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, usagef("job %d does not exist (finished jobs are deleted after a while)", id)
	}
	if err != nil {
		return nil, dbError(fmt.Sprintf("job %d", id), err)
	}
	return job, nil
}

func finalized(state rivertype.JobState) bool {
	switch state {
	case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return true
	}
	return false
}

// follow reads the job until it ends and reports progress on the way. A
// migration plan ends when every batch it enqueued has ended too.
func (q *queue) follow(ctx context.Context, job *rivertype.JobRow, p progress) (*jobView, error) {
	start := time.Now()
	defer p.done()
	for {
		p.job(job, time.Since(start))
		if finalized(job.State) {
			break
		}
		if err := sleep(ctx, pollEvery(time.Since(start))); err != nil {
			return nil, err
		}
		var err error
		if job, err = q.get(ctx, job.ID); err != nil {
			return nil, err
		}
	}
	if job.Kind != jobs.KindMigrateFiles || job.State != rivertype.JobStateCompleted {
		return newView(job), nil
	}
	for {
		b, err := q.batches(ctx, job.ID)
		if err != nil {
			return nil, err
		}
		p.batches(b, time.Since(start))
		if b.pending == 0 {
			return b.view(job), nil
		}
		if err := sleep(ctx, pollEvery(time.Since(start))); err != nil {
			return nil, err
		}
	}
}

// view is what --json prints without --wait: for a finished plan, the
// batches so far.
func (q *queue) view(ctx context.Context, job *rivertype.JobRow) *jobView {
	if job.Kind == jobs.KindMigrateFiles && job.State == rivertype.JobStateCompleted {
		if b, err := q.batches(ctx, job.ID); err == nil {
			return b.view(job)
		}
	}
	return newView(job)
}

// batchTotals sums the batches of one migration plan.
type batchTotals struct {
	total, pending int
	worst          rivertype.JobState // the state of a batch that did not complete
	errors         []rivertype.AttemptError
	sums           map[string]int64
	missingNames   []string
}

// The per-batch counters of design.md's migrate_files_batch output, with
// filemigrate's pending (dry run), refused (names leading outside
// MEDIA_ROOT) and skipped_bytes (with bytes, what reached the plan's
// planned_bytes).
var batchCounters = []string{"rows", "uploaded", "skipped", "pending", "missing", "refused", "failed", "bytes", "skipped_bytes"}

func (q *queue) batches(ctx context.Context, planID int64) (*batchTotals, error) {
	rows, err := q.pool.Query(ctx, `
		SELECT state::text, metadata->'output', errors
		FROM river_job
		WHERE kind = $1 AND args->>'plan_id' = $2::bigint::text`,
		jobs.KindMigrateFilesBatch, planID)
	if err != nil {
		return nil, dbError("batches", err)
	}
	defer rows.Close()
	b := &batchTotals{sums: map[string]int64{}}
	for rows.Next() {
		var state string
		var output []byte
		var errs []rivertype.AttemptError
		if err := rows.Scan(&state, &output, &errs); err != nil {
			return nil, dbError("batches", err)
		}
		b.total++
		st := rivertype.JobState(state)
		switch {
		case !finalized(st):
			b.pending++
		case st != rivertype.JobStateCompleted:
			b.worst = st
			b.errors = append(b.errors, errs...)
		}
		if len(output) == 0 {
			continue
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(output, &out); err != nil {
			continue // not ours to judge; the counters simply miss it
		}
		for _, k := range batchCounters {
			var n int64
			if json.Unmarshal(out[k], &n) == nil {
				b.sums[k] += n
			}
		}
		var names []string
		if json.Unmarshal(out["missing_names"], &names) == nil {
			b.missingNames = append(b.missingNames, names...)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("batches", err)
	}
	return b, nil
}

// view merges the plan's output with the batches' totals. The plan counts
// as completed only if every batch did.
func (b *batchTotals) view(plan *rivertype.JobRow) *jobView {
	v := newView(plan)
	out := map[string]any{}
	if string(v.Output) != "null" {
		_ = json.Unmarshal(v.Output, &out)
	}
	for _, k := range batchCounters {
		out[k] = b.sums[k]
	}
	// The plan's own count of batches stays when it gave one.
	if _, ok := out["batches"]; !ok {
		out["batches"] = b.total
	}
	if b.missingNames == nil {
		b.missingNames = []string{}
	}
	out["missing_names"] = b.missingNames
	if raw, err := json.Marshal(out); err == nil {
		v.Output = raw
	}
	if b.worst != "" {
		v.State = b.worst
		v.Errors = append(v.Errors, b.errors...)
	}
	return v
}
