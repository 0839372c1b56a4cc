// Command ocrbench makes the documents scripts/bench/ocr.sh measures and
// times the worker's OCR on them:
//
//	ocrbench scanned N DIR      N-page image-only 300 DPI PDF DIR/scanned.pdf, and each page as DIR/page-NNN.png
//	ocrbench text N FILE        N-page PDF with a text layer
//	ocrbench ocr [-force-ocr] [-engines N] [-cpu] [-preview] FILE...
//	                            OCR each FILE with one engine per CPU (engines loaded first, as in the
//	                            running worker); prints the seconds the Document calls took, or with
//	                            -cpu the process's CPU seconds (user+sys, getrusage) during them; with
//	                            -preview each call also makes the first page's preview, as the
//	                            ocr_document job does
//	ocrbench labels N DIR       N one-line job-label images DIR/label-NNN.png, their text in DIR/label-NNN.txt
//	ocrbench accuracy DIR       each DIR/label-NNN.png through the worker and through the tesseract CLI;
//	                            prints the images read, those the worker read worse, and both error rates
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/revisbali/worker/internal/docgen"
	"github.com/revisbali/worker/ocr"
)

func main() {
	if err := ocr.EnsureThreadLimit(); err != nil {
		fail(err)
	}
	if len(os.Args) < 2 {
		fail(errors.New("usage: ocrbench scanned|text|ocr|labels|accuracy [args]"))
	}
	var err error
	switch os.Args[1] {
	case "scanned":
		err = scanned(os.Args[2:])
	case "text":
		err = text(os.Args[2:])
	case "ocr":
		err = run(os.Args[2:])
	case "labels":
		err = labels(os.Args[2:])
	case "accuracy":
		err = accuracy(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ocrbench:", err)
	os.Exit(1)
}

// pageText alternates the two sample pages, numbered so that pages differ.
func pageText(i int) string {
	body := docgen.Letter
	if i%2 == 1 {
		body = docgen.Invoice
	}
	return fmt.Sprintf("Page %d\n\n%s", i+1, body)
}

func scanned(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: ocrbench scanned N DIR")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	dir := args[1]
	// Scans differ in their tilt and blur; a handful of distinct pages,
	// repeated, keeps generation quick for 200 pages.
	distinct := min(n, 8)
	images := make([]image.Image, distinct)
	for i := range distinct {
		img, err := docgen.Page(pageText(i), docgen.PageOptions{DPI: 300, Rotate: float64(i%5-2) * 0.5, Blur: 0.6})
		if err != nil {
			return err
		}
		images[i] = img
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%03d.png", i+1)), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	pages := make([]image.Image, n)
	for i := range n {
		pages[i] = images[i%distinct]
	}
	data, err := docgen.ImagePDF(pages, 300)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "scanned.pdf"), data, 0o644)
}

func text(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: ocrbench text N FILE")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	pages := make([]string, n)
	for i := range n {
		pages[i] = pageText(i)
	}
	return os.WriteFile(args[1], docgen.TextPDF(pages), 0o644)
}

func run(args []string) error {
	fs := flag.NewFlagSet("ocr", flag.ExitOnError)
	force := fs.Bool("force-ocr", false, "recognise pages that have a text layer")
	maxPages := fs.Int("max-pages", 200, "page limit")
	engines := fs.Int("engines", 0, "Tesseract engines; 0 means one per CPU")
	cpu := fs.Bool("cpu", false, "print CPU seconds (user+sys) instead of wall seconds")
	preview := fs.Bool("preview", false, "also make the first page's preview, as the ocr_document job does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := ocr.NewPool(ocr.PoolConfig{Size: *engines})
	if err != nil {
		return err
	}
	defer pool.Close()
	var elapsed time.Duration
	var cpuSeconds float64
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		opts := ocr.Options{ForceOCR: *force, MaxPages: *maxPages}
		if *preview {
			opts.Preview = io.Discard
		}
		start, startCPU := time.Now(), cpuTime()
		res, err := pool.Document(context.Background(), f, opts)
		f.Close()
		if err != nil {
			return err
		}
		elapsed += time.Since(start)
		cpuSeconds += cpuTime() - startCPU
		sources := map[ocr.Source]int{}
		for _, p := range res.Pages {
			sources[p.Source]++
		}
		fmt.Fprintf(os.Stderr, "ocrbench: %s: %d pages (%d text layer, %d OCR), %d characters, %d engines\n",
			filepath.Base(path), len(res.Pages), sources[ocr.FromText], sources[ocr.FromOCR], len(strings.TrimSpace(res.Text)), pool.Size())
	}
	if *cpu {
		fmt.Printf("%.3f\n", cpuSeconds)
	} else {
		fmt.Printf("%.3f\n", elapsed.Seconds())
	}
	return nil
}

// cpuTime is the CPU the process has used, user and system, in seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
