package filemigrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/storage"
)

// Defaults of a Copier.
const (
	DefaultConcurrency = 16
	DefaultMaxNames    = 100
	// DefaultAttempts is how often one file is tried within a batch before
	// it counts as failed and the batch returns an error (so the job is
	// retried later, skipping what was done).
	DefaultAttempts = 3
)

// Target is where files are copied: the S3 storage in production. Stat must
// report the stored SHA-256 in Info.Digest, or every run uploads again, and
// Save must refuse content that does not match SaveOptions.CRC32 (taken in
// the same read as SaveOptions.Digest) or, without it, SaveOptions.Digest:
// that check is the upload's verification.
type Target interface {
	Stat(ctx context.Context, name string) (storage.Info, error)
	Save(ctx context.Context, name string, r io.Reader, opts storage.SaveOptions) (string, error)
}

// Copier copies the files named by batches from a local root to a Target.
// It never writes to the local files, nor to the database but for its own
// Manifest table.
type Copier struct {
	// Root is MEDIA_ROOT. Names are resolved inside it: a name or symlink
	// leading outside is refused.
	Root   *os.Root
	Target Target
	// Concurrency bounds the files in flight (DefaultConcurrency if zero).
	Concurrency int
	// Attempts per file within a batch (DefaultAttempts if zero).
	Attempts int
	// DryRun checks everything and uploads nothing: files that would be
	// uploaded count as pending.
	DryRun bool
	// MaxNames caps each list of names in a Report (DefaultMaxNames if zero).
	MaxNames int
	// Manifest, if set, records what was copied, and spares a re-run the
	// request per file: a file whose size and modification time match its
	// entry, and whose object a listing shows with the recorded size and
	// ETag, is skipped unread. A dry run reads it and writes nothing.
	Manifest *Manifest
	// CheckObjects asks the bucket about each file (its stored digest)
	// instead of trusting the Manifest: it finds an object changed in the
	// bucket in a way that kept its size and ETag (metadata rewritten in
	// place). The manifest is still written.
	CheckObjects bool
	// Log receives one line per file that is refused or fails (slog.Default if nil).
	Log *slog.Logger
}

// Report counts what one batch, or a sum of batches, did. Every named row is
// counted exactly once: Rows = Uploaded + Skipped + Pending + Missing +
// Refused + Failed.
type Report struct {
	Field
	Rows int `json:"rows"`
	// Uploaded files were copied and verified.
	Uploaded int `json:"uploaded"`
	// Skipped files were already in the bucket with the same size and
	// SHA-256, or named again by another row of the batch.
	Skipped int `json:"skipped"`
	// Pending files would be uploaded (dry run only).
	Pending int `json:"pending"`
	// Missing names have no file under MEDIA_ROOT: dangling references.
	Missing int `json:"missing"`
	// Refused names escape MEDIA_ROOT (by .. or a symlink), are absolute, or
	// name something other than a regular file.
	Refused int `json:"refused"`
	// Failed files could not be copied after every attempt.
	Failed int `json:"failed"`
	// Bytes uploaded.
	Bytes int64 `json:"bytes"`
	// SkippedBytes are the sizes of the skipped files: with Bytes, the bytes
	// of the rows' files now in the bucket, which Plan.Measure foresaw.
	SkippedBytes int64 `json:"skipped_bytes"`

	MissingNames []string `json:"missing_names"`
	RefusedNames []string `json:"refused_names,omitempty"`
	// FailedNames are the names of the failed files; Failures say why, as
	// "name: error" lines.
	FailedNames []string `json:"failed_names,omitempty"`
	Failures    []string `json:"failures,omitempty"`
	// Truncated is set when a list of names reached the cap.
	Truncated bool `json:"truncated,omitempty"`
}

// Add sums o into r, keeping each list of names to at most limit entries.
func (r *Report) Add(o Report, limit int) {
	r.Rows += o.Rows
	r.Uploaded += o.Uploaded
	r.Skipped += o.Skipped
	r.Pending += o.Pending
	r.Missing += o.Missing
	r.Refused += o.Refused
	r.Failed += o.Failed
	r.Bytes += o.Bytes
	r.SkippedBytes += o.SkippedBytes
	r.Truncated = r.Truncated || o.Truncated
	r.MissingNames = r.appendCapped(r.MissingNames, o.MissingNames, limit)
	r.RefusedNames = r.appendCapped(r.RefusedNames, o.RefusedNames, limit)
	r.FailedNames = r.appendCapped(r.FailedNames, o.FailedNames, limit)
	r.Failures = r.appendCapped(r.Failures, o.Failures, limit)
}

