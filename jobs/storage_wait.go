package jobs

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/storage"
)

// StorageSnooze is how long a job waits before it looks at the storage
// again, when the storage refuses the worker as a whole: the age at which
// the storage's last check is done again.
const StorageSnooze = storage.HealthTTL

// storageHealth is what StorageMiddleware needs of storage.Health.
type storageHealth interface {
	// Err is the latest check's result, checking again when it is old.
	Err(ctx context.Context) error
	// Recheck checks now.
	Recheck(ctx context.Context) error
}

// StorageMiddleware makes jobs wait for the storage instead of spending
// their attempts on it. A wrong or revoked key, or a missing bucket or
// MEDIA_ROOT, fails every job alike, and no retry helps until an operator
// fixes it: such a job is snoozed (River does not count a snooze as an
// attempt) and tried again every StorageSnooze until the storage passes its
// check. A job is not started while the last check failed; a job that fails
// with an error that looks like the storage's (storage.IsUnavailable, or a
// missing file, which is what S3 answers a HEAD in a missing bucket) has the
// storage checked at once, and is snoozed only if the check fails too: an
// error of one file still fails or cancels its job as before.
//
// Install it inside ErrorMiddleware, which passes a snooze through.
func StorageMiddleware(health storageHealth) rivertype.WorkerMiddleware {
	return &storageMiddleware{health: health}
}

type storageMiddleware struct {
	river.MiddlewareDefaults
	health storageHealth
}

func (m *storageMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if err := m.health.Err(ctx); storage.IsUnavailable(err) {
		return m.snooze(ctx, err)
	}
	err := doInner(ctx)
	if err == nil || ctx.Err() != nil || !(storage.IsUnavailable(err) || errors.Is(err, fs.ErrNotExist)) {
		return err
	}
	if herr := m.health.Recheck(ctx); storage.IsUnavailable(herr) {
		return m.snooze(ctx, herr)
	}
	return err
}

func (m *storageMiddleware) snooze(ctx context.Context, cause error) error {
	Logger(ctx).WarnContext(ctx, "storage unavailable: the job waits for it without using an attempt",
		slog.String("storage", cause.Error()), slog.Duration("retry_in", StorageSnooze))
	return river.JobSnooze(StorageSnooze)
}
