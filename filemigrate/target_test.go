package filemigrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"testing"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

// s3Config is the storage settings of the test bed's versitygw, with a
// location of the test's own so that tests do not see each other's keys.
func s3Config(t *testing.T, endpoint string) config.Storage {
	t.Helper()
	s3 := testbed.S3Server(t)
	if endpoint == "" {
		endpoint = s3.Endpoint
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	cfg, err := config.LoadFrom(map[string]string{
		"DATABASE_URL": "postgres://unused@localhost/unused", "USE_CLOUD_STORAGE": "True",
		"AWS_ACCESS_KEY_ID": s3.AccessKey, "AWS_SECRET_ACCESS_KEY": s3.SecretKey,
		"AWS_STORAGE_BUCKET_NAME": s3.Bucket, "AWS_S3_ENDPOINT_URL": endpoint,
		"AWS_LOCATION": "filemigrate-" + hex.EncodeToString(b),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Storage
}

// newTarget returns the S3 storage files are copied to, and a function that
// reads an object back by its key relative to the test's location.
func newTarget(t *testing.T) (located, func(name string) ([]byte, error)) {
	t.Helper()
	return newTargetAt(t, "")
}

// located is a storage that says its AWS_LOCATION, so that tests can find
// the keys on versitygw's disk.
type located struct {
	*storage.S3
	location string
}

func (l located) Location() string { return l.location }

func newTargetAt(t *testing.T, endpoint string) (located, func(name string) ([]byte, error)) {
	t.Helper()
	cfg := s3Config(t, endpoint)
	// Objects are read back without the proxy, when there is one.
	readCfg := cfg
	readCfg.EndpointURL = testbed.S3Server(t).Endpoint
	read, err := storage.New(context.Background(), readCfg)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return located{store, cfg.Location}, func(name string) ([]byte, error) {
		r, err := read.Open(context.Background(), name)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
}
