package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/revisbali/worker/config"
)

// S3 stores files in a bucket as django-storages' S3Boto3Storage does
// (docs/django.md sections 1-3), in the subset of S3 that Cloudflare R2 (docs/r2.md)
// implements: no ACL, tagging, SSE or checksum headers are ever sent but
// x-amz-checksum-crc32 (docs/r2.md).
//
// Save streams with bounded memory: a body of at most one part goes up in a
// single PutObject, a larger one as a multipart upload of fixed-size parts
// that is aborted on any error, so no partial object is ever visible. The
// SHA-256 of the content is stored in the object's metadata (DigestMetadata)
// and returned by Stat. A single PutObject is checked by the server against
// the CRC-32 taken in the same read (x-amz-checksum-crc32, which R2
// implements, and returns in its answer), or, where a server answers that
// header NotImplemented or does not return the CRC-32, against the SHA-256
// signed as the payload's hash.
type S3 struct {
	client    *s3.Client
	presigner *s3.PresignClient
	bucket    string
	location  string
	overwrite bool

	customDomain    string
	urlProtocol     string
	querystringAuth bool
	expire          time.Duration

	// noChecksum is set once the server answered an x-amz-checksum-crc32
	// header NotImplemented, or without the CRC-32 in its answer: later
	// uploads sign the SHA-256 instead.
	noChecksum atomic.Bool
}

var _ Storage = (*S3)(nil)

// DigestMetadata is the user metadata key (x-amz-meta-sha256) that holds
// the hex SHA-256 of an object's content.
const DigestMetadata = "sha256"

// ModTimeMetadata is the user metadata key (x-amz-meta-mtime) that holds
// the source file's modification time, as rclone writes and reads it:
// Unix seconds with nine decimals.
const ModTimeMetadata = "mtime"

const (
	// partSize is the size of every multipart part but the last (R2 wants
	// them equal). 8 MiB parts allow objects of 78 GiB; a larger known Size
	// gets larger parts.
	partSize = 8 << 20
	maxParts = 10000
	// partConcurrency parts are in flight at once; a streamed body holds
	// at most that many part buffers.
	partConcurrency = 4
	// maxIdleConns is the idle pool's size: above any number of requests
	// the worker has in flight, so that no connection is closed for want
	// of room.
	maxIdleConns = 1 << 16
	// abortTimeout bounds the cleanup of a failed upload, which runs even
	// when the caller's context is cancelled.
	abortTimeout = 30 * time.Second
)

// NewS3 returns the storage of the bucket cfg names, with the credentials,
// endpoint, region and URL rules cfg holds. Shared AWS config files are not
// read: the worker uses the same settings as Django, nothing else.
func NewS3(ctx context.Context, cfg config.Storage) (*S3, error) {
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("storage: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required for S3")
	}
	if cfg.Bucket == "" {
		return nil, errors.New("storage: AWS_STORAGE_BUCKET_NAME is empty")
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1" // what boto signs with when no region is set
	}
	// The SDK's own client, not a plain http.Client: it is the one it can
	// add AWS_CA_BUNDLE to. Every connection that was ever needed at once
	// stays open for reuse (until IdleConnTimeout, 90 s): the storage
	// queue's jobs share this client, up to WORKER_QUEUE_STORAGE x
	// MIGRATE_CONCURRENCY files in flight, and with a smaller idle pool
	// the connections beyond it were closed whenever the uploads paused
	// (between batches) and opened again, a TLS handshake each with R2.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 0 // no limit across hosts
		tr.MaxIdleConnsPerHost = maxIdleConns
	})
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithSharedConfigFiles([]string{}),
		awsconfig.WithSharedCredentialsFiles([]string{}),
		awsconfig.WithSharedConfigProfile(""),
		awsconfig.WithRegion(region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")),
		awsconfig.WithHTTPClient(httpClient),
		// R2 answers the SDK's default CRC32 trailers with errors.
		awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	)
	if err != nil {
		return nil, fmt.Errorf("storage: load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
		}
		// boto uses path style with an endpoint URL; the SDK would not.
		o.UsePathStyle = cfg.AddressingStyle != "virtual"
		o.DisableLogOutputChecksumValidationSkipped = true
		if cfg.EndpointURL != "" && o.UsePathStyle {
			if u, err := url.Parse(cfg.EndpointURL); err == nil {
				o.EndpointResolverV2 = pathStyleEndpoint{base: *u, region: region}
			}
		}
	})
	return &S3{
		client:          client,
		presigner:       s3.NewPresignClient(client),
		bucket:          cfg.Bucket,
		location:        strings.TrimRight(cfg.Location, "/"),
		overwrite:       bool(cfg.FileOverwrite),
		customDomain:    cfg.CustomDomain,
		urlProtocol:     cfg.URLProtocol,
		querystringAuth: bool(cfg.QuerystringAuth),
		expire:          time.Duration(cfg.QuerystringExpire) * time.Second,
	}, nil
}

