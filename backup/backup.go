// Package backup streams pg_dump into storage, restores from it, verifies a
// backup in a scratch database and prunes old ones, all under
// django-dbbackup's names and formats so that `manage.py dbrestore` reads
// the worker's backups and the worker reads dbbackup's.
//
// The dump is never held whole: pg_dump writes an uncompressed custom-format
// archive into a pipe, the worker gzips it on every core, optionally
// encrypts it with OpenPGP, and storage uploads it as it comes. A failing
// pg_dump reaches storage as a read error, so no partial backup is ever
// visible.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/pgzip"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/storage"
)

// Store is what backups need from a storage backend.
type Store interface {
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	Save(ctx context.Context, name string, r io.Reader, opts storage.SaveOptions) (string, error)
	Stat(ctx context.Context, name string) (storage.Info, error)
	Delete(ctx context.Context, name string) error
	List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error]
}

// DefaultDatabase is the Django database alias written into names.
const DefaultDatabase = "default"

// Options configure backups, restores and pruning. FromConfig fills them
// from the environment.
type Options struct {
	// DatabaseURL is the database dumped, restored into and verified
	// against: a postgres:// URL. Its password reaches the PostgreSQL tools
	// through PGPASSWORD, never on their command line.
	DatabaseURL string
	// Location is the folder of the backups in the storage, e.g. "backups/".
	Location string
	// Database is the Django alias in names; empty means "default".
	Database string
	// Hostname is the server name in names; empty means os.Hostname().
	Hostname string
	// TimeZone is Django's TIME_ZONE; nil means America/Chicago.
	TimeZone *time.Location
	// Compress gzips the dump (in parallel, CompressLevel 1-9; 0 means 1).
	Compress      bool
	CompressLevel int
	// PublicKey, when set, is the ASCII-armoured OpenPGP key backups are
	// encrypted to. PrivateKey (with Passphrase when protected) decrypts.
	PublicKey  string
	PrivateKey string
	Passphrase string
	// Keep is how many matching backups Prune keeps; 0 disables pruning.
	Keep int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives progress; nil means slog.Default().
	Logger *slog.Logger
	// TempDir is where a restore copies the stored backup to check it
	// before anything is restored: it needs room for the backup's stored
	// size. Empty means os.TempDir().
	TempDir string
}

// FromConfig builds Options from the worker's configuration, and refuses
// a DBBACKUP_GPG_PUBLIC_KEY that backups could not be encrypted to. The
// worker calls it at start, so such a key stops it there rather than
// cancelling the first backup.
func FromConfig(cfg config.Config) (Options, error) {
	b := cfg.Backup
	loc, err := time.LoadLocation(b.TimeZone)
	if err != nil {
		return Options{}, fmt.Errorf("TIME_ZONE: %w", err)
	}
	if b.GPGPublicKey != "" {
		if _, err := readRecipients(b.GPGPublicKey); err != nil {
			return Options{}, err
		}
	}
	return Options{
		DatabaseURL:   cfg.BackupDatabaseURL(),
		Location:      b.Folder,
		Database:      DefaultDatabase,
		Hostname:      b.Hostname,
		TimeZone:      loc,
		Compress:      bool(b.Compress),
		CompressLevel: b.CompressLevel,
		PublicKey:     b.GPGPublicKey,
		PrivateKey:    b.GPGPrivateKey,
		Passphrase:    b.GPGPassphrase,
		Keep:          b.CleanupKeep,
	}, nil
}

