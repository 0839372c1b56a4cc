package djangokit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image/png"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	worker "github.com/revisbali/worker"
	"github.com/revisbali/worker/internal/docgen"
	"github.com/revisbali/worker/internal/testbed"
)

// TestFreshProjectThroughTheREADME is what a new user does: a fresh
// `django-admin startproject` under Debian's Django, the kit installed with
// pip, the README's settings lines, .env and model, `manage.py check`, then
// the real worker (run from the project folder, reading the same .env) on
// Postgres and versitygw: upload, OCR, text and a preview URL that loads; the
// same name uploaded again gets the new content's text; the result kept in
// the app's model.
func TestFreshProjectThroughTheREADME(t *testing.T) {
	requirePython(t)
	// What installs the kit; each alone, as setuptools refuses to load
	// after pip has imported distutils.
	for _, m := range []string{"venv", "pip", "setuptools"} {
		if out, err := exec.Command(python, "-c", "import "+m).CombinedOutput(); err != nil {
			msg := python + " cannot import " + m + " (run scripts/deps.sh): " + strings.TrimSpace(string(out))
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	settingsLines := codeBlock(t, string(readme), "python", "# revisbali worker: the end of settings.py")
	envLines := codeBlock(t, string(readme), "sh", "# .env")
	modelLines := codeBlock(t, string(readme), "python", "# documents/models.py")
	bin := buildWorker(t)
	dir := t.TempDir()

	// 1. Install the kit: pip, offline, over Debian's Django. A copy of the
	// kit, so that the build leaves nothing in the repository.
	venv := filepath.Join(dir, "venv")
	py := filepath.Join(venv, "bin", "python")
	sh(t, dir, nil, python, "-m", "venv", "--system-site-packages", "--without-pip", venv)
	kit := copyKit(t, filepath.Join(dir, "kit"))
	sh(t, dir, nil, py, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-index", kit)
	if v := strings.TrimSpace(sh(t, dir, nil, py, "-c", "import importlib.metadata as m, revisbali_worker as r; print(m.version('revisbali-worker'), r.__version__)")); v != worker.Version()+" "+worker.Version() {
		t.Errorf("installed kit's version (metadata, module): %q; VERSION says %s", v, worker.Version())
	}

	// A fresh project with an app, as django-admin makes them.
	proj := filepath.Join(dir, "project")
	if err := os.Mkdir(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	sh(t, dir, nil, py, "-m", "django", "startproject", "mysite", proj)
	sh(t, proj, nil, py, "manage.py", "startapp", "documents")
	settingsFile := filepath.Join(proj, "mysite", "settings.py")
	settings, err := os.ReadFile(settingsFile)
	if err != nil {
		t.Fatal(err)
	}
	installed := "'django.contrib.staticfiles',\n"
	if !bytes.Contains(settings, []byte(installed)) || !bytes.Contains(settings, []byte("TIME_ZONE = 'UTC'")) {
		t.Fatalf("startproject wrote settings this test does not expect:\n%s", settings)
	}
	settings = bytes.Replace(settings, []byte(installed), []byte(installed+"    'documents',\n"), 1)

	// 2. Settings, 3. .env, 5. the model: the README's lines as written;
	// only the .env's values are this test bed's.
	settings = append(settings, "\n"+settingsLines...)
	write(t, settingsFile, settings)
	write(t, filepath.Join(proj, "documents", "models.py"), []byte(modelLines))
	s3 := testbed.S3Server(t)
	values := map[string]string{
		"APP_ENV":                 "dev",
		"DATABASE_URL":            testbed.NewDatabase(t), // the worker adds River's tables
		"USE_CLOUD_STORAGE":       "True",
		"MEDIA_ROOT":              filepath.Join(dir, "media"),
		"AWS_ACCESS_KEY_ID":       s3.AccessKey,
		"AWS_SECRET_ACCESS_KEY":   s3.SecretKey,
		"AWS_S3_ENDPOINT_URL":     s3.Endpoint,
		"AWS_STORAGE_BUCKET_NAME": s3.Bucket,
	}
	dotenv := fillEnv(t, envLines, values)
	// The worker's own settings, for a test: any port, one OCR at a time.
	dotenv += "AWS_LOCATION=startproject-" + randomHex(4) + "\nWORKER_HTTP_ADDR=127.0.0.1:0\nWORKER_TMPDIR=" + filepath.Join(dir, "tmp") +
		"\nWORKER_QUEUE_OCR=1\nWORKER_QUEUE_PASSPORT=1\nPASSPORT_TESSDATA_DIR=" + mustAbs("../../tessdata") + "\n"
	write(t, filepath.Join(proj, ".env"), []byte(dotenv))

	// Nothing from this test's environment: the project reads .env.
	if out := sh(t, proj, nil, py, "manage.py", "check"); !strings.Contains(out, "no issues") {
		t.Errorf("manage.py check: %s", out)
	}
	sh(t, proj, nil, py, "manage.py", "makemigrations", "documents", "--verbosity=0")

	// The worker, started in the project folder, reads the same .env and
	// creates River's tables; then the app migrates.
	if kinds := startWorkerIn(t, bin, proj, map[string]string{"OMP_THREAD_LIMIT": "1"}); !slices.Contains(kinds, "ocr_document") {
		t.Fatalf("the worker registers %v, not ocr_document", kinds)
	}
	sh(t, proj, nil, py, "manage.py", "migrate", "--verbosity=0")

	// Upload, OCR, keep; the same name again with new content.
	first := filepath.Join(dir, "invoice.png")
	if err := copyFile("../../demo/invoice-scan.png", first); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(dir, "receipt.png")
	page, err := docgen.Page("RECEIPT BRAVO 2222\nPaid in full, thank you.", docgen.PageOptions{DPI: 150, FontSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, page); err != nil {
		t.Fatal(err)
	}
	write(t, second, buf.Bytes())
	write(t, filepath.Join(proj, "upload_twice.py"), []byte(uploadTwice))
	var got struct {
		Uploads []struct {
			Name      string `json:"name"`
			Job       int64  `json:"job"`
			Duplicate bool   `json:"duplicate"`
			Again     int64  `json:"again"`
			AgainDup  bool   `json:"again_duplicate"`
			State     string `json:"state"`
			Text      string `json:"text"`
			Preview   string `json:"preview_url"`
		} `json:"uploads"`
		Kept struct {
			Text    string            `json:"text"`
			Preview string            `json:"preview_url"`
			Stored  map[string]string `json:"stored_preview"`
		} `json:"kept"`
	}
	out := sh(t, proj, nil, py, "upload_twice.py", first, second)
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Uploads) != 2 {
		t.Fatalf("upload_twice.py printed %q: %v", out, err)
	}
	a, b := got.Uploads[0], got.Uploads[1]
	for i, u := range got.Uploads {
		if u.Duplicate || !u.AgainDup || u.Again != u.Job || u.State != "completed" {
			t.Errorf("upload %d: %+v; want a new job, the second enqueue that same job (duplicate), completed", i+1, u)
		}
	}
	if a.Name != "scans/invoice.png" || b.Name != a.Name || b.Job == a.Job {
		t.Errorf("uploads %q (job %d) then %q (job %d): want one name, two jobs", a.Name, a.Job, b.Name, b.Job)
	}
	if !strings.Contains(a.Text, "INVOICE") || !strings.Contains(a.Text, "13,450,000") {
		t.Errorf("first upload's text:\n%s", a.Text)
	}
	if !strings.Contains(b.Text, "RECEIPT BRAVO 2222") || strings.Contains(b.Text, "INVOICE") {
		t.Errorf("the re-upload's text is not the new content's:\n%s", b.Text)
	}
	if got.Kept.Text != b.Text {
		t.Errorf("the model kept %q, the last job read %q", got.Kept.Text, b.Text)
	}
	if want := map[string]string{"name": "previews/scans/invoice.png.jpg"}; !maps.Equal(got.Kept.Stored, want) {
		t.Errorf("the model stores the preview as %v; want its name alone, %v", got.Kept.Stored, want)
	}
	// The preview URLs load, from the jobs and from the model alike.
	for _, u := range []string{a.Preview, b.Preview, got.Kept.Preview} {
		if img := httpGet(t, u); !bytes.HasPrefix(img, []byte("\xff\xd8\xff")) {
			t.Errorf("the preview at %s is not a JPEG", u)
		}
	}
}

// uploadTwice is an adopting view's work, as the README writes it: save the
// upload and enqueue its OCR in one transaction (a second click enqueues
// again), wait as the frontend's poll would, keep the result in the model.
const uploadTwice = `import json, os, sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
import django

django.setup()
from django.core.files.base import ContentFile
from django.db import transaction

from documents.models import Document
from revisbali_worker.jobs import enqueue, save_result, wait_for_job, with_urls

doc, uploads = Document(), []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        content = f.read()
    with transaction.atomic():
        doc.file.save("invoice.png", ContentFile(content), save=True)
        job = enqueue("ocr_document", {"name": doc.file.name})
        again = enqueue("ocr_document", {"name": doc.file.name})
        doc.ocr_job_id = job.id
        doc.save(update_fields=["ocr_job_id"])
    wait_for_job(doc.ocr_job_id, timeout=300)
    result = save_result(doc.ocr_job_id, doc, "ocr_result")
    out = result["output"] or {}
    uploads.append({
        "name": doc.file.name, "job": job.id, "duplicate": job.duplicate,
        "again": again.id, "again_duplicate": again.duplicate, "state": result["state"],
        "text": out.get("text", ""), "preview_url": (out.get("preview") or {}).get("url", ""),
    })
kept = Document.objects.get(pk=doc.pk).ocr_result
print(json.dumps({"uploads": uploads, "kept": {
    "text": kept["text"], "stored_preview": kept["preview"],
    "preview_url": with_urls("ocr_document", kept)["preview"]["url"],
}}))
`

// codeBlock returns the fenced block of lang in the README whose first line
// starts with first.
func codeBlock(t *testing.T, readme, lang, first string) string {
	t.Helper()
	for _, part := range strings.Split(readme, "```"+lang+"\n")[1:] {
		body, _, ok := strings.Cut(part, "```")
		if ok && strings.HasPrefix(body, first) {
			return body
		}
	}
	t.Fatalf("README.md has no ```%s block starting %q", lang, first)
	return ""
}

// fillEnv is the README's .env with this test bed's values in place of
// its examples; every variable it names keeps its line, in its order.
func fillEnv(t *testing.T, lines string, values map[string]string) string {
	t.Helper()
	var out strings.Builder
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(lines))
	for sc.Scan() {
		line := sc.Text()
		name, _, ok := strings.Cut(line, "=")
		if v, set := values[name]; ok && set {
			line = name + "='" + v + "'"
			seen[name] = true
		}
		out.WriteString(line + "\n")
	}
	for name := range values {
		if !seen[name] {
			t.Errorf("the README's .env has no %s line", name)
		}
	}
	return out.String()
}

// copyKit copies the kit (pyproject.toml, README.md, the package) to dst,
// the VERSION link resolved, and returns dst.
func copyKit(t *testing.T, dst string) string {
	t.Helper()
	for _, name := range []string{"pyproject.toml", "README.md"} {
		if err := copyFile(name, filepath.Join(dst, name)); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir("revisbali_worker", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "__pycache__") {
			return err
		}
		return copyFile(path, filepath.Join(dst, path))
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src) // follows links
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sh runs a command in dir with only PATH, HOME and LANG from this
// process's environment (plus vars), and returns its output; a failure
// fails the test with everything it printed.
func sh(t *testing.T, dir string, vars map[string]string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv(vars)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String()
}

func cleanEnv(vars map[string]string) []string {
	env := []string{"PYTHONDONTWRITEBYTECODE=1"}
	for _, name := range []string{"PATH", "HOME", "LANG", "TMPDIR"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}
