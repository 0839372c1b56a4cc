package main

import (
	"net"
	"strings"
	"syscall"
	"testing"
)

// `worker health`, the image's HEALTHCHECK, exits 0 while the worker is
// ready and 1 with the reason once it is not answering; a worker listening
// on every interface is asked on loopback.
func TestHealthSubcommand(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vars := baseEnv(t, b.dbURL)
	vars["WORKER_HTTP_ADDR"] = "0.0.0.0:0"
	p, base := startWorker(t, vars)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	// Only WORKER_HTTP_ADDR: the subcommand needs nothing else.
	only := env{"WORKER_HTTP_ADDR": "0.0.0.0:" + port, "DATABASE_URL": "", "MEDIA_ROOT": ""}
	if code := startProc(t, only, "health").Wait(); code != exitOK {
		t.Errorf("worker health against a ready worker: exit %d", code)
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	h := startProc(t, only, "health")
	if code := h.Wait(); code != exitError {
		t.Errorf("worker health against a stopped worker: exit %d, want %d", code, exitError)
	}
	if log := strings.Join(h.Log(), "\n"); !strings.Contains(log, "not answering") {
		t.Errorf("no reason given: %s", log)
	}
	if code := startProc(t, env{"WORKER_HTTP_ADDR": "nonsense"}, "health").Wait(); code != exitUsage {
		t.Errorf("worker health with a bad address: exit %d, want %d", code, exitUsage)
	}
}
