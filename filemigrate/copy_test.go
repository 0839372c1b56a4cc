package filemigrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

var allFields = []Field{
	{Table: "customers_customer", Column: "passport_file"},
	{Table: "customers_customer", Column: "avatar"},
	{Table: "invoices_invoice", Column: "pdf"},
	{Table: "documents_document", Column: "file"},
}

// migrate plans the fields and copies every batch, as the jobs would, and
// returns the sum of the batch reports.
func migrate(t *testing.T, ctx context.Context, b *bed, c *Copier, batchSize int) (Report, error) {
	t.Helper()
	plan, err := PlanBatches(ctx, b.pool, allFields, batchSize)
	if err != nil {
		t.Fatal(err)
	}
	var total Report
	var errs []error
	for _, batch := range plan.Batches {
		rep, err := c.CopyBatch(ctx, b.pool, batch)
		total.Add(rep, 1000)
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// djangoData fills the bed with what a real media folder holds: plain,
// unicode and spaced names, nested folders, NULL and empty values, dangling
// references, duplicates, names escaping the root by .. or by a symlink, and
// a symlink that stays inside.
func djangoData(t *testing.T, b *bed) (want map[string][]byte, missingNames, refusedNames []string) {
	t.Helper()
	b.customers(t, 12, 3000)
	b.file(t, "avatars/José Ñúñez.png", 1500)
	b.file(t, "avatars/with space (1).jpg", 700)
	b.file(t, "avatars/日本語/写真.webp", 900)
	b.file(t, "invoices/2026/11/INV-0001.pdf", 0)
	b.file(t, "invoices/2026/11/INV-0002.pdf", 70_000)
	b.file(t, "documents/scan.tiff", 12_345)
	b.exec(t, `UPDATE customers_customer SET avatar = 'avatars/José Ñúñez.png' WHERE id = 1`)
	b.exec(t, `UPDATE customers_customer SET avatar = 'avatars/with space (1).jpg' WHERE id = 2`)
	b.exec(t, `UPDATE customers_customer SET avatar = 'avatars/日本語/写真.webp' WHERE id = 3`)
	b.exec(t, `UPDATE customers_customer SET avatar = 'avatars/gone.png', passport_file = NULL WHERE id = 4`)
	b.exec(t, `UPDATE customers_customer SET passport_file = '' WHERE id = 5`)
	b.exec(t, `INSERT INTO invoices_invoice (number, pdf) VALUES ('1', 'invoices/2026/11/INV-0001.pdf'), ('2', 'invoices/2026/11/INV-0002.pdf'),
		('2b', 'invoices/2026/11/INV-0002.pdf'), ('3', 'invoices/2026/11/INV-0003.pdf'), ('x', '../outside.txt'), ('y', '/etc/hostname'), ('z', 'invoices')`)

	outside := filepath.Join(filepath.Dir(b.media), "outside.txt")
	if err := os.WriteFile(outside, []byte("not for the bucket"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(b.media, "documents", "link-out.pdf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("scan.tiff", filepath.Join(b.media, "documents", "alias.tiff")); err != nil {
		t.Fatal(err)
	}
	b.exec(t, `INSERT INTO documents_document VALUES (gen_random_uuid(), 'scan', 'documents/scan.tiff'),
		(gen_random_uuid(), 'escape', 'documents/link-out.pdf'), (gen_random_uuid(), 'alias', 'documents/alias.tiff'),
		(gen_random_uuid(), 'none', NULL)`)

	want = map[string][]byte{"documents/alias.tiff": b.files["documents/scan.tiff"]}
	for name, data := range b.files {
		if name != "passports/0003.pdf" && name != "passports/0004.pdf" { // rows 4 and 5 lost their passport
			want[name] = data
		}
	}
	missingNames = []string{"avatars/gone.png", "invoices/2026/11/INV-0003.pdf"}
	refusedNames = []string{"../outside.txt", "/etc/hostname", "documents/link-out.pdf", "invoices"}
	return want, missingNames, refusedNames
}

func TestCopyDjangoMedia(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	want, missingNames, refusedNames := djangoData(t, b)
	target, read := newTarget(t)
	before := b.checksum(t)

	c := &Copier{Root: b.root, Target: target, Concurrency: 4}
	rep, err := migrate(t, ctx, b, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	var bytesWant int64
	for _, data := range want {
		bytesWant += int64(len(data))
	}
	// 12 passports - 2 emptied + 3 avatars + 1 gone, 7 invoices, 3 documents.
	wantRep := Report{Rows: 10 + 4 + 7 + 3, Uploaded: len(want), Skipped: 1, Missing: 2, Refused: 4, Bytes: bytesWant}
	if rep.Rows != wantRep.Rows || rep.Uploaded != wantRep.Uploaded || rep.Skipped != wantRep.Skipped ||
		rep.Missing != wantRep.Missing || rep.Refused != wantRep.Refused || rep.Failed != 0 || rep.Pending != 0 || rep.Bytes != wantRep.Bytes {
		t.Errorf("report = %+v\nwant %+v", rep, wantRep)
	}
	slices.Sort(rep.MissingNames)
	slices.Sort(rep.RefusedNames)
	slices.Sort(missingNames)
	slices.Sort(refusedNames)
	if !slices.Equal(rep.MissingNames, missingNames) || !slices.Equal(rep.RefusedNames, refusedNames) {
		t.Errorf("missing %q, refused %q; want %q, %q", rep.MissingNames, rep.RefusedNames, missingNames, refusedNames)
	}
	location := target.Location()
	s3 := testbed.S3Server(t)
	for name, data := range want {
		got, err := read(name)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s in the bucket: %d bytes, %v; want the file's %d bytes", name, len(got), err, len(data))
		}
		// The key is AWS_LOCATION/name, as django-storages computes it; the
		// type is Django's.
		if s3.Dir != "" {
			if _, err := os.Stat(filepath.Join(s3.Dir, s3.Bucket, location, filepath.FromSlash(name))); err != nil {
				t.Errorf("%s is not under the key %s/%s: %v", name, location, name, err)
			}
		}
		info, err := target.Stat(context.Background(), name)
		if ct, _ := storage.ContentType(name); err != nil || info.ContentType != ct {
			t.Errorf("%s stored as %q, %v; want %q", name, info.ContentType, err, ct)
		}
	}
	for _, name := range []string{"outside.txt", "documents/link-out.pdf", "passports/0003.pdf"} {
		if _, err := read(name); err == nil {
			t.Errorf("%s reached the bucket: outside MEDIA_ROOT or named by no row", name)
		}
	}
	if after := b.checksum(t); after != before {
		t.Errorf("database changed: checksum %s before, %s after", before, after)
	}

	again, err := migrate(t, ctx, b, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	if again.Uploaded != 0 || again.Bytes != 0 || again.Skipped != rep.Uploaded+rep.Skipped {
		t.Errorf("second run = %+v; want nothing uploaded, %d skipped", again, rep.Uploaded+rep.Skipped)
	}
}

func TestCopyDryRun(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	b.customers(t, 5, 100)
	target, read := newTarget(t)
	rep, err := migrate(t, ctx, b, &Copier{Root: b.root, Target: target, DryRun: true}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pending != 5 || rep.Uploaded != 0 || rep.Bytes != 0 {
		t.Errorf("dry run = %+v; want 5 pending, nothing uploaded", rep)
	}
	if _, err := read("passports/0000.pdf"); err == nil {
		t.Error("a dry run uploaded a file")
	}
}

// cancelAfter cancels the run after n successful uploads, as a worker killed
// half-way would stop, and records which uploads completed.
type cancelAfter struct {
	Target
	n      int
	cancel context.CancelFunc

	mu    sync.Mutex
	saved []string
}

func (c *cancelAfter) Save(ctx context.Context, name string, r io.Reader, opts storage.SaveOptions) (string, error) {
	got, err := c.Target.Save(ctx, name, r, opts)
	if err == nil {
		c.mu.Lock()
		c.saved = append(c.saved, name)
		if len(c.saved) == c.n {
			c.cancel()
		}
		c.mu.Unlock()
	}
	return got, err
}

func TestCopyResumesAfterInterruption(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 40, 20_000)
	target, read := newTarget(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &cancelAfter{Target: target, n: 15, cancel: cancel}
	_, err := migrate(t, ctx, b, &Copier{Root: b.root, Target: first, Concurrency: 4}, 100)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v; want context.Canceled", err)
	}

	second := &cancelAfter{Target: target, n: -1}
	rep, err := migrate(t, context.Background(), b, &Copier{Root: b.root, Target: second, Concurrency: 4}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range second.saved {
		if slices.Contains(first.saved, name) {
			t.Errorf("%s uploaded by both runs", name)
		}
	}
	// Files in flight when the run stopped may have landed without being
	// counted; nothing else may be repeated.
	if len(first.saved)+len(second.saved) > 40+4 || rep.Uploaded+rep.Skipped != 40 || rep.Uploaded != len(second.saved) {
		t.Errorf("first run saved %d, second %d (report %+v); want 40 in all, with at most 4 in flight repeated",
			len(first.saved), len(second.saved), rep)
	}
	for name, data := range b.files {
		if got, err := read(name); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s in the bucket: %d bytes, %v; want %d", name, len(got), err, len(data))
		}
	}
}

// changeOnce appends to the local file while its first upload is under
// way, as a user editing a file during the migration would.
type changeOnce struct {
	Target
	path string
	once sync.Once
}

func (c *changeOnce) Save(ctx context.Context, name string, r io.Reader, opts storage.SaveOptions) (string, error) {
	c.once.Do(func() {
		f, err := os.OpenFile(c.path, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			fmt.Fprint(f, "appended during the upload")
			f.Close()
		}
	})
	return c.Target.Save(ctx, name, r, opts)
}

func TestCopyRetriesFileChangedDuringUpload(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 1, 5000)
	target, read := newTarget(t)
	path := filepath.Join(b.media, "passports", "0000.pdf")
	rep, err := migrate(t, context.Background(), b, &Copier{Root: b.root, Target: &changeOnce{Target: target, path: path}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := os.ReadFile(path)
	got, err := read("passports/0000.pdf")
	if err != nil || !bytes.Equal(got, now) || len(now) != 5000+len("appended during the upload") {
		t.Errorf("bucket holds %d bytes, %v; want the file as it is after the change (%d bytes)", len(got), err, len(now))
	}
	if rep.Uploaded != 1 || rep.Bytes != int64(len(now)) {
		t.Errorf("report = %+v; want 1 upload of %d bytes", rep, len(now))
	}
}

// panicky is a backend with a bug that panics on one name.
type panicky struct {
	Target
	name string
}

func (p panicky) Stat(ctx context.Context, name string) (storage.Info, error) {
	if name == p.name {
		panic("backend bug")
	}
	return p.Target.Stat(ctx, name)
}

// A panic while copying one file fails that file, not the worker process.
func TestCopySurvivesPanic(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	b.customers(t, 3, 100)
	target, _ := newTarget(t)
	rep, err := migrate(t, context.Background(), b, &Copier{Root: b.root, Target: panicky{target, "passports/0001.pdf"}, Attempts: 1}, 10)
	if err == nil || rep.Failed != 1 || rep.Uploaded != 2 || len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0], "panic: backend bug") {
		t.Errorf("report %+v, error %v; want the panicking file failed, the others uploaded", rep, err)
	}
	if _, err := (&Copier{Root: b.root}).Copy(context.Background(), Field{}, []string{"a"}); err == nil {
		t.Error("a Copier without a Target copied")
	}
}

// A file whose modification time was already settled when it was hashed
// has that time stored beside its digest; a re-run that finds the same size
// and time skips it without reading it again, as rsync and rclone do. Any
// other change is caught: a new time means hashing the file again, so new
// content is uploaded and the same content is skipped.
func TestCopyRecognisesSettledFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBed(t)
	b.customers(t, 4, 4000)
	target, read := newTarget(t)
	c := &Copier{Root: b.root, Target: target}
	path := func(i int) string { return filepath.Join(b.media, "passports", fmt.Sprintf("%04d.pdf", i)) }
	lastWeek := time.Now().Add(-7 * 24 * time.Hour).Truncate(time.Second).Add(123456789)
	for i := range 3 { // 0003.pdf stays fresh: its time is not yet settled
		if err := os.Chtimes(path(i), lastWeek, lastWeek); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := migrate(t, ctx, b, c, 10); err != nil || rep.Uploaded != 4 {
		t.Fatalf("first run: %+v, %v", rep, err)
	}
	for i, want := range []time.Time{lastWeek, lastWeek, lastWeek, {}} {
		info, err := target.Stat(ctx, fmt.Sprintf("passports/%04d.pdf", i))
		if err != nil || !info.SourceModTime.Equal(want) {
			t.Errorf("%04d.pdf: stored source time %v, %v; want %v", i, info.SourceModTime, err, want)
		}
	}

	// 0000.pdf: untouched. 0001.pdf: same bytes, touched. 0002.pdf: new
	// bytes of the same size, new time. 0003.pdf: untouched but unsettled.
	if err := os.Chtimes(path(1), lastWeek, lastWeek.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	edited := bytes.Repeat([]byte("x"), 4000)
	if err := os.WriteFile(path(2), edited, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := migrate(t, ctx, b, c, 10)
	if err != nil || rep.Skipped != 3 || rep.Uploaded != 1 {
		t.Fatalf("second run: %+v, %v; want 3 skipped and the edited file uploaded", rep, err)
	}
	if got, err := read("passports/0002.pdf"); err != nil || !bytes.Equal(got, edited) {
		t.Errorf("0002.pdf in the bucket: %q, %v; want the edited bytes", got, err)
	}
}
