package clihelp_test

import (
	"os"
	"strings"
	"testing"

	"github.com/revisbali/worker/clihelp"
)

func TestWrap(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{"", 10, ""},
		{"one two three", 20, "one two three"},
		{"one two three", 7, "one two\nthree"},
		{"  spaces\tand\nnewlines  fold ", 80, "spaces and newlines fold"},
		{"a longer-than-width word", 5, "a\nlonger-than-width\nword"},
	} {
		if got := clihelp.Wrap(tt.in, tt.width); got != tt.want {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
		for _, line := range strings.Split(clihelp.Wrap(tt.in, tt.width), "\n") {
			if len(line) > tt.width && !strings.Contains(line, "longer-than-width") {
				t.Errorf("Wrap(%q, %d): line %q is wider than %d", tt.in, tt.width, line, tt.width)
			}
		}
	}
}

func ExampleRows() {
	clihelp.Rows(os.Stdout, [][2]string{
		{"0", "enqueued"},
		{"1", "the job ended without completing: it failed, was cancelled or was discarded after its last attempt, and its errors say why"},
		{"2", "usage error"},
	})
	// Output:
	//   0  enqueued
	//   1  the job ended without completing: it failed, was cancelled or was
	//      discarded after its last attempt, and its errors say why
	//   2  usage error
}

func ExampleIndent() {
	os.Stdout.WriteString(clihelp.Indent(clihelp.Wrap("DATABASE_URL MEDIA_ROOT USE_CLOUD_STORAGE WORKER_TMPDIR", 32), "  ") + "\n")
	// Output:
	//   DATABASE_URL MEDIA_ROOT
	//   USE_CLOUD_STORAGE WORKER_TMPDIR
}