// key returns the cleaned name and the object key it maps to.
func (s *S3) key(name string) (cleaned, key string, err error) {
	key, err = Key(s.location, name)
	if err != nil {
		return "", "", err
	}
	cleaned, _ = CleanName(name)
	return cleaned, key, nil
}

// fileKey is key for a name that must name a file.
func (s *S3) fileKey(name string) (cleaned, key string, err error) {
	cleaned, key, err = s.key(name)
	if err == nil && strings.HasSuffix(cleaned, "/") {
		err = fmt.Errorf("%w: %q names a folder, not a file", ErrSuspiciousName, name)
	}
	return cleaned, key, err
}

// isNotFound reports whether err is S3's answer for a missing key.
func isNotFound(err error) bool {
	var noSuchKey *types.NoSuchKey
	var notFound *types.NotFound
	if errors.As(err, &noSuchKey) || errors.As(err, &notFound) {
		return true
	}
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchKey" || apiErr.ErrorCode() == "NotFound")
}

// wrap adds the operation and name to err, and fs.ErrNotExist when S3 said
// the key is missing; the SDK's error stays reachable with errors.As.
func wrap(op, name string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("storage: %s %q: %w: %w", op, name, fs.ErrNotExist, err)
	}
	return fmt.Errorf("storage: %s %q: %w", op, name, err)
}

// Open implements Storage.
func (s *S3) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	cleaned, key, err := s.fileKey(name)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, wrap("open", cleaned, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{contextReader{ctx, out.Body}, out.Body}, nil
}

// Stat implements Storage.
func (s *S3) Stat(ctx context.Context, name string) (Info, error) {
	cleaned, key, err := s.fileKey(name)
	if err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return Info{}, wrap("stat", cleaned, err)
	}
	digest := out.Metadata[DigestMetadata]
	if !isHexDigest(digest) {
		digest = ""
	}
	return Info{
		Name:          cleaned,
		Size:          aws.ToInt64(out.ContentLength),
		ModTime:       aws.ToTime(out.LastModified),
		ContentType:   aws.ToString(out.ContentType),
		Digest:        digest,
		DigestStored:  digest != "",
		SourceModTime: parseModTime(out.Metadata[ModTimeMetadata]),
		ETag:          aws.ToString(out.ETag),
	}, nil
}

