package faultproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hosts []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+string(body))
	}))
	defer backend.Close()

	p, err := Start(backend.URL, Fault{Method: http.MethodPut, Every: 2, Status: 503}, Fault{Method: http.MethodPost, Every: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	// PUT: every 2nd fails with 503. POST: every 2nd connection is dropped
	// (a POST, because Go's client silently retries an idempotent GET).
	want := []struct {
		method string
		status int // 0: connection dropped
	}{
		{"PUT", 200}, {"PUT", 503}, {"PUT", 200}, {"PUT", 503},
		{"POST", 200}, {"POST", 0}, {"GET", 200}, {"HEAD", 200},
	}
	for i, w := range want {
		req, _ := http.NewRequest(w.method, p.URL+"/bucket/key", strings.NewReader("body"))
		resp, err := http.DefaultClient.Do(req)
		if w.status == 0 {
			if err == nil {
				resp.Body.Close()
				t.Errorf("request %d (%s): got %d; want the connection dropped", i, w.method, resp.StatusCode)
			}
			continue
		}
		if err != nil {
			t.Fatalf("request %d (%s): %v", i, w.method, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != w.status {
			t.Errorf("request %d (%s): status %d; want %d", i, w.method, resp.StatusCode, w.status)
		}
		if w.status == 200 && w.method == "PUT" && string(body) != "PUT body" {
			t.Errorf("request %d: the server saw %q", i, body)
		}
	}
	if p.Injected() != 3 || p.Passed("PUT") != 2 || p.Passed("POST") != 1 || p.Passed("GET") != 1 {
		t.Errorf("injected %d, passed PUT %d POST %d GET %d; want 3, 2, 1, 1", p.Injected(), p.Passed("PUT"), p.Passed("POST"), p.Passed("GET"))
	}
	proxyHost := strings.TrimPrefix(p.URL, "http://")
	mu.Lock()
	defer mu.Unlock()
	for _, h := range hosts {
		if h != proxyHost {
			t.Errorf("server saw Host %q; want the proxy's %q passed through for signatures", h, proxyHost)
		}
	}
}
