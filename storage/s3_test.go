package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/r2proxy"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/storage/storagetest"
)

// s3Bed is one test's view of the test bed's versitygw, reached through
// the R2 proxy, under a fresh AWS_LOCATION.
type s3Bed struct {
	server   testbed.S3
	proxy    *r2proxy.Proxy
	location string
}

func newS3Bed(t *testing.T) s3Bed {
	t.Helper()
	srv := testbed.S3Server(t)
	return s3Bed{server: srv, proxy: r2proxy.Start(t, srv.Endpoint), location: "t-" + randomHex(6)}
}

// config is the Django-default configuration for this bed.
func (b s3Bed) config() config.Storage {
	return config.Storage{
		UseCloudStorage:   true,
		MediaURL:          "/media/",
		AccessKeyID:       b.server.AccessKey,
		SecretAccessKey:   b.server.SecretKey,
		Bucket:            b.server.Bucket,
		EndpointURL:       b.proxy.URL,
		Region:            "auto",
		SignatureVersion:  "s3v4",
		QuerystringAuth:   true,
		QuerystringExpire: 3600,
		URLProtocol:       "https:",
		Location:          b.location,
		FileOverwrite:     true,
	}
}

func (b s3Bed) storage(t *testing.T, edit func(*config.Storage)) *storage.S3 {
	t.Helper()
	cfg := b.config()
	if edit != nil {
		edit(&cfg)
	}
	s, err := storage.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestS3Conformance(t *testing.T) {
	t.Parallel()
	for _, overwrite := range []bool{true, false} {
		name := "FileOverwrite=False"
		if overwrite {
			name = "FileOverwrite=True"
		}
		t.Run(name, func(t *testing.T) {
			storagetest.Run(t, storagetest.Backend{
				Overwrites: overwrite,
				New: func(t *testing.T) storage.Storage {
					bed := newS3Bed(t)
					s := bed.storage(t, func(c *config.Storage) { c.FileOverwrite = config.DjangoBool(overwrite) })
					t.Cleanup(func() {
						n, err := storage.PendingUploads(context.Background(), s)
						if err != nil || n != 0 {
							t.Errorf("%d multipart uploads left pending (%v)", n, err)
						}
					})
					return s
				},
			})
		})
	}
}

func TestS3ObjectKeys(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	ctx := context.Background()
	// A storage without location sees the raw keys.
	raw := bed.storage(t, func(c *config.Storage) { c.Location = "" })
	tests := []struct {
		location, name, key string
	}{
		{bed.location, "passports/abc.pdf", bed.location + "/passports/abc.pdf"},
		{bed.location + "/", "a/./b//c.pdf", bed.location + "/a/b/c.pdf"},
		{bed.location + "/nested/deeper", `win\style\x.pdf`, bed.location + "/nested/deeper/win/style/x.pdf"},
		{bed.location, "scans/Ünïcode name (1) ~!*'.jpg", bed.location + "/scans/Ünïcode name (1) ~!*'.jpg"},
		{"", bed.location + "/plain.txt", bed.location + "/plain.txt"},
	}
	for _, tt := range tests {
		s := bed.storage(t, func(c *config.Storage) { c.Location = tt.location })
		body := "key " + tt.key
		got := storagetest.SaveString(t, s, tt.name, body, storage.SaveOptions{})
		if clean, _ := storage.CleanName(tt.name); got != clean {
			t.Errorf("Save(%q) returned %q, want the cleaned name %q", tt.name, got, clean)
		}
		if read := string(storagetest.ReadAll(t, raw, tt.key)); read != body {
			t.Errorf("location %q, name %q: key %q holds %q", tt.location, tt.name, tt.key, read)
		}
	}
	// Without a location a leading slash is dropped on reads, as boto does.
	if got := string(storagetest.ReadAll(t, raw, "/"+bed.location+"/plain.txt")); got != "key "+bed.location+"/plain.txt" {
		t.Errorf("absolute name without location read %q", got)
	}
	// With one, it is refused, like every name escaping the location; and
	// that before any request.
	withLoc := bed.storage(t, nil)
	before := bed.proxy.Requests()
	for _, name := range append(storagetest.SuspiciousNames, "/abs.pdf", "/"+bed.location+"/plain.txt") {
		if _, err := withLoc.Open(ctx, name); !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("Open(%q) with AWS_LOCATION: %v, want ErrSuspiciousName", name, err)
		}
		if _, err := withLoc.Save(ctx, name, strings.NewReader("x"), storage.SaveOptions{}); !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("Save(%q) with AWS_LOCATION: %v, want ErrSuspiciousName", name, err)
		}
		if _, err := withLoc.URL(ctx, name); !errors.Is(err, storage.ErrSuspiciousName) {
			t.Errorf("URL(%q) with AWS_LOCATION: %v, want ErrSuspiciousName", name, err)
		}
	}
	// Django's Storage.save refuses absolute names even without location.
	if _, err := raw.Save(ctx, "/abs.pdf", strings.NewReader("x"), storage.SaveOptions{}); !errors.Is(err, storage.ErrSuspiciousName) {
		t.Errorf("Save of an absolute name without location: %v", err)
	}
	if n := bed.proxy.Requests() - before; n != 0 {
		t.Errorf("suspicious names caused %d requests", n)
	}
}

