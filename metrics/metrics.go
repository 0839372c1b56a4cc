// Package metrics exposes the worker's Prometheus metrics: jobs worked and
// failed by kind with their durations, measured around each job; the
// queue's depth and the age of its oldest available job, the age of the
// newest backup, discarded jobs by kind and the progress of the newest file
// migration, read from river_job when scraped; and this process's temp
// folder usage and readiness.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/jobs"
)

// queryTimeout bounds the queue queries of one scrape, so that a slow
// database makes a scrape incomplete rather than stuck.
const queryTimeout = 3 * time.Second

// Metrics holds the worker's own registry; nothing is registered globally.
type Metrics struct {
	registry *prometheus.Registry
	logger   *slog.Logger
	worked   *prometheus.CounterVec
	failed   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New registers the job metrics, the queue collector reading pool, and the
// Go runtime and process collectors.
func New(pool *pgxpool.Pool, logger *slog.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		logger:   logger,
		worked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "worker_jobs_worked_total",
			Help: "Job attempts that ended, by kind, whatever their outcome.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "worker_jobs_failed_total",
			Help: "Job attempts that did not complete, by kind and reason: error (retried), bad_input (cancelled), panic, interrupted (worker stopping), snoozed (waiting for the storage, no attempt used).",
		}, []string{"kind", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "worker_job_duration_seconds",
			Help:    "Duration of job attempts, by kind.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}, []string{"kind"}),
	}
	m.registry.MustRegister(m.worked, m.failed, m.duration,
		&queueCollector{pool: pool, logger: logger},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Middleware measures every job attempt. Install it on the River client.
func (m *Metrics) Middleware() rivertype.WorkerMiddleware {
	return &middleware{m: m}
}

type middleware struct {
	river.MiddlewareDefaults
	m *Metrics
}

func (mw *middleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	start := time.Now()
	defer func() {
		mw.m.worked.WithLabelValues(job.Kind).Inc()
		mw.m.duration.WithLabelValues(job.Kind).Observe(time.Since(start).Seconds())
		if err != nil {
			mw.m.failed.WithLabelValues(job.Kind, reason(ctx, err)).Inc()
		}
	}()
	return doInner(ctx)
}

func reason(ctx context.Context, err error) string {
	var cancel *rivertype.JobCancelError
	var snooze *rivertype.JobSnoozeError
	switch {
	case errors.Is(err, jobs.ErrPanicked):
		return "panic"
	case errors.As(err, &cancel):
		return "bad_input"
	case errors.As(err, &snooze):
		return "snoozed"
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return "interrupted"
	default:
		return "error"
	}
}

var (
	depthDesc = prometheus.NewDesc("worker_queue_jobs",
		"Unfinished jobs in river_job by queue and state (available, scheduled, running, retryable, pending), "+
			"0 included for every queue River knows. Finished jobs are left out: worker_jobs_discarded counts the discarded ones.",
		[]string{"queue", "state"}, nil)
	oldestDesc = prometheus.NewDesc("worker_queue_oldest_available_seconds",
		"Age of the oldest available job by queue: how long it has been due without a worker taking it.", []string{"queue"}, nil)
	upDesc = prometheus.NewDesc("worker_queue_scrape_ok",
		"1 when the river_job queries of this scrape succeeded.", nil, nil)
)

// queueCollector reads the queue's state at each scrape.
type queueCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- oldestDesc
	ch <- upDesc
	describeOps(ch)
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	ok := 1.0
	if err := errors.Join(c.collect(ctx, ch), c.collectOps(ctx, ch)); err != nil {
		c.logger.Warn("metrics: queue query", slog.String("error", err.Error()))
		ok = 0
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, ok)
}

func (c *queueCollector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	depths, err := jobs.QueueDepths(ctx, c.pool)
	if err != nil {
		return err
	}
	for queue, byState := range depths {
		for _, state := range jobs.UnfinishedStates {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(byState[state]), queue, string(state))
		}
	}
	ages, err := jobs.OldestAvailable(ctx, c.pool)
	if err != nil {
		return err
	}
	for queue, age := range ages {
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age.Seconds(), queue)
	}
	return nil
}
