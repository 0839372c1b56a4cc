package config

import (
	"fmt"
	"time"
)

// Passport holds the settings of the passport_mrz job. How many documents
// are read at once is WORKER_QUEUE_PASSPORT; the Tesseract engines are the
// OCR pool's.
type Passport struct {
	// TessdataDir holds mrz.traineddata (shipped in the repository's
	// tessdata/). Empty means ./tessdata, then tessdata/ beside the
	// executable, then /usr/local/share/revisbali-worker/tessdata.
	TessdataDir string `env:"PASSPORT_TESSDATA_DIR"`
	// TimeBudget bounds the recognition attempts on one document; when it
	// is spent the best reading so far is the result.
	TimeBudget time.Duration `env:"PASSPORT_TIME_BUDGET" envDefault:"8s"`
	// MaxPages refuses longer PDFs before any page is rendered.
	MaxPages int `env:"PASSPORT_MAX_PAGES" envDefault:"20"`
}

// maxPassportBudget keeps the budget under the passport_mrz job's River
// timeout (2 minutes), leaving time to fetch the file.
const maxPassportBudget = 90 * time.Second

func (p *Passport) validate() []error {
	var problems []error
	if p.TimeBudget < time.Second || p.TimeBudget > maxPassportBudget {
		problems = append(problems, fmt.Errorf("PASSPORT_TIME_BUDGET: %s is outside 1s..%s", p.TimeBudget, maxPassportBudget))
	}
	if p.MaxPages < 1 {
		problems = append(problems, fmt.Errorf("PASSPORT_MAX_PAGES: %d must be at least 1", p.MaxPages))
	}
	return problems
}
