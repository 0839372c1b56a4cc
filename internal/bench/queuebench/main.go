// Command queuebench measures the queue for scripts/bench/queue.sh against a
// database whose River tables exist:
//
//	queuebench pickup      latency from an insert (Django's raw SQL with
//	                       pg_notify) to the start of Work, p50 and p95 over
//	                       -n jobs, beside the same insert without pg_notify
//	                       (the worker finds it at its next poll)
//	queuebench insert      jobs per second inserted by River's InsertMany
//	                       (batches of 1,000) and by River's Insert (one job
//	                       per transaction)
//
// It prints one JSON object per measurement on stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/revisbali/worker/jobs"
)

func main() {
	n := flag.Int("n", 1000, "jobs")
	spacing := flag.Duration("spacing", 105*time.Millisecond, "pause between pickup inserts; above River's 100 ms fetch cooldown, so that each job meets an idle worker as a sparse Django enqueue does")
	flag.Parse()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		fatal(err)
	}
	defer pool.Close()
	switch flag.Arg(0) {
	case "pickup":
		err = pickup(ctx, pool, *n, *spacing)
	case "insert":
		err = insert(ctx, pool, *n)
	default:
		err = errors.New("usage: queuebench [-n N] pickup|insert")
	}
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "queuebench:", err)
	os.Exit(1)
}

func emit(v map[string]any) {
	_ = json.NewEncoder(os.Stdout).Encode(v)
}

type pickupArgs struct {
	Seq int `json:"seq"`
}

func (pickupArgs) Kind() string { return "bench_pickup" }

type pickupWorker struct {
	river.WorkerDefaults[pickupArgs]
	started chan<- started
}

type started struct {
	id int64
	at time.Time
}

func (w *pickupWorker) Work(_ context.Context, job *river.Job[pickupArgs]) error {
	w.started <- started{job.ID, time.Now()}
	return nil
}

// pickup runs a River client configured as the daemon's (default fetch
// cooldown and poll interval) and times each job from just before its
// insert to the start of its Work.
func pickup(ctx context.Context, pool *pgxpool.Pool, n int, spacing time.Duration) error {
	starts := make(chan started, n)
	workers := river.NewWorkers()
	river.AddWorker(workers, &pickupWorker{started: starts})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:  map[string]river.QueueConfig{jobs.QueueOCR: {MaxWorkers: 4}},
		Workers: workers,
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = client.Stop(ctx) }()
	time.Sleep(2 * time.Second) // the listener and producers settle

	run := func(notify bool, n int, jitter time.Duration) ([]time.Duration, error) {
		var lat []time.Duration
		for i := range n {
			t0 := time.Now()
			id, err := insertDjango(ctx, pool, i, notify)
			if err != nil {
				return nil, err
			}
			select {
			case s := <-starts:
				if s.id != id {
					return nil, fmt.Errorf("job %d started while waiting for %d", s.id, id)
				}
				lat = append(lat, s.at.Sub(t0))
			case <-time.After(10 * time.Second):
				return nil, fmt.Errorf("job %d not picked up within 10s", id)
			}
			time.Sleep(spacing + rand.N(jitter))
		}
		return lat, nil
	}
	withNotify, err := run(true, n, 20*time.Millisecond)
	if err != nil {
		return err
	}
	// Polling is slower by design: a twentieth of the jobs gives its figure.
	// A random pause of up to a poll interval keeps the inserts from falling
	// into step with the poll.
	withoutNotify, err := run(false, max(n/20, 20), time.Second)
	if err != nil {
		return err
	}
	emit(map[string]any{"measure": "pickup", "notify_p50_ms": pct(withNotify, 50), "notify_p95_ms": pct(withNotify, 95), "notify_n": len(withNotify),
		"poll_p50_ms": pct(withoutNotify, 50), "poll_p95_ms": pct(withoutNotify, 95), "poll_n": len(withoutNotify)})
	return nil
}

// insertDjango is docs/river.md's route, one transaction per job.
func insertDjango(ctx context.Context, pool *pgxpool.Pool, seq int, notify bool) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `
			INSERT INTO river_job (args, kind, max_attempts, priority, queue, scheduled_at, state, tags, metadata)
			VALUES ($1::jsonb, 'bench_pickup', 5, 1, 'ocr', now(), 'available', '{}', '{}')
			RETURNING id`, fmt.Sprintf(`{"seq":%d}`, seq)).Scan(&id); err != nil {
			return err
		}
		if notify {
			_, err := tx.Exec(ctx, `SELECT pg_notify(current_schema() || '.river_insert', '{"queue": "ocr"}')`)
			return err
		}
		return nil
	})
	return id, err
}

func pct(d []time.Duration, p int) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return float64(s[i].Microseconds()) / 1000
}

// insert measures River's own insert routes on jobs of an OCR kind with
// distinct names (unique keys computed, as for Django's route).
func insert(ctx context.Context, pool *pgxpool.Pool, n int) error {
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return err
	}
	const batch = 1000
	start := time.Now()
	for i := 0; i < n; i += batch {
		params := make([]river.InsertManyParams, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			params = append(params, river.InsertManyParams{Args: jobs.OCRDocumentArgs{Name: fmt.Sprintf("bench/many-%d.png", j)}})
		}
		if _, err := client.InsertMany(ctx, params); err != nil {
			return err
		}
	}
	many := float64(n) / time.Since(start).Seconds()

	single := n / 2
	start = time.Now()
	for i := range single {
		if _, err := client.Insert(ctx, jobs.OCRDocumentArgs{Name: fmt.Sprintf("bench/one-%d.png", i)}, nil); err != nil {
			return err
		}
	}
	one := float64(single) / time.Since(start).Seconds()
	emit(map[string]any{"measure": "insert", "insert_many_per_s": many, "insert_one_per_s": one, "n": n})
	return nil
}
