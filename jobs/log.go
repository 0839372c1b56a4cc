package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

type loggerKey struct{}

// Logger returns the logger of the job being worked, which tags every line
// with the job's id, kind, attempt and queue. Outside a job it returns
// slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// LogMiddleware gives each job a logger tagged with its id, kind, attempt
// and queue, and logs when it starts and how it ends.
type LogMiddleware struct {
	river.MiddlewareDefaults
	Logger *slog.Logger
}

// Work implements rivertype.WorkerMiddleware.
func (m *LogMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	l := m.Logger.With(
		slog.Int64("job_id", job.ID),
		slog.String("kind", job.Kind),
		slog.Int("attempt", job.Attempt),
		slog.String("queue", job.Queue),
	)
	start := time.Now()
	l.InfoContext(ctx, "job started")
	err := doInner(context.WithValue(ctx, loggerKey{}, l))
	var snoozed *rivertype.JobSnoozeError
	switch {
	case errors.As(err, &snoozed):
		l.InfoContext(ctx, "job snoozed", slog.Duration("for", snoozed.Duration), slog.Duration("duration", time.Since(start)))
	case err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		l.InfoContext(ctx, "job interrupted by the worker's stop; back to the queue", slog.Duration("duration", time.Since(start)))
	case err != nil:
		l.WarnContext(ctx, "job ended with an error", slog.String("error", Message(err)), slog.Duration("duration", time.Since(start)))
	default:
		l.InfoContext(ctx, "job done", slog.Duration("duration", time.Since(start)))
	}
	return err
}