// formatModTime writes t as rclone does: seconds, a dot, nine decimals.
func formatModTime(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// parseModTime reads formatModTime's form (fewer decimals too); anything
// else is no time at all.
func parseModTime(s string) time.Time {
	secs, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || len(frac) > 9 {
		return time.Time{}
	}
	var nsec int64
	if frac != "" {
		if nsec, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err != nil || nsec < 0 {
			return time.Time{}
		}
	}
	return time.Unix(sec, nsec)
}

func isHexDigest(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Delete implements Storage.
func (s *S3) Delete(ctx context.Context, name string) error {
	cleaned, key, err := s.key(name)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil && !isNotFound(err) {
		return wrap("delete", cleaned, err)
	}
	return nil
}

// List implements Storage. It yields Name, Size, ModTime and ETag (a
// listing carries no metadata) in key order, skipping folder markers.
func (s *S3) List(ctx context.Context, prefix string) iter.Seq2[Info, error] {
	return s.ListAfter(ctx, prefix, "", 0)
}

// ListAfter is List from the first name after after: the listing starts
// there (ListObjectsV2's StartAfter), so names before it cost nothing. A
// firstPage above zero asks for that many keys in the first request (the
// server's default, 1,000, in the later ones): a caller that expects to
// stop early spares the server keys it would list and send for nothing.
func (s *S3) ListAfter(ctx context.Context, prefix, after string, firstPage int) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		prefix, err := listPrefix(prefix)
		if err != nil {
			yield(Info{}, err)
			return
		}
		strip := ""
		if s.location != "" {
			strip = s.location + "/"
		}
		in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(strip + prefix)}
		if after != "" {
			in.StartAfter = aws.String(strip + after)
		}
		if firstPage > 0 {
			in.MaxKeys = aws.Int32(int32(min(firstPage, 1000)))
		}
		for {
			page, err := s.client.ListObjectsV2(ctx, in, withQuickListing)
			if err != nil {
				yield(Info{}, fmt.Errorf("storage: list %q: %w", prefix, err))
				return
			}
			for _, obj := range page.Contents {
				key := aws.ToString(obj.Key)
				if strings.HasSuffix(key, "/") {
					continue
				}
				info := Info{
					Name:    strings.TrimPrefix(key, strip),
					Size:    aws.ToInt64(obj.Size),
					ModTime: aws.ToTime(obj.LastModified),
					ETag:    aws.ToString(obj.ETag),
				}
				if !yield(info, nil) {
					return
				}
			}
			next := aws.ToString(page.NextContinuationToken)
			if !aws.ToBool(page.IsTruncated) || next == "" || next == aws.ToString(in.ContinuationToken) {
				return
			}
			in.ContinuationToken, in.MaxKeys = &next, nil
		}
	}
}

// URL implements Storage, as django-storages' url(): unsigned under
// AWS_S3_CUSTOM_DOMAIN, else presigned for AWS_QUERYSTRING_EXPIRE seconds,
// or the same URL stripped of its signature when AWS_QUERYSTRING_AUTH is
// False.
func (s *S3) URL(ctx context.Context, name string) (string, error) {
	_, key, err := s.key(name)
	if err != nil {
		return "", err
	}
	if s.customDomain != "" {
		return s.urlProtocol + "//" + s.customDomain + "/" + filepathToURI(key), nil
	}
	req, err := s.presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key},
		func(o *s3.PresignOptions) { o.Expires = s.expire })
	if err != nil {
		return "", fmt.Errorf("storage: sign URL of %q: %w", name, err)
	}
	if s.querystringAuth {
		return req.URL, nil
	}
	return stripSignature(req.URL)
}

// stripSignature drops the query parameters of a signature, as
// django-storages' _strip_signing_parameters does (plus the SDK's x-id).
func stripSignature(signed string) (string, error) {
	u, err := url.Parse(signed)
	if err != nil {
		return "", fmt.Errorf("storage: parse signed URL: %w", err)
	}
	signing := []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
		"x-amz-signedheaders", "x-amz-signature", "x-amz-security-token", "x-id"}
	var kept []string
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if kv != "" && !slices.Contains(signing, strings.ToLower(k)) {
			kept = append(kept, kv)
		}
	}
	u.RawQuery = strings.Join(kept, "&")
	return u.String(), nil
}

// Save implements Storage.
func (s *S3) Save(ctx context.Context, name string, r io.Reader, opts SaveOptions) (string, error) {
	info, err := s.SaveInfo(ctx, name, r, opts)
	return info.Name, err
}

// SaveInfo is Save, returning the name used and the ETag the bucket gave
// the new object: a listing showing another ETag under that name later
// means the object was replaced since.
func (s *S3) SaveInfo(ctx context.Context, name string, r io.Reader, opts SaveOptions) (Info, error) {
	cleaned, key, err := s.fileKey(name)
	if err != nil {
		return Info{}, err
	}
	if strings.HasPrefix(cleaned, "/") {
		// Django's Storage.save refuses absolute names, location or not.
		return Info{}, fmt.Errorf("%w: %q is absolute", ErrSuspiciousName, name)
	}
	if !opts.Replace && !s.overwrite {
		cleaned, key, err = s.availableName(ctx, cleaned)
		if err != nil {
			return Info{}, err
		}
	}
	contentType, encoding := ContentType(cleaned)
	if opts.ContentType != "" {
		contentType = opts.ContentType
	}
	u := upload{s: s, key: key, contentType: contentType, encoding: encoding, digest: opts.Digest, modTime: opts.SourceModTime}
	if isHexDigest(opts.Digest) && isCRC32(opts.CRC32) {
		u.crc = opts.CRC32
	}
	etag, err := u.run(ctx, r, opts.Size)
	if err != nil {
		return Info{}, fmt.Errorf("storage: save %q: %w", cleaned, err)
	}
	return Info{Name: cleaned, ETag: etag}, nil
}

