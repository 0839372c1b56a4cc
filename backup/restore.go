package backup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/pgzip"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/storage"
)

// ErrNotConfirmed refuses a restore that was not confirmed (the CLI's --yes):
// it replaces the database's content.
var ErrNotConfirmed = fmt.Errorf("restore replaces the database's content: confirm with --yes (%w)", fault.ErrBadInput)

// ErrCorrupt is a backup whose stored bytes fail a check: its stored
// SHA-256, gzip's CRC, OpenPGP's integrity check, or the archive's own
// structure. Nothing was restored.
var ErrCorrupt = fault.BadInput("corrupt backup")

// ErrUnverifiable refuses a backup nothing can check (no stored digest, not
// gzipped, not encrypted) unless the restore says --unverified.
var ErrUnverifiable = fault.BadInput("the backup cannot be verified (no stored SHA-256, not gzipped, not encrypted): " +
	"restore it with --unverified to accept that")

// How a restore checked the stored bytes before anything was restored
// (Restored.Verified).
const (
	VerifiedDigest  = "sha256"      // the SHA-256 stored with the object when it was saved
	VerifiedGzip    = "gzip-crc32"  // gzip's CRC-32 and length, over the whole stream
	VerifiedOpenPGP = "openpgp-mdc" // the encrypted message's integrity check
	VerifiedNone    = "none"        // nothing could check it; restored with --unverified
)

// RestoreRequest says which backup to restore.
type RestoreRequest struct {
	// Name is a backup's storage name or its file name under the location.
	// Empty means the newest backup that Filter matches (--latest).
	Name   string
	Filter Filter
	// Confirmed must be true: the CLI's --yes.
	Confirmed bool
	// Unverified allows a backup that nothing can check (ErrUnverifiable):
	// the CLI's --unverified.
	Unverified bool
}

// Restored describes a finished restore.
type Restored struct {
	Name string `json:"name"`
	// Bytes is the size of the stored file read.
	Bytes      int64  `json:"bytes"`
	Format     string `json:"format"` // "custom" or "plain"
	Compressed bool   `json:"compressed"`
	Encrypted  bool   `json:"encrypted"`
	Database   string `json:"database"`
	// Verified says how the stored bytes were checked, in full, before
	// anything was restored: one of the Verified constants, joined by "+"
	// when two checks ran.
	Verified string `json:"verified"`
	// Warning is set when the restore could not be verified.
	Warning string `json:"warning,omitempty"`
	// ReplacedTables are the target's tables (schema.table) that held rows
	// before the restore and were replaced by the backup's.
	ReplacedTables []string `json:"replaced_tables"`
}

// Restore checks a backup, ours or django-dbbackup's, and restores it into
// the database of opts.DatabaseURL.
//
// The stored bytes are first copied into an unlinked spool file under
// opts.TempDir and checked in full, before any tool sees them: against the
// SHA-256 stored with the object when there is one (S3), else by reading
// the decrypted, gunzipped stream to its end (OpenPGP's integrity check,
// gzip's CRC). A backup that none of these can check is refused unless
// req.Unverified. Then the spool is decrypted when the name ends in .gpg,
// gunzipped when it then ends in .gz, and fed to pg_restore
// --single-transaction --clean --if-exists (custom format) or psql
// --single-transaction (plain SQL). A failure anywhere rolls the whole
// restore back. River's own tables, types and functions in a custom archive
// are left as they are, so the workers' queue is neither rolled back nor
// dropped under them.
func Restore(ctx context.Context, store Store, opts Options, req RestoreRequest) (Restored, error) {
	if !req.Confirmed {
		return Restored{}, ErrNotConfirmed
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return Restored{}, err
	}
	name, err := resolve(ctx, store, opts, req)
	if err != nil {
		return Restored{}, err
	}
	conn, err := parseConn(opts.DatabaseURL)
	if err != nil {
		return Restored{}, err
	}
	return restoreInto(ctx, store, opts, name, conn, req.Unverified)
}

