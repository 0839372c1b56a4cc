package config

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeVar is a compose interpolation: ${NAME}, ${NAME:-default} or
// ${NAME-default}.
var composeVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}`)

// The deployment files may only set variables the worker reads: a typo there
// would silently fall back to a default. The compose file also reads the
// Django project's .env when present, sets TIME_ZONE, and passes only build
// arguments the Dockerfile declares.
func TestComposeSetsOnlyKnownVariables(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Build struct {
				Context string            `yaml:"context"`
				Args    map[string]string `yaml:"args"`
			} `yaml:"build"`
			EnvFile []struct {
				Path     string `yaml:"path"`
				Required *bool  `yaml:"required"`
			} `yaml:"env_file"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	worker, ok := compose.Services["worker"]
	if !ok || worker.Build.Context == "" {
		t.Fatal("docker-compose.yml has no worker service built from the Dockerfile")
	}
	known := Variables()
	expanded := map[string]string{}
	for name, value := range worker.Environment {
		if !slices.Contains(known, name) {
			t.Errorf("docker-compose.yml sets %s, which the worker does not read", name)
		}
		expanded[name] = composeVar.ReplaceAllStringFunc(value, func(ref string) string {
			m := composeVar.FindStringSubmatch(ref)
			if !slices.Contains(known, m[1]) {
				t.Errorf("docker-compose.yml: %s = %q interpolates %s, which the worker does not read", name, value, m[1])
			}
			return m[2]
		})
	}
	if _, err := LoadFrom(expanded); err != nil {
		t.Errorf("the worker would refuse docker-compose.yml's settings: %v", err)
	}
	if expanded["TIME_ZONE"] == "" {
		t.Error("docker-compose.yml does not set TIME_ZONE: backups would be named in America/Chicago time")
	}
	if len(worker.EnvFile) != 1 || worker.EnvFile[0].Path != ".env" || worker.EnvFile[0].Required == nil || *worker.EnvFile[0].Required {
		t.Errorf("the worker's env_file should be one optional .env, is %+v", worker.EnvFile)
	}
	for arg := range worker.Build.Args {
		if !strings.Contains(string(dockerfile), "\nARG "+arg+"=") {
			t.Errorf("docker-compose.yml passes build argument %s, which the Dockerfile does not declare", arg)
		}
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
