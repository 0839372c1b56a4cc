package config

import (
	"strings"
	"testing"
)

func TestPassportSettings(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(base())
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Passport; p.TessdataDir != "" || p.MaxPages != 20 {
		t.Errorf("defaults: %+v", p)
	}
	cfg, err = LoadFrom(with(map[string]string{"PASSPORT_MAX_PAGES": "3", "PASSPORT_TESSDATA_DIR": "/opt/tessdata"}))
	if err != nil || cfg.Passport.MaxPages != 3 || cfg.Passport.TessdataDir != "/opt/tessdata" {
		t.Errorf("set: %+v %v", cfg.Passport, err)
	}
	tests := []struct {
		name, value, want string
	}{
		{"PASSPORT_MAX_PAGES", "many", "PASSPORT_MAX_PAGES"},
		{"PASSPORT_MAX_PAGES", "0", "PASSPORT_MAX_PAGES: 0 must be at least 1"},
	}
	for _, tt := range tests {
		_, err := LoadFrom(with(map[string]string{tt.name: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: %v, want an error containing %q", tt.name, tt.value, err, tt.want)
		}
	}
}
