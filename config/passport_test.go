package config

import (
	"strings"
	"testing"
	"time"
)

func TestPassportSettings(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(base())
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Passport; p.TessdataDir != "" || p.TimeBudget != 8*time.Second || p.MaxPages != 20 {
		t.Errorf("defaults: %+v", p)
	}
	cfg, err = LoadFrom(with(map[string]string{"PASSPORT_TIME_BUDGET": "3s", "PASSPORT_TESSDATA_DIR": "/opt/tessdata"}))
	if err != nil || cfg.Passport.TimeBudget != 3*time.Second || cfg.Passport.TessdataDir != "/opt/tessdata" {
		t.Errorf("set: %+v %v", cfg.Passport, err)
	}
	tests := []struct {
		name, value, want string
	}{
		{"PASSPORT_TIME_BUDGET", "100ms", "PASSPORT_TIME_BUDGET: 100ms is outside 1s..1m30s"},
		{"PASSPORT_TIME_BUDGET", "10m", "PASSPORT_TIME_BUDGET: 10m0s is outside"},
		{"PASSPORT_TIME_BUDGET", "soon", "PASSPORT_TIME_BUDGET"},
		{"PASSPORT_MAX_PAGES", "0", "PASSPORT_MAX_PAGES: 0 must be at least 1"},
	}
	for _, tt := range tests {
		_, err := LoadFrom(with(map[string]string{tt.name: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: %v, want an error containing %q", tt.name, tt.value, err, tt.want)
		}
	}
}
