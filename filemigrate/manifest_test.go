package filemigrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revisbali/worker/dbschema"
	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/internal/faultproxy"
	"github.com/revisbali/worker/internal/testbed"
)

// manifest creates the worker's tables in the bed's database, as `worker
// migrate` does, and returns the manifest of target.
func (b *bed) manifest(t *testing.T, target located) *Manifest {
	t.Helper()
	if _, err := dbschema.Migrate(context.Background(), b.pool); err != nil {
		t.Fatal(err)
	}
	return &Manifest{DB: b.pool, Target: target.location}
}

// age sets the modification time of every file of the bed an hour back:
// files that have settled, as a media folder's are.
func (b *bed) age(t *testing.T, names ...string) {
	t.Helper()
	if len(names) == 0 {
		for name := range b.files {
			names = append(names, name)
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, name := range names {
		if err := os.Chtimes(filepath.Join(b.media, filepath.FromSlash(name)), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

// requests counts what the proxy passed since the last call.
type requests struct {
	proxy       *faultproxy.Proxy
	heads, gets int
}

func (r *requests) since() (heads, gets int) {
	h, g := r.proxy.Passed(http.MethodHead), r.proxy.Passed(http.MethodGet)
	heads, gets = h-r.heads, g-r.gets
	r.heads, r.gets = h, g
	return heads, gets
}

// rawPut stores body under name as another S3 client would: without the
// worker's x-amz-meta-sha256 and mtime.
func rawPut(t *testing.T, target located, name string, body []byte) {
	t.Helper()
	srv := testbed.S3Server(t)
	client := s3.New(s3.Options{
		Region:                     "auto",
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		BaseEndpoint:               aws.String(srv.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String(target.location + "/" + name),
		Body: bytes.NewReader(body), ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A re-run stats the files, reads the manifest, and lists each folder once:
// no request per file. It copies again exactly the files changed on disk
// and the objects deleted or replaced in the bucket; --check-objects also
// finds an object rewritten in place with its size and ETag unchanged.
func TestManifestSparesRequestsPerFile(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 40, 2000) // passports/
	for i := range 3 {       // invoices/2026/
		name := fmt.Sprintf("invoices/2026/%d.pdf", i)
		b.file(t, name, 100+i)
		b.exec(t, `INSERT INTO invoices_invoice (number, pdf) VALUES ('n', $1)`, name)
	}
	b.age(t)
	proxy, err := faultproxy.Start(testbed.S3Server(t).Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	target, read := newTargetAt(t, proxy.URL)
	m := b.manifest(t, target)
	c := &Copier{Root: b.root, Target: target, Manifest: m}
	count := &requests{proxy: proxy}
	ctx := context.Background()

	if rep, err := migrate(t, ctx, b, c, 100); err != nil || rep.Uploaded != 43 {
		t.Fatalf("first run: %+v, %v", rep, err)
	}
	count.since()
	var rows int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM worker_migrated_file WHERE target = $1 AND etag <> '' AND length(sha256) = 64`, m.Target).Scan(&rows); err != nil || rows != 43 {
		t.Fatalf("manifest holds %d complete rows, %v; want the 43 files", rows, err)
	}

	rerun := func(what string, c *Copier, uploaded, pending int) {
		t.Helper()
		rep, err := migrate(t, ctx, b, c, 100)
		if err != nil || rep.Uploaded != uploaded || rep.Pending != pending || rep.Skipped != 43-uploaded-pending {
			t.Fatalf("%s: %+v, %v; want %d uploaded, %d pending, the rest skipped", what, rep, err, uploaded, pending)
		}
	}
	// Nothing changed: one listing per folder (two), no HEAD.
	rerun("re-run", c, 0, 0)
	if heads, gets := count.since(); heads != 0 || gets != 2 {
		t.Errorf("re-run sent %d HEAD and %d GET; want 0 HEAD and one listing per folder (2)", heads, gets)
	}

	// An object deleted by hand, a file changed on disk (new size), and
	// one touched without a change.
	if err := target.Delete(ctx, "passports/0005.pdf"); err != nil {
		t.Fatal(err)
	}
	b.file(t, "passports/0007.pdf", 2500)
	b.age(t, "passports/0007.pdf")
	now := time.Now().Add(-10 * time.Minute)
	if err := os.Chtimes(filepath.Join(b.media, "passports", "0009.pdf"), now, now); err != nil {
		t.Fatal(err)
	}
	// A dry run says so truthfully, asks no HEAD, and records nothing.
	dry := *c
	dry.DryRun = true
	rerun("dry run", &dry, 0, 2)
	if heads, _ := count.since(); heads != 0 {
		t.Errorf("dry run sent %d HEAD; want none", heads)
	}
	rerun("re-run after changes", c, 2, 0)
	if heads, _ := count.since(); heads != 0 {
		t.Errorf("re-run after changes sent %d HEAD; want none", heads)
	}
	for _, name := range []string{"passports/0005.pdf", "passports/0007.pdf"} {
		if got, err := read(name); err != nil || !bytes.Equal(got, b.files[name]) {
			t.Errorf("%s in the bucket: %d bytes, %v; want the file's %d", name, len(got), err, len(b.files[name]))
		}
	}

	// Replaced in the bucket with other bytes: the listing's ETag tells.
	rawPut(t, target, "passports/0011.pdf", []byte("someone else's content"))
	rerun("re-run after a replacement in the bucket", c, 1, 0)
	if got, err := read("passports/0011.pdf"); err != nil || !bytes.Equal(got, b.files["passports/0011.pdf"]) {
		t.Errorf("passports/0011.pdf in the bucket: %d bytes, %v; want the file's", len(got), err)
	}

	// Rewritten in place with the same bytes but without the digest (or
	// with other metadata): size and ETag stay, the manifest cannot see
	// it; --check-objects asks each object and copies it again.
	rawPut(t, target, "passports/0013.pdf", b.files["passports/0013.pdf"])
	rerun("re-run after a rewrite keeping the ETag", c, 0, 0)
	count.since()
	check := *c
	check.CheckObjects = true
	rerun("--check-objects", &check, 1, 0)
	if heads, _ := count.since(); heads < 43 {
		t.Errorf("--check-objects sent %d HEAD; want one per file", heads)
	}
	if info, err := target.Stat(ctx, "passports/0013.pdf"); err != nil || info.Digest == "" {
		t.Errorf("passports/0013.pdf after --check-objects: %+v, %v; want it copied again with its digest", info, err)
	}
	count.since() // the Stat above
	rerun("re-run after --check-objects", c, 0, 0)
	if heads, gets := count.since(); heads != 0 || gets != 2 {
		t.Errorf("last re-run sent %d HEAD and %d GET; want 0 and 2", heads, gets)
	}

	// A recorded file replaced by a symlink leading outside MEDIA_ROOT to
	// the same bytes with the same time: the re-run's stat must not take
	// it for the recorded file.
	name := "passports/0015.pdf"
	local := filepath.Join(b.media, filepath.FromSlash(name))
	info, err := os.Stat(local)
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "0015.pdf")
	if err := os.WriteFile(outside, b.files[name], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(outside, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(local); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, local); err != nil {
		t.Fatal(err)
	}
	if rep, err := migrate(t, ctx, b, c, 100); rep.Refused != 1 || rep.Skipped != 42 || !slices.Contains(rep.RefusedNames, name) {
		t.Errorf("re-run with %s leading outside: %+v, %v; want it refused and the rest skipped", name, rep, err)
	}
}

// A migration against a database that `worker migrate` has not prepared
// says what to do, as bad input, before copying anything.
func TestManifestMissingTable(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 2, 10)
	target, _ := newTarget(t)
	m := &Manifest{DB: b.pool, Target: target.location}
	if err := m.Check(context.Background()); !fault.IsBadInput(err) || !strings.Contains(err.Error(), "run `worker migrate`") {
		t.Errorf("Check on a bare database: %v; want bad input naming `worker migrate`", err)
	}
	rep, err := migrate(t, context.Background(), b, &Copier{Root: b.root, Target: target, Manifest: m}, 10)
	if err == nil || rep.Uploaded != 0 {
		t.Errorf("copy without the table: %+v, %v; want an error and nothing copied", rep, err)
	}
}

// Only the manifest's own table missing is the manifest's fault: the
// batch's query joins Django's table too, which may be the missing one.
func TestManifestErrNamesTheMissingTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg  string
		want bool
	}{
		{`relation "worker_migrated_file" does not exist`, true},
		{`relation "public.worker_migrated_file" does not exist`, true},
		{`relation "documents_document" does not exist`, false},
		{`relation "old_worker_migrated_file_x" does not exist`, false},
	}
	for _, c := range cases {
		err := manifestErr("read", &pgconn.PgError{Code: "42P01", Message: c.msg})
		if got := errors.Is(err, errNoManifest); got != c.want {
			t.Errorf("%s: manifest missing %v, want %v (%v)", c.msg, got, c.want, err)
		}
	}
}
