package config

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The deployment files may only set variables the worker reads: a typo there
// would silently fall back to a default.
func TestComposeSetsOnlyKnownVariables(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Build       any               `yaml:"build"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	worker, ok := compose.Services["worker"]
	if !ok || worker.Build == nil {
		t.Fatal("docker-compose.yml has no worker service built from the Dockerfile")
	}
	known := Variables()
	for name := range worker.Environment {
		if !slices.Contains(known, name) {
			t.Errorf("docker-compose.yml sets %s, which the worker does not read", name)
		}
	}
	if _, err := LoadFrom(worker.Environment); err != nil {
		t.Errorf("the worker would refuse docker-compose.yml's settings: %v", err)
	}
}

// .env.example documents every variable, each with a comment, and nothing else.
func TestEnvExampleListsEveryVariable(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	prevComment := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, _, isVar := strings.Cut(line, "=")
		switch {
		case strings.HasPrefix(line, "#"):
			prevComment = true
			continue
		case isVar:
			if !prevComment {
				t.Errorf(".env.example: %s has no comment above it", name)
			}
			listed[name] = true
		}
		prevComment = false
	}
	known := Variables()
	for _, v := range known {
		if !listed[v] {
			t.Errorf(".env.example does not list %s", v)
		}
	}
	for v := range listed {
		if !slices.Contains(known, v) {
			t.Errorf(".env.example lists %s, which the worker does not read", v)
		}
	}
}
