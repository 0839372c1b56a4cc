// Package clihelp lays out the help text of the worker's and enqueue's
// commands: paragraphs wrapped to a terminal's 80 columns, and two-column
// lists (flags, variables, exit codes) whose descriptions wrap beside
// their names.
package clihelp

import (
	"fmt"
	"io"
	"strings"
)

// Wrap breaks s into lines of at most width characters, between words; a
// word longer than width stands on a line of its own.
func Wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		if n > 0 && n+1+len(word) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// Indent puts prefix before every line of s.
func Indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// Rows prints names and their descriptions in two columns, indented by
// two spaces, the descriptions wrapped to 78 columns.
func Rows(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	pad := strings.Repeat(" ", width+4)
	for _, r := range rows {
		text := Wrap(r[1], max(78-len(pad), 30))
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], strings.ReplaceAll(text, "\n", "\n"+pad))
	}
}
