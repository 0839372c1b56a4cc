package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/testbed"
)

// s3Env points the daemon at the test bed's versitygw.
func s3Env(t *testing.T, vars env) env {
	srv := testbed.S3Server(t)
	vars["USE_CLOUD_STORAGE"] = "True"
	vars["AWS_ACCESS_KEY_ID"] = srv.AccessKey
	vars["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
	vars["AWS_STORAGE_BUCKET_NAME"] = srv.Bucket
	vars["AWS_S3_ENDPOINT_URL"] = srv.Endpoint
	vars["AWS_LOCATION"] = "worker-check"
	return vars
}

// A storage the worker cannot use stops it at start with one log line that
// names the problem; the right one lets it start.
func TestStartChecksStorage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wrongSecret := "wrong-secret-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	tests := []struct {
		name string
		edit func(env)
		want string // in the one error line; "" means the worker starts
	}{
		{"s3 healthy", func(env) {}, ""},
		{"s3 wrong secret", func(v env) { v["AWS_SECRET_ACCESS_KEY"] = wrongSecret }, "AWS_SECRET_ACCESS_KEY"},
		{"s3 missing bucket", func(v env) { v["AWS_STORAGE_BUCKET_NAME"] = "no-such-bucket" }, "no-such-bucket"},
		{"local missing media root", func(v env) {
			v["USE_CLOUD_STORAGE"] = "False"
			v["MEDIA_ROOT"] = filepath.Join(t.TempDir(), "unmounted")
		}, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := s3Env(t, baseEnv(t, b.dbURL))
			tt.edit(vars)
			if tt.want == "" {
				p, base := startWorker(t, vars)
				p.WaitLog("storage check passed")
				// A first start on an empty backup folder: the catch-up is a
				// logged decision.
				p.WaitLog("backup catch-up: no backup in the folder yet: a full pg_dump runs now on the leader (BACKUP_CATCH_UP=False turns this off)")
				if code, body := get(t, base+"/readyz"); code != 200 {
					t.Errorf("/readyz: %d %s", code, body)
				}
				p.Stop()
				return
			}
			p := startProc(t, vars)
			if code := p.Wait(); code != exitError {
				t.Fatalf("exit %d, want %d", code, exitError)
			}
			var errs []string
			for _, line := range p.Log() {
				if strings.Contains(line, `"level":"ERROR"`) {
					errs = append(errs, line)
				}
				if strings.Contains(line, wrongSecret) {
					t.Errorf("the secret is in the log: %s", line)
				}
			}
			if len(errs) != 1 || !strings.Contains(errs[0], "storage check") || !strings.Contains(errs[0], tt.want) {
				t.Errorf("want one error line naming the storage check and %q, got:\n%s", tt.want, strings.Join(errs, "\n"))
			}
			if strings.Contains(strings.Join(p.Log(), "\n"), "worker started") {
				t.Error("the worker started anyway")
			}
		})
	}
}

// A pg_dump older than the server stops the worker at start, naming both
// and the build argument that fixes the image.
func TestStartRefusesOlderPgDump(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vars := baseEnv(t, b.dbURL)
	// The only stand-in in this test: the machine has no older client.
	bin := t.TempDir()
	script := "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n"
	if err := os.WriteFile(filepath.Join(bin, "pg_dump"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	vars["PATH"] = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	p := startProc(t, vars)
	if code := p.Wait(); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	log := strings.Join(p.Log(), "\n")
	for _, want := range []string{"pg_dump (PostgreSQL) 9.6.24", "older than the database server", "PG_MAJOR="} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}

// A bucket removed under a running worker: /readyz says so at once after a
// job met it, the job waits (snoozed, no attempt used, no error recorded)
// instead of burning its attempts, and once the bucket is back the job
// completes and the worker is ready again.
func TestJobsWaitForStorage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := testbed.S3Server(t)
	if srv.Dir == "" {
		t.Fatal("TEST_S3_DIR is not set: the test removes a bucket under the worker")
	}
	bucket := "vanishing-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	dir := filepath.Join(srv.Dir, bucket)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	vars := s3Env(t, baseEnv(t, b.dbURL))
	vars["AWS_STORAGE_BUCKET_NAME"] = bucket
	vars["AWS_LOCATION"] = ""
	p, base := startWorker(t, vars)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	id := b.insert(t, storeArgs{Name: "probe/a.txt"})
	p.WaitLog("storage unavailable: the job waits for it without using an attempt")
	job := b.waitState(t, id, rivertype.JobStateScheduled)
	if job.Attempt != 0 || len(job.Errors) != 0 || !strings.Contains(string(job.Metadata), `"snoozes"`) {
		t.Errorf("snoozed job: attempt %d, errors %v, metadata %s; want no attempt used and no error", job.Attempt, job.Errors, job.Metadata)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "NoSuchBucket") {
		t.Errorf("/readyz with the bucket gone: %d %q, want 503 naming NoSuchBucket", code, body)
	}
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, `worker_jobs_failed_total{kind="test_store",reason="snoozed"}`) {
		t.Error("no snoozed attempt in worker_jobs_failed_total")
	}

	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	job = b.waitState(t, id, rivertype.JobStateCompleted, rivertype.JobStateDiscarded, rivertype.JobStateCancelled)
	if job.State != rivertype.JobStateCompleted || job.Attempt != 1 || len(job.Errors) != 0 {
		t.Errorf("after the bucket came back: %s at attempt %d, errors %v", job.State, job.Attempt, job.Errors)
	}
	if _, err := os.Stat(filepath.Join(dir, "probe", "a.txt")); err != nil {
		t.Errorf("the file is not in the bucket: %v", err)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz with the bucket back: %d %q", code, body)
	}
	p.Stop()
}

// BACKUP_CATCH_UP=False: the start says that only the schedule backs up.
func TestStartLogsCatchUpOff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vars := baseEnv(t, b.dbURL)
	vars["BACKUP_CATCH_UP"] = "False"
	p, _ := startWorker(t, vars)
	p.WaitLog("backup catch-up off (BACKUP_CATCH_UP=False): only the schedule makes backups")
	p.Stop()
}
