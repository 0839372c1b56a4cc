package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/jobs"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestQueueDepthAndOldestAvailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := riverDatabase(t)
	_, err := pool.Exec(ctx, `
		INSERT INTO river_job (args, kind, max_attempts, queue, scheduled_at, state, finalized_at)
		VALUES ('{}', 'ocr_document', 5, 'ocr', now() - interval '2 hours', 'available', NULL),
		       ('{}', 'ocr_document', 5, 'ocr', now() - interval '5 minutes', 'available', NULL),
		       ('{}', 'passport_mrz', 5, 'passport', now() + interval '1 hour', 'scheduled', NULL),
		       ('{}', 'passport_mrz', 5, 'passport', now() - interval '1 hour', 'completed', now()),
		       ('{}', 'ocr_document', 5, 'ocr', now() - interval '1 hour', 'discarded', now());
		INSERT INTO river_queue (name, metadata, updated_at) VALUES ('storage', '{}', now())`)
	if err != nil {
		t.Fatal(err)
	}

	body := scrape(t, New(pool, slog.New(slog.DiscardHandler)))
	for _, want := range []string{
		`worker_queue_jobs{queue="ocr",state="available"} 2`,
		`worker_queue_jobs{queue="passport",state="scheduled"} 1`,
		`worker_queue_jobs{queue="passport",state="available"} 0`,
		// A queue River knows, idle: zeros rather than nothing.
		`worker_queue_jobs{queue="storage",state="available"} 0`,
		`worker_queue_jobs{queue="storage",state="running"} 0`,
		`worker_queue_scrape_ok 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in:\n%s", want, body)
		}
	}
	// Finished jobs are not the queue's depth.
	for _, state := range []string{"completed", "discarded", "cancelled"} {
		if strings.Contains(body, `state="`+state+`"`) {
			t.Errorf("%s jobs counted:\n%s", state, grep(body, "worker_queue_jobs"))
		}
	}
	// The oldest job has waited two hours; a future one is not waiting.
	if !strings.Contains(body, `worker_queue_oldest_available_seconds{queue="ocr"} 72`) {
		t.Errorf("oldest available age of ocr is not about 7200s:\n%s", grep(body, "oldest"))
	}
	if strings.Contains(body, `worker_queue_oldest_available_seconds{queue="passport"}`) {
		t.Error("a scheduled job counts as waiting")
	}

	// A database that is gone makes the scrape say so instead of failing.
	pool.Close()
	if body := scrape(t, New(pool, slog.New(slog.DiscardHandler))); !strings.Contains(body, "worker_queue_scrape_ok 0") {
		t.Errorf("closed pool: %s", grep(body, "scrape_ok"))
	}
}

// riverDatabase is a fresh database with River's tables.
func riverDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	_, pool := testbed.NewRiverDatabase(t)
	return pool
}

func grep(body, word string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMiddlewareCountsOutcomes(t *testing.T) {
	t.Parallel()
	m := New(riverDatabase(t), slog.New(slog.DiscardHandler))
	mw := m.Middleware()
	job := &rivertype.JobRow{Kind: "ocr_document"}
	stopped, stop := context.WithCancel(context.Background())
	stop()

	_ = mw.Work(context.Background(), job, func(context.Context) error { return nil })
	_ = mw.Work(context.Background(), job, func(context.Context) error { return errors.New("s3: 503") })
	_ = mw.Work(context.Background(), job, func(context.Context) error { return river.JobCancel(errors.New("not an image")) })
	_ = mw.Work(stopped, job, func(ctx context.Context) error { return ctx.Err() })
	_ = mw.Work(context.Background(), job, func(context.Context) error {
		return river.JobCancel(fmt.Errorf("%w: boom", jobs.ErrPanicked)) // what jobs.ErrorMiddleware makes of a panic
	})

	body := grep(scrape(t, m), "worker_jobs")
	for _, want := range []string{
		`worker_jobs_worked_total{kind="ocr_document"} 5`,
		`worker_jobs_failed_total{kind="ocr_document",reason="error"} 1`,
		`worker_jobs_failed_total{kind="ocr_document",reason="bad_input"} 1`,
		`worker_jobs_failed_total{kind="ocr_document",reason="interrupted"} 1`,
		`worker_jobs_failed_total{kind="ocr_document",reason="panic"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in:\n%s", want, body)
		}
	}
}
