package djangokit_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

// TestFileFieldSharedWithWorker saves a file through a Django model and
// reads it with the worker's storage, and the reverse, in both modes; and
// checks that both give the frontend URLs that load the same bytes.
func TestFileFieldSharedWithWorker(t *testing.T) {
	requirePython(t)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			env := modeEnv(t, mode.cloud, testbed.NewDatabase(t))
			env["DJANGO_SETTINGS_MODULE"] = "tests.project.settings"
			runPython(t, env, nil, "-m", "django", "migrate", "--verbosity=0")
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			cfg, err := config.LoadFrom(env)
			if err != nil {
				t.Fatal(err)
			}
			store, err := storage.New(ctx, cfg.Storage)
			if err != nil {
				t.Fatal(err)
			}

			// Django saves, the worker reads.
			content := randomBytes(t, 3<<20+17)
			var saved struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			}
			out := runPython(t, env, content, "-m", "django", "save_document", "Passport scan 01.jpg")
			if err := json.Unmarshal(out, &saved); err != nil {
				t.Fatalf("save_document printed %q: %v", out, err)
			}
			if saved.Name != "documents/Passport_scan_01.jpg" {
				t.Errorf("Django stored the name %q", saved.Name)
			}
			if got := readAll(t, ctx, store, saved.Name); !bytes.Equal(got, content) {
				t.Fatalf("the worker read %d bytes of %s, Django wrote %d", len(got), saved.Name, len(content))
			}
			info, err := store.Stat(ctx, saved.Name)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != int64(len(content)) || info.ContentType != "image/jpeg" {
				t.Errorf("the worker sees %s as %d bytes of %s", saved.Name, info.Size, info.ContentType)
			}

			// Both give URLs of the same shape that load the same bytes.
			workerURL, err := store.URL(ctx, saved.Name)
			if err != nil {
				t.Fatal(err)
			}
			djangoURL := loadDjangoSettings(t, env, saved.Name).URLs[saved.Name]
			compareURLs(t, workerURL, djangoURL, mode.cloud)
			if mode.cloud {
				for _, u := range []string{workerURL, djangoURL} {
					if got := httpGet(t, u); !bytes.Equal(got, content) {
						t.Errorf("GET %s: %d bytes, want the %d saved", u, len(got), len(content))
					}
				}
			}

			// The worker saves, Django reads through a model.
			content = randomBytes(t, 1<<10)
			name, err := store.Save(ctx, "scans/from worker ü.pdf", bytes.NewReader(content), storage.SaveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := runPython(t, env, nil, "-m", "django", "read_document", name); !bytes.Equal(got, content) {
				t.Errorf("Django read %d bytes of %s, the worker wrote %d", len(got), name, len(content))
			}
		})
	}
}

// compareURLs: local URLs are equal strings; presigned ones are signed at
// different seconds, so their scheme, host, path, algorithm, credential
// scope, expiry and signed headers must match.
func compareURLs(t *testing.T, worker, django string, presigned bool) {
	t.Helper()
	if !presigned {
		if worker != django {
			t.Errorf("URL: worker %q, Django %q", worker, django)
		}
		return
	}
	w, err := url.Parse(worker)
	if err != nil {
		t.Fatal(err)
	}
	d, err := url.Parse(django)
	if err != nil {
		t.Fatal(err)
	}
	if w.Scheme != d.Scheme || w.Host != d.Host || w.EscapedPath() != d.EscapedPath() {
		t.Errorf("URL: worker %s://%s%s, Django %s://%s%s", w.Scheme, w.Host, w.EscapedPath(), d.Scheme, d.Host, d.EscapedPath())
	}
	wq, dq := w.Query(), d.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Expires", "X-Amz-SignedHeaders"} {
		if wq.Get(k) != dq.Get(k) {
			t.Errorf("URL %s: worker %q, Django %q", k, wq.Get(k), dq.Get(k))
		}
	}
	// Credential: KEY/DATE/REGION/s3/aws4_request; the date may differ
	// across midnight, the region may not.
	wc, dc := strings.Split(wq.Get("X-Amz-Credential"), "/"), strings.Split(dq.Get("X-Amz-Credential"), "/")
	if len(wc) != 5 || len(dc) != 5 || wc[0] != dc[0] || wc[2] != dc[2] || wc[3] != dc[3] {
		t.Errorf("URL credential scope: worker %v, Django %v", wc[1:], dc[1:])
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func readAll(t *testing.T, ctx context.Context, store storage.Storage, name string) []byte {
	t.Helper()
	r, err := store.Open(ctx, name)
	if err != nil {
		t.Fatalf("worker open %s: %v", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("worker read %s: %v", name, err)
	}
	return b
}

func httpGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, b)
	}
	return b
}
