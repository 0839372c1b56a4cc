package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/pgzip"

	"github.com/revisbali/worker/fault"
)

// ErrNotConfirmed refuses a restore that was not confirmed (the CLI's --yes):
// it replaces the database's content.
var ErrNotConfirmed = fmt.Errorf("restore replaces the database's content: confirm with --yes (%w)", fault.ErrBadInput)

// RestoreRequest says which backup to restore.
type RestoreRequest struct {
	// Name is a backup's storage name or its file name under the location.
	// Empty means the newest backup that Filter matches (--latest).
	Name   string
	Filter Filter
	// Confirmed must be true: the CLI's --yes.
	Confirmed bool
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
}

// Restore streams a backup, ours or django-dbbackup's, into the database of
// opts.DatabaseURL: decrypted when the name ends in .gpg, gunzipped when it
// then ends in .gz, and fed to pg_restore --single-transaction --clean
// --if-exists (custom format) or psql --single-transaction (plain SQL). A
// failure anywhere rolls the whole restore back. River's own tables,
// types and functions in a custom archive are left as they are, so the
// workers' queue is neither rolled back nor dropped under them.
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
	return restoreInto(ctx, store, opts, name, conn)
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

func restoreInto(ctx context.Context, store Store, opts Options, name string, conn connInfo) (Restored, error) {
	res := Restored{Name: name, Database: conn.dbname}
	src, err := openDecoded(ctx, store, opts, name, &res)
	if err != nil {
		return res, err
	}
	defer src.Close()

	var cmdErr error
	switch res.Format {
	case "custom":
		// River's own objects stay as they are: rolling the queue back to
		// the backup's time would rerun finished jobs, and dropping its
		// tables under the running workers breaks their prepared statements.
		list, err := restoreList(ctx, store, opts, name)
		if err != nil {
			return res, err
		}
		cmd := conn.command(ctx, "pg_restore", "--single-transaction", "--clean", "--if-exists", "--use-list=/dev/fd/3")
		cmdErr = runReadingWithList(cmd, conn, src, list)
	case "plain":
		cmd := conn.command(ctx, "psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=on", "--single-transaction", "--file=-")
		cmdErr = runReading(cmd, conn, src)
	}
	res.Bytes = src.stored.n
	if cmdErr != nil {
		var se *SourceError
		if errors.As(cmdErr, &se) {
			return res, classify(name, src.stored, se.Err)
		}
		return res, fmt.Errorf("restore %s: %w", name, cmdErr)
	}
	opts.Logger.InfoContext(ctx, "backup restored", "name", name, "database", conn.dbname, "bytes", res.Bytes)
	return res, nil
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

// openDecoded opens name and fills res's Compressed, Encrypted and Format.
// The content decides the format: a custom archive starts with PGDMP
// whatever its name says; anything else must be named .psql.
func openDecoded(ctx context.Context, store Store, opts Options, name string, res *Restored) (*decoded, error) {
	rc, err := store.Open(ctx, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("restore %s: %w: %w", name, err, fault.BadInput("no such backup"))
		}
		return nil, fmt.Errorf("restore %s: open: %w", name, err)
	}
	d := &decoded{stored: &countingReader{r: rc}, closers: []io.Closer{rc}}
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
			return fail(fmt.Errorf("restore %s: %w", name, err))
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
		return fail(fmt.Errorf("restore %s: %w", name, fault.BadInput("not a pg_dump custom archive (no PGDMP header) and not named .%s", ExtPlain)))
	}
	return d, nil
}

// riverObjects are the name prefixes of River's tables, types, functions,
// sequences, indexes and constraints.
var riverObjects = []string{"river_job", "river_leader", "river_queue", "river_client", "river_migration", "river_notification"}

// restoreList reads the archive's table of contents (pg_restore --list
// stops after it, so only the head of the backup is read) and returns it
// without River's objects, for pg_restore --use-list.
func restoreList(ctx context.Context, store Store, opts Options, name string) ([]byte, error) {
	var res Restored
	src, err := openDecoded(ctx, store, opts, name, &res)
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
		return nil, fmt.Errorf("restore %s: list its contents: %w", name, err)
	}
	return withoutRiver(out.Bytes()), nil
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
		return fmt.Errorf("restore %s: %w", name, err)
	}
	return fmt.Errorf("restore %s: %w", name, fault.BadInput("corrupt backup: %v", err))
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
