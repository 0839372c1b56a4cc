package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
)

// The digest computed for the metadata is signed as the payload's hash: a
// body that does not match it is refused by the server, not stored.
func TestPutSignsDigest(t *testing.T) {
	t.Parallel()
	bed := testbed.S3Server(t)
	s, err := NewS3(context.Background(), config.Storage{
		AccessKeyID: bed.AccessKey, SecretAccessKey: bed.SecretKey, Bucket: bed.Bucket,
		EndpointURL: bed.Endpoint, Region: "auto", Location: "signdigest",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := []byte("the scanned passport")
	sum := sha256.Sum256(body)
	wrong := sha256.Sum256([]byte("something else"))
	tests := []struct {
		name, digest string
		ok           bool
	}{
		{"passports/right é.pdf", hex.EncodeToString(sum[:]), true},
		{"passports/wrong.pdf", hex.EncodeToString(wrong[:]), false},
	}
	for _, tt := range tests {
		u := upload{s: s, key: "signdigest/" + tt.name, contentType: "application/pdf"}
		etag, err := u.put(ctx, bytes.NewReader(body), int64(len(body)), tt.digest)
		info, statErr := s.Stat(ctx, tt.name)
		if tt.ok {
			if err != nil || statErr != nil || info.Digest != tt.digest || info.Size != int64(len(body)) || etag == "" || info.ETag != etag {
				t.Errorf("%s: put %v (ETag %q), stat %+v, %v; want stored with its digest and the ETag put returned", tt.name, err, etag, info, statErr)
			}
			continue
		}
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "sha256") || statErr == nil {
			t.Errorf("%s: put %v, stat %v; want the server to refuse a body that does not match its signed digest", tt.name, err, statErr)
		}
	}
}

// A caller that already hashed the file hands the digest to Save: it is
// stored (with the file's modification time) without the body being read
// twice, and a digest that does not match the body stores nothing.
func TestSaveWithKnownDigest(t *testing.T) {
	t.Parallel()
	bed := testbed.S3Server(t)
	s, err := NewS3(context.Background(), config.Storage{
		AccessKeyID: bed.AccessKey, SecretAccessKey: bed.SecretKey, Bucket: bed.Bucket,
		EndpointURL: bed.Endpoint, Region: "auto", Location: "knowndigest",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := []byte("the scanned visa")
	sum := sha256.Sum256(body)
	wrong := sha256.Sum256([]byte("another visa"))
	mtime := time.Date(2024, 3, 1, 10, 30, 0, 123456789, time.UTC)
	tests := []struct {
		name, digest string
		ok           bool
	}{
		{"visas/right.pdf", hex.EncodeToString(sum[:]), true},
		{"visas/wrong.pdf", hex.EncodeToString(wrong[:]), false},
	}
	for _, tt := range tests {
		_, err := s.Save(ctx, tt.name, bytes.NewReader(body), SaveOptions{Replace: true, Size: int64(len(body)), Digest: tt.digest, SourceModTime: mtime})
		info, statErr := s.Stat(ctx, tt.name)
		if !tt.ok {
			if err == nil || statErr == nil {
				t.Errorf("%s: save %v, stat %v; want the save refused and nothing stored", tt.name, err, statErr)
			}
			continue
		}
		if err != nil || statErr != nil {
			t.Fatalf("%s: save %v, stat %v", tt.name, err, statErr)
		}
		if info.Digest != tt.digest || !info.SourceModTime.Equal(mtime) {
			t.Errorf("%s: stat digest %s, source mtime %v; want %s, %v", tt.name, info.Digest, info.SourceModTime, tt.digest, mtime)
		}
	}
}
