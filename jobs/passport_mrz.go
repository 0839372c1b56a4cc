package jobs

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/riverqueue/river"

	"github.com/revisbali/worker/mrzscan"
	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/storage"
)

// PassportMRZArgs asks for the machine-readable zone of a passport, ID card
// or visa scan.
type PassportMRZArgs struct {
	// Name is the scan's name as Django stores it in the FileField.
	Name string `json:"name" river:"unique"`
}

// KindPassportMRZ is the kind's name, for Go code that inserts or reads it.
const KindPassportMRZ = "passport_mrz"

// passportMRZ makes one name one job, as ocrDocument does. The reader loads
// its model when registered; callers without an OCR pool (tests of other
// kinds) leave the kind out.
var passportMRZ = declare(Define(Kind{
	Name:  KindPassportMRZ,
	Queue: QueuePassport,
	// The reader's search is bounded by work (mrzscan.MaxRecognitions),
	// never by time: the worst document of its evaluation set takes 1 s of
	// CPU idle, a zone that never validates about 4 s. Ten minutes leave
	// room for a machine many times oversubscribed, so that load alone
	// never times a job out.
	Timeout:     10 * time.Minute,
	MaxAttempts: 5,
	Unique:      uniqueByName(),
	Files:       []string{"portrait"},
	Description: "read the machine-readable zone of a stored passport, ID card or visa scan",
	Command: &Command{
		Verb:       "passport",
		Positional: &Positional{Placeholder: "NAME", Arg: "name", Usage: "the scan's name as Django stores it, e.g. passports/p.jpg"},
	},
}, func(deps Deps) (river.Worker[PassportMRZArgs], error) {
	if deps.Storage == nil || deps.Temp == nil || deps.OCR == nil {
		return nil, nil
	}
	return newPassportMRZWorker(deps)
}))

// Kind implements river.JobArgs.
func (PassportMRZArgs) Kind() string { return KindPassportMRZ }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a PassportMRZArgs) InsertOpts() river.InsertOpts { return passportMRZ.InsertOpts(a) }

// passportMRZWorker reads the zone of a stored image or PDF. Its output is
// passport.Result: every field, each check's verdict, the corrections made,
// a confidence, needs_review (empty: straight-through processing), the
// printed page's verdicts and the stored portrait's name. A file without a
// zone cancels the job ("no machine-readable zone found"); a zone whose
// checks fail completes with valid false.
type passportMRZWorker struct {
	river.WorkerDefaults[PassportMRZArgs]
	deps   Deps
	reader *mrzscan.Reader
}

func newPassportMRZWorker(deps Deps) (*passportMRZWorker, error) {
	cfg := deps.Config.Passport
	reader, err := mrzscan.New(deps.OCR, mrzscan.Config{
		TessdataDir: cfg.TessdataDir,
		MaxPages:    cfg.MaxPages,
		MaxPixels:   deps.Config.OCR.MaxPixels,
		Logger:      deps.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &passportMRZWorker{deps: deps, reader: reader}, nil
}

func (w *passportMRZWorker) Work(ctx context.Context, job *river.Job[PassportMRZArgs]) error {
	// The portrait's name is derived from the scan's: refuse a bad name
	// before any work rather than after the reading.
	if _, err := storage.CleanName(portraitName(job.Args.Name)); err != nil {
		return fmt.Errorf("passport %q: %w", job.Args.Name, err)
	}
	var res *passport.Result
	err := w.deps.Temp.WithFile(ctx, w.deps.Storage, job.Args.Name, func(f *os.File) error {
		var err error
		res, err = w.reader.ReadFile(ctx, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("passport %q: %w", job.Args.Name, err)
	}
	res.Name = job.Args.Name
	if err := w.storePortrait(ctx, job.Args.Name, res); err != nil {
		return fmt.Errorf("passport %q: %w", job.Args.Name, err)
	}
	return recordOutput(ctx, res)
}
