// Command mrzbench generates MRZ test documents (internal/mrzgen) and
// scores readers on them; scripts/bench/passport.sh drives it.
//
//	mrzbench gen -n 150 -negatives 20 -seed 1 DIR    write DIR/*.jpg|png and DIR/truth.json
//	mrzbench evalset [-digests FILE] [-seed N] DIR    write the versioned evaluation set (mrzgen.EvalSet) likewise; -seed: a held-out set of its plan
//	mrzbench read [-shrink PX] [-scenes card,photo] [-subset clean|photo] DIR   read with mrzscan, print rows and a JSON summary
//	mrzbench specimens [-truth FILE] DIR                  read real images listed in DIR/truth.tsv (FILE<TAB>KIND<TAB>LINE1|LINE2, "-" for none) and score them by kind
//	mrzbench baseline DIR                             score DIR/<file>.txt (tesseract CLI output) with the strict parser
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/mrzscan"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
)

// now is fixed so that generated dates and the reader agree on centuries.
var now = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func main() {
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mrzbench gen|read|baseline ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "evalset":
		err = evalset(os.Args[2:])
	case "read":
		err = read(os.Args[2:])
	case "specimens":
		err = specimens(os.Args[2:])
	case "baseline":
		err = baseline(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mrzbench:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fl.Int("n", 100, "documents with a zone")
	neg := fl.Int("negatives", 10, "pages without a zone")
	seed := fl.Uint64("seed", 1, "random seed")
	scenes := fl.String("scenes", "", "comma-separated scenes to draw from (scan, card, photo, handheld, edgecrop, visapage); empty: scan, card, photo")
	fl.Parse(args)
	if fl.NArg() != 1 {
		return errors.New("gen: one output folder")
	}
	dir := fl.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fonts, err := mrzgen.LoadFonts()
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 7))
	var samples []mrzgen.Sample
	for i := range *n + *neg {
		opts := mrzgen.Options{Turn: -1, Now: now}
		if *scenes != "" {
			list := strings.Split(*scenes, ",")
			opts.Scene = mrzgen.Scene(list[i%len(list)])
		}
		if i < *n {
			opts.Format = mrzgen.Formats[i%len(mrzgen.Formats)]
		} else {
			opts.Negative = true
		}
		s, err := fonts.Generate(rng, fmt.Sprintf("doc%03d", i), opts)
		if err != nil {
			return err
		}
		s.File = s.ID + "." + s.Ext
		if err := os.WriteFile(filepath.Join(dir, s.File), s.Data, 0o644); err != nil {
			return err
		}
		samples = append(samples, s)
	}
	raw, err := json.MarshalIndent(samples, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "truth.json"), raw, 0o644)
}

// evalset writes the evaluation set and, with -digests, the digest file
// that pins it (internal/mrzgen/evalset.sha256).
func evalset(args []string) error {
	fl := flag.NewFlagSet("evalset", flag.ExitOnError)
	digests := fl.String("digests", "", "also write the set's digest file here")
	seed := fl.Uint64("seed", 0, "a held-out set: the set's plan from this seed (0: the evaluation set)")
	fl.Parse(args)
	if *seed != 0 && *digests != "" {
		return errors.New("evalset: -digests pins the evaluation set, not a held-out one")
	}
	if fl.NArg() != 1 {
		return errors.New("evalset: one output folder")
	}
	dir := fl.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fonts, err := mrzgen.LoadFonts()
	if err != nil {
		return err
	}
	cases, err := fonts.EvalSet()
	if *seed != 0 {
		cases, err = fonts.EvalSetSeeded(*seed)
	}
	if err != nil {
		return err
	}
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(dir, c.File), c.Data, 0o644); err != nil {
			return err
		}
	}
	if *digests != "" {
		if err := os.WriteFile(*digests, []byte(mrzgen.EvalDigests(cases)), 0o644); err != nil {
			return err
		}
	}
	// Each case's sample with "photo" (and "broken") beside it: read
	// -subset reports clean pages and photos apart.
	raw, err := json.MarshalIndent(cases, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "truth.json"), raw, 0o644)
}

