package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
)

// Health reuses a result until it is older than its TTL, and a Recheck
// looks again at once: a bucket deleted under a running worker is seen by
// the next check after the cached one.
func TestHealthCachesChecks(t *testing.T) {
	t.Parallel()
	srv := testbed.S3Server(t)
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	bucket := "health-" + hex.EncodeToString(b)
	s, err := NewS3(ctx, config.Storage{
		UseCloudStorage: true, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
		Bucket: bucket, EndpointURL: srv.Endpoint, Region: "auto", QuerystringExpire: 3600,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	h, err := NewHealth(s, "web1")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Err(ctx); err != nil {
		t.Fatalf("healthy bucket: %v", err)
	}
	if _, err := s.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if err := h.Err(ctx); err != nil {
		t.Errorf("within the TTL the cached result changed: %v", err)
	}
	if err := h.Recheck(ctx); !IsUnavailable(err) {
		t.Errorf("Recheck after the bucket was deleted: %v, want unavailable", err)
	}
	if err := h.Err(ctx); !IsUnavailable(err) {
		t.Errorf("Err after a failed Recheck: %v", err)
	}
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.client.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: &bucket}) })
	h.ttl = 0 // the result has expired
	if err := h.Err(ctx); err != nil {
		t.Errorf("expired result not checked again: %v", err)
	}
	// A caller that gives up does not record a failure.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := h.Err(cancelled); err != nil {
		t.Errorf("a cancelled caller recorded %v", err)
	}
}