// resolve turns a request into a storage name.
func resolve(ctx context.Context, store Store, opts Options, req RestoreRequest) (string, error) {
	if req.Name == "" {
		f, err := Latest(ctx, store, opts, req.Filter)
		if err != nil {
			return "", err
		}
		return f.Name, nil
	}
	if opts.Location != "" && !strings.HasPrefix(req.Name, opts.Location) {
		return opts.Location + req.Name, nil
	}
	return req.Name, nil
}

func restoreInto(ctx context.Context, store Store, opts Options, name string, conn connInfo, unverified bool) (Restored, error) {
	res := Restored{Name: name, Database: conn.dbname, ReplacedTables: []string{}}
	spool, err := fetch(ctx, store, opts, name, &res)
	if err != nil {
		return res, err
	}
	defer spool.Close()
	if err := check(ctx, spool, opts, name, &res, unverified); err != nil {
		return res, err
	}

	src, err := openDecoded(spool.reader(), opts, name, &res)
	if err != nil {
		return res, err
	}
	defer src.Close()

	before, err := tablesWithRows(ctx, conn)
	if err != nil {
		return res, fmt.Errorf("restore %q: read the target database's tables: %w", name, err)
	}
	var cmdErr error
	switch res.Format {
	case "custom":
		// River's own objects stay as they are: rolling the queue back to
		// the backup's time would rerun finished jobs, and dropping its
		// tables under the running workers breaks their prepared statements.
		list, err := restoreList(ctx, spool, opts, name)
		if err != nil {
			return res, err
		}
		archived := archiveTables(list)
		for _, t := range before {
			if archived[t] {
				res.ReplacedTables = append(res.ReplacedTables, t)
			}
		}
		cmd := conn.command(ctx, "pg_restore", "--single-transaction", "--clean", "--if-exists", "--use-list=/dev/fd/3")
		cmdErr = runReadingWithList(cmd, conn, src, list)
	case "plain":
		// What a script drops or truncates is not known before it runs:
		// every table holding rows may be replaced.
		res.ReplacedTables = append(res.ReplacedTables, before...)
		cmd := conn.command(ctx, "psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=on", "--single-transaction", "--file=-")
		cmdErr = runReading(cmd, conn, src)
	}
	if cmdErr != nil {
		res.ReplacedTables = []string{}
		var se *SourceError
		if errors.As(cmdErr, &se) {
			return res, classify(name, src.stored, se.Err)
		}
		if res.Verified == VerifiedNone {
			return res, fmt.Errorf("restore %q: nothing restored; the backup could not be verified, so it may be corrupt: %w", name, cmdErr)
		}
		return res, fmt.Errorf("restore %q: nothing restored: %w", name, cmdErr)
	}
	opts.Logger.InfoContext(ctx, "backup restored", "name", name, "database", conn.dbname, "bytes", res.Bytes,
		"verified", res.Verified, "replaced_tables", res.ReplacedTables)
	return res, nil
}

// spoolFile is a stored backup copied to local disk: an unlinked file, so
// that nothing is left behind whatever ends the process, read through its
// one descriptor, never reopened by name.
type spoolFile struct {
	f *os.File
	n int64
}

func (s *spoolFile) reader() io.Reader { return io.NewSectionReader(s.f, 0, s.n) }
func (s *spoolFile) Close() error      { return s.f.Close() }

// fetch copies the stored backup into a spool file and records its size in
// res; when the object has a stored SHA-256 it compares it with what was
// read and fills res.Verified.
func fetch(ctx context.Context, store Store, opts Options, name string, res *Restored) (*spoolFile, error) {
	info, err := store.Stat(ctx, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("restore %q: %w: %w", name, err, fault.BadInput("no such backup"))
		}
		return nil, fmt.Errorf("restore %q: stat: %w", name, err)
	}
	rc, err := store.Open(ctx, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("restore %q: %w: %w", name, err, fault.BadInput("no such backup"))
		}
		return nil, fmt.Errorf("restore %q: open: %w", name, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(opts.TempDir, "restore-*.spool")
	if err != nil {
		return nil, fmt.Errorf("restore %q: spool file: %w", name, err)
	}
	// Unlinked at once: the descriptor is the only way to it.
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("restore %q: spool file: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), storage.ContextReader(ctx, rc))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("restore %q: copy the stored backup to the temp folder: %w", name, err)
	}
	res.Bytes = n
	if info.DigestStored {
		got := hex.EncodeToString(h.Sum(nil))
		if got != info.Digest || n != info.Size {
			f.Close()
			return nil, fmt.Errorf("restore %q: %w: digest mismatch: stored sha256 %s (%d bytes), read %s (%d bytes); nothing restored",
				name, ErrCorrupt, info.Digest, info.Size, got, n)
		}
		res.Verified = VerifiedDigest
	}
	return &spoolFile{f: f, n: n}, nil
}

