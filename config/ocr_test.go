package config

import (
	"slices"
	"strings"
	"testing"
)

func TestOCRSettings(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(base())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.OCR.LanguageList(); !slices.Equal(got, []string{"eng"}) || cfg.OCR.MaxPages != 200 || cfg.OCR.DPI != 300 || cfg.OCR.MaxPixels != 100_000_000 {
		t.Errorf("defaults: %+v", cfg.OCR)
	}
	cfg, err = LoadFrom(with(map[string]string{"OCR_LANGUAGES": "eng+ind"}))
	if err != nil || !slices.Equal(cfg.OCR.LanguageList(), []string{"eng", "ind"}) {
		t.Errorf("eng+ind: %v %v", cfg.OCR.LanguageList(), err)
	}

	tests := []struct {
		name, value, want string
	}{
		{"OCR_LANGUAGES", "+", "OCR_LANGUAGES: empty"},
		{"OCR_LANGUAGES", "eng+../../etc/x", `OCR_LANGUAGES: "../../etc/x" is not a Tesseract language code`},
		{"OCR_MAX_PAGES", "0", "OCR_MAX_PAGES: 0 must be at least 1"},
		{"OCR_DPI", "2400", "OCR_DPI: 2400 is outside 72..1200"},
		{"OCR_MAX_PIXELS", "1000", "OCR_MAX_PIXELS: 1000 is under one megapixel"},
		{"OCR_MAX_PAGES", "many", "OCR_MAX_PAGES"},
	}
	for _, tt := range tests {
		_, err := LoadFrom(with(map[string]string{tt.name: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: %v, want an error containing %q", tt.name, tt.value, err, tt.want)
		}
	}
}
