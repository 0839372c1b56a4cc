package config

import (
	"fmt"
	"regexp"
	"strings"
)

// OCR holds the settings of the ocr_document job. How many pages are
// recognised at once is WORKER_QUEUE_OCR (one Tesseract engine per slot of
// the ocr queue), and how long a job may run is its River timeout.
type OCR struct {
	// Languages are Tesseract language codes joined by "+" (Tesseract's own
	// spelling, e.g. "eng+ind"); each must be installed, checked at start.
	Languages string `env:"OCR_LANGUAGES" envDefault:"eng"`
	// MaxPages refuses longer documents before anything is rendered.
	MaxPages int `env:"OCR_MAX_PAGES" envDefault:"200"`
	// DPI is the resolution PDF pages without a text layer are rendered at.
	DPI int `env:"OCR_DPI" envDefault:"300"`
	// MaxPixels bounds one page or image, checked before decoding.
	MaxPixels int64 `env:"OCR_MAX_PIXELS" envDefault:"100000000"`
	// TessdataDir is where the *.traineddata files are; empty means
	// TESSDATA_PREFIX, then the distribution's folder.
	TessdataDir string `env:"OCR_TESSDATA_DIR"`
}

var languageCode = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// LanguageList splits Languages into codes.
func (o OCR) LanguageList() []string {
	return strings.FieldsFunc(o.Languages, func(r rune) bool { return r == '+' || r == ',' || r == ' ' })
}

func (o *OCR) validate() []error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	langs := o.LanguageList()
	if len(langs) == 0 {
		add("OCR_LANGUAGES: empty; name at least one Tesseract language, e.g. eng")
	}
	for _, l := range langs {
		if !languageCode.MatchString(l) {
			add("OCR_LANGUAGES: %q is not a Tesseract language code (letters, digits and _ only)", l)
		}
	}
	if o.MaxPages < 1 {
		add("OCR_MAX_PAGES: %d must be at least 1", o.MaxPages)
	}
	if o.DPI < 72 || o.DPI > 1200 {
		add("OCR_DPI: %d is outside 72..1200", o.DPI)
	}
	if o.MaxPixels < 1_000_000 {
		add("OCR_MAX_PIXELS: %d is under one megapixel, too small for a scanned page", o.MaxPixels)
	}
	return problems
}
