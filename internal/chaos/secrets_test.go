package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
)

func randomSecret(what string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "chaos-" + what + "-" + hex.EncodeToString(b)
}

// The worker and the CLI are run with known secret values through the
// paths where secrets leak in practice (a URL that cannot be parsed or
// reached, refused credentials, a configuration error, a storage that
// does not answer) and with a good configuration; every byte they write is
// kept, and TestMain fails the package if any secret value appears in
// the output of any process any test ran.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	st := newStack(t, true)
	s3Secret, dbPassword, uiPassword, gpgPassphrase := randomSecret("s3"), randomSecret("db"), randomSecret("ui"), randomSecret("gpg")
	outputs.secret("DBBACKUP_GPG_PASSPHRASE", gpgPassphrase)
	outputs.secret("AWS_SECRET_ACCESS_KEY", s3Secret)
	outputs.secret("the database password in DATABASE_URL", dbPassword)
	outputs.secret("WORKER_UI_PASSWORD", uiPassword)

	// A role with a password in this test's database. The test bed trusts
	// loopback connections, so the password is carried, not checked: what
	// matters is that it is in the URL every process gets.
	role := "chaos_" + strings.ReplaceAll(randomSecret("r")[8:20], "-", "")
	admin, err := pgx.Connect(context.Background(), testbed.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(context.Background(), fmt.Sprintf("CREATE ROLE %s LOGIN SUPERUSER PASSWORD %s", pgx.Identifier{role}.Sanitize(), quoteLiteral(dbPassword))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize())
	})
	u, err := url.Parse(st.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, dbPassword)
	goodDB := u.String()

	base := st.env.clone()
	base["DATABASE_URL"] = goodDB
	base["AWS_SECRET_ACCESS_KEY"] = s3Secret // not the server's: refused
	base["WORKER_UI_USER"], base["WORKER_UI_PASSWORD"] = "admin", uiPassword
	base["DBBACKUP_GPG_PASSPHRASE"] = gpgPassphrase
	with := func(kv ...string) env {
		e := base.clone()
		for i := 0; i < len(kv); i += 2 {
			e[kv[i]] = kv[i+1]
		}
		return e
	}
	unreachable := *u
	unreachable.Host = "127.0.0.1:1"

	cases := []struct {
		name string
		env  env
	}{
		{"database unreachable", with("DATABASE_URL", unreachable.String())},
		{"database URL unparsable", with("DATABASE_URL", "postgres://"+role+":"+dbPassword+"@127.0.0.1:notaport/db")},
		{"database URL with a bad option", with("DATABASE_URL", goodDB+"&sslmode=bogus")},
		{"database does not exist", with("DATABASE_URL", strings.Replace(goodDB, u.Path, "/no_such_db", 1))},
		{"configuration invalid", with("AWS_QUERYSTRING_EXPIRE", "-5", "USE_CLOUD_STORAGE", "yes", "WORKER_UI_ADDR", "0.0.0.0:1")},
		{"storage unreachable", with("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:1")},
		{"storage refuses the credentials", base},
	}
	for _, c := range cases {
		// The worker: it fails at start, or starts and is stopped.
		p := spawnWorker(t, c.env)
		_, started := p.AwaitLog("worker started")
		if started {
			p.Stop()
		}
		if !started && !p.HasLog(`"level":"ERROR"`) {
			t.Errorf("%s: the worker logged no error, so the scan proves nothing for this path:\n%s", c.name, strings.Join(p.Log(), "\n"))
		}
		// The CLI: enqueueing, following a job, and signing a URL.
		cli(t, c.env, "ocr", "scans/secret-test.pdf", "--json")
		cli(t, c.env, "url", "scans/secret-test.pdf")
		cli(t, c.env, "status", "1", "--json")
	}
	// Give the worker a job whose storage request is refused, where a
	// worker could log its request signing: wait for its end. A worker
	// refused at start does not start, so it starts on a bucket of its own
	// (a folder of versitygw's root) that is removed under it.
	srv := testbed.S3Server(t)
	bucket := strings.ToLower(randomSecret("bucket")[:30])
	if srv.Dir == "" {
		t.Fatal("TEST_S3_DIR is not set: the test removes a bucket under a running worker")
	}
	if err := os.Mkdir(filepath.Join(srv.Dir, bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(filepath.Join(srv.Dir, bucket)) })
	vanishing := base.clone()
	vanishing["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
	vanishing["AWS_STORAGE_BUCKET_NAME"] = bucket
	p := spawnWorker(t, vanishing)
	if _, ok := p.AwaitLog("worker started"); !ok {
		t.Fatalf("the worker did not start on bucket %s:\n%s", bucket, strings.Join(p.Log(), "\n"))
	}
	if err := os.RemoveAll(filepath.Join(srv.Dir, bucket)); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.AwaitLog("worker started"); ok {
		// The backup hands DATABASE_URL, password included, to pg_dump.
		for _, c := range []struct{ kind, command, name string }{
			{"ocr_document", "ocr", "scans/secret-test-2.jpg"},
			{"passport_mrz", "passport", "scans/secret-test-2.jpg"},
			{"backup_db", "backup", ""},
		} {
			if !slices.Contains(p.Kinds(), c.kind) {
				continue
			}
			args := []string{c.command}
			if c.name != "" {
				args = append(args, c.name)
			}
			code, stdout, _ := cli(t, vanishing, args...)
			if code == 0 {
				waitAttempted(t, st, strings.TrimSpace(stdout))
			}
		}
		p.Stop()
	}
	if leaks := outputs.secretLeaks(); len(leaks) > 0 {
		t.Errorf("secret values in process output:\n  %s", strings.Join(leaks, "\n  "))
	}
}

