package djangokit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
)

// buildWorker builds ./cmd/worker, once for the whole package.
func buildWorker(t *testing.T) string {
	t.Helper()
	return goBuild(t, "worker")
}

// builds holds the programs built for this package's tests, in a folder
// TestMain removes: each is linked once, not once per test.
var builds struct {
	sync.Mutex
	dir  string
	bins map[string]string
}

// goBuild builds ../../cmd/NAME and returns the binary's path.
func goBuild(t *testing.T, name string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if bin, ok := builds.bins[name]; ok {
		return bin
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "djangokit-bin-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir, builds.bins = dir, map[string]string{}
	}
	bin := filepath.Join(builds.dir, name)
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/"+name).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	builds.bins[name] = bin
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
	}
	os.Exit(code)
}

// startWorker runs the worker binary with env until the test ends. It
// returns the kinds the worker registered; none means this build has no job
// kind with a worker yet (the daemon then exits at once).
func startWorker(t *testing.T, bin string, env map[string]string) []string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = pythonEnv(env)
	cmd.Env = append(cmd.Env, "WORKER_HTTP_ADDR=127.0.0.1:0", "WORKER_TMPDIR="+t.TempDir(), "OMP_THREAD_LIMIT=1",
		"WORKER_QUEUE_OCR=1", "WORKER_QUEUE_PASSPORT=1", "PASSPORT_TESSDATA_DIR="+mustAbs("../../tessdata"))
	return runWorker(t, cmd)
}

// startWorkerIn runs the worker binary in dir with only vars and the
// basics (PATH, HOME) in its environment: the rest comes from dir/.env.
func startWorkerIn(t *testing.T, bin, dir string, vars map[string]string) []string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = cleanEnv(vars)
	return runWorker(t, cmd)
}

