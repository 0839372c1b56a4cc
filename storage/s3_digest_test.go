package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
)

// The server checks a single-request upload: against the CRC-32 taken in
// the same read as the digest when there is one, else against the digest
// signed as the payload's hash. A body that does not match is refused, not
// stored.
func TestPutIsChecked(t *testing.T) {
	t.Parallel()
	bed := testbed.S3Server(t)
	s, err := NewS3(context.Background(), config.Storage{
		AccessKeyID: bed.AccessKey, SecretAccessKey: bed.SecretKey, Bucket: bed.Bucket,
		EndpointURL: bed.Endpoint, Region: "auto", Location: "signdigest",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := []byte("the scanned passport")
	sum, crc := Sums(body)
	wrongSum, wrongCRC := Sums([]byte("something else"))
	tests := []struct {
		name, digest, crc string
		ok                bool
		refusal           string // what the server's refusal names
	}{
		{"passports/right é.pdf", sum, crc, true, ""},
		{"passports/signed.pdf", sum, "", true, ""},
		{"passports/wrong crc.pdf", sum, wrongCRC, false, "crc32"},
		{"passports/wrong signed.pdf", wrongSum, "", false, "sha256"},
	}
	for _, tt := range tests {
		u := upload{s: s, key: "signdigest/" + tt.name, contentType: "application/pdf"}
		etag, err := u.put(ctx, bytes.NewReader(body), int64(len(body)), tt.digest, tt.crc)
		info, statErr := s.Stat(ctx, tt.name)
		if tt.ok {
			if err != nil || statErr != nil || info.Digest != tt.digest || info.Size != int64(len(body)) || etag == "" || info.ETag != etag {
				t.Errorf("%s: put %v (ETag %q), stat %+v, %v; want stored with its digest and the ETag put returned", tt.name, err, etag, info, statErr)
			}
			continue
		}
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), tt.refusal) || statErr == nil {
			t.Errorf("%s: put %v, stat %v; want the server to refuse a body that does not match its %s", tt.name, err, statErr, tt.refusal)
		}
	}
}

