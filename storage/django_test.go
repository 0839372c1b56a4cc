package storage_test

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/storage/storagetest"
)

// djangoScript runs Django's FileSystemStorage and django-storages'
// S3Boto3Storage on the operations it is given.
//
//go:embed testdata/django_storage.py
var djangoScript []byte

// systemPython is Debian's interpreter, the one that sees python3-django.
const systemPython = "/usr/bin/python3"

// requireDjango stops the test when Django or django-storages cannot be
// imported: a failure under CI, a skip elsewhere.
func requireDjango(t *testing.T) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import django, storages, boto3").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("%s cannot import django, storages and boto3 (install python3-django python3-django-storages python3-boto3, see scripts/deps.sh): %v\n%s", systemPython, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// djangoStorage names one Django storage configuration.
type djangoStorage struct {
	Kind            string `json:"kind"` // "local" or "s3"
	Location        string `json:"location,omitempty"`
	Overwrite       bool   `json:"overwrite"`
	QuerystringAuth bool   `json:"querystring_auth"`
	CustomDomain    string `json:"custom_domain,omitempty"`
}

type djangoOp struct {
	Op      string        `json:"op"` // "save", "read" or "url"
	Storage djangoStorage `json:"storage"`
	Name    string        `json:"name"`
	Data    []byte        `json:"data,omitempty"`
}

type djangoResult struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	Data []byte `json:"data,omitempty"`
}

// runDjango performs ops with Django against the shared MEDIA_ROOT and
// bucket, and returns one result per op.
func runDjango(t *testing.T, bed s3Bed, mediaRoot string, ops []djangoOp) []djangoResult {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "django_storage.py")
	if err := os.WriteFile(script, djangoScript, 0o600); err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(map[string]any{
		"media_root": mediaRoot,
		"media_url":  "/media/",
		"endpoint":   bed.proxy.URL,
		"access_key": bed.server.AccessKey,
		"secret_key": bed.server.SecretKey,
		"bucket":     bed.server.Bucket,
		"region":     "auto",
		"ops":        ops,
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(systemPython, script)
	cmd.Stdin = bytes.NewReader(input)
	cmd.Env = append(os.Environ(),
		"AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
		"AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("django: %v\n%s", err, stderr.String())
	}
	var results []djangoResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("django output: %v\n%s", err, out)
	}
	if len(results) != len(ops) {
		t.Fatalf("django answered %d results for %d operations", len(results), len(ops))
	}
	return results
}

// trickyNames are saved by each side and read by the other.
var trickyNames = []string{
	"docs/with space.pdf",
	"unicode/Ünïcode ñame €.jpg",
	"nested/a/b/c/deep.txt",
	"quote/it's (1) ~!*.png",
	"symbols/a+b=c&d;e@f$g,h#i%j.csv",
	"archive.tar.gz",
	"plain",
}

func contentFor(name string) []byte {
	return bytes.Repeat([]byte("%PDF "+name+"\x00\xff"), 50)
}

// getBytes fetches u with a plain GET and returns the body of a 200, as
// stored (a .gz name is served with Content-Encoding: gzip).
func getBytes(t *testing.T, u string) []byte {
	t.Helper()
	resp, body := fetch(t, u)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return body
}

// sameResource reports whether two URLs address the same object: the
// same scheme, host and path (signatures and times differ).
func sameResource(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && ua.Host == ub.Host && ua.EscapedPath() == ub.EscapedPath()
}

