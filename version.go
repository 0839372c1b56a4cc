// Package worker holds what the whole repository shares: its version.
package worker

import (
	_ "embed" // the VERSION file
	"strings"
)

//go:embed VERSION
var version string

// Version is the release named in the VERSION file at the repository's
// root; the Django kit in contrib/django reads the same file.
func Version() string { return strings.TrimSpace(version) }
