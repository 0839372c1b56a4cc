package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/workerproc"
	"github.com/revisbali/worker/jobs"
)

// uiProbeArgs is a kind no test worker works, so its job stays available
// for the UI to show.
type uiProbeArgs struct {
	Name string `json:"name"`
}

func (uiProbeArgs) Kind() string { return "test_ui_probe" }

func (uiProbeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueStorage}
}

const (
	uiUser     = "ops"
	uiPassword = "s3cret-ui-pass"
)

// startWithUI starts the daemon with River's UI behind uiUser and
// uiPassword and returns it with the UI's base URL.
func startWithUI(t *testing.T, b *testBundle) (*workerproc.Proc, string) {
	t.Helper()
	vars := baseEnv(t, b.dbURL)
	vars["WORKER_UI_ADDR"] = "127.0.0.1:0"
	vars["WORKER_UI_USER"] = uiUser
	vars["WORKER_UI_PASSWORD"] = uiPassword
	p, _ := startWorker(t, vars)
	return p, "http://" + p.WaitLog("river ui started")["addr"].(string)
}

// The daemon serves River's UI on WORKER_UI_ADDR behind basic auth: without
// the right credentials nothing is shown, with them the job list holds the
// job the test enqueued and the job can be cancelled from the UI.
func TestUIShowsAndSteersJobs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p, ui := startWithUI(t, b)

	id := b.insert(t, uiProbeArgs{Name: "passports/ui-probe.pdf"})
	list := ui + "/api/jobs?state=available"
	tests := []struct {
		name           string
		user, password string
		auth           bool
		want           int
	}{
		{"no credentials", "", "", false, http.StatusUnauthorized},
		{"wrong password", uiUser, "guess", true, http.StatusUnauthorized},
		{"wrong user", "admin", uiPassword, true, http.StatusUnauthorized},
		{"password as user", uiPassword, uiUser, true, http.StatusUnauthorized},
		{"right credentials", uiUser, uiPassword, true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, hdr := uiRequest(t, http.MethodGet, list, "", tt.user, tt.password, tt.auth)
			if code != tt.want {
				t.Fatalf("GET %s: %d, want %d: %s", list, code, tt.want, body)
			}
			if code == http.StatusUnauthorized {
				if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("401 without a Basic challenge: %q", hdr.Get("WWW-Authenticate"))
				}
				if strings.Contains(body, "ui-probe") {
					t.Errorf("401 body shows the job: %s", body)
				}
				return
			}
			var jobsList struct {
				Data []struct {
					ID   int64  `json:"id"`
					Kind string `json:"kind"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &jobsList); err != nil {
				t.Fatalf("job list: %v: %s", err, body)
			}
			found := false
			for _, j := range jobsList.Data {
				found = found || (j.ID == id && j.Kind == "test_ui_probe")
			}
			if !found {
				t.Errorf("job %d not in the UI's job list: %s", id, body)
			}
		})
	}

	// The page itself is served too, behind the same check.
	if code, _, _ := uiRequest(t, http.MethodGet, ui+"/", "", "", "", false); code != http.StatusUnauthorized {
		t.Errorf("GET / without credentials: %d", code)
	}
	if code, body, _ := uiRequest(t, http.MethodGet, ui+"/", "", uiUser, uiPassword, true); code != http.StatusOK || !strings.Contains(body, "<html") {
		t.Errorf("GET / with credentials: %d %.200s", code, body)
	}

	// Steering: cancelling refused without credentials, done with them.
	cancel := `{"ids":["` + strconv.FormatInt(id, 10) + `"]}`
	if code, _, _ := uiRequest(t, http.MethodPost, ui+"/api/jobs/cancel", cancel, "", "", false); code != http.StatusUnauthorized {
		t.Errorf("cancel without credentials: %d", code)
	}
	job, err := b.client.JobGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if job.State != rivertype.JobStateAvailable {
		t.Fatalf("job is %s after a refused cancel", job.State)
	}
	if code, body, _ := uiRequest(t, http.MethodPost, ui+"/api/jobs/cancel", cancel, uiUser, uiPassword, true); code != http.StatusOK {
		t.Fatalf("cancel: %d %s", code, body)
	}
	b.waitState(t, id, rivertype.JobStateCancelled)

	for _, line := range p.Log() {
		if strings.Contains(line, uiPassword) {
			t.Errorf("the password is in the log: %s", line)
		}
	}
	p.Stop()
}

// WORKER_UI_ADDR without credentials stops the worker at start, naming the
// missing variables.
func TestUIRefusesToStartWithoutCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vars := baseEnv(t, b.dbURL)
	vars["WORKER_UI_ADDR"] = "127.0.0.1:0"
	vars["WORKER_UI_USER"] = uiUser
	p := startProc(t, vars)
	if code := p.Wait(); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	log := strings.Join(p.Log(), "\n")
	if !strings.Contains(log, "WORKER_UI_PASSWORD") {
		t.Errorf("the error does not name WORKER_UI_PASSWORD:\n%s", log)
	}
	if strings.Contains(log, "worker started") {
		t.Errorf("the worker started anyway:\n%s", log)
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	h := basicAuth(uiUser, uiPassword, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("inside"))
	}))
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"none", "", http.StatusUnauthorized},
		{"not basic", "Bearer " + uiPassword, http.StatusUnauthorized},
		{"garbage", "Basic !!!", http.StatusUnauthorized},
		{"prefix of password", basicHeader(uiUser, uiPassword[:4]), http.StatusUnauthorized},
		{"password with suffix", basicHeader(uiUser, uiPassword+"x"), http.StatusUnauthorized},
		{"empty user", basicHeader("", uiPassword), http.StatusUnauthorized},
		{"right", basicHeader(uiUser, uiPassword), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/api/jobs", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("%d, want %d", w.Code, tt.want)
			}
			if (w.Body.String() == "inside") != (tt.want == http.StatusOK) {
				t.Errorf("body %q", w.Body.String())
			}
		})
	}
}

func basicHeader(user, password string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

func uiRequest(t *testing.T, method, url, body, user, password string, auth bool) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(raw), resp.Header
}