// A caller that already hashed the file hands the digest to Save: it is
// stored (with the file's modification time) without the body being read
// twice, and a digest that does not match the body stores nothing.
func TestSaveWithKnownDigest(t *testing.T) {
	t.Parallel()
	bed := testbed.S3Server(t)
	s, err := NewS3(context.Background(), config.Storage{
		AccessKeyID: bed.AccessKey, SecretAccessKey: bed.SecretKey, Bucket: bed.Bucket,
		EndpointURL: bed.Endpoint, Region: "auto", Location: "knowndigest",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := []byte("the scanned visa")
	sum, crc := Sums(body)
	wrongSum, wrongCRC := Sums([]byte("another visa"))
	mtime := time.Date(2024, 3, 1, 10, 30, 0, 123456789, time.UTC)
	tests := []struct {
		name, digest, crc string
		ok                bool
	}{
		{"visas/right.pdf", sum, crc, true},
		{"visas/right signed.pdf", sum, "", true},
		{"visas/wrong.pdf", wrongSum, wrongCRC, false},
		{"visas/wrong signed.pdf", wrongSum, "", false},
	}
	for _, tt := range tests {
		_, err := s.Save(ctx, tt.name, bytes.NewReader(body), SaveOptions{Replace: true, Size: int64(len(body)), Digest: tt.digest, CRC32: tt.crc, SourceModTime: mtime})
		info, statErr := s.Stat(ctx, tt.name)
		if !tt.ok {
			if err == nil || statErr == nil {
				t.Errorf("%s: save %v, stat %v; want the save refused and nothing stored", tt.name, err, statErr)
			}
			continue
		}
		if err != nil || statErr != nil {
			t.Fatalf("%s: save %v, stat %v", tt.name, err, statErr)
		}
		if info.Digest != tt.digest || !info.SourceModTime.Equal(mtime) {
			t.Errorf("%s: stat digest %s, source mtime %v; want %s, %v", tt.name, info.Digest, info.SourceModTime, tt.digest, mtime)
		}
	}
}

// A server that answers the x-amz-checksum-crc32 header NotImplemented (as
// R2 did until 2025) still gets every upload, checked by the signed digest:
// the first refusal switches the client over, and no later upload sends the
// header again.
func TestSaveWithoutChecksumSupport(t *testing.T) {
	t.Parallel()
	bed := testbed.S3Server(t)
	target, err := url.Parse(bed.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var refused, signed atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Checksum-Crc32") != "" {
			refused.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotImplemented)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>Header 'x-amz-checksum-crc32' with value not implemented</Message></Error>`)
			return
		}
		if r.Method == http.MethodPut && isHexDigest(r.Header.Get("X-Amz-Content-Sha256")) {
			signed.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	s, err := NewS3(context.Background(), config.Storage{
		AccessKeyID: bed.AccessKey, SecretAccessKey: bed.SecretKey, Bucket: bed.Bucket,
		EndpointURL: srv.URL, Region: "auto", Location: "nochecksum",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, body := range []string{"first scan", "second scan", "third scan"} {
		name := fmt.Sprintf("scans/%d.pdf", i)
		sum, crc := Sums([]byte(body))
		if _, err := s.Save(ctx, name, strings.NewReader(body), SaveOptions{Replace: true, Size: int64(len(body)), Digest: sum, CRC32: crc}); err != nil {
			t.Fatalf("save %s: %v", name, err)
		}
		if info, err := s.Stat(ctx, name); err != nil || info.Digest != sum {
			t.Errorf("stat %s: %+v, %v; want stored with digest %s", name, info, err, sum)
		}
	}
	if refused.Load() != 1 || signed.Load() != 3 {
		t.Errorf("%d uploads refused for the checksum header, %d signed; want 1 refused, then all 3 signed", refused.Load(), signed.Load())
	}
	// A wrong digest is still refused once the client has switched over.
	wrongSum, wrongCRC := Sums([]byte("something else"))
	if _, err := s.Save(ctx, "scans/wrong.pdf", strings.NewReader("first scan"), SaveOptions{Replace: true, Size: 10, Digest: wrongSum, CRC32: wrongCRC}); err == nil {
		t.Error("save with a wrong digest succeeded; want it refused")
	}
}

// A whole-body upload is trusted only when the server's answer returns the
// CRC-32 sent (versitygw does, as R2 and S3 do). A server that answers
// without it may have ignored the header and stored the body unchecked:
// that body goes again with its SHA-256 signed, as every later one. One that
// answers another CRC-32 stored another body: the save fails and leaves no
// object.
func TestSaveChecksTheServersCRC32(t *testing.T) {
	t.Parallel()
	bed := testbed.S3Server(t)
	target, err := url.Parse(bed.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	_, otherCRC := Sums([]byte("another body"))
	for _, tt := range []struct {
		name    string
		answer  func(h http.Header) // what the server's answer to a PUT says
		crcPuts int64               // uploads sent with the CRC-32 header
		signed  int64               // uploads sent with the SHA-256 signed
		fails   bool
	}{
		{"returns it", func(http.Header) {}, 3, 0, false},
		{"returns none", func(h http.Header) { h.Del("X-Amz-Checksum-Crc32") }, 1, 3, false},
		{"returns another", func(h http.Header) { h.Set("X-Amz-Checksum-Crc32", otherCRC) }, 3, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var crcPuts, signed atomic.Int64
			proxy := httputil.NewSingleHostReverseProxy(target)
			proxy.ModifyResponse = func(r *http.Response) error {
				if r.Request.Method == http.MethodPut {
					tt.answer(r.Header)
				}
				return nil
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && r.Header.Get("X-Amz-Checksum-Crc32") != "" {
					crcPuts.Add(1)
				}
				if r.Method == http.MethodPut && isHexDigest(r.Header.Get("X-Amz-Content-Sha256")) {
					signed.Add(1)
				}
				proxy.ServeHTTP(w, r)
			}))
			defer srv.Close()
			s, err := NewS3(context.Background(), config.Storage{
				AccessKeyID: bed.AccessKey, SecretAccessKey: bed.SecretKey, Bucket: bed.Bucket,
				EndpointURL: srv.URL, Region: "auto", Location: "crc-" + strings.ReplaceAll(tt.name, " ", "-"),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for i, body := range []string{"first scan", "second scan", "third scan"} {
				name := fmt.Sprintf("scans/%d.pdf", i)
				sum, crc := Sums([]byte(body))
				_, err := s.Save(ctx, name, strings.NewReader(body), SaveOptions{Replace: true, Size: int64(len(body)), Digest: sum, CRC32: crc})
				info, statErr := s.Stat(ctx, name)
				switch {
				case tt.fails && (err == nil || !strings.Contains(err.Error(), "CRC-32")):
					t.Errorf("save %s: %v; want an error naming the CRC-32", name, err)
				case tt.fails && !errors.Is(statErr, fs.ErrNotExist):
					t.Errorf("stat %s after a failed save: %+v, %v; want no object", name, info, statErr)
				case !tt.fails && (err != nil || statErr != nil || info.Digest != sum):
					t.Errorf("save %s: %v; stat %+v, %v; want stored with digest %s", name, err, info, statErr, sum)
				}
			}
			if crcPuts.Load() != tt.crcPuts || signed.Load() != tt.signed {
				t.Errorf("%d uploads with the CRC-32, %d signed; want %d and %d", crcPuts.Load(), signed.Load(), tt.crcPuts, tt.signed)
			}
		})
	}
}