// runWorker starts cmd, a worker, until the test ends; see startWorker.
func runWorker(t *testing.T, cmd *exec.Cmd) []string {
	t.Helper()
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// The daemon logs JSON lines; wait for "worker started" or its exit.
	started := make(chan []string, 1)
	var tail strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(logs)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			tail.WriteString(line + "\n")
			var rec struct {
				Msg   string   `json:"msg"`
				Kinds []string `json:"kinds"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "worker started" {
				started <- rec.Kinds
			}
		}
		_, _ = io.Copy(io.Discard, logs)
	}()
	exited := make(chan error, 1)
	go func() { <-done; exited <- cmd.Wait() }()

	stopped := false
	t.Cleanup(func() {
		if stopped {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("worker exit: %v\n%s", err, tail.String())
			}
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			t.Errorf("worker did not stop within a minute of SIGTERM\n%s", tail.String())
		}
	})
	select {
	case kinds := <-started:
		return kinds
	case err := <-exited:
		stopped = true
		if strings.Contains(tail.String(), "no job kind has a worker yet") {
			return nil
		}
		t.Fatalf("worker exited at start: %v\n%s", err, tail.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("worker did not start within two minutes\n%s", tail.String())
	}
	return nil
}

// TestUploadOCRedByWorker is the whole road of issue 3 item 5: a Django view
// saves an upload and enqueues its OCR in one transaction, the real worker
// binary reads the file from the same storage and works the job, and Django
// reads the text back by job id. Both storage modes.
func TestUploadOCRedByWorker(t *testing.T) {
	requirePython(t)
	scan, err := os.ReadFile("../../demo/invoice-scan.png")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildWorker(t)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			env := modeEnv(t, mode.cloud, riverDatabase(t))
			env["DJANGO_SETTINGS_MODULE"] = "tests.project.settings"
			runPython(t, env, nil, "-m", "django", "migrate", "--verbosity=0")

			if kinds := startWorker(t, bin, env); !slices.Contains(kinds, "ocr_document") {
				t.Fatalf("the worker binary registers %v, not ocr_document", kinds)
			}

			// A rolled-back upload enqueues nothing the worker could see.
			rolledBack := pyEnqueue(t, env, "ocr_document", `{"name": "documents/never-saved.png"}`, true)

			var up struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
				Job  int64  `json:"job"`
			}
			out := runPython(t, env, scan, "-m", "tests.jobctl", "upload-ocr", "invoice scan.png")
			if err := json.Unmarshal(out, &up); err != nil {
				t.Fatalf("upload-ocr printed %q: %v", out, err)
			}
			r := pyWait(t, env, up.Job)
			if r.State != "completed" {
				t.Fatalf("OCR job %d ended %s: %+v", up.Job, r.State, r.Errors)
			}
			var result struct {
				Name    string `json:"name"`
				Text    string `json:"text"`
				Preview struct {
					Name string `json:"name"`
					URL  string `json:"url"`
				} `json:"preview"`
			}
			if err := json.Unmarshal(r.Output, &result); err != nil {
				t.Fatalf("output %s: %v", r.Output, err)
			}
			if result.Name != up.Name {
				t.Errorf("the worker read %q, Django saved %q", result.Name, up.Name)
			}
			for _, want := range []string{"INVOICE", "REVISBALI", "13,450,000"} {
				if !strings.Contains(strings.ToUpper(result.Text), want) {
					t.Errorf("OCR text read back from Django lacks %q:\n%s", want, result.Text)
				}
			}
			// The preview is where the frontend will load it from.
			if mode.cloud {
				if img := httpGet(t, result.Preview.URL); !bytes.HasPrefix(img, []byte("\xff\xd8\xff")) {
					t.Errorf("the preview at %s is not a JPEG", result.Preview.URL)
				}
			} else {
				if _, err := os.Stat(filepath.Join(env["MEDIA_ROOT"], result.Preview.Name)); err != nil || result.Preview.URL != "/media/"+result.Preview.Name {
					t.Errorf("preview %+v: %v", result.Preview, err)
				}
			}

			// The same name uploaded again with new content once the job
			// finished: a new job, and the new content's text.
			letter, err := os.ReadFile("../../demo/sponsor-letter.pdf")
			if err != nil {
				t.Fatal(err)
			}
			var again struct {
				Name      string `json:"name"`
				Job       int64  `json:"job"`
				Duplicate bool   `json:"duplicate"`
			}
			out = runPython(t, env, letter, "-m", "tests.jobctl", "reupload-ocr", strconv.FormatInt(up.ID, 10))
			if err := json.Unmarshal(out, &again); err != nil {
				t.Fatalf("reupload-ocr printed %q: %v", out, err)
			}
			if again.Name != up.Name || again.Job == up.Job || again.Duplicate {
				t.Fatalf("re-upload of %s: %+v; want the same name in a new job", up.Name, again)
			}
			r = pyWait(t, env, again.Job)
			if err := json.Unmarshal(r.Output, &result); r.State != "completed" || err != nil {
				t.Fatalf("re-upload's OCR job %d ended %s: %+v %v", again.Job, r.State, r.Errors, err)
			}
			if !strings.Contains(result.Text, "Immigration Office of Denpasar") || strings.Contains(strings.ToUpper(result.Text), "INVOICE") {
				t.Errorf("after the re-upload Django reads:\n%s", result.Text)
			}

			// A passport uploaded the same way: the worker stores the
			// holder's portrait beside it, the output names it and the kit
			// adds a URL that loads.
			var pass struct {
				Name string `json:"name"`
				Job  int64  `json:"job"`
			}
			out = runPython(t, env, passportScan(t), "-m", "tests.jobctl", "upload-passport", "passport.jpg")
			if err := json.Unmarshal(out, &pass); err != nil {
				t.Fatalf("upload-passport printed %q: %v", out, err)
			}
			r = pyWait(t, env, pass.Job)
			var mrz struct {
				Valid    bool `json:"valid"`
				Portrait struct {
					Name string `json:"name"`
					URL  string `json:"url"`
				} `json:"portrait"`
			}
			if err := json.Unmarshal(r.Output, &mrz); r.State != "completed" || err != nil {
				t.Fatalf("passport job %d ended %s: %+v %v", pass.Job, r.State, r.Errors, err)
			}
			if want := "portraits/" + pass.Name + ".jpg"; !mrz.Valid || mrz.Portrait.Name != want || mrz.Portrait.URL == "" {
				t.Errorf("passport output %s; want valid, and portrait %q with a URL", r.Output, want)
			}
			if mode.cloud {
				if img := httpGet(t, mrz.Portrait.URL); !bytes.HasPrefix(img, []byte("\xff\xd8\xff")) {
					t.Errorf("the portrait at %s is not a JPEG", mrz.Portrait.URL)
				}
			} else if img, err := os.ReadFile(filepath.Join(env["MEDIA_ROOT"], mrz.Portrait.Name)); err != nil || !bytes.HasPrefix(img, []byte("\xff\xd8\xff")) || mrz.Portrait.URL != "/media/"+mrz.Portrait.Name {
				t.Errorf("portrait %+v: not a JPEG in MEDIA_ROOT (%v)", mrz.Portrait, err)
			}

			stdout, stderr, err := tryPython(t, env, nil, "-m", "tests.jobctl", "wait", strconv.FormatInt(rolledBack, 10), "--timeout", "1")
			if err == nil || !strings.Contains(string(stderr), "JobNotFound") {
				t.Errorf("the rolled-back job %d exists: %s%s", rolledBack, stdout, stderr)
			}
		})
	}
}

// passportScan is a generated passport data page, cropped as an app sends
// it, the same every run.
func passportScan(t *testing.T) []byte {
	t.Helper()
	fonts, err := mrzgen.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fonts.Generate(rand.New(rand.NewPCG(17, 3)), "passport", mrzgen.Options{
		Format: passport.TD3, Scene: mrzgen.CardCrop, DPI: 250, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return s.Data
}

// TestBackupSeenByDbbackup: Django enqueues a backup, the real worker
// binary dumps the database into the shared storage, and django-dbbackup's
// storage, as the settings helper configures it, lists the file at the size
// the worker reported: `manage.py dbrestore` looks exactly there.
func TestBackupSeenByDbbackup(t *testing.T) {
	requirePython(t)
	bin := buildWorker(t)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			env := modeEnv(t, mode.cloud, riverDatabase(t))
			env["DJANGO_SETTINGS_MODULE"] = "tests.project.settings"
			env["DBBACKUP_HOSTNAME"] = "web1"
			runPython(t, env, nil, "-m", "django", "migrate", "--verbosity=0")

			kinds := startWorker(t, bin, env)
			if !slices.Contains(kinds, "backup_db") {
				t.Fatalf("the worker binary registers %v, not backup_db", kinds)
			}
			r := pyWait(t, env, pyEnqueue(t, env, "backup_db", `{}`, false))
			if r.State != "completed" {
				t.Fatalf("backup job ended %s: %+v", r.State, r.Errors)
			}
			var out struct {
				Name  string `json:"name"`
				Bytes int64  `json:"bytes"`
			}
			if err := json.Unmarshal(r.Output, &out); err != nil {
				t.Fatalf("output %s: %v", r.Output, err)
			}
			folder, file := filepath.Split(out.Name)
			if folder != "backups/" || !strings.HasPrefix(file, "default-web1-") {
				t.Errorf("the worker named its backup %q", out.Name)
			}
			var seen struct {
				Listed bool  `json:"listed"`
				Size   int64 `json:"size"`
			}
			stat := runPython(t, env, nil, "-m", "tests.jobctl", "backup-stat", file)
			if err := json.Unmarshal(stat, &seen); err != nil {
				t.Fatalf("backup-stat printed %q: %v", stat, err)
			}
			if !seen.Listed || seen.Size != out.Bytes || out.Bytes == 0 {
				t.Errorf("django-dbbackup's storage sees %s as %+v; the worker wrote %d bytes", file, seen, out.Bytes)
			}
		})
	}
}

// TestMigrationSwitchesDjangoToTheBucket is the README's migration: files
// saved by Django on disk, a dry run then a copy enqueued from Django and
// worked by the worker binary, and Django switched to USE_CLOUD_STORAGE=True
// reads the same FileField names from the bucket.
func TestMigrationSwitchesDjangoToTheBucket(t *testing.T) {
	requirePython(t)
	bin := buildWorker(t)
	local := modeEnv(t, false, riverDatabase(t))
	local["DJANGO_SETTINGS_MODULE"] = "tests.project.settings"
	cloud := maps.Clone(local)
	cloud["USE_CLOUD_STORAGE"] = "True"
	runPython(t, local, nil, "-m", "django", "migrate", "--verbosity=0")

	files := map[string][]byte{}
	for _, upload := range []string{"passport scan.jpg", "invoice #7.pdf", "contract (signed).pdf"} {
		content := randomBytes(t, 40<<10)
		var saved struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(runPython(t, local, content, "-m", "django", "save_document", upload), &saved); err != nil {
			t.Fatal(err)
		}
		files[saved.Name] = content
	}

	// The worker copies from MEDIA_ROOT into the bucket.
	if kinds := startWorker(t, bin, cloud); !slices.Contains(kinds, "migrate_files") {
		t.Fatalf("the worker binary registers %v, not migrate_files", kinds)
	}
	args := `{"fields": ["documents_document.file"], "dry_run": true}`
	if r := pyWait(t, local, pyEnqueue(t, local, "migrate_files", args, false)); r.State != "completed" {
		t.Fatalf("dry run: %+v", r)
	}
	for name := range files {
		if _, _, err := tryPython(t, cloud, nil, "-m", "django", "read_document", name); err == nil {
			t.Fatalf("%s is in the bucket after a dry run", name)
		}
	}
	if r := pyWait(t, local, pyEnqueue(t, local, "migrate_files", `{"fields": ["documents_document.file"]}`, false)); r.State != "completed" {
		t.Fatalf("migration: %+v", r)
	}
	waitBatches(t, local["DATABASE_URL"])

	for name, content := range files {
		if got := runPython(t, cloud, nil, "-m", "django", "read_document", name); !bytes.Equal(got, content) {
			t.Errorf("Django on the bucket read %d bytes of %s, %d were saved on disk", len(got), name, len(content))
		}
	}
}

// waitBatches waits until every migrate_files_batch job has finished, and
// fails unless all completed.
func waitBatches(t *testing.T, databaseURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for {
		var total, unfinished, failed int
		err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE finalized_at IS NULL),
			count(*) FILTER (WHERE state <> 'completed' AND finalized_at IS NOT NULL)
			FROM river_job WHERE kind = 'migrate_files_batch'`).Scan(&total, &unfinished, &failed)
		if err != nil {
			t.Fatalf("batches: %v", err)
		}
		if failed > 0 {
			t.Fatalf("%d of %d migration batches did not complete", failed, total)
		}
		if total > 0 && unfinished == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("migration batches: %d of %d unfinished: %v", unfinished, total, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
