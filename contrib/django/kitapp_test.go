package djangokit_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/revisbali/worker/internal/testbed"
)

// project is a fresh `django-admin startproject mysite` that uses the kit
// as contrib/django/README.md says, with the small app of
// testdata/startproject/papers.
type project struct {
	dir string
	env map[string]string
}

// newProject creates the project in a temporary folder. env is the
// environment of the app (modeEnv's); it gets SCAN_PATH for the app's tests.
func newProject(t *testing.T, env map[string]string) *project {
	t.Helper()
	p := &project{dir: t.TempDir(), env: maps.Clone(env)}
	p.env["SCAN_PATH"] = mustAbs("../../demo/invoice-scan.png")
	// For the worker binary the test mode runs.
	p.env["PASSPORT_TESSDATA_DIR"] = mustAbs("../../tessdata")
	// startproject writes TIME_ZONE = 'UTC'; the environment must say the same.
	p.env["TIME_ZONE"] = "UTC"
	runPython(t, p.env, nil, "-m", "django", "startproject", "mysite", p.dir)

	tail, err := os.ReadFile("testdata/startproject/settings_tail.py")
	if err != nil {
		t.Fatal(err)
	}
	settings := filepath.Join(p.dir, "mysite", "settings.py")
	f, err := os.OpenFile(settings, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(tail); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(p.dir, "papers"), os.DirFS("testdata/startproject/papers")); err != nil {
		t.Fatal(err)
	}
	p.manage(t, "makemigrations", "papers", "--verbosity=0")
	return p
}

// manage runs `manage.py ARGS` in the project and returns its stdout; the
// test fails unless it exits 0.
func (p *project) manage(t *testing.T, args ...string) string {
	t.Helper()
	return p.manageIn(t, p.env, args...)
}

// manageIn is manage with another environment.
func (p *project) manageIn(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	stdout, stderr, err := p.tryManageIn(t, env, args...)
	if err != nil {
		t.Fatalf("manage.py %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// tryManage runs `manage.py ARGS` and returns its output and error.
func (p *project) tryManage(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return p.tryManageIn(t, p.env, args...)
}

func (p *project) tryManageIn(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{"manage.py"}, args...)...)
	cmd.Dir = p.dir
	cmd.Env = pythonEnv(env)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// exitCode is the exit code of a finished command, 0 for no error.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatalf("command did not run: %v", err)
	return -1
}

// TestStartProjectTests: a fresh startproject using the kit passes its own
// `manage.py test`, on both storages: the kit's test runner gives the test
// database River's tables with the real `worker migrate`; the app's tests
// record an enqueued job, have one worked by the real worker binary, run
// tesseract on get_local_file_path's path, and list jobs in the admin.
func TestStartProjectTests(t *testing.T) {
	requirePython(t)
	worker := buildWorker(t)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			env := modeEnv(t, mode.cloud, testbed.NewDatabase(t))
			env["REVISBALI_WORKER_BIN"] = worker
			p := newProject(t, env)
			stdout, stderr, err := p.tryManage(t, "test", "papers", "--verbosity=2", "--noinput")
			if err != nil {
				t.Fatalf("manage.py test: %v\n%s%s", err, stdout, stderr)
			}
			// unittest's report: every test of the app ran, none skipped.
			if !strings.Contains(stderr, "Ran 5 tests") || !strings.Contains(stderr, "\nOK") || strings.Contains(stderr, "skipped") {
				t.Errorf("manage.py test did not run the app's 5 tests:\n%s", stderr)
			}
		})
	}
}

