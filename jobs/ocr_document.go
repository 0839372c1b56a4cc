package jobs

import "github.com/riverqueue/river"

// OCRDocumentArgs asks for the text of an image or PDF.
type OCRDocumentArgs struct {
	// Name is the file's name as Django stores it in the FileField.
	Name string `json:"name" river:"unique"`
	// Lang is Tesseract's language list, e.g. "eng+ind"; empty means the
	// worker's default.
	Lang string `json:"lang,omitempty"`
}

// Kind implements river.JobArgs.
func (OCRDocumentArgs) Kind() string { return KindOCRDocument }

// InsertOpts makes one name one job: a second request returns the first
// job while it waits, runs, or has completed (until River deletes completed
// jobs, after a day). compat.md section 5 gives Django's side of the key.
func (OCRDocumentArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueOCR, MaxAttempts: 5, UniqueOpts: uniqueByName()}
}
