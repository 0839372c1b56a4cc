package config

import "fmt"

// Passport holds the settings of the passport_mrz job. How many documents
// are read at once is WORKER_QUEUE_PASSPORT; the Tesseract engines are the
// OCR pool's.
type Passport struct {
	// TessdataDir holds mrz.traineddata (shipped in the repository's
	// tessdata/). Empty means ./tessdata, then tessdata/ beside the
	// executable, then /usr/local/share/revisbali-worker/tessdata.
	TessdataDir string `env:"PASSPORT_TESSDATA_DIR"`
	// MaxPages refuses longer PDFs before any page is rendered.
	MaxPages int `env:"PASSPORT_MAX_PAGES" envDefault:"20"`
}

func (p *Passport) validate() []error {
	var problems []error
	if p.MaxPages < 1 {
		problems = append(problems, fmt.Errorf("PASSPORT_MAX_PAGES: %d must be at least 1", p.MaxPages))
	}
	return problems
}
