package jobs_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/jobs"
)

// A worker returns every error through RiverError: bad input cancels the job
// for good, anything else is retried.
func ExampleRiverError() {
	ctx := context.Background()
	for _, err := range []error{
		fmt.Errorf("ocr scans/a.pdf: %w", fault.BadInput("the PDF is encrypted")),
		errors.New("s3: 503 slow down"),
	} {
		var cancel *rivertype.JobCancelError
		err = jobs.RiverError(ctx, err)
		fmt.Printf("retry=%v: %v\n", !errors.As(err, &cancel), err)
	}
	// Output:
	// retry=false: JobCancelError: ocr scans/a.pdf: the PDF is encrypted
	// retry=true: s3: 503 slow down
}