func (r *Report) appendCapped(list, more []string, limit int) []string {
	if room := limit - len(list); len(more) > room {
		more = more[:max(room, 0)]
		r.Truncated = true
	}
	return append(list, more...)
}

// outcome is what happened to one name.
type outcome int

const (
	uploaded outcome = iota
	skipped
	pending
	missing
	refused
	failed
)

// CopyBatch reads the batch's names (in a read-only transaction) and copies
// each named file. Per-file problems are counted in the Report; the error is
// non-nil when names could not be read, the context ended, or some file
// failed for a reason a later retry may fix.
func (c *Copier) CopyBatch(ctx context.Context, db DB, b Batch) (Report, error) {
	if err := c.check(); err != nil {
		return Report{Field: b.Field}, err
	}
	names, prev, err := b.names(ctx, db, c.manifestToRead())
	if err != nil {
		return Report{Field: b.Field}, err
	}
	return c.copy(ctx, b.Field, names, prev)
}

// Copy copies the named files, reporting them under field.
func (c *Copier) Copy(ctx context.Context, field Field, names []string) (Report, error) {
	if err := c.check(); err != nil {
		return Report{Field: field}, err
	}
	var prev map[string]entry
	if m := c.manifestToRead(); m != nil {
		var err error
		if prev, err = m.load(ctx, names); err != nil {
			return Report{Field: field, Rows: len(names), MissingNames: []string{}}, fmt.Errorf("batch %s: %w", field, err)
		}
	}
	return c.copy(ctx, field, names, prev)
}

func (c *Copier) check() error {
	if c.Root == nil || c.Target == nil {
		return errors.New("filemigrate: Copier needs a Root and a Target")
	}
	return nil
}

// manifestToRead is the Manifest whose entries a batch trusts, if any.
func (c *Copier) manifestToRead() *Manifest {
	if c.CheckObjects {
		return nil
	}
	return c.Manifest
}