// check verifies a spooled backup that has no stored digest by reading its
// decoded stream to the end: OpenPGP checks its integrity code there, gzip
// its CRC-32 and length. A backup neither protects is refused unless
// unverified.
func check(ctx context.Context, spool *spoolFile, opts Options, name string, res *Restored, unverified bool) error {
	if res.Verified != "" {
		return nil
	}
	var checks []string
	base := path.Base(name)
	if strings.HasSuffix(base, ".gpg") {
		checks = append(checks, VerifiedOpenPGP)
		base = strings.TrimSuffix(base, ".gpg")
	}
	if strings.HasSuffix(base, ".gz") {
		checks = append(checks, VerifiedGzip)
	}
	if len(checks) == 0 {
		if !unverified {
			return fmt.Errorf("restore %q: %w", name, ErrUnverifiable)
		}
		res.Verified = VerifiedNone
		res.Warning = "could not be verified: no stored SHA-256, not gzipped, not encrypted"
		opts.Logger.WarnContext(ctx, "restoring a backup that could not be verified", "name", name)
		return nil
	}
	var scratch Restored
	d, err := openDecoded(spool.reader(), opts, name, &scratch)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := io.Copy(io.Discard, storage.ContextReader(ctx, d)); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("restore %q: %w", name, ctx.Err())
		}
		return classify(name, d.stored, err)
	}
	res.Verified = strings.Join(checks, "+")
	return nil
}

// decoded is a stored backup opened, decrypted and gunzipped as its name
// says, positioned at the dump's first byte.
type decoded struct {
	*bufio.Reader
	stored  *countingReader
	closers []io.Closer
}

func (d *decoded) Close() error {
	var errs []error
	for i := len(d.closers) - 1; i >= 0; i-- {
		errs = append(errs, d.closers[i].Close())
	}
	return errors.Join(errs...)
}

// openDecoded decodes the stored bytes r of backup name and fills res's
// Compressed, Encrypted and Format. The content decides the format: a
// custom archive starts with PGDMP whatever its name says; anything else
// must be named .psql.
func openDecoded(stored io.Reader, opts Options, name string, res *Restored) (*decoded, error) {
	d := &decoded{stored: &countingReader{r: stored}}
	fail := func(err error) (*decoded, error) {
		d.Close()
		return nil, err
	}
	var r io.Reader = d.stored

	base := path.Base(name)
	if rest, ok := strings.CutSuffix(base, ".gpg"); ok {
		base, res.Encrypted = rest, true
		keys, err := readPrivateKeys(opts.PrivateKey, opts.Passphrase)
		if err != nil {
			return fail(fmt.Errorf("restore %q: %w", name, err))
		}
		if r, err = decrypt(r, keys); err != nil {
			return fail(classify(name, d.stored, err))
		}
	}
	if rest, ok := strings.CutSuffix(base, ".gz"); ok {
		base, res.Compressed = rest, true
		gz, err := pgzip.NewReaderN(r, 1<<20, 8)
		if err != nil {
			return fail(classify(name, d.stored, fault.BadInput("not a gzip stream: %v", err)))
		}
		d.closers = append(d.closers, gz)
		r = gz
	}
	d.Reader = bufio.NewReaderSize(r, 64<<10)
	head, err := d.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) {
		return fail(classify(name, d.stored, err))
	}
	switch {
	case bytes.Equal(head, []byte("PGDMP")):
		res.Format = "custom"
	case strings.HasSuffix(base, "."+ExtPlain):
		res.Format = "plain"
	default:
		return fail(fmt.Errorf("restore %q: %w", name, fault.BadInput("not a pg_dump custom archive (no PGDMP header) and not named .%s", ExtPlain)))
	}
	return d, nil
}

