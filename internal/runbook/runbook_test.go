// Package runbook_test runs the procedures of docs/runbook.md as written
// against the test bed: the blocks marked <!-- check: ID --> are pasted, in
// the order of a real rollout, into one bash session, with fixtures in
// between that play Django (a table naming files, uploads, an accident) and
// checks that the procedure did what the runbook says.
package runbook_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/jobs"
)

var checkBlock = regexp.MustCompile("(?s)<!-- check: ([a-z0-9-]+) -->\\s*\\n([ \\t]*)```sh\\n(.*?)\\n[ \\t]*```")

// blocks returns the marked blocks of the runbook by id, unindented.
func blocks(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range checkBlock.FindAllStringSubmatch(string(raw), -1) {
		id, indent, body := m[1], m[2], m[3]
		if _, dup := out[id]; dup {
			t.Fatalf("runbook: two blocks marked %q", id)
		}
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			lines = append(lines, strings.TrimPrefix(l, indent))
		}
		out[id] = strings.Join(lines, "\n")
	}
	return out
}

// step is a runbook block (doc) or a fixture of this test (fixture), run in
// that order in one shell.
type step struct {
	doc, fixture string
}

// The rollout: deploy, migrate (dry run, run, verify, switch, rotate the
// keys, roll back), back up and restore, drain. Fixtures play Django.
var rollout = []step{
	{doc: "testbed"},
	{fixture: `trap 'for f in "$WORKER_TMPDIR"/worker*.pid; do kill -KILL "$(cat "$f")" 2>/dev/null || true; done' EXIT`},
	{doc: "deploy"},
	{fixture: `
		test "$(curl -s -o /dev/null -w '%{http_code}' "$UI/api/jobs")" = 401
		# Django's table and files: two on disk, one row naming a file that is not there.
		psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "CREATE TABLE crm_passport (id serial PRIMARY KEY, scan varchar(100) NOT NULL DEFAULT '')" \
		  -c "INSERT INTO crm_passport (scan) VALUES ('passports/0001.jpg'), ('passports/0003.jpg'), ('passports/gone.jpg'), ('')"
		mkdir -p "$MEDIA_ROOT/passports"
		head -c 300000 /dev/urandom >"$MEDIA_ROOT/passports/0001.jpg"
		head -c 1000 /dev/urandom >"$MEDIA_ROOT/passports/0003.jpg"
		export MIGRATE_FILE_FIELDS=crm_passport.scan`},
	{doc: "migrate-prepare"},
	{fixture: `
		curl -sf -u "$WORKER_UI_USER:$WORKER_UI_PASSWORD" "$UI/api/queues/ocr" | jq -e '.paused_at != null'`},
	{doc: "migrate-dry-run"},
	{fixture: `
		jq -e '.state == "completed" and .output.dry_run == true and .output.uploaded == 0 and .output.pending == 2 and .output.missing == 1 and .output.missing_names == ["passports/gone.jpg"]' "$WORKER_TMPDIR/dry-run.json"
		test ! -e "$TEST_S3_DIR/$TEST_S3_BUCKET/passports/0001.jpg"`},
	{doc: "migrate-run"},
	{fixture: `
		jq -e '.state == "completed" and .output.rows == 3 and .output.uploaded == 2 and .output.missing == 1 and .output.failed == 0 and .output.bytes == 301000 and .output.planned_bytes == 301000' "$WORKER_TMPDIR/run.json"
		cmp "$MEDIA_ROOT/passports/0001.jpg" "$TEST_S3_DIR/$TEST_S3_BUCKET/passports/0001.jpg"
		metrics=$(curl -sf "http://127.0.0.1:$((PORT_BASE + 1))/metrics")
		grep -qx 'worker_migration_rows{state="done"} 3' <<<"$metrics"
		grep -qx 'worker_migration_rows{state="planned"} 3' <<<"$metrics"
		grep -qx 'worker_migration_bytes_uploaded 301000' <<<"$metrics"
		grep -qx 'worker_migration_bytes{state="planned"} 301000' <<<"$metrics"
		grep -qx 'worker_migration_bytes{state="done"} 301000' <<<"$metrics"`},
	{doc: "migrate-verify"},
	{fixture: `
		jq -e '.output.skipped == 2 and .output.skipped_bytes == 301000 and .output.bytes == 0' "$WORKER_TMPDIR/verify.json"
		# Django saves a file to disk just before the switch: the switch's run copies it.
		head -c 5000 /dev/urandom >"$MEDIA_ROOT/passports/0004.jpg"
		psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "INSERT INTO crm_passport (scan) VALUES ('passports/0004.jpg')"`},
	{doc: "migrate-switch"},
	{fixture: `
		cmp "$MEDIA_ROOT/passports/0004.jpg" "$TEST_S3_DIR/$TEST_S3_BUCKET/passports/0004.jpg"
		curl -sf -u "$WORKER_UI_USER:$WORKER_UI_PASSWORD" "$UI/api/queues/ocr" | jq -e '.paused_at == null'`},
	{doc: "rotate-verify"},
	{fixture: `
		# After the switch Django saves a file to the bucket only.
		head -c 7000 /dev/urandom >"$WORKER_TMPDIR/0002.jpg"
		curl -sf -o /dev/null -X PUT -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:auto:s3" \
		  --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" --data-binary "@$WORKER_TMPDIR/0002.jpg" \
		  "$AWS_S3_ENDPOINT_URL/$AWS_STORAGE_BUCKET_NAME/passports/0002.jpg"
		test ! -e "$MEDIA_ROOT/passports/0002.jpg"`},
	{doc: "migrate-rollback"},
	{fixture: `
		cmp "$MEDIA_ROOT/passports/0002.jpg" "$WORKER_TMPDIR/0002.jpg"
		test -e "$MEDIA_ROOT/passports/0001.jpg" -a -e "$MEDIA_ROOT/passports/0004.jpg"`},
	{doc: "backup"},
	{fixture: `
		ls "$MEDIA_ROOT/backups/" | grep -Eq '^default-.+-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}\.psql\.bin\.gz$'
		# The backup alert's metric sees it, and not the verification.
		metrics=$(curl -sf "http://127.0.0.1:$((PORT_BASE + 1))/metrics")
		age=$(awk '$1 == "worker_backup_newest_age_seconds" {print int($2)}' <<<"$metrics")
		test -n "$age" && test "$age" -lt 600
		# The accident.
		psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "DELETE FROM crm_passport WHERE scan LIKE 'passports/000%'"
		stop_worker 2`},
	{doc: "restore"},
	{fixture: `
		test "$(psql -tA "$DATABASE_URL" -c "SELECT count(*) FROM crm_passport WHERE scan LIKE 'passports/000%'")" = 3
		start_worker 2`},
	{doc: "drain"},
	{fixture: `
		test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((PORT_BASE + 2))/readyz" || true)" = 000
		stop_worker 1`},
}