// copy copies the named files, knowing prev, the manifest's entries for them.
func (c *Copier) copy(ctx context.Context, field Field, names []string, prev map[string]entry) (Report, error) {
	limit := max(c.MaxNames, 0)
	if limit == 0 {
		limit = DefaultMaxNames
	}
	rep := Report{Field: field, Rows: len(names), MissingNames: []string{}}
	var mu sync.Mutex
	var retryable []error
	record := func(name string, o outcome, n int64, err error) {
		mu.Lock()
		defer mu.Unlock()
		var one Report
		switch o {
		case uploaded:
			one.Uploaded, one.Bytes = 1, n
		case skipped:
			one.Skipped, one.SkippedBytes = 1, n
		case pending:
			one.Pending = 1
		case missing:
			one.Missing, one.MissingNames = 1, []string{name}
		case refused:
			one.Refused, one.RefusedNames = 1, []string{name}
		case failed:
			one.Failed, one.FailedNames, one.Failures = 1, []string{name}, []string{name + ": " + err.Error()}
			if !fault.IsBadInput(err) {
				retryable = append(retryable, err)
			}
		}
		rep.Add(one, limit)
	}

	var known *presence
	var dirs *folders
	if len(prev) > 0 {
		dirs = &folders{root: c.Root, open: map[string]*os.Root{}}
		defer dirs.close()
	}
	if l, ok := c.Target.(Lister); ok {
		switch {
		case len(prev) > 0 && 2*len(prev) >= len(names):
			// A re-run: one listing per folder (per 1,000 keys) tells
			// which objects are still those the manifest recorded. The
			// files are stated while the listings are awaited.
			stated := dirs.prefetch(prev)
			known = listPresence(ctx, l, names, 1, c.concurrency())
			stated()
		case mostlyAbsent(ctx, c.Target, names):
			known = listPresence(ctx, l, names, minNamesToList, c.concurrency())
		}
	}
	if known == nil {
		dirs = nil // without a listing, a stat settles nothing
	}
	fresh := map[string]entry{} // what the manifest will record

	// Each name is worked once; a second row naming it counts as skipped,
	// or as missing/refused again, since each such row is a dangling reference.
	work := make(chan string)
	first := map[string]bool{}
	type result struct {
		o    outcome
		size int64
	}
	results := map[string]result{}
	var wg sync.WaitGroup
	for range c.concurrency() {
		wg.Go(func() {
			var scratch []byte // holds one small file at a time
			for name := range work {
				v := view{known: known, dirs: dirs}
				if e, ok := prev[name]; ok {
					v.prev = &e
				}
				o, n, e, err := c.safeCopyFile(ctx, v, name, &scratch)
				c.logOutcome(name, o, err)
				mu.Lock()
				results[name] = result{o, n}
				if e != nil && !c.DryRun {
					fresh[name] = *e
				}
				mu.Unlock()
				record(name, o, n, err)
			}
		})
	}
	var dups []string
	for _, name := range names {
		if first[name] {
			dups = append(dups, name)
			continue
		}
		first[name] = true
		select {
		case work <- name:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if c.Manifest != nil {
		// Written even when the batch was stopped: what was copied need
		// not be asked about again.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := c.Manifest.record(wctx, fresh)
		cancel()
		if err != nil {
			return rep, fmt.Errorf("batch %s: %w", field, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("batch %s: %w", field, err)
	}
	for _, name := range dups {
		switch r := results[name]; r.o {
		case missing:
			rep.Missing++
		case refused:
			rep.Refused++
		case failed:
			rep.Failed++
		default:
			rep.Skipped++
			rep.SkippedBytes += r.size
		}
	}
	if len(retryable) > 0 {
		return rep, fmt.Errorf("batch %s: %d of %d files failed, first: %w", field, len(retryable), len(names), retryable[0])
	}
	return rep, nil
}

func (c *Copier) concurrency() int {
	if c.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return c.Concurrency
}

func (c *Copier) logger() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

func (c *Copier) logOutcome(name string, o outcome, err error) {
	log := c.logger()
	switch o {
	case refused:
		log.Warn("migrate: refused a name", "name", name, "error", err)
	case failed:
		log.Error("migrate: could not copy a file", "name", name, "error", err)
	}
}

// safeCopyFile is copyFile, with a panic (a bug here or in a backend)
// turned into a failed file: it happens on a goroutine of our own, where
// River's recovery of panics in Work cannot reach, and would stop the worker.
func (c *Copier) safeCopyFile(ctx context.Context, v view, name string, scratch *[]byte) (o outcome, n int64, e *entry, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.logger().Error("migrate: panic while copying a file", "name", name, "panic", p, "stack", string(debug.Stack()))
			o, n, e, err = failed, 0, nil, fmt.Errorf("copy %q: panic: %v", name, p)
		}
	}()
	return c.copyFile(ctx, v, name, scratch)
}

// view is what a batch knew of one name before asking the bucket about it.
type view struct {
	known *presence // listings of the batch's folders; nil if none
	prev  *entry    // the manifest's entry; nil if none
	dirs  *folders  // the batch's open folders, for a stat; nil if none
}

// unchanged reports whether name is, by a stat alone, the file the
// manifest recorded, in an object the listing shows as the one recorded:
// the re-run's common case, skipped without opening the file. Anything
// else is left to copyOnce's open.
func (v view) unchanged(name string) (int64, bool) {
	if v.prev == nil || v.dirs == nil || v.prev.etag == "" {
		return 0, false
	}
	obj, found, listed := v.known.known(name)
	if !listed || !found || obj.etag != v.prev.etag || obj.size != v.prev.size {
		return 0, false
	}
	info, err := v.dirs.stat(name)
	if err != nil || !info.Mode().IsRegular() || info.Size() != v.prev.size || !mtimeOf(info.ModTime()).Equal(v.prev.mtime) {
		return 0, false
	}
	return info.Size(), true
}

// errChanged reports a file that changed while it was read.
var errChanged = errors.New("file changed while it was copied")

// copyFile copies one name, trying again when the file changes under it or
// a passing fault interrupts it.
func (c *Copier) copyFile(ctx context.Context, v view, name string, scratch *[]byte) (outcome, int64, *entry, error) {
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	var err error
	for attempt := range attempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			case <-ctx.Done():
				return failed, 0, nil, ctx.Err()
			}
		}
		var o outcome
		var n int64
		var e *entry
		o, n, e, err = c.copyOnce(ctx, v, name, scratch)
		v = view{} // a retry asks the bucket afresh
		if o != failed || fault.IsBadInput(err) || ctx.Err() != nil {
			return o, n, e, err
		}
	}
	return failed, 0, nil, err
}