// fetch GETs u with net/http, without transparent decompression.
func fetch(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

func TestS3URLs(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	ctx := context.Background()
	name := "urls/a file ü(1)~!*'.pdf"
	quoted := "urls/a%20file%20%C3%BC%281%29~%21%2A%27.pdf"

	tests := []struct {
		what string
		edit func(*config.Storage)
		want func(u *url.URL) string // empty when right
	}{
		{"presigned, path style", nil, func(u *url.URL) string {
			q := u.Query()
			switch {
			case u.Host != strings.TrimPrefix(bed.proxy.URL, "http://"):
				return "host is not the endpoint's"
			case u.EscapedPath() != "/"+bed.server.Bucket+"/"+bed.location+"/"+quoted:
				return "path is not /BUCKET/KEY: " + u.EscapedPath()
			case q.Get("X-Amz-Expires") != "3600":
				return "expiry is not AWS_QUERYSTRING_EXPIRE"
			case !strings.Contains(q.Get("X-Amz-Credential"), "/auto/s3/aws4_request"):
				return "not signed for region auto"
			case q.Get("X-Amz-Signature") == "":
				return "no signature"
			}
			return ""
		}},
		{"presigned, custom expiry", func(c *config.Storage) { c.QuerystringExpire = 604800 }, func(u *url.URL) string {
			if u.Query().Get("X-Amz-Expires") != "604800" {
				return "expiry is not AWS_QUERYSTRING_EXPIRE"
			}
			return ""
		}},
		{"unsigned", func(c *config.Storage) { c.QuerystringAuth = false }, func(u *url.URL) string {
			if want := bed.proxy.URL + "/" + bed.server.Bucket + "/" + bed.location + "/" + quoted; u.String() != want {
				return "want " + want
			}
			return ""
		}},
		{"virtual host style", func(c *config.Storage) {
			// An IP address cannot carry the bucket: use a host name.
			c.AddressingStyle, c.EndpointURL = "virtual", strings.Replace(c.EndpointURL, "127.0.0.1", "localhost", 1)
		}, func(u *url.URL) string {
			if u.Hostname() != bed.server.Bucket+".localhost" || !strings.HasPrefix(u.EscapedPath(), "/"+bed.location+"/") {
				return "not BUCKET.HOST/KEY"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		s := bed.storage(t, tt.edit)
		got, err := s.URL(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", tt.what, err)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%s: %q: %v", tt.what, got, err)
		}
		if problem := tt.want(u); problem != "" {
			t.Errorf("%s: URL %q: %s", tt.what, got, problem)
		}
	}

	// The custom domain wins over AWS_QUERYSTRING_AUTH, unsigned, with
	// Django's filepath_to_uri quoting.
	for _, auth := range []bool{true, false} {
		for _, proto := range []string{"https:", "http:"} {
			s := bed.storage(t, func(c *config.Storage) {
				c.CustomDomain, c.URLProtocol, c.QuerystringAuth = "cdn.example.com", proto, config.DjangoBool(auth)
			})
			got, err := s.URL(ctx, name)
			want := proto + "//cdn.example.com/" + bed.location + "/urls/a%20file%20%C3%BC(1)~!*'.pdf"
			if err != nil || got != want {
				t.Errorf("custom domain (auth %v): %q, %v; want %q", auth, got, err, want)
			}
		}
	}

	// The presigned and the unsigned URL both serve the bytes (versitygw
	// serves unsigned GETs only on public buckets, so only the signed one
	// is fetched here).
	s := bed.storage(t, nil)
	body := []byte("%PDF-1.4 url test")
	storagetest.SaveString(t, s, name, string(body), storage.SaveOptions{})
	signed, err := s.URL(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	resp, got := fetch(t, signed)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Errorf("GET presigned URL: %d %q, want 200 %q", resp.StatusCode, got, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q, want application/pdf", ct)
	}
}

func TestS3PresignedURLExpires(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	ctx := context.Background()
	// Two seconds, not one: the signing time is cut to the whole second, so
	// a URL signed at x.99 s with a one-second life was already expired
	// when fetched a few milliseconds later.
	s := bed.storage(t, func(c *config.Storage) { c.QuerystringExpire = 2 })
	name := storagetest.SaveString(t, s, "expiring/scan.jpg", "jpeg bytes", storage.SaveOptions{})
	signedAt := time.Now()
	u, err := s.URL(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := fetch(t, u)
	if resp.StatusCode != http.StatusOK || string(body) != "jpeg bytes" {
		t.Fatalf("fresh presigned URL: %d %q", resp.StatusCode, body)
	}
	// SigV4 times have one-second resolution: wait past the second after
	// expiry, then the same URL must be refused.
	time.Sleep(time.Until(signedAt.Add(3500 * time.Millisecond)))
	resp, body = fetch(t, u)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("expired presigned URL: %d %q, want 403", resp.StatusCode, body)
	}
}

func TestS3ContentTypes(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	ctx := context.Background()
	s := bed.storage(t, nil)
	tests := []struct {
		name string
		opts storage.SaveOptions
		typ  string
		enc  string
	}{
		{"t/a.pdf", storage.SaveOptions{}, "application/pdf", ""},
		{"t/b.JPG", storage.SaveOptions{}, "image/jpeg", ""},
		{"t/c.webp", storage.SaveOptions{}, "image/webp", ""},
		{"t/d.txt.gz", storage.SaveOptions{}, "text/plain", "gzip"},
		{"t/default-web1-2026-11-28-020000.psql.bin.gz", storage.SaveOptions{}, "application/octet-stream", "gzip"},
		{"t/e.bin", storage.SaveOptions{ContentType: "text/csv"}, "text/csv", ""},
		{"t/big.heic", storage.SaveOptions{}, "image/heic", ""},
	}
	for _, tt := range tests {
		// Big enough for a multipart upload, so both paths set the types.
		size := int64(10)
		if strings.Contains(tt.name, "big") {
			size = 9 * storagetest.MiB
		}
		if _, err := s.Save(ctx, tt.name, storagetest.Content{Size: size, Seed: 3}.Reader(), tt.opts); err != nil {
			t.Fatal(err)
		}
		info, err := s.Stat(ctx, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if info.ContentType != tt.typ {
			t.Errorf("%s: Stat ContentType %q, want %q", tt.name, info.ContentType, tt.typ)
		}
		u, err := s.URL(ctx, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := fetch(t, u)
		if got := resp.Header.Get("Content-Type"); got != tt.typ {
			t.Errorf("%s: served Content-Type %q, want %q", tt.name, got, tt.typ)
		}
		if got := resp.Header.Get("Content-Encoding"); got != tt.enc {
			t.Errorf("%s: served Content-Encoding %q, want %q", tt.name, got, tt.enc)
		}
	}
}

func TestS3ErrorsKeepSecrets(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	wrong := "wrong-secret-" + randomHex(8)
	s := bed.storage(t, func(c *config.Storage) { c.SecretAccessKey = wrong })
	ctx := context.Background()
	_, err := s.Stat(ctx, "any.pdf")
	if err == nil {
		t.Fatal("Stat with a wrong secret succeeded")
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused signature reads as a missing file: %v", err)
	}
	_, err2 := s.Save(ctx, "any.pdf", strings.NewReader("x"), storage.SaveOptions{})
	for _, e := range []error{err, err2} {
		if e == nil {
			t.Fatal("Save with a wrong secret succeeded")
		}
		if strings.Contains(e.Error(), wrong) || strings.Contains(e.Error(), bed.server.SecretKey) {
			t.Errorf("error reveals a secret: %v", e)
		}
	}
}

func TestS3CancelStopsRetries(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	s := bed.storage(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := bed.proxy.Requests()
	for _, err := range []error{
		func() error { _, err := s.Stat(ctx, "x.pdf"); return err }(),
		func() error { _, err := s.Open(ctx, "x.pdf"); return err }(),
		func() error {
			_, err := s.Save(ctx, "x.pdf", strings.NewReader("x"), storage.SaveOptions{})
			return err
		}(),
		func() error {
			_, err := s.Save(ctx, "x.pdf", storagetest.Content{Size: 20 << 20}.Reader(), storage.SaveOptions{})
			return err
		}(),
		s.Delete(ctx, "x.pdf"),
	} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("with a cancelled context: %v, want context.Canceled", err)
		}
	}
	if n := bed.proxy.Requests() - before; n != 0 {
		t.Errorf("a cancelled context still sent %d requests", n)
	}
}

func TestNewChoosesBackend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	local, err := storage.New(ctx, config.Storage{MediaRoot: t.TempDir(), MediaURL: "/media/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := local.(*storage.Local); !ok {
		t.Errorf("USE_CLOUD_STORAGE=False gave %T", local)
	}
	remote, err := storage.New(ctx, config.Storage{UseCloudStorage: true, AccessKeyID: "k", SecretAccessKey: "s", Bucket: "b", Region: "auto", QuerystringExpire: 3600})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := remote.(*storage.S3); !ok {
		t.Errorf("USE_CLOUD_STORAGE=True gave %T", remote)
	}
	if _, err := storage.New(ctx, config.Storage{UseCloudStorage: true, Bucket: "b"}); err == nil {
		t.Error("S3 without keys accepted")
	}
}

func TestS3RetriesAreBounded(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	s := bed.storage(t, nil)
	ctx := context.Background()
	name := storagetest.SaveString(t, s, "retry/a.pdf", "a", storage.SaveOptions{})

	// A server that keeps failing gets the SDK's few attempts, then a
	// clear error that is not "missing".
	bed.proxy.SetFault(func(*http.Request) int { return http.StatusServiceUnavailable })
	before := bed.proxy.Requests()
	_, err := s.Stat(ctx, name)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat against a failing server: %v", err)
	}
	if n := bed.proxy.Requests() - before; n < 2 || n > 3 {
		t.Errorf("Stat sent %d requests to a failing server, want the SDK's 3 attempts at most", n)
	}

	// Cancelling while the SDK waits to retry stops it at once.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bed.proxy.SetFault(func(*http.Request) int { cancel(); return http.StatusServiceUnavailable })
	before = bed.proxy.Requests()
	_, err = s.Save(cctx, "retry/b.pdf", strings.NewReader("b"), storage.SaveOptions{Replace: true})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Save cancelled during retries: %v, want context.Canceled", err)
	}
	if n := bed.proxy.Requests() - before; n != 1 {
		t.Errorf("a cancelled Save sent %d requests, want 1", n)
	}

	bed.proxy.SetFault(nil)
	if _, err := s.Stat(ctx, "retry/b.pdf"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the cancelled Save left an object: %v", err)
	}
}

// A listing from a name on shows only the names after it, each with the
// ETag that SaveInfo returned, however the object was uploaded: in one
// request from a file, or streamed as a multipart upload.
func TestS3ListAfterShowsSavedETags(t *testing.T) {
	t.Parallel()
	s := newS3Bed(t).storage(t, nil)
	ctx := context.Background()
	big := bytes.Repeat([]byte("m"), 9<<20) // more than one part
	bodies := []struct {
		name string
		r    func() io.Reader
	}{
		{"dir/a.pdf", func() io.Reader { return strings.NewReader("a") }},
		{"dir/b.pdf", func() io.Reader { return bytes.NewReader([]byte("bb")) }},
		{"dir/c.pdf", func() io.Reader { return io.MultiReader(bytes.NewReader(big)) }}, // a stream
		{"dirt/d.pdf", func() io.Reader { return strings.NewReader("d") }},
	}
	etags := map[string]string{}
	for _, b := range bodies {
		info, err := s.SaveInfo(ctx, b.name, b.r(), storage.SaveOptions{Replace: true})
		if err != nil || info.Name != b.name || info.ETag == "" {
			t.Fatalf("SaveInfo(%s) = %+v, %v; want the name and an ETag", b.name, info, err)
		}
		etags[b.name] = info.ETag
	}
	// In one page, or in pages of one key then the rest.
	for _, firstPage := range []int{0, 1} {
		var got []string
		for info, err := range s.ListAfter(ctx, "dir/", "dir/a.pdf", firstPage) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, info.Name)
			if info.ETag != etags[info.Name] {
				t.Errorf("%s listed with ETag %q; SaveInfo returned %q", info.Name, info.ETag, etags[info.Name])
			}
		}
		if want := []string{"dir/b.pdf", "dir/c.pdf"}; !slices.Equal(got, want) {
			t.Errorf("ListAfter(dir/, dir/a.pdf, %d) = %q, want %q", firstPage, got, want)
		}
	}
	if info, err := s.Stat(ctx, "dir/c.pdf"); err != nil || info.ETag != etags["dir/c.pdf"] {
		t.Errorf("Stat(dir/c.pdf) = %+v, %v; want ETag %q", info, err, etags["dir/c.pdf"])
	}
}

// Uploads reuse their connections, as R2 keeps them alive: the storage
// queue's batch jobs share one client, each with its files in flight, and
// a connection closed for want of room in the idle pool costs R2 a new TLS
// handshake. Rounds of uploads separated by a pause (every connection idle
// at once, as between batches) open no more connections than were ever in
// flight together.
func TestS3ReusesConnections(t *testing.T) {
	t.Parallel()
	bed := newS3Bed(t)
	s := bed.storage(t, nil)
	ctx := context.Background()
	// 8 storage jobs of 16 files each, the defaults (WORKER_QUEUE_STORAGE,
	// MIGRATE_CONCURRENCY).
	const inFlight, rounds = 8 * 16, 3
	for round := range rounds {
		start := make(chan struct{})
		errs := make(chan error, inFlight)
		for i := range inFlight {
			go func() {
				<-start
				_, err := s.Save(ctx, fmt.Sprintf("reuse/%d-%d.pdf", round, i), strings.NewReader("x"), storage.SaveOptions{Replace: true})
				errs <- err
			}()
		}
		close(start)
		for range inFlight {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := bed.proxy.Connections(); n > inFlight {
		t.Errorf("%d rounds of %d uploads at once opened %d connections; want at most %d, each reused", rounds, inFlight, n, inFlight)
	}
}