// requireKinds fails the test, naming them, when the worker does not work
// the kinds the procedures need.
func requireKinds(t *testing.T, kinds ...string) {
	t.Helper()
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://localhost/app", "MEDIA_ROOT": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := jobs.Register(jobs.Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, want := range kinds {
		if !slices.ContainsFunc(reg.Kinds, func(k jobs.Kind) bool { return k.Name == want }) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the worker does not work %s jobs yet (jobs.Register): the runbook's migration and restore procedures need them", strings.Join(missing, ", "))
	}
}

func TestRunbookProcedures(t *testing.T) {
	testbed.Require(t, "TEST_DATABASE_URL", "TEST_S3_ENDPOINT", "TEST_S3_DIR")
	requireKinds(t, jobs.KindMigrateFiles, jobs.KindMigrateFilesBatch, jobs.KindBackupDB, jobs.KindRestoreDB)
	docs := blocks(t)
	var script strings.Builder
	script.WriteString("set -euo pipefail\ntrap 'echo \"failed: $BASH_COMMAND (status $?)\"' ERR\ncd ../..\n")
	used := map[string]bool{}
	name := "start"
	for _, s := range rollout {
		body := docs[s.doc]
		if s.doc == "" {
			name, body = "checks after "+name, s.fixture
		} else if name = s.doc; body == "" {
			t.Fatalf("docs/runbook.md has no block marked <!-- check: %s -->", s.doc)
		}
		used[s.doc] = true
		fmt.Fprintf(&script, "echo '::step %s'\n%s\n", name, body)
	}
	for id := range docs {
		if !used[id] {
			t.Errorf("docs/runbook.md marks block %q, which no step runs", id)
		}
	}
	script.WriteString("echo '::done'\n")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Env = append(os.Environ(), "PAGER=cat")
	out, err := cmd.CombinedOutput()

	// Report the step that failed with what it printed.
	step, lines := "", map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	done := false
	for sc.Scan() {
		l := sc.Text()
		if name, ok := strings.CutPrefix(l, "::step "); ok {
			step = name
			continue
		}
		if l == "::done" {
			done = true
			continue
		}
		lines[step] = append(lines[step], l)
	}
	if err != nil || !done {
		t.Fatalf("runbook step %q failed (%v):\n%s", step, err, strings.Join(lines[step], "\n"))
	}
	t.Logf("runbook output:\n%s", out)
}
