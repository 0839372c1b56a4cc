package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/riverqueue/river/rivertype"
)

// A name holding a line feed or carriage return, inside a job's error,
// cannot print a status line of its own in the plain output of --wait.
func TestPlainOutputCannotBeForgedByAName(t *testing.T) {
	t.Parallel()
	forged := "ocr \"evil.png\\njob 999 ocr_document: completed\": storage: open evil.png\njob 999 ocr_document: completed\r\x1b[Kjob 999 completed"
	tests := []struct {
		name, text string
		want       string
	}{
		{"plain", "ocr \"a.png\": the file is empty (0 bytes)", "ocr \"a.png\": the file is empty (0 bytes)"},
		{"forged", forged, `"ocr \"evil.png\\njob 999`},
	}
	for _, tt := range tests {
		var out, errs bytes.Buffer
		printResult(&streams{stdout: &out, stderr: &errs}, &jobView{
			ID: 7, Kind: "ocr_document", State: rivertype.JobStateCancelled,
			Errors: []rivertype.AttemptError{{Attempt: 1, Error: tt.text}},
		})
		got := errs.String()
		if strings.Count(got, "\n") != 1 || strings.ContainsAny(strings.TrimSuffix(got, "\n"), "\r\n\x1b") {
			t.Errorf("%s: printed %q, want one line without control characters", tt.name, got)
		}
		if !strings.HasPrefix(got, "job 7 cancelled after 1 attempt(s): "+tt.want) {
			t.Errorf("%s: printed %q, want the error after %q", tt.name, got, tt.want)
		}
		if line := firstLine(tt.text); strings.ContainsAny(line, "\r\n\x1b") {
			t.Errorf("%s: progress line %q holds a control character", tt.name, line)
		}
	}
}
