package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/filemigrate"
)

// The worker's own reads of River's tables. River's client covers inserts
// and single jobs; these are the questions it has no call for.
//
// A kind's name enters the SQL as a literal made from its constant, not as
// a parameter: pgx prepares statements, and Postgres' generic plan for a
// parameter guesses how many rows a kind selects, where the literal lets it
// read the statistics.

// DB is what the queries need: a pgxpool.Pool, a pgx.Conn or a pgx.Tx.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// kindIs is the SQL condition that a row is of the named kind.
func kindIs(name string) string { return "kind = '" + name + "'" }

// UnfinishedStates are the states of a job that has not ended.
var UnfinishedStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStatePending,
}

// Finalized says whether a job in state s has ended for good.
func Finalized(s rivertype.JobState) bool {
	switch s {
	case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return true
	}
	return false
}

// stateList is states as SQL literals, for the same reason as kindIs: a
// parameter, or a cast of a text array, hides from the planner how few rows
// they select, and it then scans the whole table.
func stateList(states []rivertype.JobState) string {
	s := make([]string, len(states))
	for i, st := range states {
		s[i] = "'" + string(st) + "'"
	}
	return strings.Join(s, ", ")
}

// Counting only unfinished jobs reads River's fetching index (state, queue,
// ...); counting finished jobs too read the whole table, the completed ones
// River keeps for a day. River's known queues come in the same statement,
// with no state, so that an idle queue is there too without a second round
// trip per scrape.
var depthQuery = `SELECT queue, state::text, count(*) FROM river_job
	WHERE state IN (` + stateList(UnfinishedStates) + `) GROUP BY 1, 2
	UNION ALL SELECT name, NULL, 0 FROM river_queue`

// QueueDepths counts the unfinished jobs by queue and state. Every queue
// River knows is there, an idle one with no states.
func QueueDepths(ctx context.Context, db DB) (map[string]map[rivertype.JobState]int64, error) {
	depths := map[string]map[rivertype.JobState]int64{}
	rows, err := db.Query(ctx, depthQuery)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var queue string
		var state *string
		var n int64
		if err := rows.Scan(&queue, &state, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if depths[queue] == nil {
			depths[queue] = map[rivertype.JobState]int64{}
		}
		if state != nil {
			depths[queue][rivertype.JobState(*state)] = n
		}
	}
	return depths, rows.Err()
}

// OldestAvailable is, by queue, how long its oldest available job has been
// due without a worker taking it.
func OldestAvailable(ctx context.Context, db DB) (map[string]time.Duration, error) {
	rows, err := db.Query(ctx, `
		SELECT queue, extract(epoch FROM now() - min(scheduled_at))::float8
		FROM river_job WHERE state = 'available' GROUP BY queue`)
	if err != nil {
		return nil, err
	}
	ages := map[string]time.Duration{}
	for rows.Next() {
		var queue string
		var age float64
		if err := rows.Scan(&queue, &age); err != nil {
			rows.Close()
			return nil, err
		}
		ages[queue] = max(time.Duration(age*float64(time.Second)), 0)
	}
	return ages, rows.Err()
}

// Discarded counts, by kind, the jobs that exhausted their retries.
func Discarded(ctx context.Context, db DB) (map[string]int64, error) {
	rows, err := db.Query(ctx, `SELECT kind, count(*) FROM river_job WHERE state = 'discarded' GROUP BY kind`)
	if err != nil {
		return nil, err
	}
	n := map[string]int64{}
	for rows.Next() {
		var kind string
		var c int64
		if err := rows.Scan(&kind, &c); err != nil {
			rows.Close()
			return nil, err
		}
		n[kind] = c
	}
	return n, rows.Err()
}

// NewestBackupAge is how long ago, by the database's clock, the newest
// backup_db job that made a backup completed: verifications and skipped
// catch-up checks, whose outputs name no backup, are left out. ok is false
// when river_job holds none (River deletes completed jobs after a day).
func NewestBackupAge(ctx context.Context, db DB) (age time.Duration, ok bool, err error) {
	var secs *float64
	err = db.QueryRow(ctx, `
		SELECT extract(epoch FROM now() - max(finalized_at))::float8 FROM river_job
		WHERE `+kindIs(KindBackupDB)+` AND state = 'completed'
		  AND metadata->'output' ? 'name'
		  AND NOT coalesce((args->>'verify')::boolean, false)`).Scan(&secs)
	if err != nil || secs == nil {
		return 0, false, err
	}
	return max(time.Duration(*secs*float64(time.Second)), 0), true, nil
}

// backupsInFlight counts the backup_db jobs other than self that are due
// and unfinished.
func backupsInFlight(ctx context.Context, db DB, self int64) (int, error) {
	var n int
	err := db.QueryRow(ctx, `
		SELECT count(*) FROM river_job
		WHERE `+kindIs(KindBackupDB)+` AND id <> $1
		  AND state IN (`+stateList(UnfinishedStates)+`)
		  AND scheduled_at <= now()`, self).Scan(&n)
	return n, err
}

