package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// ErrUnavailable marks an error that says the storage itself refuses the
// worker: the bucket does not exist, the credentials are wrong or revoked,
// or MEDIA_ROOT is missing or read-only. No job can succeed until an
// operator fixes it, so jobs wait for the storage instead of spending their
// attempts (IsUnavailable).
var ErrUnavailable = errors.New("storage unavailable")

// IsUnavailable reports whether err says the storage refuses the worker as
// a whole (ErrUnavailable, or an S3 answer about the bucket or the
// credentials anywhere in its chain), as opposed to a fault of one file or
// one request.
func IsUnavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || accessProblem(err) != ""
}

// accessProblem explains an S3 error that concerns the bucket or the
// credentials rather than one object, or returns "" for any other error.
// The explanation names the variable to look at, never its value.
func accessProblem(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch code := apiErr.ErrorCode(); code {
	case "NoSuchBucket":
		return "the bucket does not exist (NoSuchBucket): check AWS_STORAGE_BUCKET_NAME and AWS_S3_ENDPOINT_URL"
	case "InvalidAccessKeyId", "XAdminUserNotFound": // the second is versitygw's
		return "the access key is unknown or revoked (" + code + "): check AWS_ACCESS_KEY_ID"
	case "SignatureDoesNotMatch":
		return "the secret key does not match the access key (SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY"
	case "AccessDenied", "Forbidden", "Unauthorized", "InvalidToken", "ExpiredToken", "AllAccessDisabled", "AccountProblem":
		return fmt.Sprintf("the credentials are not allowed (%s): the key needs read, write and list on the bucket", code)
	}
	return ""
}

// probeName is the file a check writes and deletes: one per host, so that
// workers on different hosts never delete each other's probe.
func probeName(host string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '_'
	}, host)
	if safe == "" {
		safe = "unknown"
	}
	return ".worker-probe-" + safe
}

// Check proves that the worker can use the bucket: it exists, the
// credentials can list under AWS_LOCATION, and they can write and delete one
// small object, AWS_LOCATION/.worker-probe-HOST. An error that is the
// bucket's or the credentials' fault matches ErrUnavailable and says which
// variable to look at; any other (an unreachable endpoint) is returned as
// it is.
func (s *S3) Check(ctx context.Context, host string) error {
	where := fmt.Sprintf("bucket %q", s.bucket)
	prefix := ""
	if s.location != "" {
		prefix = s.location + "/"
		where += fmt.Sprintf(" under %q", prefix)
	}
	fail := func(op string, err error) error {
		if p := accessProblem(err); p != "" {
			return fmt.Errorf("%w: %s: %s: %s", ErrUnavailable, where, op, p)
		}
		var re *awshttp.ResponseError
		if errors.As(err, &re) && (re.HTTPStatusCode() == 401 || re.HTTPStatusCode() == 403) {
			return fmt.Errorf("%w: %s: %s: refused with HTTP %d: check the credentials", ErrUnavailable, where, op, re.HTTPStatusCode())
		}
		return fmt.Errorf("%s: %s: %w", where, op, err)
	}
	if _, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &s.bucket, Prefix: aws.String(prefix), MaxKeys: aws.Int32(1),
	}); err != nil {
		return fail("list", err)
	}
	key := prefix + probeName(host)
	body := []byte("worker storage check\n")
	if _, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentType: aws.String("text/plain"),
	}); err != nil {
		return fail("write "+key, err)
	}
	// Another worker of this host may have deleted it first: not a fault.
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil && !isNotFound(err) {
		return fail("delete "+key, err)
	}
	return nil
}

// Check proves that MEDIA_ROOT exists, is a folder, and that the worker can
// create and remove a file in it (.worker-probe-HOST). Unlike Save it never
// creates MEDIA_ROOT: a missing folder is more likely an unmounted volume
// than a fresh install. Every failure matches ErrUnavailable.
func (l *Local) Check(ctx context.Context, host string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: MEDIA_ROOT %q %s", ErrUnavailable, l.root, fmt.Sprintf(format, args...))
	}
	st, err := os.Stat(l.root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("does not exist (create it, or mount the media volume)")
	case err != nil:
		return fail("cannot be read: %v", err)
	case !st.IsDir():
		return fail("is not a folder")
	}
	r, err := l.openRoot()
	if err != nil {
		return fail("cannot be opened: %v", err)
	}
	defer r.Close()
	name := probeName(host)
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, localFileMode)
	if err != nil {
		return fail("is not writable by this user: %v", err)
	}
	_, werr := f.Write([]byte("worker storage check\n"))
	cerr := f.Close()
	rerr := r.Remove(name)
	if err := errors.Join(werr, cerr); err != nil {
		return fail("is not writable: %v", err)
	}
	if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return fail("does not let this user delete files: %v", rerr)
	}
	return nil
}

// checker is what both backends offer Health.
type checker interface {
	Check(ctx context.Context, host string) error
}

// Health remembers the result of the storage's Check for a while, so that
// the readiness probe, the metrics and the jobs can all ask without
// sending a request each.
type Health struct {
	store   checker
	host    string
	ttl     time.Duration
	timeout time.Duration

	mu      sync.Mutex
	checked time.Time
	err     error
}

// HealthTTL is how long a check's result is reused.
const HealthTTL = 30 * time.Second

// healthTimeout bounds one check, whoever asked for it.
const healthTimeout = 10 * time.Second

// NewHealth returns the health of s, checked with a probe named after host.
// It fails for a Storage that cannot check itself.
func NewHealth(s Storage, host string) (*Health, error) {
	c, ok := s.(checker)
	if !ok {
		return nil, fmt.Errorf("storage: %T cannot check itself", s)
	}
	return &Health{store: c, host: host, ttl: HealthTTL, timeout: healthTimeout}, nil
}

// Err returns the last check's result if it is younger than HealthTTL, else
// checks again. The check runs on a context of its own (bounded by
// healthTimeout), so a caller that gives up does not record a failure.
func (h *Health) Err(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.checked.IsZero() && time.Since(h.checked) < h.ttl {
		return h.err
	}
	return h.checkLocked(ctx)
}

// Recheck checks now, whatever the age of the last result: a job that just
// failed on the bucket or the credentials asks whether it was the storage.
func (h *Health) Recheck(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.checkLocked(ctx)
}

func (h *Health) checkLocked(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
	defer cancel()
	err := h.store.Check(cctx, h.host)
	h.err, h.checked = err, time.Now()
	return err
}
