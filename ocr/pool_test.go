package ocr

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/internal/docgen"
)

func TestNewPoolRefusesUnknownLanguages(t *testing.T) {
	t.Parallel()
	for _, langs := range [][]string{{"klingon"}, {"eng", "xyz"}, {"../eng"}} {
		_, err := NewPool(PoolConfig{Size: 1, Languages: langs})
		if !errors.Is(err, ErrUnknownLanguage) {
			t.Fatalf("%v: got %v, want ErrUnknownLanguage", langs, err)
		}
		missing := langs[len(langs)-1]
		if msg := err.Error(); !strings.Contains(msg, `"`+missing+`"`) || !strings.Contains(msg, "installed: eng") {
			t.Errorf("%v: %q should name %q and the installed languages", langs, msg, missing)
		}
	}
}

func TestRequestForUnknownLanguageIsBadInput(t *testing.T) {
	t.Parallel()
	img := mustPage(t, "Hello", docgen.PageOptions{DPI: 150})
	_, err := testPool.Recognize(context.Background(), img, Request{Languages: []string{"tlh"}})
	if !fault.IsBadInput(err) || !strings.Contains(err.Error(), `"tlh"`) {
		t.Fatalf("got %v, want bad input naming the language", err)
	}
}

// tessdataCopy makes a model folder holding English under another
// language name, as a caller with its own model (the passport reader's
// mrz) has.
func tessdataCopy(t *testing.T, lang string) string {
	t.Helper()
	src, err := TessdataDir("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(src, "eng.traineddata"), filepath.Join(dir, lang+".traineddata")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPoolServesOtherModelsWithinItsSize(t *testing.T) {
	t.Parallel()
	p, err := NewPool(PoolConfig{Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	other := tessdataCopy(t, "copy")
	line := mustPage(t, "P<AUSWHITFIELD<<MARGARET<ELEANOR<<<<<<<<<<<<", docgen.PageOptions{DPI: 300})

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		req := Request{}
		if i%2 == 1 {
			req = Request{Languages: []string{"copy"}, TessdataDir: other, PageSegMode: SegSingleBlock, Whitelist: "ABCDEFGHIJKLMNOPQRSTUVWXYZ<"}
		}
		wg.Go(func() {
			r, err := p.Recognize(context.Background(), line, req)
			if err != nil {
				errs <- err
				return
			}
			if got := strings.ReplaceAll(r.Text, " ", ""); got != "P<AUSWHITFIELD<<MARGARET<ELEANOR<<<<<<<<<<<<" && req.Whitelist != "" {
				errs <- errors.New("whitelisted read " + got)
			}
			p.mu.Lock()
			alive := p.alive
			p.mu.Unlock()
			if alive > p.Size() {
				errs <- errors.New("more engines alive than the pool's size")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
