package config

import (
	"strings"
	"testing"
)

func TestUIOffByDefault(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(base())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UI.Enabled() {
		t.Errorf("UI on without WORKER_UI_ADDR: %+v", cfg.UI)
	}
}

func TestUISettings(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery staple"
	tests := []struct {
		name   string
		vars   map[string]string
		errors []string // variables the error must name; none means valid
	}{
		{"on with credentials", map[string]string{"WORKER_UI_ADDR": "127.0.0.1:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, nil},
		{"ipv6 loopback", map[string]string{"WORKER_UI_ADDR": "[::1]:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, nil},
		{"localhost", map[string]string{"WORKER_UI_ADDR": "localhost:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, nil},
		{"no credentials", map[string]string{"WORKER_UI_ADDR": "127.0.0.1:8080"}, []string{"WORKER_UI_USER", "WORKER_UI_PASSWORD"}},
		{"no password", map[string]string{"WORKER_UI_ADDR": "127.0.0.1:8080", "WORKER_UI_USER": "ops"}, []string{"WORKER_UI_PASSWORD"}},
		{"no user", map[string]string{"WORKER_UI_ADDR": "127.0.0.1:8080", "WORKER_UI_PASSWORD": password}, []string{"WORKER_UI_USER"}},
		{"every interface", map[string]string{"WORKER_UI_ADDR": ":8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, []string{"WORKER_UI_ADDR"}},
		{"public address", map[string]string{"WORKER_UI_ADDR": "0.0.0.0:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, []string{"WORKER_UI_ADDR"}},
		{"host name", map[string]string{"WORKER_UI_ADDR": "worker1.example.com:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, []string{"WORKER_UI_ADDR"}},
		{"no port", map[string]string{"WORKER_UI_ADDR": "127.0.0.1", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, []string{"WORKER_UI_ADDR"}},
		// A container publishes the UI when told so, never without a password.
		{"public when meant", map[string]string{"WORKER_UI_ADDR": "0.0.0.0:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password, "WORKER_UI_PUBLIC": "True"}, nil},
		{"public every interface", map[string]string{"WORKER_UI_ADDR": ":8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password, "WORKER_UI_PUBLIC": "True"}, nil},
		{"public without password", map[string]string{"WORKER_UI_ADDR": "0.0.0.0:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PUBLIC": "True"}, []string{"WORKER_UI_PASSWORD"}},
		{"public spelled true", map[string]string{"WORKER_UI_ADDR": "0.0.0.0:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password, "WORKER_UI_PUBLIC": "true"}, []string{"WORKER_UI_PUBLIC"}},
		{"public false", map[string]string{"WORKER_UI_ADDR": "0.0.0.0:8080", "WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password, "WORKER_UI_PUBLIC": "False"}, []string{"WORKER_UI_ADDR"}},
		// Credentials alone do not turn the UI on.
		{"credentials only", map[string]string{"WORKER_UI_USER": "ops", "WORKER_UI_PASSWORD": password}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := LoadFrom(with(tt.vars))
			if len(tt.errors) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.UI.Enabled() != (tt.vars["WORKER_UI_ADDR"] != "") {
					t.Errorf("Enabled() = %v with %v", cfg.UI.Enabled(), tt.vars)
				}
				return
			}
			if err == nil {
				t.Fatalf("%v accepted", tt.vars)
			}
			for _, name := range tt.errors {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error does not name %s: %v", name, err)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
