// Package testbed hands tests the services that scripts/testbed.sh started:
// a private PostgreSQL and a versitygw S3 server. A test whose service is
// missing fails when CI=true and is skipped otherwise, so CI never passes a
// test that did not run.
package testbed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// S3 is the versitygw server's address and credentials.
type S3 struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	// Bucket exists already; tests that need isolation use prefixes or
	// create their own buckets.
	Bucket string
	// Dir is versitygw's posix root, for tests that inspect what landed.
	Dir string
}

// Require returns the named environment variables, or stops the test: a
// failure under CI, a skip elsewhere.
func Require(t testing.TB, names ...string) []string {
	t.Helper()
	values := make([]string, len(names))
	for i, name := range names {
		values[i] = os.Getenv(name)
		if values[i] == "" {
			msg := name + " is not set: run the tests through `make test`, which starts the test bed"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return values
}

// S3Server returns the test bed's S3 server.
func S3Server(t testing.TB) S3 {
	t.Helper()
	v := Require(t, "TEST_S3_ENDPOINT", "TEST_S3_ACCESS_KEY", "TEST_S3_SECRET_KEY", "TEST_S3_BUCKET")
	return S3{Endpoint: v[0], AccessKey: v[1], SecretKey: v[2], Bucket: v[3], Dir: os.Getenv("TEST_S3_DIR")}
}

// PostgresURL returns the URL of the test bed's server, on its maintenance
// database. Most tests want NewDatabase instead.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return Require(t, "TEST_DATABASE_URL")[0]
}

// NewDatabase creates an empty database for this test alone and drops it
// when the test ends. It returns the database's URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := PostgresURL(t)
	name := "test_" + randomHex(8)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testbed: connect to postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testbed: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("testbed: connect to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testbed: drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testbed: TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
