package config

import (
	"fmt"
	"net"
	"runtime"
	"time"
)

// Worker holds the daemon's own settings. None of them is shared with
// Django, so booleans use Go's spellings (true/false, 1/0).
type Worker struct {
	// Migrate applies River's migrations when the daemon starts.
	Migrate bool `env:"WORKER_MIGRATE" envDefault:"true"`
	// HTTPAddr serves /livez, /readyz and /metrics.
	HTTPAddr string `env:"WORKER_HTTP_ADDR" envDefault:"127.0.0.1:9090"`
	// SoftStopTimeout is how long running jobs may finish after a stop
	// signal before their contexts are cancelled.
	SoftStopTimeout time.Duration `env:"WORKER_SOFT_STOP_TIMEOUT" envDefault:"25s"`
	// CompletedJobRetention is how long River keeps a completed job, and so
	// its output, before its cleaner deletes it (River's own default is a
	// day, too short for an app that reads a result when a person next
	// opens the document).
	CompletedJobRetention time.Duration `env:"WORKER_COMPLETED_JOB_RETENTION" envDefault:"168h"`

	// Jobs worked at once per queue; 0 means the CPU count for the CPU-bound
	// queues (ocr, passport).
	QueueOCR         int `env:"WORKER_QUEUE_OCR"`
	QueuePassport    int `env:"WORKER_QUEUE_PASSPORT"`
	QueueStorage     int `env:"WORKER_QUEUE_STORAGE" envDefault:"8"`
	QueueMaintenance int `env:"WORKER_QUEUE_MAINTENANCE" envDefault:"1"`
}

// maxQueueWorkers is River's own ceiling (river.QueueNumWorkersMax), kept
// here so that config does not import River.
const maxQueueWorkers = 10_000

func (w *Worker) fillDefaults() {
	if w.QueueOCR == 0 {
		w.QueueOCR = runtime.NumCPU()
	}
	if w.QueuePassport == 0 {
		w.QueuePassport = runtime.NumCPU()
	}
}

func (w *Worker) validate() []error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	if _, _, err := net.SplitHostPort(w.HTTPAddr); err != nil {
		add("WORKER_HTTP_ADDR: %q is not host:port", w.HTTPAddr)
	}
	if w.SoftStopTimeout <= 0 {
		add("WORKER_SOFT_STOP_TIMEOUT: %s must be above zero", w.SoftStopTimeout)
	}
	// The backup alerts (deploy/alerts.yml) read the newest completed
	// backup_db job: it must outlive a day.
	if w.CompletedJobRetention < 24*time.Hour {
		add("WORKER_COMPLETED_JOB_RETENTION: %s is under 24h; the backup alerts need the last completed backup job kept for a day", w.CompletedJobRetention)
	}
	for _, q := range []struct {
		name string
		n    int
	}{
		{"WORKER_QUEUE_OCR", w.QueueOCR},
		{"WORKER_QUEUE_PASSPORT", w.QueuePassport},
		{"WORKER_QUEUE_STORAGE", w.QueueStorage},
		{"WORKER_QUEUE_MAINTENANCE", w.QueueMaintenance},
	} {
		if q.n < 1 || q.n > maxQueueWorkers {
			add("%s: %d is outside 1..%d", q.name, q.n, maxQueueWorkers)
		}
	}
	return problems
}
