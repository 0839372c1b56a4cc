package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

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
// failure anywhere rolls the whole restore back.
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
	rc, err := store.Open(ctx, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("restore %s: %w: %w", name, err, fault.BadInput("no such backup"))
		}
		return res, fmt.Errorf("restore %s: open: %w", name, err)
	}
	defer rc.Close()
	stored := &countingReader{r: rc}
	var r io.Reader = stored

	base := path.Base(name)
	if rest, ok := strings.CutSuffix(base, ".gpg"); ok {
		base, res.Encrypted = rest, true
		keys, err := readPrivateKeys(opts.PrivateKey, opts.Passphrase)
		if err != nil {
			return res, fmt.Errorf("restore %s: %w", name, err)
		}
		if r, err = decrypt(r, keys); err != nil {
			return res, classify(name, stored, err)
		}
	}
	if rest, ok := strings.CutSuffix(base, ".gz"); ok {
		base, res.Compressed = rest, true
		gz, err := pgzip.NewReaderN(r, 1<<20, 8)
		if err != nil {
			return res, classify(name, stored, fault.BadInput("not a gzip stream: %v", err))
		}
		defer gz.Close()
		r = gz
	}

	// The content decides the tool: a custom archive starts with PGDMP
	// whatever its name says; anything else must be named .psql.
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) {
		return res, classify(name, stored, err)
	}
	var cmdErr error
	switch {
	case bytes.Equal(head, []byte("PGDMP")):
		res.Format = "custom"
		cmd := conn.command(ctx, "pg_restore", "--single-transaction", "--clean", "--if-exists")
		cmdErr = runReading(cmd, conn, br)
	case strings.HasSuffix(base, "."+ExtPlain):
		res.Format = "plain"
		cmd := conn.command(ctx, "psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=on", "--single-transaction", "--file=-")
		cmdErr = runReading(cmd, conn, br)
	default:
		return res, fmt.Errorf("restore %s: %w", name, fault.BadInput("not a pg_dump custom archive (no PGDMP header) and not named .%s", ExtPlain))
	}
	res.Bytes = stored.n
	if cmdErr != nil {
		var src *SourceError
		if errors.As(cmdErr, &src) {
			return res, classify(name, stored, src.Err)
		}
		return res, fmt.Errorf("restore %s: %w", name, cmdErr)
	}
	opts.Logger.InfoContext(ctx, "backup restored", "name", name, "database", conn.dbname, "bytes", res.Bytes)
	return res, nil
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
