package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river/rivertype"
)

// browserTools returns Chromium and the folder holding playwright-core,
// which scripts/deps.sh installs; like the test bed, a missing tool fails
// the test under CI and skips it elsewhere.
func browserTools(t *testing.T) (chromium, playwright string) {
	t.Helper()
	missing := func(what string) {
		msg := what + " is missing: run `make deps` (scripts/deps.sh installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		missing("Debian's chromium")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node")
	}
	playwright, err := filepath.Abs("../../bin/playwright/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(playwright, "playwright-core", "package.json")); err != nil {
		missing("playwright-core")
	}
	return chromium, playwright
}

// River's UI in a real browser: headless Chromium, driven by playwright-core,
// gets 401 without credentials, and with them lists the completed job and
// shows its output. UPDATE_SCREENSHOT=1 writes the page to
// docs/river-ui-job.png for the README.
func TestUIInBrowser(t *testing.T) {
	t.Parallel()
	chromium, playwright := browserTools(t)
	b := setup(t)
	p, ui := startWithUI(t, b)

	id := b.insert(t, sleepArgs{Seconds: 0})
	job := b.waitState(t, id, rivertype.JobStateCompleted)
	if !bytes.Contains(job.Metadata, []byte(`"slept"`)) {
		t.Fatalf("the job recorded no output: %s", job.Metadata)
	}

	screenshot := filepath.Join(t.TempDir(), "river-ui-job.png")
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		screenshot, _ = filepath.Abs("../../docs/river-ui-job.png")
	}
	cmd := exec.Command("node", "testdata/ui_browser.mjs")
	cmd.Env = append(os.Environ(),
		"PLAYWRIGHT_DIR="+playwright, "CHROMIUM="+chromium, "UI_URL="+ui,
		"UI_USER="+uiUser, "UI_PASSWORD="+uiPassword, "JOB_ID="+strconv.FormatInt(id, 10),
		"EXPECT=slept", "SCREENSHOT="+screenshot, "PROFILE="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got struct {
		WithoutCredentials        int    `json:"without_credentials"`
		WithoutCredentialsShowJob bool   `json:"without_credentials_shows_job"`
		ListStatus                int    `json:"list_status"`
		ListShowsKind             bool   `json:"list_shows_kind"`
		OutputShown               bool   `json:"output_shown"`
		Error                     string `json:"error"`
		PageText                  string `json:"page_text"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &got); err != nil {
		t.Fatalf("browser result %q: %v\n%s", out, err, stderr.String())
	}
	if got.Error != "" {
		t.Errorf("in the browser: %s\npage:\n%s", got.Error, got.PageText)
	}
	if got.WithoutCredentials != 401 || got.WithoutCredentialsShowJob {
		t.Errorf("without credentials: status %d, job shown %v; want 401 and nothing", got.WithoutCredentials, got.WithoutCredentialsShowJob)
	}
	if got.ListStatus != 200 || !got.ListShowsKind {
		t.Errorf("completed jobs page: status %d, lists the job %v", got.ListStatus, got.ListShowsKind)
	}
	if !got.OutputShown {
		t.Error("the job's page does not show its output")
	}
	if png, err := os.ReadFile(screenshot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("no screenshot at %s: %v", screenshot, err)
	}
	if strings.Contains(stderr.String(), uiPassword) {
		t.Errorf("the browser's log shows the password")
	}
	p.Stop()
}