func TestDjangoCompatibility(t *testing.T) {
	t.Parallel()
	requireDjango(t)
	bed := newS3Bed(t)
	mediaRoot := t.TempDir()
	ctx := context.Background()
	// Without AWS_LOCATION the names get a fresh folder of their own, so
	// runs against a long-lived bucket do not meet.
	rootFolder := "dj-" + randomHex(4) + "/"

	type side struct {
		what    string
		django  djangoStorage
		worker  storage.Storage
		prefix  string
		isLocal bool
	}
	local, err := storage.NewLocal(mediaRoot, "/media/")
	if err != nil {
		t.Fatal(err)
	}
	sides := []side{
		{"FileSystemStorage", djangoStorage{Kind: "local"}, local, "", true},
		{"S3 without AWS_LOCATION", djangoStorage{Kind: "s3", Overwrite: true, QuerystringAuth: true},
			bed.storage(t, func(c *config.Storage) { c.Location = "" }), rootFolder, false},
		{"S3 with AWS_LOCATION, no overwrite", djangoStorage{Kind: "s3", Location: bed.location, QuerystringAuth: true},
			bed.storage(t, func(c *config.Storage) { c.FileOverwrite = false }), "", false},
	}

	for _, sd := range sides {
		t.Run(sd.what, func(t *testing.T) {
			// Django saves; each name twice, so a non-overwriting storage
			// picks an alternative name.
			var ops []djangoOp
			for _, n := range trickyNames {
				for range 2 {
					ops = append(ops, djangoOp{Op: "save", Storage: sd.django, Name: sd.prefix + "django/" + n, Data: contentFor(n)})
				}
			}
			saved := runDjango(t, bed, mediaRoot, ops)
			for i, res := range saved {
				want := ops[i].Data
				if got := storagetest.ReadAll(t, sd.worker, res.Name); !bytes.Equal(got, want) {
					t.Errorf("worker read %d bytes of Django's %q, want %d identical bytes", len(got), res.Name, len(want))
				}
				info, err := sd.worker.Stat(ctx, res.Name)
				if err != nil || info.Size != int64(len(want)) {
					t.Errorf("worker Stat(%q) = %+v, %v", res.Name, info, err)
				}
				ours, err := sd.worker.URL(ctx, res.Name)
				if err != nil {
					t.Fatal(err)
				}
				if sd.isLocal {
					if ours != res.URL {
						t.Errorf("URL(%q): worker %q, Django %q", res.Name, ours, res.URL)
					}
					continue
				}
				if !sameResource(ours, res.URL) {
					t.Errorf("URL(%q) addresses another object: worker %q, Django %q", res.Name, ours, res.URL)
				}
				if a, b := getBytes(t, ours), getBytes(t, res.URL); !bytes.Equal(a, want) || !bytes.Equal(b, want) {
					t.Errorf("URLs of %q serve %d and %d bytes, want both the %d saved", res.Name, len(a), len(b), len(want))
				}
			}
			if !sd.django.Overwrite {
				for i := 0; i < len(saved); i += 2 {
					if saved[i].Name == saved[i+1].Name {
						t.Errorf("Django saved %q twice under one name", saved[i].Name)
					}
				}
			}

			// The worker saves; Django reads back.
			ops = ops[:0]
			var names []string
			for _, n := range trickyNames {
				for range 2 {
					name, err := sd.worker.Save(ctx, sd.prefix+"worker/"+n, bytes.NewReader(contentFor(n)), storage.SaveOptions{})
					if err != nil {
						t.Fatal(err)
					}
					names = append(names, name)
					ops = append(ops, djangoOp{Op: "read", Storage: sd.django, Name: name, Data: contentFor(n)})
				}
			}
			if !sd.django.Overwrite {
				for i := 0; i < len(names); i += 2 {
					if !storagetest.AlternativeName(names[i]).MatchString(names[i+1]) {
						t.Errorf("second save of %q named %q", names[i], names[i+1])
					}
				}
			}
			for i, res := range runDjango(t, bed, mediaRoot, ops) {
				if !bytes.Equal(res.Data, ops[i].Data) {
					t.Errorf("Django read %d bytes of the worker's %q, want %d identical bytes", len(res.Data), names[i], len(ops[i].Data))
				}
				ours, err := sd.worker.URL(ctx, names[i])
				if err != nil {
					t.Fatal(err)
				}
				if sd.isLocal && ours != res.URL {
					t.Errorf("URL(%q): worker %q, Django %q", names[i], ours, res.URL)
				}
				if !sd.isLocal && !sameResource(ours, res.URL) {
					t.Errorf("URL(%q) addresses another object: worker %q, Django %q", names[i], ours, res.URL)
				}
			}
		})
	}

	// Unsigned URLs are the same strings on both sides.
	t.Run("UnsignedURLs", func(t *testing.T) {
		variants := []struct {
			django djangoStorage
			edit   func(*config.Storage)
		}{
			{djangoStorage{Kind: "s3", Location: bed.location}, func(c *config.Storage) { c.QuerystringAuth = false }},
			{djangoStorage{Kind: "s3"}, func(c *config.Storage) { c.QuerystringAuth, c.Location = false, "" }},
			{djangoStorage{Kind: "s3", Location: bed.location, CustomDomain: "cdn.example.com", QuerystringAuth: true},
				func(c *config.Storage) { c.CustomDomain = "cdn.example.com" }},
			{djangoStorage{Kind: "s3", CustomDomain: "media.example.org"},
				func(c *config.Storage) {
					c.CustomDomain, c.Location, c.QuerystringAuth = "media.example.org", "", false
				}},
		}
		var ops []djangoOp
		for _, v := range variants {
			for _, n := range trickyNames {
				ops = append(ops, djangoOp{Op: "url", Storage: v.django, Name: n})
			}
		}
		results := runDjango(t, bed, mediaRoot, ops)
		for i, res := range results {
			v := variants[i/len(trickyNames)]
			ours, err := bed.storage(t, v.edit).URL(ctx, ops[i].Name)
			if err != nil || ours != res.URL {
				t.Errorf("URL(%q) %+v: worker %q (%v), Django %q", ops[i].Name, v.django, ours, err, res.URL)
			}
		}
	})
}
