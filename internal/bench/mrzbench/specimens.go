package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/passport"
)

// specimen is one row of a truth file of real images: the file, the kind
// of picture (scan, photo, thumb...) and the zone's true lines, none for
// an image without a zone.
type specimen struct {
	File, Kind string
	Lines      []string
}

// loadSpecimens reads FILE<TAB>KIND<TAB>LINE1|LINE2[|LINE3] rows ("-" for
// no zone; "?" for a zone not yet transcribed, reported but not scored).
// Blank lines and lines starting with # are skipped.
func loadSpecimens(path string) ([]specimen, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []specimen
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		row := strings.TrimSpace(sc.Text())
		if row == "" || strings.HasPrefix(row, "#") {
			continue
		}
		cols := strings.Split(row, "\t")
		if len(cols) != 3 {
			return nil, fmt.Errorf("%s:%d: want FILE<TAB>KIND<TAB>LINES, got %d column(s)", path, n, len(cols))
		}
		s := specimen{File: cols[0], Kind: cols[1]}
		if cols[2] != "-" {
			s.Lines = strings.Split(cols[2], "|")
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// specimens reads real images listed in a truth file (see loadSpecimens)
// and scores them as read does, by kind and in all.
func specimens(args []string) error {
	fl := flag.NewFlagSet("specimens", flag.ExitOnError)
	truthFile := fl.String("truth", "", "truth file; default DIR/truth.tsv")
	only := fl.String("only", "", "read only files whose name contains this")
	fl.Parse(args)
	if fl.NArg() != 1 {
		return errors.New("specimens: one folder")
	}
	dir := fl.Arg(0)
	if *truthFile == "" {
		*truthFile = filepath.Join(dir, "truth.tsv")
	}
	list, err := loadSpecimens(*truthFile)
	if err != nil {
		return err
	}
	rd, closeReader, err := newReader()
	if err != nil {
		return err
	}
	defer closeReader()
	all := score{}
	byKind := map[string]*score{}
	for _, s := range list {
		if *only != "" && !strings.Contains(s.File, *only) {
			continue
		}
		sample := mrzgen.Sample{File: s.File}
		unknown := len(s.Lines) == 1 && s.Lines[0] == "?"
		if len(s.Lines) > 0 && !unknown {
			want, err := passport.Parse(s.Lines, passport.ParseOptions{Now: now})
			if err != nil {
				return fmt.Errorf("%s: truth: %w", s.File, err)
			}
			if !want.Valid {
				fmt.Fprintf(os.Stderr, "%s: note: the true zone does not pass its check digits\n", s.File)
			}
			t := mrzgen.FromResult(want)
			sample.Truth = &t
		}
		f, err := os.Open(filepath.Join(dir, s.File))
		if err != nil {
			return err
		}
		t0, cpu0 := time.Now(), cpuTime()
		res, err := rd.ReadFile(context.Background(), f)
		dt, dcpu := time.Since(t0).Seconds(), cpuTime()-cpu0
		f.Close()
		if err != nil && !errors.Is(err, passport.ErrNoMRZ) {
			return fmt.Errorf("%s: %w", s.File, err)
		}
		var got []string
		if res != nil {
			res = matching(res, sample.Truth)
			got = res.MRZ
		}
		verdict := "unscored"
		if !unknown {
			k := byKind[s.Kind]
			if k == nil {
				k = &score{}
				byKind[s.Kind] = k
			}
			valid := res != nil && res.Valid
			verdict = all.add(sample, res, valid, dt)
			k.add(sample, res, valid, dt)
			if sample.Truth != nil {
				all.CPU = append(all.CPU, dcpu)
				k.CPU = append(k.CPU, dcpu)
			}
		}
		fmt.Fprintf(os.Stderr, "%s\t%s\t%.2fs (cpu %.2fs)\t%s\t%s\n", s.File, s.Kind, dt, dcpu, strings.Join(got, "|"), verdict)
	}
	out := map[string]any{"all": all.summary()}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		out[k] = byKind[k].summary()
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