// photos returns, per sample of dir's truth.json, whether the evaluation
// set marks it a photo (false for every sample of a generated set).
func photos(dir string) ([]bool, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return nil, err
	}
	var s []struct {
		Photo bool `json:"photo"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	out := make([]bool, len(s))
	for i, v := range s {
		out[i] = v.Photo
	}
	return out, nil
}

func load(dir string) ([]mrzgen.Sample, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return nil, err
	}
	var s []mrzgen.Sample
	return s, json.Unmarshal(raw, &s)
}

// score accumulates the figures of one reader.
type score struct {
	Docs, Correct, SilentDocs, SilentCovered int
	Negatives, FalsePositives                int
	Valid                                    int
	FieldRight                               map[string]int
	// Unflagged counts wrong fields missing from needs_review (must be 0);
	// CorrectFlagged the fully correct documents with a non-empty list.
	Unflagged, CorrectFlagged int
	Times, CPU                []float64
}

func (sc *score) add(s mrzgen.Sample, res *passport.Result, valid bool, seconds float64) string {
	if sc.FieldRight == nil {
		sc.FieldRight = map[string]int{}
	}
	if s.Truth == nil {
		sc.Negatives++
		if res != nil {
			sc.FalsePositives++
			return "FALSE-POSITIVE"
		}
		return "ok (no zone)"
	}
	sc.Docs++
	sc.Times = append(sc.Times, seconds)
	if res == nil {
		return "MISSED"
	}
	if valid {
		sc.Valid++
	}
	want, got := s.Truth.Fields(), mrzgen.FromResult(res).Fields()
	var wrong []string
	for k, v := range want {
		if got[k] == v {
			sc.FieldRight[k]++
		} else {
			wrong = append(wrong, fmt.Sprintf("%s=%q want %q", k, got[k], v))
		}
	}
	slices.Sort(wrong)
	var unflagged []string
	for k, v := range want {
		if got[k] != v && k != "format" && !slices.Contains(res.NeedsReview, k) {
			unflagged = append(unflagged, k)
		}
	}
	slices.Sort(unflagged)
	sc.Unflagged += len(unflagged)
	review := fmt.Sprintf(" review=%v", res.NeedsReview)
	if len(unflagged) > 0 {
		review += fmt.Sprintf(" UNFLAGGED=%v", unflagged)
	}
	if len(wrong) == 0 {
		sc.Correct++
		if len(res.NeedsReview) > 0 {
			sc.CorrectFlagged++
		}
		return "ok" + review
	}
	wrong = append(wrong, review)
	if valid {
		sc.SilentDocs++
		for _, f := range mrzgen.CoveredFields {
			if got[f] != want[f] {
				sc.SilentCovered++
				break
			}
		}
		return "SILENT " + strings.Join(wrong, " ")
	}
	return "invalid " + strings.Join(wrong, " ")
}

func (sc *score) summary() map[string]any {
	slices.Sort(sc.Times)
	slices.Sort(sc.CPU)
	pctOf := func(v []float64, q float64) float64 {
		if len(v) == 0 {
			return 0
		}
		return v[min(len(v)-1, int(q*float64(len(v))))]
	}
	pct := func(q float64) float64 { return pctOf(sc.Times, q) }
	fields := map[string]float64{}
	for k, v := range sc.FieldRight {
		fields[k] = float64(v) / float64(max(1, sc.Docs))
	}
	return map[string]any{
		"docs": sc.Docs, "fully_correct": sc.Correct, "valid": sc.Valid,
		"silent_docs": sc.SilentDocs, "silent_covered": sc.SilentCovered,
		"unflagged_wrong_fields": sc.Unflagged, "correct_flagged": sc.CorrectFlagged,
		"negatives": sc.Negatives, "false_positives": sc.FalsePositives,
		"field_accuracy": fields, "median_s": pct(0.5), "p95_s": pct(0.95),
		"median_cpu_s": pctOf(sc.CPU, 0.5), "p95_cpu_s": pctOf(sc.CPU, 0.95),
	}
}

func read(args []string) error {
	fl := flag.NewFlagSet("read", flag.ExitOnError)
	only := fl.String("only", "", "read only this file")
	shrink := fl.Int("shrink", 0, "shrink each image to this long edge first, as a thumbnail (images only)")
	scenes := fl.String("scenes", "", "comma-separated scenes to read (card, photo, scan); empty for all")
	subset := fl.String("subset", "", "of an evaluation set: clean or photo; empty for all")
	fl.Parse(args)
	dir := fl.Arg(0)
	samples, err := load(dir)
	if err != nil {
		return err
	}
	isPhoto, err := photos(dir)
	if err != nil {
		return err
	}
	if *subset != "" && *subset != "clean" && *subset != "photo" {
		return fmt.Errorf("read: -subset %q: want clean or photo", *subset)
	}
	rd, closeReader, err := newReader()
	if err != nil {
		return err
	}
	defer closeReader()
	var sc score
	for i, s := range samples {
		if *only != "" && s.File != *only {
			continue
		}
		if *subset != "" && isPhoto[i] != (*subset == "photo") {
			continue
		}
		if *scenes != "" && !slices.Contains(strings.Split(*scenes, ","), string(s.Scene)) {
			continue
		}
		f, err := os.Open(filepath.Join(dir, s.File))
		if err != nil {
			return err
		}
		var res *passport.Result
		t0, cpu0 := time.Now(), cpuTime()
		if *shrink > 0 {
			var img image.Image
			if img, err = imgutil.Decode(f, imgutil.Options{}); err == nil {
				res, err = rd.ReadImage(context.Background(), thumbnail(img, *shrink))
			}
		} else {
			res, err = rd.ReadFile(context.Background(), f)
		}
		dt, dcpu := time.Since(t0).Seconds(), cpuTime()-cpu0
		f.Close()
		if err != nil && !errors.Is(err, passport.ErrNoMRZ) {
			return fmt.Errorf("%s: %w", s.File, err)
		}
		res = matching(res, s.Truth)
		valid := res != nil && res.Valid
		verdict := sc.add(s, res, valid, dt)
		if s.Truth != nil {
			sc.CPU = append(sc.CPU, dcpu)
		}
		format := "-"
		if s.Truth != nil {
			format = string(s.Truth.Format)
		}
		fmt.Fprintf(os.Stderr, "%s %-5s %-5s dpi=%d turn=%d tilt=%+.1f %.2fs (cpu %.2fs) %s\n", s.File, format, s.Scene, s.DPI, s.Turn, s.Tilt, dt, dcpu, verdict)
	}
	return json.NewEncoder(os.Stdout).Encode(sc.summary())
}

// newReader makes the reader that read and specimens use, with the
// zone's and the printed page's models; the func closes its engines.
func newReader() (*mrzscan.Reader, func(), error) {
	tessdata, err := mrzscan.FindTessdata(os.Getenv("PASSPORT_TESSDATA_DIR"))
	if err != nil {
		return nil, nil, err
	}
	// Two engines: the zone's model and the printed page's stay loaded.
	pool, err := ocr.NewPool(ocr.PoolConfig{Size: 2, Languages: []string{mrzscan.Language}, TessdataDir: tessdata})
	if err != nil {
		return nil, nil, err
	}
	eng, err := ocr.TessdataDir("")
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	rd, err := mrzscan.New(pool, mrzscan.Config{TessdataDir: tessdata, PrintTessdataDir: eng, Now: now})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return rd, func() { pool.Close() }, nil
}

// matching returns the reading, among res and res.Others, of the zone
// truth holds; res when none is.
func matching(res *passport.Result, truth *mrzgen.Truth) *passport.Result {
	if res == nil || truth == nil {
		return res
	}
	for _, r := range append([]*passport.Result{res}, res.Others...) {
		if slices.Equal(r.MRZ, truth.MRZ) {
			return r
		}
	}
	return res
}

// cpuTime is the CPU time this process has used, Tesseract's included.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// thumbnail shrinks img so that its long edge is edge pixels.
func thumbnail(img image.Image, edge int) image.Image {
	b := img.Bounds()
	k := float64(edge) / float64(max(b.Dx(), b.Dy()))
	if k >= 1 {
		return img
	}
	dst := image.NewRGBA(image.Rect(0, 0, int(float64(b.Dx())*k), int(float64(b.Dy())*k)))
	xdraw.CatmullRom.Scale(dst, dst.Rect, img, b, xdraw.Src, nil)
	return dst
}

// baseline scores the tesseract CLI's output on each file (FILE.txt) the
// way a strict parser without repair does: the zone counts only when its
// lines, spaces removed, parse valid with no correction at all.
func baseline(args []string) error {
	dir := args[0]
	samples, err := load(dir)
	if err != nil {
		return err
	}
	var sc score
	for _, s := range samples {
		raw, err := os.ReadFile(filepath.Join(dir, s.File+".txt"))
		if err != nil {
			return err
		}
		res := strict(string(raw))
		sc.add(s, res, res != nil, 0)
	}
	return json.NewEncoder(os.Stdout).Encode(sc.summary())
}

// strict finds two or three consecutive lines of exact zone widths that
// parse valid without any correction.
func strict(text string) *passport.Result {
	var lines []string
	for l := range strings.SplitSeq(text, "\n") {
		if l = strings.ReplaceAll(strings.TrimSpace(l), " ", ""); l != "" {
			lines = append(lines, l)
		}
	}
	for i := range lines {
		for n := 2; n <= 3 && i+n <= len(lines); n++ {
			res, err := passport.Parse(lines[i:i+n], passport.ParseOptions{Now: now})
			if err == nil && res.Valid && len(res.Corrections) == 0 {
				return res
			}
		}
	}
	return nil
}
