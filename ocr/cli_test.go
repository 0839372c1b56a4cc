package ocr

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/revisbali/worker/internal/docgen"
)

// cliText runs the tesseract CLI as a user would (language eng, default
// page segmentation) on the images at paths, in one process through a
// list file, and returns each image's text.
func cliText(t *testing.T, paths []string) []string {
	t.Helper()
	list := writeFile(t, t.TempDir(), "list.txt", []byte(strings.Join(paths, "\n")+"\n"))
	cmd := exec.Command(requireTool(t, "tesseract"), list, "-", "-l", "eng")
	cmd.Env = append(os.Environ(), ThreadLimitVar+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tesseract: %v\n%s", err, stderr.Bytes())
	}
	// The CLI separates pages with a form feed.
	texts := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	if len(texts) != len(paths) {
		t.Fatalf("tesseract read %d pages, want %d", len(texts), len(paths))
	}
	return texts
}

// The worker must never read worse than the tesseract CLI on the same
// file: generated one-line job labels (590x95, DejaVu Sans Mono at 40 px)
// once lost characters to the worker's rescaling of small images ("6767"
// read "6/67") while the CLI read them all. scripts/bench/ocr.sh reads
// 300 of them; 60 here keep the test short.
func TestNoWorseThanCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	type doc struct {
		path string
		want string
	}
	var docs []doc
	for i, text := range docgen.JobLabels(60, 21) {
		img, err := docgen.Label(text)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc{writePNG(t, dir, fmt.Sprintf("label-%03d.png", i+1), img), text})
	}
	// Small scans of whole pages, which the worker once doubled in size.
	for _, p := range []struct {
		text string
		opts docgen.PageOptions
	}{
		{docgen.Letter, docgen.PageOptions{DPI: 100, Rotate: 1.5, Blur: 0.3}},
		{docgen.Invoice, docgen.PageOptions{DPI: 100, Rotate: -1, Blur: 0.3}},
		{docgen.Letter, docgen.PageOptions{DPI: 200, Rotate: 1, Blur: 0.7}},
	} {
		name := fmt.Sprintf("page-%d.png", len(docs))
		docs = append(docs, doc{writePNG(t, dir, name, mustPage(t, p.text, p.opts)), p.text})
	}

	paths := make([]string, len(docs))
	for i, d := range docs {
		paths[i] = d.path
	}
	cli := cliText(t, paths)
	ours := make([]string, len(docs))
	errs := make([]error, len(docs))
	var wg sync.WaitGroup
	for i, d := range docs {
		wg.Go(func() {
			f, err := os.Open(d.path)
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			res, err := testPool.Document(context.Background(), f, Options{})
			ours[i], errs[i] = res.Text, err
		})
	}
	wg.Wait()
	worse := 0
	for i, d := range docs {
		if errs[i] != nil {
			t.Fatalf("%s: %v", filepath.Base(d.path), errs[i])
		}
		o, c := 1-docgen.CharAccuracy(d.want, ours[i]), 1-docgen.CharAccuracy(d.want, cli[i])
		if o > c {
			worse++
			t.Errorf("%s: character error rate %.2f%%, the CLI's %.2f%%\nworker: %q\nCLI:    %q",
				filepath.Base(d.path), 100*o, 100*c, strings.TrimSpace(ours[i]), strings.TrimSpace(cli[i]))
		}
	}
	t.Logf("%d documents, %d read worse than the tesseract CLI", len(docs), worse)
}

func writePNG(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	return writeFile(t, dir, name, encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, img) }))
}
