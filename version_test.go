package worker

import (
	"os"
	"regexp"
	"testing"
)

// The Go build and the Django kit name one release: the kit's VERSION is
// a link to the root's, and both read as the same semantic version.
func TestVersionIsOneFileForBothSides(t *testing.T) {
	t.Parallel()
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(Version()) {
		t.Fatalf("VERSION %q is not MAJOR.MINOR.PATCH", Version())
	}
	kit, err := os.ReadFile("contrib/django/revisbali_worker/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if string(kit) != version {
		t.Errorf("the kit's VERSION %q differs from the root's %q", kit, version)
	}
}