// availableName is Django's get_available_name: the name itself if no
// object has it, else the name with a random suffix until one is free. As
// in django-storages, two concurrent saves may pick the same free name.
func (s *S3) availableName(ctx context.Context, cleaned string) (string, string, error) {
	candidate := cleaned
	for range maxNameAttempts {
		key, err := Key(s.location, candidate)
		if err != nil {
			return "", "", err
		}
		_, err = s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
		if isNotFound(err) {
			return candidate, key, nil
		}
		if err != nil {
			return "", "", wrap("check name", candidate, err)
		}
		candidate = alternativeName(cleaned)
	}
	return "", "", fmt.Errorf("storage: save %q: no free name after %d attempts", cleaned, maxNameAttempts)
}

// upload is one Save's transfer of content to key.
type upload struct {
	s           *S3
	key         string
	contentType string
	encoding    string
	// digest is the caller's SHA-256 of the body, if known (SaveOptions.Digest),
	// and crc its CRC-32 from the same read, if known (SaveOptions.CRC32).
	digest  string
	crc     string
	modTime time.Time
}

// readerAtSeeker is what an *os.File offers: the body can be read twice
// (once for the digest) and cut into parts without buffering.
type readerAtSeeker interface {
	io.ReaderAt
	io.Seeker
}

// run uploads r and returns the new object's ETag.
func (u upload) run(ctx context.Context, r io.Reader, sizeHint int64) (string, error) {
	if ras, ok := r.(readerAtSeeker); ok {
		if start, err := ras.Seek(0, io.SeekCurrent); err == nil {
			if end, err := ras.Seek(0, io.SeekEnd); err == nil && end >= start {
				return u.fromSection(ctx, ras, start, end-start)
			}
		}
	}
	return u.fromStream(ctx, r, sizeHint)
}

// fromSection uploads size bytes of ras from start. The digest is computed
// first, so it goes into the object's metadata at creation: the object
// never exists without it. A body of one part whose digest the caller gave
// is not read twice: the server checks it against the CRC-32 or the signed
// digest.
func (u upload) fromSection(ctx context.Context, ras readerAtSeeker, start, size int64) (string, error) {
	psize := partSizeFor(size)
	if size <= psize && isHexDigest(u.digest) {
		return u.put(ctx, io.NewSectionReader(ras, start, size), size, u.digest, u.crc)
	}
	h := NewHasher()
	if _, err := io.Copy(h, contextReader{ctx, io.NewSectionReader(ras, start, size)}); err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	digest := h.Digest()
	if size <= psize {
		return u.put(ctx, io.NewSectionReader(ras, start, size), size, digest, h.CRC32())
	}
	n := (size + psize - 1) / psize
	next := func(i int64) (io.ReadSeeker, int64, func(), error) {
		if i == n {
			return nil, 0, nil, io.EOF
		}
		length := min(psize, size-i*psize)
		return io.NewSectionReader(ras, start+i*psize, length), length, func() {}, nil
	}
	return u.multipart(ctx, digest, next)
}