// copyOnce copies one name and returns, for a file copied or found in the
// bucket, the manifest entry to record (nil when there is none to trust).
func (c *Copier) copyOnce(ctx context.Context, v view, name string, scratch *[]byte) (outcome, int64, *entry, error) {
	if _, err := storage.LocalFileName(name); err != nil {
		return refused, 0, nil, err
	}
	if size, ok := v.unchanged(name); ok {
		return skipped, size, nil, nil
	}
	f, err := c.Root.Open(name)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return missing, 0, nil, nil
	case storage.Escapes(err):
		return refused, 0, nil, fault.BadInput("%q leads outside MEDIA_ROOT", name)
	case err != nil:
		return failed, 0, nil, fault.BadInput("open %q: %v", name, err)
	}
	defer f.Close()
	// Taken before any read: the file's time is compared with it to know
	// whether it had settled when it was hashed.
	readAt := time.Now()
	before, err := f.Stat()
	if err != nil {
		return failed, 0, nil, fmt.Errorf("stat %q: %w", name, err)
	}
	if !before.Mode().IsRegular() {
		return refused, 0, nil, fault.BadInput("%q is not a regular file (%s)", name, before.Mode().Type())
	}
	fileSettled := readAt.Sub(before.ModTime()) >= settled
	// entryFor is the manifest entry of this file with content sum in an
	// object tagged etag: none for a file too fresh to be known by its
	// time (see settled), nor for an object whose ETag is unknown.
	entryFor := func(sum, etag string) *entry {
		if !fileSettled || etag == "" || sum == "" {
			return nil
		}
		return &entry{size: before.Size(), mtime: mtimeOf(before.ModTime()), sha256: sum, etag: etag}
	}

	var sum, crc string // the file's SHA-256 and CRC-32, from one read
	obj, found, listed := v.known.known(name)
	switch {
	case v.prev != nil && listed && found && v.prev.etag != "" && obj.etag == v.prev.etag && obj.size == v.prev.size:
		// The object is the one the manifest recorded, with its digest:
		// the file alone decides, and the bucket is not asked again.
		if before.Size() != v.prev.size {
			break // changed: upload
		}
		if mtimeOf(before.ModTime()).Equal(v.prev.mtime) {
			return skipped, before.Size(), nil, nil
		}
		if sum, crc, err = hashFile(f, before); err != nil {
			return failed, 0, nil, err
		}
		if sum == v.prev.sha256 { // touched, not changed
			return skipped, before.Size(), entryFor(sum, obj.etag), nil
		}
	case v.prev != nil && listed && found && v.prev.etag != "":
		// Replaced in the bucket since it was copied: copy it again.
	case listed && (!found || obj.size != before.Size()):
		// A listing that showed the name absent, or with another size,
		// spares the Stat: the file must be uploaded either way.
	default:
		// Only an equal size needs the stored digest.
		remote, err := c.Target.Stat(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return failed, 0, nil, fmt.Errorf("stat remote %q: %w", name, err)
		}
		if remote.Size != before.Size() || remote.Digest == "" {
			break
		}
		// The stored digest was taken of this file at this modification
		// time: no need to read it again (rclone's and rsync's rule).
		if remote.SourceModTime.Equal(before.ModTime()) {
			return skipped, before.Size(), entryFor(remote.Digest, remote.ETag), nil
		}
		// Sizes match: only the content can tell. A size mismatch, the
		// common case for a changed file, needs no hashing.
		if sum, crc, err = hashFile(f, before); err != nil {
			return failed, 0, nil, err
		}
		if sum == remote.Digest {
			return skipped, before.Size(), entryFor(sum, remote.ETag), nil
		}
	}
	if c.DryRun {
		return pending, 0, nil, nil
	}
	var body io.Reader = io.NewSectionReader(f, 0, before.Size())
	switch {
	case sum == "" && before.Size() <= maxBuffered:
		// Read once, hashed and sent from memory.
		data, err := readSmall(f, before, scratch)
		if err != nil {
			return failed, 0, nil, err
		}
		sum, crc = storage.Sums(data)
		body = bytes.NewReader(data)
	case sum == "":
		if sum, crc, err = hashFile(f, before); err != nil {
			return failed, 0, nil, err
		}
	}

	// The upload is verified by the server: it carries the CRC-32 of the
	// read that gave the digest (or, where the server lacks that check, is
	// signed with the digest) and is refused unless the bytes that arrive
	// match. A read-back would compare only the size and the metadata we
	// sent.
	opts := storage.SaveOptions{Replace: true, Size: before.Size(), Digest: sum, CRC32: crc}
	opts.ContentType, _ = storage.ContentType(name)
	if fileSettled {
		opts.SourceModTime = before.ModTime()
	}
	etag, err := c.save(ctx, name, body, opts)
	if err != nil {
		return failed, 0, nil, fmt.Errorf("upload %q: %w", name, err)
	}
	if err := unchanged(f, before); err != nil {
		return failed, 0, nil, fmt.Errorf("upload %q: %w", name, err)
	}
	return uploaded, before.Size(), entryFor(sum, etag), nil
}

