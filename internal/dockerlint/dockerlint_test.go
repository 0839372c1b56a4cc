package dockerlint

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readRepo(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// The project's own Dockerfile and compose file pass the lint.
func TestProjectFiles(t *testing.T) {
	t.Parallel()
	readme := readRepo(t, "README.md")
	for _, p := range Dockerfile(readRepo(t, "Dockerfile"), readme) {
		t.Error(p)
	}
	for _, p := range Compose(readRepo(t, "docker-compose.yml")) {
		t.Error(p)
	}
}

func TestCheckImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref string
		ok  bool
	}{
		{"golang:1.26-bookworm", true},
		{"debian:bookworm-slim", true},
		{"postgres:15", true},
		{"versity/versitygw:v1.8.0", true},
		{"busybox:1.36", true},
		{"debian@sha256:" + strings.Repeat("a", 64), true},
		{"localhost:5000/worker:2.1", true},
		{"debian", false},
		{"debian:latest", false},
		{"versity/versitygw", false},
		{"localhost:5000/worker", false},
		{"debian:stable-slim", false},
		{"busybox:musl", false},
	}
	for _, tt := range tests {
		if got := CheckImage(tt.ref); (got == "") != tt.ok {
			t.Errorf("CheckImage(%q) = %q, want ok=%v", tt.ref, got, tt.ok)
		}
	}
}

func TestDockerfileProblems(t *testing.T) {
	t.Parallel()
	readme := "| `PG_MAJOR` | `15` | client major |\n"
	const ok = "FROM golang:1.26-bookworm AS build\nFROM debian:bookworm-slim\nARG PG_MAJOR=15\nCOPY --from=build /out /out\nHEALTHCHECK CMD [\"worker\", \"health\"]\n"
	tests := []struct {
		name, dockerfile string
		want             []string // substrings, one per problem
	}{
		{"clean", ok, nil},
		{"latest base", strings.Replace(ok, "debian:bookworm-slim", "debian:latest", 1), []string{"latest moves"}},
		{"untagged base", strings.Replace(ok, "debian:bookworm-slim", "debian", 1), []string{"no tag"}},
		{"base from an argument", strings.Replace(ok, "debian:bookworm-slim", "debian:${DEBIAN}", 1), []string{"build argument"}},
		{"stage reused", ok + "FROM build AS test\n", nil},
		{"undocumented argument", strings.Replace(ok, "ARG PG_MAJOR=15\n", "ARG PG_MAJOR=15\nARG OCR_LANGS=ind\n", 1), []string{"OCR_LANGS is not in the README"}},
		{"argument without default", strings.Replace(ok, "PG_MAJOR=15", "PG_MAJOR", 1), []string{"no default"}},
		{"no health check", strings.Replace(ok, "HEALTHCHECK CMD [\"worker\", \"health\"]\n", "", 1), []string{"no HEALTHCHECK"}},
		{"health check off", strings.Replace(ok, "HEALTHCHECK CMD [\"worker\", \"health\"]", "HEALTHCHECK NONE", 1), []string{"no HEALTHCHECK"}},
		{"continued lines", "FROM \\\n  debian:latest\nARG PG_MAJOR=15\nHEALTHCHECK CMD true\n", []string{"Dockerfile:1: debian:latest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Dockerfile(tt.dockerfile, readme)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d matching %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q does not say %q", got[i], w)
				}
			}
		})
	}
}

func TestComposeProblems(t *testing.T) {
	t.Parallel()
	got := Compose("services:\n  a:\n    image: postgres:15\n  b:\n    image: \"versity/versitygw\"\n  c:\n    build: .\n")
	if len(got) != 1 || !strings.Contains(got[0], "versity/versitygw has no tag") {
		t.Errorf("Compose: %q", got)
	}
}

// runtimePackages expands the runtime stage's install words as the
// build's shell does, with the given build arguments.
func runtimePackages(t *testing.T, words string, args map[string]string) []string {
	t.Helper()
	echo := exec.Command("sh", "-c", "echo "+words)
	echo.Env = os.Environ()
	for k, v := range args {
		echo.Env = append(echo.Env, k+"="+v)
	}
	out, err := echo.Output()
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, w := range strings.Fields(string(out)) {
		if !strings.HasPrefix(w, "-") {
			pkgs = append(pkgs, w)
		}
	}
	return pkgs
}

// The runtime stage's packages, with the default build arguments, resolve
// on this Debian as on an empty one: apt-get simulates the install against
// an empty package status (no root, nothing changed). This is what can be
// checked of the image without a Docker engine.
func TestRuntimePackagesInstall(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("not a Debian machine")
	}
	stage := RuntimeStage(readRepo(t, "Dockerfile"))
	words := InstallWords(stage)
	args := ArgDefaults(stage)
	if words == "" || args["PG_MAJOR"] == "" || args["OCR_LANGS"] == "" {
		t.Fatalf("runtime stage: install words %q, arguments %v", words, args)
	}
	pkgs := runtimePackages(t, words, args)
	for _, want := range []string{"postgresql-client-" + args["PG_MAJOR"], "tesseract-ocr-eng", "tesseract-ocr-ind"} {
		if !slices.Contains(pkgs, want) {
			t.Errorf("runtime packages %v lack %s", pkgs, want)
		}
	}
	more := runtimePackages(t, words, map[string]string{"PG_MAJOR": args["PG_MAJOR"], "OCR_LANGS": "ind jpn"})
	if !slices.Contains(more, "tesseract-ocr-jpn") || !slices.Contains(more, "tesseract-ocr-ind") {
		t.Errorf("OCR_LANGS=\"ind jpn\": packages %v", more)
	}

	status := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sim := exec.Command("apt-get", append([]string{"install", "-s", "--no-install-recommends",
		"-o", "Dir::State::status=" + status}, pkgs...)...)
	out, err := sim.CombinedOutput()
	if err != nil {
		t.Fatalf("apt-get install -s %v: %v\n%s", pkgs, err, out)
	}
	for _, p := range pkgs {
		if !strings.Contains(string(out), "\nInst "+p+" ") {
			t.Errorf("apt-get would not install %s:\n%s", p, out)
		}
	}
}
