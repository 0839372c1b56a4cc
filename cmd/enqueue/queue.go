package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
// migration plan ends when every batch it covers has ended too: its own,
// and those of an earlier plan that it found unfinished and did not
// enqueue again (queued_elsewhere).
// For a migration it also returns the batches' totals.
func (q *queue) follow(ctx context.Context, job *rivertype.JobRow, p progress) (*jobView, *batchTotals, error) {
	start := time.Now()
	defer p.done()
	for {
		p.job(job, time.Since(start))
		if finalized(job.State) {
			break
		}
		if err := sleep(ctx, pollEvery(time.Since(start))); err != nil {
			return nil, nil, err
		}
		var err error
		if job, err = q.get(ctx, job.ID); err != nil {
			return nil, nil, err
		}
	}
	if job.Kind != jobs.KindMigrateFiles || job.State != rivertype.JobStateCompleted {
		return newView(job), nil, nil
	}
	for {
		b, err := q.batches(ctx, job)
		if err != nil {
			return nil, nil, err
		}
		p.batches(b, time.Since(start))
		if b.pending == 0 {
			return b.view(job), b, nil
		}
		if err := sleep(ctx, pollEvery(time.Since(start))); err != nil {
			return nil, nil, err
		}
	}
}

// view is what --json prints without --wait: for a finished plan, the
// batches so far.
func (q *queue) view(ctx context.Context, job *rivertype.JobRow) *jobView {
	if job.Kind == jobs.KindMigrateFiles && job.State == rivertype.JobStateCompleted {
		if b, err := q.batches(ctx, job); err == nil {
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
	names          map[string][]string // batchNames -> names
	// plannedRows are the rows the plan counted; completedRows those the
	// completed batches reported; incomplete the batches that did not
	// complete (yet), with their states.
	plannedRows, completedRows int64
	incomplete                 []incompleteBatch
}

type incompleteBatch struct {
	ID    int64              `json:"id"`
	State rivertype.JobState `json:"state"`
}

// The per-batch counters of design.md's migrate_files_batch output, with
// filemigrate's pending (dry run), refused (names leading outside
// MEDIA_ROOT) and skipped_bytes (with bytes, what reached the plan's
// planned_bytes).
var batchCounters = []string{"rows", "uploaded", "skipped", "pending", "missing", "refused", "failed", "bytes", "skipped_bytes"}

// batchNames are the lists of names the totals carry over from the batches.
var batchNames = []string{"missing_names", "refused_names", "failed_names"}

// planOutput is what the totals read from the plan's own output.
type planOutput struct {
	Fields []struct {
		Rows int64 `json:"rows"`
	} `json:"fields"`
	QueuedElsewhere []int64 `json:"queued_elsewhere"`
}

func (q *queue) batches(ctx context.Context, plan *rivertype.JobRow) (*batchTotals, error) {
	var po planOutput
	_ = json.Unmarshal(plan.Output(), &po) // an empty output plans nothing
	b := &batchTotals{sums: map[string]int64{}, names: map[string][]string{}}
	for _, f := range po.Fields {
		b.plannedRows += f.Rows
	}
	elsewhere := po.QueuedElsewhere
	if elsewhere == nil {
		elsewhere = []int64{}
	}
	rows, err := q.pool.Query(ctx, `
		SELECT id, state::text, metadata->'output', errors
		FROM river_job
		WHERE kind = $1 AND (args->>'plan_id' = $2::bigint::text OR id = ANY($3))
		ORDER BY id`,
		jobs.KindMigrateFilesBatch, plan.ID, elsewhere)
	if err != nil {
		return nil, dbError("batches", err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	for rows.Next() {
		var id int64
		var state string
		var output []byte
		var errs []rivertype.AttemptError
		if err := rows.Scan(&id, &state, &output, &errs); err != nil {
			return nil, dbError("batches", err)
		}
		b.total++
		seen[id] = true
		st := rivertype.JobState(state)
		switch {
		case !finalized(st):
			b.pending++
			b.incomplete = append(b.incomplete, incompleteBatch{ID: id, State: st})
		case st != rivertype.JobStateCompleted:
			b.worst = st
			b.errors = append(b.errors, errs...)
			b.incomplete = append(b.incomplete, incompleteBatch{ID: id, State: st})
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
				if k == "rows" && st == rivertype.JobStateCompleted {
					b.completedRows += n
				}
			}
		}
		for _, k := range batchNames {
			var names []string
			if json.Unmarshal(out[k], &names) == nil {
				b.names[k] = append(b.names[k], names...)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("batches", err)
	}
	// A batch of the earlier plan that River has deleted since (it prunes
	// finished jobs) cannot be read: it is not known to be complete.
	for _, id := range elsewhere {
		if !seen[id] {
			b.total++
			b.incomplete = append(b.incomplete, incompleteBatch{ID: id, State: "deleted"})
		}
	}
	return b, nil
}

// incompleteFiles is how many planned files the batches that did not
// complete hold: the plan's rows less those the completed batches
// reported, at least one per such batch.
func (b *batchTotals) incompleteFiles() int64 {
	if len(b.incomplete) == 0 {
		return 0
	}
	return max(b.plannedRows-b.completedRows, int64(len(b.incomplete)))
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
	for _, k := range batchNames {
		names := b.names[k]
		if names == nil {
			names = []string{}
		}
		out[k] = names
	}
	incomplete := b.incomplete
	if incomplete == nil {
		incomplete = []incompleteBatch{}
	}
	out["incomplete_files"] = b.incompleteFiles()
	out["incomplete_batches"] = incomplete
	if raw, err := json.Marshal(out); err == nil {
		v.Output = raw
	}
	if b.worst != "" {
		v.State = b.worst
		v.Errors = append(v.Errors, b.errors...)
	}
	return v
}

// verdict is how a followed migration ended, for the exit code: any
// failed file is a failure (exit 1); any planned file not known to be in
// the bucket leaves it incomplete (exit 4).
func (b *batchTotals) verdict() error {
	if n := b.sums["failed"]; n > 0 {
		return &migrationError{code: exitNotComplete, msg: fmt.Sprintf("%d files failed: %s", n, strings.Join(b.names["failed_names"], ", "))}
	}
	if len(b.incomplete) > 0 {
		parts := make([]string, len(b.incomplete))
		for i, ib := range b.incomplete {
			parts[i] = fmt.Sprintf("%d (%s)", ib.ID, ib.State)
		}
		return &migrationError{code: exitIncomplete, msg: fmt.Sprintf("incomplete: %d files pending in batches %s", b.incompleteFiles(), strings.Join(parts, ", "))}
	}
	return nil
}

// migrationError ends a followed migration with its own exit code.
type migrationError struct {
	code int
	msg  string
}

func (e *migrationError) Error() string { return e.msg }

// earlierBatches describes the unfinished batches of migration plans other
// than plan, or "" when there are none.
func (q *queue) earlierBatches(ctx context.Context, plan int64) (string, error) {
	rows, err := q.pool.Query(ctx, `
		SELECT args->>'plan_id', state::text, count(*)
		FROM river_job
		WHERE kind = $1 AND finalized_at IS NULL AND args->>'plan_id' <> $2::bigint::text
		GROUP BY 1, 2 ORDER BY 1, 2`, jobs.KindMigrateFilesBatch, plan)
	if err != nil {
		return "", dbError("earlier batches", err)
	}
	defer rows.Close()
	var parts []string
	last := ""
	for rows.Next() {
		var planID, state string
		var n int
		if err := rows.Scan(&planID, &state, &n); err != nil {
			return "", dbError("earlier batches", err)
		}
		if planID != last {
			parts = append(parts, "plan "+planID+":")
			last = planID
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, state))
	}
	if err := rows.Err(); err != nil {
		return "", dbError("earlier batches", err)
	}
	return strings.Join(parts, " "), nil
}
