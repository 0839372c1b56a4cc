package docgen

import (
	"strings"
	"testing"
)

func TestCharAccuracy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		want, got string
		acc       float64
	}{
		{"Passport PA4471936", "Passport PA4471936", 1},
		{"Passport PA4471936", "Passport  PA4471936\n", 1}, // layout is not judged
		{"abcd", "abxd", 0.75},                             // one substitution
		{"abcd", "abd", 0.75},                              // one deletion
		{"abcd", "abcde", 0.75},                            // one insertion
		{"ab", "xyzuvw", 0},                                // more edits than characters
		{"", "", 1},
		{"", "noise", 0},
	}
	for _, tt := range tests {
		if got := CharAccuracy(tt.want, tt.got); got != tt.acc {
			t.Errorf("CharAccuracy(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.acc)
		}
	}
}

func TestPageRefusesTextItCannotDraw(t *testing.T) {
	t.Parallel()
	if _, err := Page(strings.Repeat("wide ", 40), PageOptions{DPI: 72}); err == nil || !strings.Contains(err.Error(), "wider than the page") {
		t.Errorf("a line wider than the page: %v", err)
	}
	if _, err := Page(strings.Repeat("line\n", 200), PageOptions{DPI: 72}); err == nil || !strings.Contains(err.Error(), "longer than one page") {
		t.Errorf("text longer than a page: %v", err)
	}
	img, err := Page(Letter, PageOptions{DPI: 100})
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Rect.Dx(), img.Rect.Dy(); w != 827 || h != 1169 {
		t.Errorf("A4 at 100 DPI is %dx%d, want 827x1169", w, h)
	}
}