// partSizeFor picks the part size: the default, or larger when a known
// size would need more than maxParts parts.
func partSizeFor(size int64) int64 {
	p := int64(partSize)
	if need := (size + maxParts - 1) / maxParts; need > p {
		p = (need + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return p
}

// fromStream uploads a body that can be read only once. A body that fits
// one part goes up in a single PutObject with its digest. A larger one
// streams as a multipart upload through at most partConcurrency buffers;
// its digest is known only at the end and is added by copying the object
// onto itself with new metadata (up to 5 GiB, CopyObject's limit; a larger
// stream keeps no digest), so for a moment the complete object
// exists without a digest (Stat then reports none, and the migration copies
// it again rather than skipping it).
func (u upload) fromStream(ctx context.Context, r io.Reader, sizeHint int64) (string, error) {
	psize := int64(partSize)
	if sizeHint > 0 {
		psize = partSizeFor(sizeHint)
	}
	h := NewHasher()
	src := io.TeeReader(contextReader{ctx, r}, h)

	// The first part grows with what arrives, so a small body costs a
	// small buffer.
	var first bytes.Buffer
	if sizeHint > 0 {
		first.Grow(int(min(sizeHint, psize)) + bytes.MinRead)
	}
	if _, err := first.ReadFrom(io.LimitReader(src, psize)); err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	if int64(first.Len()) < psize {
		return u.put(ctx, bytes.NewReader(first.Bytes()), int64(first.Len()), h.Digest(), h.CRC32())
	}

	free := make(chan []byte, partConcurrency)
	free <- first.Bytes()[:psize]
	for range partConcurrency - 1 {
		free <- nil // allocated on first use
	}
	firstPending := true
	next := func(int64) (io.ReadSeeker, int64, func(), error) {
		var buf []byte
		select {
		case buf = <-free:
		case <-ctx.Done():
			return nil, 0, nil, ctx.Err()
		}
		release := func() { free <- buf }
		if firstPending {
			firstPending = false
			return bytes.NewReader(buf), psize, release, nil
		}
		if buf == nil {
			buf = make([]byte, psize)
		}
		n, err := io.ReadFull(src, buf)
		if n == 0 {
			release()
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, 0, nil, io.EOF
			}
			return nil, 0, nil, fmt.Errorf("read: %w", err)
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			release()
			return nil, 0, nil, fmt.Errorf("read: %w", err)
		}
		return bytes.NewReader(buf[:n]), int64(n), release, nil
	}
	etag, err := u.multipart(ctx, "", next)
	if err != nil {
		return "", err
	}
	if h.Len() > maxCopySize {
		// CopyObject cannot copy it in one request: the object keeps no
		// digest rather than failing a complete upload.
		return etag, nil
	}
	return u.setDigest(ctx, h.Digest())
}

// maxCopySize is the largest object one CopyObject request may copy.
const maxCopySize = 5 << 30

func (u upload) metadata(digest string) map[string]string {
	if digest == "" {
		return nil
	}
	m := map[string]string{DigestMetadata: digest}
	if !u.modTime.IsZero() {
		m[ModTimeMetadata] = formatModTime(u.modTime)
	}
	return m
}

// put stores a whole body in one request. With crc, the CRC-32 of the
// same read as digest, the body goes unsigned with the CRC-32 for the
// server to check, and the server's answer must return that CRC-32; else
// the digest is signed as the payload's hash.
func (u upload) put(ctx context.Context, body io.ReadSeeker, size int64, digest, crc string) (string, error) {
	in := &s3.PutObjectInput{
		Bucket:          &u.s.bucket,
		Key:             &u.key,
		Body:            body,
		ContentLength:   aws.Int64(size),
		ContentType:     &u.contentType,
		ContentEncoding: nilIfEmpty(u.encoding),
		Metadata:        u.metadata(digest),
	}
	if crc != "" && isHexDigest(digest) && !u.s.noChecksum.Load() {
		checked := *in
		checked.ChecksumCRC32 = &crc
		out, err := u.s.client.PutObject(ctx, &checked, unsignedPayload)
		if !checksumRefused(err) {
			if err != nil {
				return "", err
			}
			switch got := aws.ToString(out.ChecksumCRC32); got {
			case crc:
				return aws.ToString(out.ETag), nil
			case "":
				// No checksum in the answer: the server may have ignored
				// the header and stored the body unchecked. This body
				// goes again, signed, as every later one.
			default:
				// The server read another body than the one sent: that
				// object is not the file.
				err := fmt.Errorf("the server stored a body of CRC-32 %s, not the %s sent", got, crc)
				if _, delErr := u.s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &u.s.bucket, Key: &u.key}); delErr != nil {
					err = fmt.Errorf("%w; removing it failed too: %w", err, delErr)
				}
				return "", err
			}
		}
		// A server without flexible checksums: sign the digest, from now on.
		u.s.noChecksum.Store(true)
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("rewind: %w", err)
		}
	}
	out, err := u.s.client.PutObject(ctx, in, signDigest(digest))
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// checksumRefused reports the answer of a server that does not implement
// the x-amz-checksum-crc32 header (R2 answered it so until 2025).
func checksumRefused(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return apiErr.ErrorCode() == "NotImplemented" || status == http.StatusNotImplemented
}

