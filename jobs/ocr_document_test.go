package jobs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/r2proxy"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/tempfile"
)

// ocrBed is a River database, an OCR pool and one storage backend holding
// the demo documents under demo/.
type ocrBed struct {
	backupBed
	temp *tempfile.Dir
}

func setupOCR(t *testing.T, cloud bool) ocrBed {
	t.Helper()
	ctx := context.Background()
	db := setupDB(t)
	vars := map[string]string{"DATABASE_URL": db.pool.Config().ConnString(), "MEDIA_ROOT": t.TempDir()}
	if cloud {
		srv := testbed.S3Server(t)
		proxy := r2proxy.Start(t, srv.Endpoint)
		vars["USE_CLOUD_STORAGE"] = "True"
		vars["AWS_ACCESS_KEY_ID"] = srv.AccessKey
		vars["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
		vars["AWS_STORAGE_BUCKET_NAME"] = srv.Bucket
		vars["AWS_S3_ENDPOINT_URL"] = proxy.URL
		vars["AWS_LOCATION"] = "ocr-" + randomName(t)
	}
	cfg, err := config.LoadFrom(vars)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.New(ctx, cfg.Storage)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"invoice-scan.png", "sponsor-letter.pdf"} {
		data, err := os.ReadFile(filepath.Join("..", "demo", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Save(ctx, "demo/"+f, bytes.NewReader(data), storage.SaveOptions{Replace: true}); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{"bad/empty.pdf": "", "bad/page.pdf": "<!doctype html><html><body>not a pdf</body></html>"} {
		if _, err := store.Save(ctx, name, strings.NewReader(data), storage.SaveOptions{Replace: true}); err != nil {
			t.Fatal(err)
		}
	}
	pool, err := ocr.NewPool(ocr.PoolConfig{Size: 1, Languages: cfg.OCR.LanguageList()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	temp, err := tempfile.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { temp.Close() })
	deps := Deps{Config: cfg, Storage: store, Pool: db.pool, Logger: slog.New(slog.DiscardHandler), Temp: temp, OCR: pool}
	return ocrBed{backupBed: backupBed{db: db, deps: deps}, temp: temp}
}

func randomName(t *testing.T) string {
	return strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())) + "-" + filepath.Base(t.TempDir())
}

// leftovers lists the files in the worker's temp folder, its lock aside.
func (b ocrBed) leftovers(t *testing.T) []string {
	t.Helper()
	var left []string
	filepath.WalkDir(b.temp.Path(), func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && e.Name() != ".lock" {
			left = append(left, p)
		}
		return nil
	})
	return left
}

func TestOCRDocumentJob(t *testing.T) {
	t.Parallel()
	for _, cloud := range []bool{false, true} {
		name := "local"
		if cloud {
			name = "s3"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setupOCR(t, cloud)
			w := &ocrDocumentWorker{deps: b.deps}
			tests := []struct {
				name    string
				source  string
				pages   int
				phrases []string
			}{
				{"demo/invoice-scan.png", "ocr", 1, []string{"INVOICE", "Total due", "13,450,000"}},
				{"demo/sponsor-letter.pdf", "text", 2, []string{"Sponsor letter for a limited stay permit", "Annex: list of enclosed documents"}},
			}
			for _, tt := range tests {
				event, out, _ := work(t, b.backupBed, w, OCRDocumentArgs{Name: tt.name})
				if event != river.EventKindJobCompleted {
					t.Fatalf("%s: %s, want completed", tt.name, event)
				}
				if out["name"] != tt.name {
					t.Errorf("%s: output name %v", tt.name, out["name"])
				}
				pages, _ := out["pages"].([]any)
				if len(pages) != tt.pages {
					t.Fatalf("%s: %d pages, want %d", tt.name, len(pages), tt.pages)
				}
				for _, p := range pages {
					if src := p.(map[string]any)["source"]; src != tt.source {
						t.Errorf("%s: page source %v, want %s", tt.name, src, tt.source)
					}
				}
				text, _ := out["text"].(string)
				for _, phrase := range tt.phrases {
					if !strings.Contains(text, phrase) {
						t.Errorf("%s: text lacks %q:\n%s", tt.name, phrase, text)
					}
				}
				preview, _ := out["preview"].(map[string]any)
				previewName, _ := preview["name"].(string)
				if previewName != "previews/"+tt.name+".jpg" {
					t.Errorf("%s: preview name %q", tt.name, previewName)
				}
				// A name only: a URL made now would expire; readers make one.
				if len(preview) != 1 {
					t.Errorf("%s: the output's preview is %v; want its name alone", tt.name, preview)
				}
				url, err := b.deps.Storage.URL(context.Background(), previewName)
				if err != nil {
					t.Fatal(err)
				}
				info, err := b.deps.Storage.Stat(context.Background(), previewName)
				if err != nil || info.ContentType != "image/jpeg" && cloud {
					t.Errorf("%s: preview not stored as a JPEG: %+v, %v", tt.name, info, err)
				}
				if cloud {
					resp, err := http.Get(url)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte{0xFF, 0xD8}) {
						t.Errorf("%s: GET preview URL: %d, %d bytes", tt.name, resp.StatusCode, len(body))
					}
				} else if url != "/media/"+previewName {
					t.Errorf("%s: preview URL %q, want /media/%s", tt.name, url, previewName)
				}
			}
			if left := b.leftovers(t); len(left) != 0 {
				t.Errorf("temp files left: %v", left)
			}
		})
	}
}

func TestOCRDocumentJobBadInput(t *testing.T) {
	t.Parallel()
	b := setupOCR(t, true)
	w := &ocrDocumentWorker{deps: b.deps}
	tests := []struct {
		args OCRDocumentArgs
		want string
	}{
		{OCRDocumentArgs{Name: "bad/empty.pdf"}, "empty"},
		{OCRDocumentArgs{Name: "bad/page.pdf"}, "bad/page.pdf"},
		{OCRDocumentArgs{Name: "bad/missing.pdf"}, "bad/missing.pdf"},
		{OCRDocumentArgs{Name: "../../etc/passwd"}, "suspicious"},
		{OCRDocumentArgs{Name: "demo/invoice-scan.png", Lang: "klingon"}, "klingon"},
	}
	for _, tt := range tests {
		event, _, job := work(t, b.backupBed, w, tt.args)
		if event != river.EventKindJobCancelled {
			t.Errorf("%+v: %s, want cancelled without retry", tt.args, event)
			continue
		}
		if len(job.Errors) == 0 || !strings.Contains(job.Errors[0].Error, tt.want) {
			t.Errorf("%+v: errors %v, want one naming %q", tt.args, job.Errors, tt.want)
		}
	}
	if left := b.leftovers(t); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	_, err := b.deps.Storage.Stat(context.Background(), "previews/bad/page.pdf.jpg")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a preview was stored for a bad input: %v", err)
	}
}
