package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthTimeout bounds `worker health`; Docker's HEALTHCHECK allows 10 s.
const healthTimeout = 8 * time.Second

// health asks the running worker's /readyz, for Docker's HEALTHCHECK (the
// image has no curl). It reads WORKER_HTTP_ADDR only, so it works with
// whatever else the environment lacks, and asks loopback when the worker
// listens on every interface. Exit 0 when ready; 1 with the reason otherwise.
func health(stdout, stderr io.Writer, env map[string]string) int {
	addr := env["WORKER_HTTP_ADDR"]
	if addr == "" {
		addr = "127.0.0.1:9090"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "worker health: WORKER_HTTP_ADDR %q is not host:port\n", addr)
		return exitUsage
	}
	if host == "" || host == "0.0.0.0" {
		host = "127.0.0.1"
	} else if host == "::" {
		host = "::1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "worker health: %v\n", err)
		return exitError
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "worker health: %s: not answering: %v\n", url, err)
		return exitError
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	reason := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "worker health: not ready (%d): %s\n", resp.StatusCode, reason)
		return exitError
	}
	fmt.Fprintln(stdout, reason)
	return exitOK
}