// NewestPlan is the newest migrate_files job, the plan the metrics follow;
// nil when there is none.
func NewestPlan(ctx context.Context, db DB) (*rivertype.JobRow, error) {
	var id int64
	var state string
	var output []byte
	err := db.QueryRow(ctx, `
		SELECT id, state::text, metadata->'output' FROM river_job
		WHERE `+kindIs(KindMigrateFiles)+` ORDER BY id DESC LIMIT 1`).Scan(&id, &state, &output)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rivertype.JobRow{ID: id, Kind: KindMigrateFiles, State: rivertype.JobState(state), Metadata: outputMetadata(output)}, nil
}

func outputMetadata(output []byte) []byte {
	if len(output) == 0 {
		return nil
	}
	return []byte(`{"output":` + string(output) + `}`)
}

// PlanProgress is how far the batches of one migrate_files plan got.
type PlanProgress struct {
	// Done sums the outputs of the completed batches; each list of names
	// holds at most MaxProgressNames.
	Done filemigrate.Report
	// Batches found, and of them unfinished and completed.
	Batches, Unfinished, Completed int
	// Failed is the state of the batches that ended without completing
	// (discarded if any was, else cancelled), empty when none did; Errors
	// are their attempts' errors.
	Failed rivertype.JobState
	Errors []rivertype.AttemptError
	// Incomplete are the batches that have not completed (yet), in id
	// order; an earlier plan's batch that River has deleted since is there
	// as "deleted": it is not known to be complete.
	Incomplete []BatchState
	// PlannedRows are the rows the plan counted.
	PlannedRows int64
}

// BatchState is one batch's id and state.
type BatchState struct {
	ID    int64              `json:"id"`
	State rivertype.JobState `json:"state"`
}

// IncompleteFiles is how many planned files the incomplete batches hold:
// the plan's rows less those the completed batches reported, at least one
// per incomplete batch.
func (p PlanProgress) IncompleteFiles() int64 {
	if len(p.Incomplete) == 0 {
		return 0
	}
	return max(p.PlannedRows-int64(p.Done.Rows), int64(len(p.Incomplete)))
}

// MaxProgressNames caps each list of names in PlanProgress.Done.
const MaxProgressNames = 1000

// PlanOutput decodes a plan's recorded output; zero until it completed.
func PlanOutput(plan *rivertype.JobRow) (MigrateFilesOutput, error) {
	var out MigrateFilesOutput
	if o := plan.Output(); len(o) > 0 && string(o) != "null" {
		if err := json.Unmarshal(o, &out); err != nil {
			return out, fmt.Errorf("plan %d output: %w", plan.ID, err)
		}
	}
	return out, nil
}

// Progress reads the batches of a plan: those it enqueued (their args
// carry its id) and those of an earlier, unfinished plan that covered some
// of its ranges already, which it did not enqueue again (its output's
// queued_elsewhere). The sums are made by Postgres: a plan may have
// thousands of batches, and the metrics read it at every scrape.
func Progress(ctx context.Context, db DB, plan *rivertype.JobRow) (PlanProgress, error) {
	var p PlanProgress
	out, err := PlanOutput(plan)
	if err != nil {
		return p, err
	}
	for _, f := range out.Fields {
		p.PlannedRows += f.Rows
	}
	elsewhere := out.QueuedElsewhere
	if elsewhere == nil {
		elsewhere = []int64{}
	}
	var failed struct{ discarded, cancelled bool }
	var errs [][]rivertype.AttemptError
	var found []int64
	dest := []any{&p.Batches, &p.Unfinished, &p.Completed, &failed.discarded, &failed.cancelled, &errs, &p.Incomplete, &found}
	rep := reflect.ValueOf(&p.Done).Elem()
	lists := make([][][]string, len(reportColumns)) // per column, one list per batch
	for i, c := range reportColumns {
		if c.kind == reflect.Slice {
			dest = append(dest, &lists[i])
		} else {
			dest = append(dest, rep.FieldByIndex(c.index).Addr().Interface())
		}
	}
	if err := db.QueryRow(ctx, progressQuery, plan.ID, elsewhere).Scan(dest...); err != nil {
		return p, err
	}
	for _, id := range elsewhere {
		if !slices.Contains(found, id) {
			p.Batches++
			p.Incomplete = append(p.Incomplete, BatchState{ID: id, State: "deleted"})
		}
	}
	for i, c := range reportColumns {
		if c.kind != reflect.Slice {
			continue
		}
		names := []string{}
		for _, batch := range lists[i] {
			room := MaxProgressNames - len(names)
			if len(batch) > room {
				batch, p.Done.Truncated = batch[:room], true
			}
			names = append(names, batch...)
		}
		rep.FieldByIndex(c.index).Set(reflect.ValueOf(names))
	}
	switch {
	case failed.discarded:
		p.Failed = rivertype.JobStateDiscarded
	case failed.cancelled:
		p.Failed = rivertype.JobStateCancelled
	}
	for _, e := range errs {
		p.Errors = append(p.Errors, e...)
	}
	return p, nil
}

