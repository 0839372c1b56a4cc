package main

import (
	"context"
	"net/http"
	"time"
)

// routes serves the probes and the metrics.
//
//	/livez   200 while the process runs
//	/readyz  200 when the database answers, the storage passes its check
//	         (storage.Health: at most one every 30 s), the client has
//	         started, and the worker is not stopping; 503 with the reason
//	         otherwise
//	/metrics Prometheus text format
func (d *daemon) routes(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if reason := d.notReady(r.Context()); reason != "" {
			http.Error(w, reason, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", metrics)
	return mux
}

func (d *daemon) notReady(ctx context.Context) string {
	switch {
	case d.stopping.Load():
		return "stopping"
	case !d.started.Load():
		return "starting"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := d.pool.Ping(ctx); err != nil {
		return "database unreachable"
	}
	if err := d.storage.Err(ctx); err != nil {
		return "storage: " + err.Error()
	}
	return ""
}
