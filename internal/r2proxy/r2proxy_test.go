package r2proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestProxy(t *testing.T) {
	t.Parallel()
	var seenHost string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenHost = r.Host
		io.WriteString(w, "backend:"+r.URL.RequestURI())
	}))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	p := New(target)
	srv := httptest.NewServer(p)
	defer srv.Close()

	tests := []struct {
		header, value string
		refused       bool
	}{
		{"Content-Type", "application/pdf", false},
		{"Content-Encoding", "gzip", false},
		{"X-Amz-Meta-Sha256", "abc", false},
		{"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD", false},
		{"X-Amz-Copy-Source", "b/k", false},
		{"X-Amz-Metadata-Directive", "REPLACE", false},
		{"X-Amz-Acl", "public-read", true},
		{"X-Amz-Grant-Read", "id=x", true},
		{"X-Amz-Grant-Full-Control", "id=x", true},
		{"X-Amz-Tagging", "a=b", true},
		{"X-Amz-Object-Lock-Mode", "GOVERNANCE", true},
		{"X-Amz-Object-Lock-Retain-Until-Date", "2030-01-01T00:00:00Z", true},
		{"X-Amz-Object-Lock-Legal-Hold", "ON", true},
		{"X-Amz-Server-Side-Encryption", "aws:kms", true},
		{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "k", true},
		{"X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256", true},
		{"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key", "k", true},
		{"X-Amz-Sdk-Checksum-Algorithm", "CRC32", true},
		{"X-Amz-Checksum-Crc32", "AAAAAA==", false},
		{"X-Amz-Checksum-Crc32c", "AAAAAA==", true},
		{"X-Amz-Checksum-Sha256", "x", true},
		{"X-Amz-Trailer", "x-amz-checksum-crc32", true},
		{"Content-Encoding", "aws-chunked", true},
		{"Content-Encoding", "aws-chunked,gzip", true},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/key?x=1", strings.NewReader("body"))
		req.Header.Set(tt.header, tt.value)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if tt.refused {
			if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "<Code>NotImplemented</Code>") {
				t.Errorf("%s: %s: got %d %q, want 501 NotImplemented", tt.header, tt.value, resp.StatusCode, body)
			}
			continue
		}
		if resp.StatusCode != http.StatusOK || string(body) != "backend:/bucket/key?x=1" {
			t.Errorf("%s: %s: got %d %q, want it forwarded", tt.header, tt.value, resp.StatusCode, body)
		}
		if want := strings.TrimPrefix(srv.URL, "http://"); seenHost != want {
			t.Errorf("backend saw Host %q, want the proxy's %q (SigV4 signs it)", seenHost, want)
		}
	}
	if got, want := p.Requests(), int64(len(tests)); got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
	if got := len(p.Rejected()); got != 17 {
		t.Errorf("Rejected() has %d entries, want 17", got)
	}
}
