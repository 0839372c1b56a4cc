// Package faultproxy is a reverse proxy for tests that fails chosen requests
// on their way to a real server (versitygw): an S3 client behind it must
// retry until its work is done, and leave nothing half-written.
package faultproxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
)

// Fault fails every Every-th request matching Method ("" matches any).
type Fault struct {
	Method string
	Every  int
	// Status is the answer sent instead of the server's, after reading the
	// request body; 0 drops the connection without an answer.
	Status int
}

// Proxy forwards to a server and injects faults.
type Proxy struct {
	// URL is the proxy's address, to use in place of the server's.
	URL string

	srv    *httptest.Server
	faults []Fault

	mu       sync.Mutex
	seen     []int // matching requests so far, per fault
	injected int
	passed   map[string]int
}

// Start serves a proxy to target on a loopback port. The Host header is
// passed through untouched, so SigV4 signatures made for the proxy's address
// still verify at the server.
func Start(target string, faults ...Fault) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q is not a URL", target)
	}
	for _, f := range faults {
		if f.Every < 1 {
			return nil, fmt.Errorf("faultproxy: fault %+v: Every must be at least 1", f)
		}
	}
	p := &Proxy{faults: faults, seen: make([]int, len(faults)), passed: map[string]int{}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		FlushInterval: -1,
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, ok := p.fault(r.Method); ok {
			_, _ = io.Copy(io.Discard, r.Body)
			if status == 0 {
				panic(http.ErrAbortHandler) // closes the connection, unanswered
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<Error><Code>%s</Code><Message>injected by faultproxy</Message></Error>", code(status))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	p.URL = p.srv.URL
	return p, nil
}

func (p *Proxy) fault(method string) (status int, inject bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		p.seen[i]++
		if p.seen[i]%f.Every == 0 {
			p.injected++
			return f.Status, true
		}
	}
	p.passed[method]++
	return 0, false
}

func code(status int) string {
	if status == http.StatusServiceUnavailable {
		return "SlowDown"
	}
	return "InternalError"
}

// Injected is the number of requests failed so far.
func (p *Proxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}

// Passed is the number of requests with method forwarded to the server.
func (p *Proxy) Passed(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.passed[method]
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }
