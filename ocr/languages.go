package ocr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// tessdataCandidates are where distributions install *.traineddata, tried
// in order when neither a folder nor TESSDATA_PREFIX is given.
var tessdataCandidates = []string{
	"/usr/share/tesseract-ocr/5/tessdata",
	"/usr/share/tesseract-ocr/4.00/tessdata",
	"/usr/share/tessdata",
	"/usr/local/share/tessdata",
}

// TessdataDir returns dir if set, else TESSDATA_PREFIX, else the first
// distribution folder that exists. The pool always hands Tesseract this
// folder explicitly, so the languages checked are the languages used.
func TessdataDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if env := os.Getenv("TESSDATA_PREFIX"); env != "" {
		return env, nil
	}
	for _, c := range tessdataCandidates {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("no tessdata folder found (tried %s); install tesseract-ocr-eng or set OCR_TESSDATA_DIR", strings.Join(tessdataCandidates, ", "))
}

// InstalledLanguages lists the languages whose models are in dir.
func InstalledLanguages(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.traineddata"))
	if err != nil {
		return nil, err
	}
	langs := make([]string, 0, len(matches))
	for _, m := range matches {
		langs = append(langs, strings.TrimSuffix(filepath.Base(m), ".traineddata"))
	}
	slices.Sort(langs)
	return langs, nil
}

// ErrUnknownLanguage is returned for a language whose model is not
// installed.
var ErrUnknownLanguage = errors.New("OCR language not installed")

var languageCode = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// checkLanguages returns an error naming every language of langs that dir
// lacks, and what is installed.
func checkLanguages(dir string, langs []string) error {
	if len(langs) == 0 {
		return fmt.Errorf("%w: no language given", ErrUnknownLanguage)
	}
	installed, err := InstalledLanguages(dir)
	if err != nil {
		return fmt.Errorf("list OCR languages in %s: %w", dir, err)
	}
	var missing []string
	for _, l := range langs {
		if !languageCode.MatchString(l) || !slices.Contains(installed, l) {
			missing = append(missing, fmt.Sprintf("%q", l))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	have := strings.Join(installed, ", ")
	if have == "" {
		have = "none"
	}
	return fmt.Errorf("%w: %s not in %s (installed: %s); install tesseract-ocr-<lang> or add <lang>.traineddata there",
		ErrUnknownLanguage, strings.Join(missing, ", "), dir, have)
}
