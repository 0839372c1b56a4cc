package djangokit_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/revisbali/worker/jobs"
)

// kindsFile is the kit's copy of the worker's contract, from which
// revisbali_worker.jobs builds its table of kinds.
const kindsFile = "revisbali_worker/kinds.json"

// TestKindsFileIsTheContract fails on any difference between the kit's
// kinds.json and what `enqueue kinds --json` prints from the jobs
// package's declarations.
func TestKindsFileIsTheContract(t *testing.T) {
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jobs.ContractOf(jobs.Kinds())); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(kindsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s differs from the jobs package's contract; regenerate it with\n\tgo run ./cmd/enqueue kinds --json > contrib/django/%s\nwant:\n%s", kindsFile, kindsFile, want.Bytes())
	}
}
