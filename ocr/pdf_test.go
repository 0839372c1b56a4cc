package ocr

import "testing"

func TestHasRealText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want bool
	}{
		{"", false},
		{" \n \n", false},
		{"Page 3", false}, // a scanner's stamp over an image
		{"Passport number PA4471936, valid until 2031", true},
		{"\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd abcdefghijklmnop", false}, // glyphs without Unicode
	}
	for _, tt := range tests {
		if got := hasRealText(tt.text); got != tt.want {
			t.Errorf("hasRealText(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
