// Package storage is the one way jobs reach files: a local folder laid out as
// Django's FileSystemStorage lays it out, or an S3 bucket (Cloudflare R2) laid
// out as django-storages' S3Boto3Storage lays it out. A name is exactly the
// string Django stores in a FileField.
package storage

import (
	"context"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/fault"
)

// Storage is implemented by the local and S3 backends. Every method refuses a
// suspicious name with ErrSuspiciousName before any I/O, and reports a
// missing file with an error that matches fs.ErrNotExist.
type Storage interface {
	// Open streams the named file; reading stops with ctx's error once
	// ctx is done. The caller closes it.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Save stores r under name and returns the name actually used, which
	// differs from name when the backend does not overwrite and the name is
	// taken (Django's 7-character suffix). A failed Save leaves nothing
	// behind under any name.
	Save(ctx context.Context, name string, r io.Reader, opts SaveOptions) (string, error)
	// Stat describes the named file.
	Stat(ctx context.Context, name string) (Info, error)
	// Delete removes the named file; deleting a missing file is not an error.
	Delete(ctx context.Context, name string) error
	// List yields the files whose names start with prefix, in byte order
	// of their names (S3's order), with Name, Size and ModTime only.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]
	// URL is what the frontend loads: presigned, public, or under MEDIA_URL.
	URL(ctx context.Context, name string) (string, error)
}

// Info describes a stored file.
type Info struct {
	Name        string
	Size        int64
	ModTime     time.Time
	ContentType string
	// Digest is the hex SHA-256 of the content when the backend knows it,
	// else empty. S3 returns the x-amz-meta-sha256 metadata that Save
	// stored (empty for objects saved by others); the local backend reads
	// the whole file on every Stat to compute it.
	Digest string
	// DigestStored is true when Digest was recorded at Save time (S3's
	// metadata), so that comparing it with the bytes read detects damage
	// since; false when the backend computed it from the content as it is
	// now (local), which detects nothing.
	DigestStored bool
	// SourceModTime is the modification time of the file the content was
	// read from, when Save was told it (SaveOptions.SourceModTime); else zero.
	SourceModTime time.Time
	// ETag is the entity tag S3 gave the object (Stat and List; empty for
	// the local backend). Replacing the object changes it.
	ETag string
}

// SaveOptions tune one Save.
type SaveOptions struct {
	// ContentType overrides the type guessed from the name.
	ContentType string
	// Replace stores under exactly this name, replacing any existing file,
	// whatever the backend's overwrite rule. Migration, previews and backups
	// use it; uploads that mimic Django's FileField do not.
	Replace bool
	// Size, when known and positive, lets a backend pick a single request
	// over a multipart upload.
	Size int64
	// Digest is the hex SHA-256 of the content, when the caller already
	// computed it: S3 stores it without reading the body a second time.
	// Without CRC32, S3 signs a single-request upload with it; the server
	// refuses a body that does not match, so a wrong digest fails the Save
	// and stores nothing. The local backend ignores it.
	Digest string
	// CRC32 is the content's CRC-32 taken in the same read as Digest
	// (Hasher.CRC32). With both, a single-request upload to S3 carries it
	// in x-amz-checksum-crc32 instead of a signed SHA-256, and the server
	// refuses a body that does not match it: the server then checks the
	// bytes with a CRC-32 rather than hashing them with SHA-256 and its own
	// default checksum. The local backend ignores it.
	CRC32 string
	// SourceModTime is the modification time of the file the content is
	// read from. S3 stores it beside the digest (x-amz-meta-mtime, in
	// rclone's format) and Stat returns it, so that a later copy of the
	// same unchanged file can be recognised without hashing it. The local
	// backend ignores it.
	SourceModTime time.Time
}

// ErrSuspiciousName reports a name that is empty, escapes the root or the
// location, or is absolute while a location is set: Django's
// SuspiciousOperation. It is bad input: retrying cannot help.
var ErrSuspiciousName = fmt.Errorf("storage: suspicious file name (%w)", fault.ErrBadInput)

// New returns the storage cfg selects, as Django's settings do: the bucket
// when USE_CLOUD_STORAGE=True, else the folder MEDIA_ROOT.
func New(ctx context.Context, cfg config.Storage) (Storage, error) {
	if cfg.UseCloudStorage {
		s, err := NewS3(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := NewLocal(cfg.MediaRoot, cfg.MediaURL)
	if err != nil {
		return nil, err
	}
	return s, nil
}
