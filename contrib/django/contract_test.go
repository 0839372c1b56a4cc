package djangokit_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
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
	if bytes.Equal(got, want.Bytes()) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
	line := 0
	for line < min(len(g), len(w)) && g[line] == w[line] {
		line++
	}
	at := func(l []string) string {
		if line < len(l) {
			return strings.TrimSpace(l[line])
		}
		return "(end of file)"
	}
	t.Errorf("%s differs from the jobs package's contract at line %d: %q, the contract says %q; regenerate it with\n\tgo run ./cmd/enqueue kinds --json > contrib/django/%s",
		kindsFile, line+1, at(g), at(w), kindsFile)
}
