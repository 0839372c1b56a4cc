// Package r2proxy is a reverse proxy for tests that stands between an S3
// client and versitygw and behaves as Cloudflare R2 does towards headers R2
// does not implement: it answers 501 NotImplemented instead of forwarding.
// A backend whose tests pass through it provably never sends them.
package r2proxy

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards requests to an S3 server, refusing R2-unsupported ones.
type Proxy struct {
	// URL is where clients reach the proxy.
	URL string

	requests    atomic.Int64
	connections atomic.Int64
	mu          sync.Mutex
	rejected    []string
	proxy       *httputil.ReverseProxy
	fault       atomic.Pointer[func(*http.Request) int]
}

// SetFault makes the proxy answer with the status fault returns (an S3
// error body, code ServiceUnavailable for 503) instead of forwarding, while
// it returns non-zero; nil removes it. Tests use it to see how a client
// retries.
func (p *Proxy) SetFault(fault func(*http.Request) int) {
	if fault == nil {
		p.fault.Store(nil)
		return
	}
	p.fault.Store(&fault)
}

// unsupported reports the first header of h that R2 does not implement.
func unsupported(h http.Header) (string, bool) {
	prefixes := []string{
		"x-amz-grant-",
		"x-amz-object-lock-",
		"x-amz-server-side-encryption",
		"x-amz-copy-source-server-side-encryption",
		"x-amz-checksum-",
	}
	// R2 checks a PutObject against a CRC-32 header since 2025; the worker
	// sends no other checksum.
	implemented := []string{"x-amz-checksum-crc32"}
	exact := []string{"x-amz-acl", "x-amz-tagging", "x-amz-tagging-directive", "x-amz-sdk-checksum-algorithm", "x-amz-trailer", "x-amz-bypass-governance-retention"}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, strings.ToLower(name))
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(implemented, name) {
			continue
		}
		if slices.Contains(exact, name) {
			return name, true
		}
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				return name, true
			}
		}
	}
	for _, v := range h.Values("Content-Encoding") {
		if strings.Contains(strings.ToLower(v), "aws-chunked") {
			return "content-encoding: " + v, true
		}
	}
	return "", false
}

// New returns a proxy to target (an http:// S3 endpoint). Serve it with
// Start, or mount it as a handler.
func New(target *url.URL) *Proxy {
	p := &Proxy{}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = target.Scheme
			r.Out.URL.Host = target.Host
			// SigV4 signs the Host the client addressed: keep it.
			r.Out.Host = r.In.Host
		},
		// Pass bodies through untouched: no transparent gzip.
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
		// Clients cancelling requests is part of the tests.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	return p
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	if name, bad := unsupported(r.Header); bad {
		p.mu.Lock()
		p.rejected = append(p.rejected, r.Method+" "+r.URL.Path+": "+name)
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>Header '%s' with value not implemented</Message></Error>`, name)
		return
	}
	if f := p.fault.Load(); f != nil {
		if status := (*f)(r); status != 0 {
			code := "InternalError"
			if status == http.StatusServiceUnavailable {
				code = "ServiceUnavailable"
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by r2proxy</Message></Error>`, code)
			return
		}
	}
	p.proxy.ServeHTTP(w, r)
}

// Requests returns how many requests reached the proxy.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Connections returns how many connections clients opened to the proxy,
// which keeps them alive between requests as R2 does.
func (p *Proxy) Connections() int64 { return p.connections.Load() }

// Rejected lists the requests refused so far, with the offending header.
func (p *Proxy) Rejected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.rejected)
}

// Start serves a proxy to target on a loopback port until the test ends,
// and fails the test if any request was rejected.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("r2proxy: target %q: %v", target, err)
	}
	p := New(u)
	srv := httptest.NewUnstartedServer(p)
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			p.connections.Add(1)
		}
	}
	srv.Start()
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		if r := p.Rejected(); len(r) > 0 {
			t.Errorf("r2proxy: requests R2 would refuse with 501 NotImplemented:\n  %s", strings.Join(r, "\n  "))
		}
	})
	return p
}