// reportColumn is one JSON field of filemigrate.Report that Progress sums
// (a count, in bytes or files), ORs (a flag) or gathers (a list of names).
type reportColumn struct {
	name  string
	index []int
	kind  reflect.Kind
}

// reportColumns are found from Report's own fields, so that the sums follow
// it; the Field it embeds names a batch's column and is not summed.
var reportColumns = func() []reportColumn {
	var cols []reportColumn
	t := reflect.TypeFor[filemigrate.Report]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || name == "" || name == "-" {
			continue
		}
		// progressQuery writes the name into its SQL as a JSON key literal.
		if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") != "" {
			panic("filemigrate.Report: JSON name " + strconv.Quote(name) + " is not lower-case letters and underscores")
		}
		switch k := f.Type.Kind(); k {
		case reflect.Int, reflect.Int64, reflect.Bool:
			cols = append(cols, reportColumn{name, f.Index, k})
		case reflect.Slice:
			if f.Type.Elem().Kind() == reflect.String {
				cols = append(cols, reportColumn{name, f.Index, k})
			}
		}
	}
	return cols
}()

// progressQuery reads a plan's batches in one pass. Lists of names come as
// one array per batch that has any, at most MaxProgressNames of them.
// Each batch's output is read once, in a subquery that OFFSET 0 keeps
// from being merged into the outer one, and the counts are read as text
// (->>): a JSON path from metadata per field and per use, cast from jsonb,
// made a /metrics scrape over 10,000 batches half again as slow.
var progressQuery = func() string {
	var b strings.Builder
	b.WriteString(`
		SELECT count(*)::int,
		       (count(*) FILTER (WHERE state IN (` + stateList(UnfinishedStates) + `)))::int,
		       (count(*) FILTER (WHERE state = 'completed'))::int,
		       coalesce(bool_or(state = 'discarded'), false),
		       coalesce(bool_or(state = 'cancelled'), false),
		       coalesce(jsonb_agg(errors) FILTER (WHERE state IN ('discarded', 'cancelled') AND errors IS NOT NULL), '[]'),
		       coalesce(jsonb_agg(jsonb_build_object('id', id, 'state', state) ORDER BY id) FILTER (WHERE state <> 'completed'), '[]'),
		       coalesce(array_agg(id) FILTER (WHERE id = ANY($2::bigint[])), '{}')`)
	for _, c := range reportColumns {
		done := "state = 'completed'"
		switch c.kind {
		case reflect.Bool:
			fmt.Fprintf(&b, ",\n\t\t       coalesce(bool_or((out->>'%s')::boolean) FILTER (WHERE %s), false)", c.name, done)
		case reflect.Slice:
			fmt.Fprintf(&b, ",\n\t\t       coalesce(to_jsonb((array_agg(%[1]s) FILTER (WHERE %[2]s AND jsonb_typeof(%[1]s) = 'array' AND %[1]s <> '[]'))[1:%[3]d]), '[]')",
				"out->'"+c.name+"'", done, MaxProgressNames)
		default:
			fmt.Fprintf(&b, ",\n\t\t       coalesce(sum((out->>'%s')::bigint) FILTER (WHERE %s), 0)::bigint", c.name, done)
		}
	}
	b.WriteString(`
		FROM (
			SELECT id, state, errors, metadata->'output' AS out FROM river_job
			WHERE ` + kindIs(KindMigrateFilesBatch) + ` AND (args->>'plan_id' = $1::bigint::text OR id = ANY($2::bigint[]))
			OFFSET 0
		) batch`)
	return b.String()
}()

// UnfinishedBatches counts the unfinished batches of one migration plan in
// one state.
type UnfinishedBatches struct {
	PlanID int64
	State  rivertype.JobState
	Count  int
}

// BatchesOfOtherPlans counts, by plan and state, the unfinished batches of
// the migration plans other than planID: the ranges a new plan leaves to
// them.
func BatchesOfOtherPlans(ctx context.Context, db DB, planID int64) ([]UnfinishedBatches, error) {
	rows, err := db.Query(ctx, `
		SELECT (args->>'plan_id')::bigint, state::text, count(*)::int FROM river_job
		WHERE `+kindIs(KindMigrateFilesBatch)+` AND state IN (`+stateList(UnfinishedStates)+`)
		  AND args->>'plan_id' <> $1::bigint::text
		GROUP BY 1, 2 ORDER BY 1, 2`, planID)
	if err != nil {
		return nil, err
	}
	var out []UnfinishedBatches
	for rows.Next() {
		var u UnfinishedBatches
		var state string
		if err := rows.Scan(&u.PlanID, &state, &u.Count); err != nil {
			rows.Close()
			return nil, err
		}
		u.State = rivertype.JobState(state)
		out = append(out, u)
	}
	return out, rows.Err()
}

// DBError explains the usual first-run mistake: River's tables missing.
func DBError(what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return fmt.Errorf("%s: River's tables are missing; run `worker migrate` first: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