// TestStartProjectMigrateFilesToS3: `manage.py migrate_files_to_s3` in a
// fresh project finds every FileField and ImageField column, enqueues
// exactly those, and with --wait shows the worker's summary and exits as
// `enqueue migrate-files` does on the same migration.
func TestStartProjectMigrateFilesToS3(t *testing.T) {
	requirePython(t)
	worker := buildWorker(t)
	enqueueBin := goBuild(t, "enqueue")
	databaseURL, pool := testbed.NewRiverDatabase(t)
	env := modeEnv(t, false, databaseURL)
	env["REVISBALI_ENQUEUE_BIN"] = enqueueBin
	p := newProject(t, env)
	p.manage(t, "migrate", "--verbosity=0")

	// Three files on disk, a row whose file is gone, one leading outside.
	saved := p.manage(t, "shell", "-c", `
import json
from django.core.files.base import ContentFile
from papers.models import Photo, Scan
a = Scan.objects.create(file=ContentFile(b"scan a" * 1000, name="a.pdf"))
b = Scan.objects.create(file=ContentFile(b"scan b" * 1000, name="b.pdf"))
c = Photo.objects.create(image=ContentFile(b"\x89PNG photo" * 100, name="c.png"))
gone = Scan.objects.create(file="scans/gone.pdf")
outside = Scan.objects.create(file="../outside.pdf")
print(json.dumps([a.file.name, b.file.name, c.image.name]))`)
	var names []string
	if err := json.Unmarshal([]byte(saved), &names); err != nil {
		t.Fatalf("saved %q: %v", saved, err)
	}
	const missing, outside = "scans/gone.pdf", "../outside.pdf"
	wantFields := []string{"papers_photo.image", "papers_scan.file"}

	// Without --wait: the job's id, with exactly the fields of the models.
	for _, tc := range []struct {
		args   []string
		fields []string
		check  bool
	}{
		{[]string{"--dry-run"}, wantFields, false},
		{[]string{"--dry-run", "--model", "papers.ScanProxy"}, []string{"papers_scan.file"}, false},
		{[]string{"--dry-run", "--check-objects"}, wantFields, true},
	} {
		id := strings.TrimSpace(p.manage(t, append([]string{"migrate_files_to_s3"}, tc.args...)...))
		var args struct {
			Fields       []string `json:"fields"`
			DryRun       bool     `json:"dry_run"`
			CheckObjects bool     `json:"check_objects"`
		}
		var raw []byte
		if err := pool.QueryRow(t.Context(), `SELECT args FROM river_job WHERE id = $1 AND kind = 'migrate_files'`, id).Scan(&raw); err != nil {
			t.Fatalf("%v: job %q: %v", tc.args, id, err)
		}
		if err := json.Unmarshal(raw, &args); err != nil || !slices.Equal(args.Fields, tc.fields) || !args.DryRun || args.CheckObjects != tc.check {
			t.Errorf("%v enqueued %s; want fields %q, dry run, check objects %v", tc.args, raw, tc.fields, tc.check)
		}
	}
	if _, err := pool.Exec(t.Context(), `DELETE FROM river_job`); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := p.tryManage(t, "migrate_files_to_s3", "--model", "papers.Nothing"); exitCode(t, err) != 2 || !strings.Contains(stderr, "papers.Nothing") {
		t.Errorf("an unknown model: exit %d, %s", exitCode(t, err), stderr)
	}

	noEnqueue := maps.Clone(p.env)
	noEnqueue["REVISBALI_ENQUEUE_BIN"] = filepath.Join(t.TempDir(), "enqueue")
	if _, stderr, err := p.tryManageIn(t, noEnqueue, "migrate_files_to_s3", "--wait"); exitCode(t, err) != 3 || !strings.Contains(stderr, "REVISBALI_ENQUEUE_BIN") {
		t.Errorf("--wait without the enqueue program: exit %d, %s", exitCode(t, err), stderr)
	}

	cloud := maps.Clone(p.env)
	cloud["USE_CLOUD_STORAGE"] = "True"
	if kinds := startWorker(t, worker, cloud); !slices.Contains(kinds, "migrate_files") {
		t.Fatalf("the worker registers %v, not migrate_files", kinds)
	}
	// The same migration through the CLI, for its exit code.
	cli := func(args ...string) int {
		argv := []string{"migrate-files"}
		for _, f := range wantFields {
			argv = append(argv, "--field", f)
		}
		cmd := exec.CommandContext(t.Context(), enqueueBin, append(argv, args...)...)
		cmd.Env = pythonEnv(p.env)
		out, err := cmd.CombinedOutput()
		t.Logf("enqueue %s: %s", strings.Join(args, " "), out)
		return exitCode(t, err)
	}

	stdout, stderr, err := p.tryManage(t, "migrate_files_to_s3", "--dry-run", "--wait")
	t.Logf("dry run:\n%s%s", stdout, stderr)
	if code, want := exitCode(t, err), cli("--dry-run", "--wait", "--json"); code != want {
		t.Errorf("dry run exited %d, enqueue migrate-files %d", code, want)
	}
	for _, want := range []string{"to copy:  3 file(s)", "missing:  1", "    " + missing, "uploaded: 0 file(s)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the dry run's summary lacks %q", want)
		}
	}
	if !strings.Contains(stderr, "batches:") {
		t.Errorf("no progress shown on stderr:\n%s", stderr)
	}

	stdout, stderr, err = p.tryManage(t, "migrate_files_to_s3", "--wait")
	t.Logf("migration:\n%s%s", stdout, stderr)
	code := exitCode(t, err)
	for _, want := range []string{"uploaded: 3 file(s)", "skipped:  0", "missing:  1", "    " + missing, "refused:  1", "    " + outside, "failed:   0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the migration's summary lacks %q", want)
		}
	}
	if want := cli("--wait", "--json"); code != want {
		t.Errorf("the migration exited %d, enqueue migrate-files %d on the same files", code, want)
	}
	// Again, asking the bucket about every file: nothing to copy.
	stdout, stderr, _ = p.tryManage(t, "migrate_files_to_s3", "--check-objects", "--wait")
	t.Logf("re-run:\n%s%s", stdout, stderr)
	for _, want := range []string{"uploaded: 0 file(s)", "skipped:  3"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the re-run's summary lacks %q", want)
		}
	}

	// Django switched to the bucket reads every file the command moved.
	read := p.manageIn(t, cloud, "shell", "-c", `
import json
from django.core.files.storage import default_storage
print(json.dumps({n: len(default_storage.open(n).read()) for n in `+saved+`}))`)
	var sizes map[string]int
	if err := json.Unmarshal([]byte(read), &sizes); err != nil {
		t.Fatalf("Django on the bucket read %q: %v", read, err)
	}
	for _, name := range names {
		if sizes[name] == 0 {
			t.Errorf("Django on the bucket does not read %s: %v", name, sizes)
		}
	}
}