// withDefaults returns a copy with the zero values filled.
func (o Options) withDefaults() (Options, error) {
	if o.DatabaseURL == "" {
		return o, errors.New("backup: no database URL (DATABASE_URL or BACKUP_DATABASE_URL)")
	}
	if o.Location != "" && !strings.HasSuffix(o.Location, "/") {
		o.Location += "/"
	}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return o, fmt.Errorf("backup: host name for backup names (set DBBACKUP_HOSTNAME): %w", err)
		}
		o.Hostname = h
	}
	if o.TimeZone == nil {
		loc, err := time.LoadLocation("America/Chicago")
		if err != nil {
			return o, fmt.Errorf("backup: default TIME_ZONE: %w", err)
		}
		o.TimeZone = loc
	}
	if o.CompressLevel == 0 {
		o.CompressLevel = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Filter is the kind of backup this configuration writes: the one --latest
// restores and pruning thins out.
func (o Options) Filter() Filter {
	return Filter{Compressed: o.Compress, Encrypted: o.PublicKey != "" || o.PrivateKey != "", Database: o.databaseName()}
}

func (o Options) databaseName() string {
	if o.Database == "" {
		return DefaultDatabase
	}
	return o.Database
}

// Result is the backup_db job's output.
type Result struct {
	// Name is the storage name, location included.
	Name       string `json:"name"`
	Bytes      int64  `json:"bytes"`
	Format     string `json:"format"`
	Compressed bool   `json:"compressed"`
	Encrypted  bool   `json:"encrypted"`
	// SHA256 is the hex digest of the stored bytes.
	SHA256 string   `json:"sha256"`
	Pruned []string `json:"pruned"`
	// PruneError says why pruning stopped; the backup itself succeeded.
	PruneError string `json:"prune_error,omitempty"`
}

// Run dumps the database into the store under a django-dbbackup name, then
// prunes older matching backups down to Options.Keep. Nothing is stored
// unless pg_dump succeeded and every byte was written.
func Run(ctx context.Context, store Store, opts Options) (Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Result{}, err
	}
	var recipients recipientList
	if opts.PublicKey != "" {
		if recipients, err = readRecipients(opts.PublicKey); err != nil {
			return Result{}, err
		}
	}
	started := opts.Now()
	file := FileName(opts.Database, opts.Hostname, started, opts.TimeZone, opts.Compress, recipients != nil)
	name := opts.Location + file
	res := Result{Name: name, Format: "custom", Compressed: opts.Compress, Encrypted: recipients != nil, Pruned: []string{}}

	conn, err := parseConn(opts.DatabaseURL)
	if err != nil {
		return res, err
	}
	dumpCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	sink := newDigestWriter(pw)
	done := make(chan error, 1)
	go func() {
		err := dump(dumpCtx, conn, sink, opts, recipients)
		// Report before closing the pipe, so that a Save failing on this
		// very error finds it already in the channel.
		done <- err
		pw.CloseWithError(err)
	}()

	saved, saveErr := store.Save(ctx, name, pr, storage.SaveOptions{Replace: true})
	if saveErr != nil {
		select {
		case err := <-done:
			if err != nil {
				return res, fmt.Errorf("backup %q: %w", name, err)
			}
		default:
			cancel()
			pr.CloseWithError(saveErr)
			<-done
		}
		return res, fmt.Errorf("backup %q: save: %w", name, saveErr)
	}
	if err := <-done; err != nil {
		// Save should have failed too; never report success over a bad dump.
		_ = store.Delete(context.WithoutCancel(ctx), saved)
		return res, fmt.Errorf("backup %q: %w", name, err)
	}
	res.Name = saved
	res.Bytes, res.SHA256 = sink.n, sink.sum()

	info, err := store.Stat(ctx, saved)
	switch {
	case err != nil:
		return res, fmt.Errorf("backup %q: check stored object: %w", saved, err)
	case info.Size != res.Bytes:
		return res, fmt.Errorf("backup %q: stored %d bytes, wrote %d", saved, info.Size, res.Bytes)
	case info.Digest != "" && info.Digest != res.SHA256:
		return res, fmt.Errorf("backup %q: stored sha256 %s, wrote %s", saved, info.Digest, res.SHA256)
	}
	opts.Logger.InfoContext(ctx, "backup stored", "name", saved, "bytes", res.Bytes,
		"sha256", res.SHA256, "seconds", opts.Now().Sub(started).Seconds())

	if opts.Keep > 0 {
		pruned, err := Prune(ctx, store, opts)
		res.Pruned = append(res.Pruned, pruned...)
		if err != nil {
			opts.Logger.WarnContext(ctx, "backup pruning failed", "error", err)
			res.PruneError = err.Error()
		}
	}
	return res, nil
}

// dump runs pg_dump and writes its archive, compressed and encrypted as
// configured, to w.
func dump(ctx context.Context, conn connInfo, w io.Writer, opts Options, recipients recipientList) error {
	var closers []io.Closer
	out := w
	if recipients != nil {
		enc, err := encrypt(out, recipients)
		if err != nil {
			return err
		}
		closers = append(closers, enc)
		out = enc
	}
	if opts.Compress {
		gz, err := pgzip.NewWriterLevel(out, opts.CompressLevel)
		if err != nil {
			return fault.BadInput("backup: gzip level %d: %v", opts.CompressLevel, err)
		}
		// Memory stays near blockSize x blocks x 2, whatever the dump's size.
		if err := gz.SetConcurrency(1<<20, max(2, runtime.GOMAXPROCS(0))); err != nil {
			return fmt.Errorf("backup: gzip concurrency: %w", err)
		}
		closers = append(closers, gz)
		out = gz
	}

	// -Z0: pg_dump's own compression is single-threaded; ours is not.
	cmd := conn.command(ctx, "pg_dump", "--format=custom", "--compress=0")
	if err := runWriting(cmd, conn, out); err != nil {
		return err
	}
	// Innermost first: gzip's trailer goes through the encryptor.
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i].Close(); err != nil {
			return fmt.Errorf("finish stream: %w", err)
		}
	}
	return nil
}
