package jobs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/storage"
)

// OCRDocumentArgs asks for the text of an image or PDF.
type OCRDocumentArgs struct {
	// Name is the file's name as Django stores it in the FileField.
	Name string `json:"name" river:"unique"`
	// Lang is Tesseract's language list, e.g. "eng+ind"; empty means the
	// worker's default.
	Lang string `json:"lang,omitempty"`
}

// KindOCRDocument is the kind's name, for Go code that inserts or reads it.
const KindOCRDocument = "ocr_document"

// ocrDocument makes one name one job while it waits or runs: a second
// request returns that job; after it finished, a new job reads the file
// again. docs/river.md gives Django's side of the key.
var ocrDocument = declare(Define(Kind{
	Name:        KindOCRDocument,
	Queue:       QueueOCR,
	Timeout:     10 * time.Minute,
	MaxAttempts: 5,
	Unique:      uniqueByName(),
	Files:       []string{"preview"},
	Description: "read the text of a stored image or PDF and save a preview of its first page",
	Command: &Command{
		Verb:       "ocr",
		Positional: &Positional{Placeholder: "NAME", Arg: "name", Usage: "the file's name as Django stores it, e.g. scans/a.pdf"},
		Flags:      []Flag{{Name: "lang", Arg: "lang", Placeholder: "L", Usage: "Tesseract languages, e.g. eng+ind (default: OCR_LANGUAGES)"}},
	},
}, func(deps Deps) (river.Worker[OCRDocumentArgs], error) {
	return &ocrDocumentWorker{deps: deps}, nil
}))

// Kind implements river.JobArgs.
func (OCRDocumentArgs) Kind() string { return KindOCRDocument }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a OCRDocumentArgs) InsertOpts() river.InsertOpts { return ocrDocument.InsertOpts(a) }

// OCRDocumentOutput is the ocr_document contract of docs/river.md.
type OCRDocumentOutput struct {
	Name string `json:"name"`
	ocr.Result
	Preview Preview `json:"preview"`
}

// Preview is a stored image of a document's first page. Only its name is
// kept: a URL made when the job ran would expire (AWS_QUERYSTRING_EXPIRE),
// so readers (the kit's job_result, `enqueue --json`) add a fresh one.
type Preview struct {
	Name string `json:"name"`
}

// previewPrefix is where previews are stored: previews/<name>.jpg.
const previewPrefix = "previews/"

// ocrDocumentWorker reads a stored document's text through Tesseract (or
// the PDF's own text layer) and saves a preview of its first page beside
// the media.
type ocrDocumentWorker struct {
	river.WorkerDefaults[OCRDocumentArgs]
	deps Deps
}

func (w *ocrDocumentWorker) Work(ctx context.Context, job *river.Job[OCRDocumentArgs]) error {
	out, err := w.read(ctx, job.Args)
	if err != nil {
		return fmt.Errorf("ocr %q: %w", job.Args.Name, err)
	}
	return recordOutput(ctx, out)
}

func (w *ocrDocumentWorker) read(ctx context.Context, args OCRDocumentArgs) (OCRDocumentOutput, error) {
	cfg := w.deps.Config.OCR
	opts := ocr.Options{MaxPages: cfg.MaxPages, DPI: float64(cfg.DPI), MaxPixels: cfg.MaxPixels}
	if args.Lang != "" {
		opts.Languages = strings.Split(args.Lang, "+")
	}
	// The preview's key is derived from the name: refuse a bad name before
	// any work rather than after the OCR.
	previewName := previewPrefix + args.Name + ".jpg"
	if _, err := storage.CleanName(previewName); err != nil {
		return OCRDocumentOutput{}, err
	}

	out := OCRDocumentOutput{Name: args.Name}
	// The preview is made while the pages are read, from the same open
	// document (and, for an image, the same decode).
	var preview bytes.Buffer
	opts.Preview = &preview
	err := w.deps.Temp.WithFile(ctx, w.deps.Storage, args.Name, func(f *os.File) error {
		res, err := w.deps.OCR.Document(ctx, f, opts)
		out.Result = res
		return err
	})
	if err != nil {
		return OCRDocumentOutput{}, err
	}

	saved, err := w.deps.Storage.Save(ctx, previewName, &preview, storage.SaveOptions{
		ContentType: "image/jpeg", Replace: true, Size: int64(preview.Len()),
	})
	if err != nil {
		return OCRDocumentOutput{}, fmt.Errorf("save preview: %w", err)
	}
	out.Preview = Preview{Name: saved}
	return out, nil
}
