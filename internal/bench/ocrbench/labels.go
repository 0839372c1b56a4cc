package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/revisbali/worker/internal/docgen"
	"github.com/revisbali/worker/ocr"
)

// labelSeed fixes the invoice numbers, so every bench reads the same labels.
const labelSeed = 21

func labels(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: ocrbench labels N DIR")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	for i, text := range docgen.JobLabels(n, labelSeed) {
		img, err := docgen.Label(text)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		base := filepath.Join(args[1], fmt.Sprintf("label-%03d", i+1))
		if err := os.WriteFile(base+".png", b.Bytes(), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(base+".txt", []byte(text+"\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// accuracy reads every label through the worker (one engine per CPU, as
// the worker runs) and through the tesseract CLI (one process reading them
// all from a list file, so its model loads once), and compares each
// image's character error rate.
func accuracy(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: ocrbench accuracy DIR")
	}
	pngs, err := filepath.Glob(filepath.Join(args[0], "label-*.png"))
	if err != nil {
		return err
	}
	if len(pngs) == 0 {
		return fmt.Errorf("no label-*.png in %s", args[0])
	}
	want := make([]string, len(pngs))
	for i, p := range pngs {
		b, err := os.ReadFile(strings.TrimSuffix(p, ".png") + ".txt")
		if err != nil {
			return err
		}
		want[i] = strings.TrimSpace(string(b))
	}
	cli, err := cliTexts(pngs)
	if err != nil {
		return err
	}
	ours, err := workerTexts(pngs)
	if err != nil {
		return err
	}
	var worse, better int
	var oursErr, cliErr, chars float64
	for i := range pngs {
		n := float64(len([]rune(want[i])))
		o, c := 1-docgen.CharAccuracy(want[i], ours[i]), 1-docgen.CharAccuracy(want[i], cli[i])
		oursErr += o * n
		cliErr += c * n
		chars += n
		switch {
		case o > c:
			worse++
			fmt.Fprintf(os.Stderr, "ocrbench: %s: worker read %q, CLI %q, want %q\n", filepath.Base(pngs[i]), ours[i], cli[i], want[i])
		case o < c:
			better++
		}
	}
	// images, read worse than the CLI, read better, error rates in percent
	fmt.Printf("%d %d %d %.3f %.3f\n", len(pngs), worse, better, 100*oursErr/chars, 100*cliErr/chars)
	return nil
}

func cliTexts(paths []string) ([]string, error) {
	list, err := os.CreateTemp("", "labels-*.txt")
	if err != nil {
		return nil, err
	}
	defer os.Remove(list.Name())
	_, err = list.WriteString(strings.Join(paths, "\n") + "\n")
	if cerr := list.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	out, err := exec.Command("tesseract", list.Name(), "-", "-l", "eng").Output()
	if err != nil {
		return nil, fmt.Errorf("tesseract: %w", err)
	}
	// Pages are separated by form feeds.
	texts := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	if len(texts) != len(paths) {
		return nil, fmt.Errorf("tesseract read %d images of %d", len(texts), len(paths))
	}
	return texts, nil
}

func workerTexts(paths []string) ([]string, error) {
	pool, err := ocr.NewPool(ocr.PoolConfig{})
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	texts := make([]string, len(paths))
	errs := make([]error, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	for range pool.Size() {
		wg.Go(func() {
			for i := range work {
				texts[i], errs[i] = workerText(pool, paths[i])
			}
		})
	}
	for i := range paths {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", paths[i], err)
		}
	}
	return texts, nil
}

func workerText(pool *ocr.Pool, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	res, err := pool.Document(context.Background(), f, ocr.Options{})
	return res.Text, err
}
