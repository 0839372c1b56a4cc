package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// OCR holds the settings of the ocr_document job.
type OCR struct {
	// Languages are Tesseract language codes joined by "+" (Tesseract's own
	// spelling, e.g. "eng+ind"); each must be installed, checked at start.
	Languages string `env:"OCR_LANGUAGES" envDefault:"eng"`
	// Workers is how many pages are recognised at once in this process:
	// one Tesseract engine each. 0 means one per CPU.
	Workers int `env:"OCR_WORKERS" envDefault:"0"`
	// MaxPages refuses longer documents before anything is rendered.
	MaxPages int `env:"OCR_MAX_PAGES" envDefault:"200"`
	// DPI is the resolution PDF pages without a text layer are rendered at.
	DPI int `env:"OCR_DPI" envDefault:"300"`
	// MaxPixels bounds one page or image, checked before decoding.
	MaxPixels int64 `env:"OCR_MAX_PIXELS" envDefault:"100000000"`
	// Timeout bounds one document's OCR.
	Timeout time.Duration `env:"OCR_TIMEOUT" envDefault:"15m"`
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
	if o.Workers < 0 {
		add("OCR_WORKERS: %d is negative; 0 means one per CPU", o.Workers)
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
	if o.Timeout <= 0 {
		add("OCR_TIMEOUT: %s must be positive", o.Timeout)
	}
	return problems
}
