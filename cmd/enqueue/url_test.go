package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

func TestURLLocal(t *testing.T) {
	t.Parallel()
	media := t.TempDir()
	if err := os.MkdirAll(filepath.Join(media, "passports"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(media, "passports", "a b.pdf"), []byte("%PDF"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": "postgres://app@127.0.0.1:1/app", "MEDIA_ROOT": media, "MEDIA_URL": "/media/"}
	tests := []struct {
		name, stdout, stderr string
		code                 int
	}{
		{"passports/a b.pdf", "/media/passports/a%20b.pdf\n", "", exitOK},
		{"passports/missing.pdf", "/media/passports/missing.pdf\n", `"passports/missing.pdf" is not in storage`, exitOK},
		{"../etc/passwd", "", "suspicious", exitUsage},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"url", tt.name}, env, &streams{stdout: &stdout, stderr: &stderr})
		if code != tt.code || stdout.String() != tt.stdout || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("url %q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.name, code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
		}
	}
}

// The bucket's presigned URL really serves the file.
func TestURLBucket(t *testing.T) {
	t.Parallel()
	s3 := testbed.S3Server(t)
	env := map[string]string{
		"DATABASE_URL":            "postgres://app@127.0.0.1:1/app",
		"USE_CLOUD_STORAGE":       "True",
		"AWS_ACCESS_KEY_ID":       s3.AccessKey,
		"AWS_SECRET_ACCESS_KEY":   s3.SecretKey,
		"AWS_STORAGE_BUCKET_NAME": s3.Bucket,
		"AWS_S3_ENDPOINT_URL":     s3.Endpoint,
		// Fresh each run: the test bed's bucket outlives a run, and the
		// first check wants the object missing.
		"AWS_LOCATION": fmt.Sprintf("enqueue-url-test-%d", time.Now().UnixNano()),
	}
	var stdout, stderr bytes.Buffer
	name := "passports/scan 1.jpg"
	code := run(context.Background(), []string{"url", name}, env, &streams{stdout: &stdout, stderr: &stderr})
	if code != exitOK || !strings.Contains(stderr.String(), "is not in storage") {
		t.Fatalf("url of a missing object: exit %d, stderr %q", code, stderr.String())
	}

	b := setupStorage(t, env)
	if _, err := b.Save(context.Background(), name, strings.NewReader("jpeg bytes"), storage.SaveOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"url", name}, env, &streams{stdout: &stdout, stderr: &stderr}); code != exitOK || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	u := strings.TrimSpace(stdout.String())
	if !strings.Contains(u, "X-Amz-Signature=") || !strings.Contains(u, "/"+s3.Bucket+"/"+env["AWS_LOCATION"]+"/") {
		t.Errorf("URL %s is not a presigned path-style URL under the location", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "jpeg bytes" {
		t.Errorf("GET %s: %d %q", u, resp.StatusCode, body)
	}
}

func setupStorage(t *testing.T, env map[string]string) storage.Storage {
	t.Helper()
	cfg, err := config.LoadFrom(env)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.New(context.Background(), cfg.Storage)
	if err != nil {
		t.Fatal(err)
	}
	return store
}
