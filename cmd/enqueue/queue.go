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

	"github.com/revisbali/worker/filemigrate"
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

func (q *queue) close() { q.pool.Close() }

func (q *queue) get(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	job, err := q.client.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, usagef("job %d does not exist (finished jobs are deleted after a while)", id)
	}
	if err != nil {
		return nil, jobs.DBError(fmt.Sprintf("job %d", id), err)
	}
	return job, nil
}

// follow reads the job until it ends and reports progress on the way. A
// migration plan ends when every batch it covers has ended too: those it
// enqueued, and those of an earlier plan it left its ranges to
// (queued_elsewhere); for a plan it also returns their progress.
func (q *queue) follow(ctx context.Context, job *rivertype.JobRow, p progress) (*jobView, *jobs.PlanProgress, error) {
	start := time.Now()
	defer p.done()
	for {
		p.job(job, time.Since(start))
		if jobs.Finalized(job.State) {
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
		b, err := q.progress(ctx, job)
		if err != nil {
			return nil, nil, err
		}
		p.batches(b, time.Since(start))
		if b.Unfinished == 0 {
			return planView(job, b), &b, nil
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
		if b, err := q.progress(ctx, job); err == nil {
			return planView(job, b)
		}
	}
	return newView(job)
}

func (q *queue) progress(ctx context.Context, plan *rivertype.JobRow) (jobs.PlanProgress, error) {
	p, err := jobs.Progress(ctx, q.pool, plan)
	if err != nil {
		return p, jobs.DBError("batches", err)
	}
	return p, nil
}

// otherPlans describes the unfinished batches of migration plans other
// than plan ("plan 12: 3 running, 7 available"), or "" when there are none.
func (q *queue) otherPlans(ctx context.Context, plan int64) (string, error) {
	batches, err := jobs.BatchesOfOtherPlans(ctx, q.pool, plan)
	if err != nil {
		return "", jobs.DBError("batches of other plans", err)
	}
	var parts []string
	for i, b := range batches {
		part := fmt.Sprintf("%d %s", b.Count, b.State)
		if i == 0 || batches[i-1].PlanID != b.PlanID {
			part = fmt.Sprintf("plan %d: %s", b.PlanID, part)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", "), nil
}

// verdict is how a followed migration ended, for the exit code: a failed
// file is a failure (exit 1); a planned file not known to be in the bucket
// leaves it incomplete (exit 4).
func verdict(p *jobs.PlanProgress) error {
	if p.Done.Failed > 0 {
		return &migrationError{code: exitNotComplete, msg: fmt.Sprintf("%d files failed: %s", p.Done.Failed, strings.Join(p.Done.FailedNames, ", "))}
	}
	if len(p.Incomplete) > 0 {
		parts := make([]string, len(p.Incomplete))
		for i, b := range p.Incomplete {
			parts[i] = fmt.Sprintf("%d (%s)", b.ID, b.State)
		}
		return &migrationError{code: exitIncomplete, msg: fmt.Sprintf("incomplete: %d files pending in batches %s", p.IncompleteFiles(), strings.Join(parts, ", "))}
	}
	return nil
}

// migrationError ends a followed migration with its own exit code.
type migrationError struct {
	code int
	msg  string
}

func (e *migrationError) Error() string { return e.msg }

// planView merges the plan's output with the totals of its batches (the
// counters and lists of filemigrate.Report). The plan counts as completed
// only if every batch did.
func planView(plan *rivertype.JobRow, p jobs.PlanProgress) *jobView {
	v := newView(plan)
	out := map[string]json.RawMessage{}
	if string(v.Output) != "null" {
		_ = json.Unmarshal(v.Output, &out)
	}
	var done map[string]json.RawMessage
	if raw, err := json.Marshal(p.Done); err == nil {
		_ = json.Unmarshal(raw, &done)
	}
	// The Field a batch's report names is no total.
	var field map[string]json.RawMessage
	if raw, err := json.Marshal(filemigrate.Field{}); err == nil {
		_ = json.Unmarshal(raw, &field)
	}
	for k, n := range done {
		if _, isField := field[k]; !isField {
			out[k] = n
		}
	}
	// The plan's own count of batches stays when it gave one.
	if _, ok := out["batches"]; !ok {
		out["batches"] = json.RawMessage(fmt.Sprint(p.Batches))
	}
	// The lists of names are there even when empty, for Django's kit.
	for _, k := range []string{"missing_names", "refused_names", "failed_names"} {
		if _, ok := out[k]; !ok {
			out[k] = json.RawMessage("[]")
		}
	}
	incomplete := p.Incomplete
	if incomplete == nil {
		incomplete = []jobs.BatchState{}
	}
	if raw, err := json.Marshal(incomplete); err == nil {
		out["incomplete_batches"] = raw
	}
	out["incomplete_files"] = json.RawMessage(fmt.Sprint(p.IncompleteFiles()))
	if raw, err := json.Marshal(out); err == nil {
		v.Output = raw
	}
	if p.Failed != "" {
		v.State = p.Failed
		v.Errors = append(v.Errors, readable(p.Errors)...)
	}
	return v
}
