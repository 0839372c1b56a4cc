package config

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWorkerDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(base())
	if err != nil {
		t.Fatal(err)
	}
	want := Worker{
		Migrate:               true,
		HTTPAddr:              "127.0.0.1:9090",
		SoftStopTimeout:       25 * time.Second,
		CompletedJobRetention: 7 * 24 * time.Hour,
		QueueOCR:              runtime.NumCPU(),
		QueuePassport:         runtime.NumCPU(),
		QueueStorage:          8,
		QueueMaintenance:      1,
	}
	if cfg.Worker != want {
		t.Errorf("defaults = %+v, want %+v", cfg.Worker, want)
	}
}

func TestWorkerInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
	}{
		{"WORKER_MIGRATE", "maybe"},
		{"WORKER_HTTP_ADDR", "9090"},
		{"WORKER_SOFT_STOP_TIMEOUT", "25"},
		{"WORKER_SOFT_STOP_TIMEOUT", "0s"},
		{"WORKER_COMPLETED_JOB_RETENTION", "7d"},
		{"WORKER_COMPLETED_JOB_RETENTION", "0s"},
		{"WORKER_COMPLETED_JOB_RETENTION", "23h"},
		{"WORKER_QUEUE_OCR", "-1"},
		{"WORKER_QUEUE_STORAGE", "0"},
		{"WORKER_QUEUE_MAINTENANCE", "20000"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			_, err := LoadFrom(with(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.name, tt.value)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error does not name %s: %v", tt.name, err)
			}
		})
	}
}

func TestWorkerSettings(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(with(map[string]string{
		"WORKER_MIGRATE":                 "false",
		"WORKER_HTTP_ADDR":               ":0",
		"WORKER_SOFT_STOP_TIMEOUT":       "1m30s",
		"WORKER_QUEUE_OCR":               "3",
		"WORKER_COMPLETED_JOB_RETENTION": "720h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Worker
	if w.Migrate || w.HTTPAddr != ":0" || w.SoftStopTimeout != 90*time.Second || w.QueueOCR != 3 || w.CompletedJobRetention != 30*24*time.Hour {
		t.Errorf("settings not read: %+v", w)
	}
}
