package filemigrate

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/revisbali/worker/internal/faultproxy"
	"github.com/revisbali/worker/internal/r2proxy"
	"github.com/revisbali/worker/internal/testbed"
)

// A first migration asks the bucket about a crowded folder with one listing
// instead of one request per file, once a few probes found the files
// absent; a re-run, where the probes find them, asks for each file's digest
// and lists nothing.
func TestCopyListsCrowdedFolders(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 40, 2000) // passports/: 40 names, listed
	for i := range 3 {       // invoices/: 3 names, asked one by one
		name := fmt.Sprintf("invoices/%d.pdf", i)
		b.file(t, name, 100)
		b.exec(t, `INSERT INTO invoices_invoice (number, pdf) VALUES ('n', $1)`, name)
	}
	proxy, err := faultproxy.Start(testbed.S3Server(t).Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	target, _ := newTargetAt(t, proxy.URL)
	c := &Copier{Root: b.root, Target: target}

	rep, err := migrate(t, context.Background(), b, c, 100)
	if err != nil || rep.Uploaded != 43 {
		t.Fatalf("first run: %+v, %v", rep, err)
	}
	// HEAD: 8 probes, 3 checks of the small folder; the server checks
	// each upload against its signed digest, so none is read back.
	// GET: 1 listing.
	if heads, gets := proxy.Passed(http.MethodHead), proxy.Passed(http.MethodGet); heads != 8+3 || gets != 1 {
		t.Errorf("first run sent %d HEAD and %d GET; want 11 and 1", heads, gets)
	}
	rep, err = migrate(t, context.Background(), b, c, 100)
	if err != nil || rep.Skipped != 43 {
		t.Fatalf("second run: %+v, %v", rep, err)
	}
	// HEAD: 8 probes, then every file's digest; no listing.
	if heads, gets := proxy.Passed(http.MethodHead)-11, proxy.Passed(http.MethodGet)-1; heads != 8+43 || gets != 0 {
		t.Errorf("second run sent %d HEAD and %d GET; want 51 and 0", heads, gets)
	}
}

// S3 failing some requests (5xx answers, dropped connections) costs
// retries, never a file: the batch is retried, as River would, until it
// succeeds.
func TestCopySurvivesS3Faults(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 30, 40_000)
	// Faults in front of an R2 stand-in: the test also fails if a retry
	// sends a header R2 does not implement.
	r2 := r2proxy.Start(t, testbed.S3Server(t).Endpoint)
	proxy, err := faultproxy.Start(r2.URL,
		faultproxy.Fault{Method: http.MethodPut, Every: 3, Status: http.StatusServiceUnavailable},
		faultproxy.Fault{Method: http.MethodPut, Every: 7}, // connection dropped mid-request
		faultproxy.Fault{Method: http.MethodHead, Every: 5, Status: http.StatusInternalServerError},
		faultproxy.Fault{Method: http.MethodGet, Every: 2, Status: http.StatusInternalServerError},
	)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	target, read := newTargetAt(t, proxy.URL)
	c := &Copier{Root: b.root, Target: target, Concurrency: 4}

	var uploaded int
	for attempt := 1; ; attempt++ {
		rep, err := migrate(t, context.Background(), b, c, 10)
		uploaded += rep.Uploaded
		if err == nil {
			break
		}
		if attempt == 5 {
			t.Fatalf("still failing after %d attempts: %v", attempt, err)
		}
		t.Logf("attempt %d: %v", attempt, err)
	}
	if proxy.Injected() == 0 {
		t.Fatal("no fault was injected")
	}
	if uploaded != 30 {
		t.Errorf("%d uploads counted over all attempts; want each of the 30 files once", uploaded)
	}
	for name, data := range b.files {
		if got, err := read(name); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s in the bucket: %d bytes, %v; want %d", name, len(got), err, len(data))
		}
	}
}