// unsignedPayload sends the body without hashing it for the signature: the
// x-amz-checksum-crc32 header, which is signed, makes the server check it.
// Over plain HTTP a signed body would not make the exchange trustworthy
// either: the answer (the ETag, the status) is not signed.
var unsignedPayload = s3.WithAPIOptions(func(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("UnsignedPayload",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			return next.HandleFinalize(v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD"), in)
		}), (*v4.ComputePayloadSHA256)(nil).ID(), middleware.Before)
})

// signDigest signs digest, the body's SHA-256 already computed for the
// metadata, as the request's payload hash: the SDK does not hash the body
// once more, and the server refuses a body that does not match it.
func signDigest(digest string) func(*s3.Options) {
	return s3.WithAPIOptions(func(stack *middleware.Stack) error {
		if digest == "" {
			return nil
		}
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("SignDigest",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, digest), in)
			}), (*v4.ComputePayloadSHA256)(nil).ID(), middleware.Before)
	})
}

// pathStyleEndpoint resolves every request to ENDPOINT/BUCKET, as boto
// does with an endpoint URL, without the SDK's endpoint rules: for a region
// they do not know, such as R2's "auto", those compile regular expressions
// on every request, which cost more CPU than the rest of a HEAD request.
type pathStyleEndpoint struct {
	base   url.URL
	region string
}

// ResolveEndpoint implements s3.EndpointResolverV2.
func (e pathStyleEndpoint) ResolveEndpoint(_ context.Context, p s3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u := e.base
	if p.Bucket != nil {
		u.Path = strings.TrimRight(u.Path, "/") + "/" + *p.Bucket
	}
	// What the rules would have said: SigV4 for "s3" in the configured
	// region, keys not escaped twice.
	var signer smithy.Properties
	smithyhttp.SetSigV4SigningName(&signer, "s3")
	smithyhttp.SetSigV4SigningRegion(&signer, e.region)
	smithyhttp.SetDisableDoubleEncoding(&signer, true)
	var props smithy.Properties
	smithyauth.SetAuthOptions(&props, []*smithyauth.Option{{SchemeID: smithyauth.SchemeIDSigV4, SignerProperties: signer}})
	return smithyendpoints.Endpoint{URI: u, Properties: props}, nil
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// multipart uploads the parts next returns (io.EOF after the last) with
// partConcurrency in flight, and completes the upload; on any error it
// aborts it, so nothing becomes visible.
func (u upload) multipart(ctx context.Context, digest string, next func(i int64) (io.ReadSeeker, int64, func(), error)) (etag string, err error) {
	created, err := u.s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:          &u.s.bucket,
		Key:             &u.key,
		ContentType:     &u.contentType,
		ContentEncoding: nilIfEmpty(u.encoding),
		Metadata:        u.metadata(digest),
	})
	if err != nil {
		return "", fmt.Errorf("start multipart upload: %w", err)
	}
	uploadID := created.UploadId
	defer func() {
		if err != nil {
			if aerr := u.abort(ctx, uploadID); aerr != nil {
				err = errors.Join(err, aerr)
			}
		}
	}()

	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		number  int32
		body    io.ReadSeeker
		size    int64
		release func()
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var parts []types.CompletedPart
	var wg sync.WaitGroup
	for range partConcurrency {
		wg.Go(func() {
			for j := range jobs {
				out, err := u.s.client.UploadPart(pctx, &s3.UploadPartInput{
					Bucket:        &u.s.bucket,
					Key:           &u.key,
					UploadId:      uploadID,
					PartNumber:    aws.Int32(j.number),
					Body:          j.body,
					ContentLength: aws.Int64(j.size),
				})
				j.release()
				if err != nil {
					cancel(fmt.Errorf("upload part %d: %w", j.number, err))
					continue
				}
				mu.Lock()
				parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(j.number)})
				mu.Unlock()
			}
		})
	}
	var produceErr error
	for i := int64(0); ; i++ {
		if i >= maxParts {
			produceErr = fmt.Errorf("body needs more than %d parts", maxParts)
			break
		}
		body, size, release, err := next(i)
		if err == io.EOF {
			break
		}
		if err != nil {
			produceErr = err
			break
		}
		if pctx.Err() != nil {
			release()
			break
		}
		jobs <- job{number: int32(i + 1), body: body, size: size, release: release}
	}
	close(jobs)
	wg.Wait()
	if produceErr != nil {
		return "", produceErr
	}
	if cause := context.Cause(pctx); cause != nil {
		return "", cause
	}
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })
	done, err := u.s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          &u.s.bucket,
		Key:             &u.key,
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return "", fmt.Errorf("complete multipart upload: %w", err)
	}
	return aws.ToString(done.ETag), nil
}

