package docgen

import (
	"image"
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

func TestJobLabels(t *testing.T) {
	t.Parallel()
	a, b := JobLabels(300, 21), JobLabels(300, 21)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatal("the same seed gave different labels")
	}
	if a[20] != "job 021 invoice "+a[20][16:] || len(a[20]) != len("job 021 invoice 6769") {
		t.Errorf("label 21 is %q", a[20])
	}
	for _, tt := range []struct {
		text string
		ok   bool
	}{
		{a[0], true},
		{strings.Repeat("W", 40), false},
	} {
		img, err := Label(tt.text)
		if (err == nil) != tt.ok {
			t.Errorf("Label(%q): error %v", tt.text, err)
			continue
		}
		if err == nil && img.Rect.Size() != image.Pt(LabelWidth, LabelHeight) {
			t.Errorf("Label(%q) is %v", tt.text, img.Rect.Size())
		}
	}
}