// riverObjects are the name prefixes of River's tables, types, functions,
// sequences, indexes and constraints.
var riverObjects = []string{"river_job", "river_leader", "river_queue", "river_client", "river_migration", "river_notification"}

// restoreList reads the archive's table of contents (pg_restore --list
// stops after it, so only the head of the backup is read) and returns it
// without River's objects, for pg_restore --use-list.
func restoreList(ctx context.Context, spool *spoolFile, opts Options, name string) ([]byte, error) {
	var res Restored
	src, err := openDecoded(spool.reader(), opts, name, &res)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	cmd := exec.CommandContext(ctx, "pg_restore", "--list")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.WaitDelay = 10 * time.Second
	if err := runReading(cmd, connInfo{}, src); err != nil {
		var se *SourceError
		if errors.As(err, &se) {
			return nil, classify(name, src.stored, se.Err)
		}
		if errors.Is(err, syscall.EPIPE) && out.Len() > 0 {
			// pg_restore exits once it has the list: the rest of the
			// stream is not wanted.
			return withoutRiver(out.Bytes()), nil
		}
		var te *ToolError
		if errors.As(err, &te) {
			// The bytes passed their check, so an archive pg_restore cannot
			// list is damaged in a way only it sees.
			return nil, fmt.Errorf("restore %q: %w: pg_restore cannot read its table of contents: %v", name, ErrCorrupt, err)
		}
		return nil, fmt.Errorf("restore %q: list its contents: %w", name, err)
	}
	return withoutRiver(out.Bytes()), nil
}

// archiveTables returns the tables (schema.table) a pg_restore --list
// creates: "214; 1259 28732 TABLE public customer postgres".
func archiveTables(list []byte) map[string]bool {
	tables := map[string]bool{}
	for line := range bytes.Lines(list) {
		f := strings.Fields(string(line))
		if len(f) >= 6 && !strings.HasPrefix(f[0], ";") && f[3] == "TABLE" {
			tables[f[4]+"."+f[5]] = true
		}
	}
	return tables
}

// tablesWithRows lists the target's tables (schema.table, River's left
// out) that hold at least one row.
func tablesWithRows(ctx context.Context, c connInfo) ([]string, error) {
	conn, err := pgx.Connect(ctx, c.pgxURL())
	if err != nil {
		return nil, redactErr(c, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tables, err := userTables(ctx, conn)
	if err != nil {
		return nil, err
	}
	var held []string
	for _, t := range tables {
		var rows bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t.Sanitize()+")").Scan(&rows); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", t[0], t[1], err)
		}
		if rows {
			held = append(held, t[0]+"."+t[1])
		}
	}
	return held, nil
}

func withoutRiver(list []byte) []byte {
	var kept bytes.Buffer
	for line := range bytes.Lines(list) {
		if !isRiverEntry(string(line)) {
			kept.Write(line)
		}
	}
	return kept.Bytes()
}

// isRiverEntry reports whether a line of pg_restore --list names a River
// object: "214; 1259 28732 TABLE public river_job postgres".
func isRiverEntry(line string) bool {
	if strings.HasPrefix(line, ";") {
		return false
	}
	fields := strings.Fields(line)
	if len(fields) < 4 {
		return false
	}
	for _, f := range fields[3:] {
		f = strings.TrimLeft(f, "(")
		if _, after, ok := strings.Cut(f, "."); ok {
			f = after
		}
		for _, p := range riverObjects {
			if strings.HasPrefix(f, p) {
				return true
			}
		}
	}
	return false
}

// classify tells a storage read failure (worth a retry) from a stream that
// does not decode (bad input: a retry reads the same bytes).
func classify(name string, stored *countingReader, err error) error {
	if stored.err != nil || fault.IsBadInput(err) {
		return fmt.Errorf("restore %q: %w", name, err)
	}
	return fmt.Errorf("restore %q: %w: %v; nothing restored", name, ErrCorrupt, err)
}

// countingReader counts bytes and remembers the first read error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}