// abort aborts a multipart upload and makes sure it stays aborted, even
// when the caller's context is cancelled. A part whose request was
// cancelled can still be stored by the server after the abort, which
// brings the upload back (S3's documentation says to abort again until no
// part is listed; versitygw did so under load): the upload must be seen
// gone twice, the second time a while later.
func (u upload) abort(ctx context.Context, uploadID *string) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	for aborts := 1; ; aborts++ {
		if _, err := u.s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
			Bucket: &u.s.bucket, Key: &u.key, UploadId: uploadID,
		}); err != nil && !isNoSuchUpload(err) {
			return fmt.Errorf("abort multipart upload: %w", err)
		}
		gone := true
		for _, pause := range []time.Duration{100 * time.Millisecond, time.Second} {
			select {
			case <-time.After(pause):
			case <-actx.Done():
				return fmt.Errorf("check the aborted multipart upload is gone: %w", actx.Err())
			}
			_, err := u.s.client.ListParts(actx, &s3.ListPartsInput{
				Bucket: &u.s.bucket, Key: &u.key, UploadId: uploadID, MaxParts: aws.Int32(1),
			})
			if err == nil {
				gone = false
				break
			}
			if !isNoSuchUpload(err) {
				return fmt.Errorf("check the aborted multipart upload is gone: %w", err)
			}
		}
		if gone {
			return nil
		}
		if aborts == 3 {
			return fmt.Errorf("multipart upload %s still listed after %d aborts", aws.ToString(uploadID), aborts)
		}
	}
}

// isNoSuchUpload reports whether err is S3's answer for an upload ID that
// is not (or no longer) there.
func isNoSuchUpload(err error) bool {
	var noSuchUpload *types.NoSuchUpload
	var apiErr smithy.APIError
	return errors.As(err, &noSuchUpload) || errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchUpload"
}

// setDigest copies a freshly uploaded object onto itself with its digest in
// the metadata. If that fails the object is deleted: a failed Save leaves
// nothing behind.
func (u upload) setDigest(ctx context.Context, digest string) (string, error) {
	out, err := u.s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            &u.s.bucket,
		Key:               &u.key,
		CopySource:        aws.String(url.PathEscape(u.s.bucket) + "/" + escapeKey(u.key)),
		MetadataDirective: types.MetadataDirectiveReplace,
		ContentType:       &u.contentType,
		ContentEncoding:   nilIfEmpty(u.encoding),
		Metadata:          u.metadata(digest),
	})
	if err == nil {
		if out.CopyObjectResult == nil {
			return "", nil
		}
		return aws.ToString(out.CopyObjectResult.ETag), nil
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	if _, derr := u.s.client.DeleteObject(dctx, &s3.DeleteObjectInput{Bucket: &u.s.bucket, Key: &u.key}); derr != nil {
		return "", errors.Join(fmt.Errorf("store digest: %w", err), fmt.Errorf("delete object without digest: %w", derr))
	}
	return "", fmt.Errorf("store digest: %w", err)
}

// escapeKey URL-encodes a key for x-amz-copy-source, keeping slashes.
func escapeKey(key string) string {
	return quote(key, "/")
}