// taggedSaver is the optional ability of a Target to return the ETag of
// what it saved, as storage.S3 does: without it the manifest records
// nothing and every run asks the bucket.
type taggedSaver interface {
	SaveInfo(ctx context.Context, name string, r io.Reader, opts storage.SaveOptions) (storage.Info, error)
}

// save saves to the Target and returns the new object's ETag, if known.
func (c *Copier) save(ctx context.Context, name string, body io.Reader, opts storage.SaveOptions) (string, error) {
	if t, ok := c.Target.(taggedSaver); ok {
		info, err := t.SaveInfo(ctx, name, body, opts)
		return info.ETag, err
	}
	_, err := c.Target.Save(ctx, name, body, opts)
	return "", err
}

// settled is how old a file's modification time must be before it is
// recorded beside the digest. A file written again within the same tick
// of the file system's clock keeps its modification time: only one that
// was already this old when it was hashed is known to match its digest
// for as long as its modification time stays the same (git's "racy clean"
// rule).
const settled = 2 * time.Second

// maxBuffered is the largest file read into memory once rather than read
// twice (to hash, then to send): each of the Concurrency files in flight
// holds at most this much.
const maxBuffered = 1 << 20

// readSmall reads all of f, which must still match before, into *scratch.
func readSmall(f *os.File, before fs.FileInfo, scratch *[]byte) ([]byte, error) {
	size := int(before.Size())
	if cap(*scratch) < size+1 {
		*scratch = make([]byte, size+1)
	}
	buf := (*scratch)[:size+1] // one byte more, to see a file that grew
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %q: %w", f.Name(), err)
	}
	if n != size {
		return nil, fmt.Errorf("read %q: %w", f.Name(), errChanged)
	}
	if err := unchanged(f, before); err != nil {
		return nil, err
	}
	return buf[:size], nil
}

// hashFile returns the hex SHA-256 and the CRC-32 (storage.Hasher) of f,
// which must still match before.
func hashFile(f *os.File, before fs.FileInfo) (sum, crc string, err error) {
	h := storage.NewHasher()
	n, err := io.Copy(h, io.NewSectionReader(f, 0, before.Size()+1))
	if err != nil {
		return "", "", fmt.Errorf("read %q: %w", f.Name(), err)
	}
	if n != before.Size() {
		return "", "", fmt.Errorf("read %q: %w", f.Name(), errChanged)
	}
	if err := unchanged(f, before); err != nil {
		return "", "", err
	}
	return h.Digest(), h.CRC32(), nil
}

// unchanged checks that f still has the size and modification time it had.
func unchanged(f *os.File, before fs.FileInfo) error {
	now, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %q: %w", f.Name(), err)
	}
	if now.Size() != before.Size() || !now.ModTime().Equal(before.ModTime()) {
		return fmt.Errorf("%q: %w", f.Name(), errChanged)
	}
	return nil
}