// waitAttempted waits until the job has been attempted (or snoozed) at least once, or
// for a minute (a kind without a worker in this build is never attempted).
func waitAttempted(t *testing.T, st *stack, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		// A job the storage refused is snoozed: worked, but its attempt
		// given back.
		var attempted bool
		if err := st.pool.QueryRow(context.Background(), "SELECT attempt > 0 OR metadata ? 'snoozes' FROM river_job WHERE id = $1", id).Scan(&attempted); err != nil {
			t.Fatal(err)
		}
		if attempted {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The health and metrics endpoint listens on loopback unless told
// otherwise, and the worker's temp folder is private to its user.
func TestSafeDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(cfg.Worker.HTTPAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Errorf("WORKER_HTTP_ADDR defaults to %q, want a loopback address", cfg.Worker.HTTPAddr)
	}

	st := newStack(t, false)
	w := startWorkerWithKinds(t, st.env)
	tmp := st.env["WORKER_TMPDIR"]
	err = filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode().Perm()
		switch {
		case path == tmp: // made by the test
		case d.IsDir() && mode != 0o700, !d.IsDir() && mode != 0o600:
			t.Errorf("%s has mode %o, want 0700 for folders and 0600 for files", path, mode)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Stop()
}

// The scan finds a secret wherever it is in a line, and only there.
func TestLogbookFindsSecrets(t *testing.T) {
	t.Parallel()
	var l logbook
	l.secret("the password", "hunter2-xyz")
	l.add("worker", `{"msg":"connect","url":"postgres://u:hunter2-xyz@db/x"}`)
	l.add("enqueue", "enqueue: database: DATABASE_URL cannot be parsed")
	leaks := l.secretLeaks()
	if len(leaks) != 1 || !strings.HasPrefix(leaks[0], "the password in worker:") {
		t.Errorf("leaks %q, want the one in the worker's line", leaks)
	}
}

// quoteLiteral quotes s as a SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Presigned URLs live at most 7 days: AWS_QUERYSTRING_EXPIRE=604800 is
// signed as asked, one second more is refused at start, naming the
// variable.
func TestPresignedExpiryBounded(t *testing.T) {
	t.Parallel()
	st := newStack(t, true)
	e := st.env.clone()
	e["AWS_QUERYSTRING_EXPIRE"] = "604800"
	code, stdout, stderr := cli(t, e, "url", "scans/a.pdf")
	if code != 0 || !strings.Contains(stdout, "X-Amz-Expires=604800") {
		t.Errorf("7 days: exit %d, URL %q (stderr %q), want X-Amz-Expires=604800", code, stdout, stderr)
	}
	for _, bad := range []string{"604801", "0", "31536000"} {
		e["AWS_QUERYSTRING_EXPIRE"] = bad
		code, stdout, stderr := cli(t, e, "url", "scans/a.pdf")
		if code == 0 || stdout != "" || !strings.Contains(stderr, "AWS_QUERYSTRING_EXPIRE") {
			t.Errorf("AWS_QUERYSTRING_EXPIRE=%s: exit %d, stdout %q, stderr %q; want a refusal naming the variable", bad, code, stdout, stderr)
		}
		p := spawnWorker(t, e)
		if c := p.Wait(); c == 0 || !p.HasLog("AWS_QUERYSTRING_EXPIRE") {
			t.Errorf("worker with AWS_QUERYSTRING_EXPIRE=%s: exit %d, want a refusal naming the variable", bad, c)
		}
	}
}
