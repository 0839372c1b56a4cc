package jobs

import "github.com/riverqueue/river"

// PassportMRZArgs asks for the machine-readable zone of a passport, ID card
// or visa scan.
type PassportMRZArgs struct {
	// Name is the scan's name as Django stores it in the FileField.
	Name string `json:"name" river:"unique"`
}

// Kind implements river.JobArgs.
func (PassportMRZArgs) Kind() string { return KindPassportMRZ }

// InsertOpts makes one name one job, as for OCRDocumentArgs.
func (PassportMRZArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePassport, MaxAttempts: 5, UniqueOpts: uniqueByName()}
}
