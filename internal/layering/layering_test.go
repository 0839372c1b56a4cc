// Package layering checks the repository's shape against two facts that
// must not drift: the import rule (domain packages never reach jobs, cmd or
// River; storage never reaches tempfile) and docs/architecture.md, whose
// table must name every package and exactly its imports inside the module.
// Both are drawn from `go list`, so a new import or package fails here until
// the rule allows it or the document says it.
package layering

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/revisbali/worker"

// pkg is one package as `go list` reports it, paths relative to the module.
type pkg struct {
	Path    string   // "storage", "cmd/worker"
	Imports []string // direct, non-test, inside the module
	Deps    []string // transitive, non-test, any module
}

// list runs `go list -deps` in dir over ./... and returns the module's
// packages.
func list(t *testing.T, dir string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps,Module", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath    string
			Imports, Deps []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue
		}
		q := pkg{Path: rel, Deps: p.Deps}
		for _, imp := range p.Imports {
			if r, ok := strings.CutPrefix(imp, module+"/"); ok {
				q.Imports = append(q.Imports, r)
			}
		}
		pkgs = append(pkgs, q)
	}
	return pkgs
}

// domain are the packages that do the work; they know nothing of the queue.
var domain = []string{"config", "storage", "tempfile", "imgutil", "pages", "ocr", "mrzscan", "passport", "printpage", "portrait", "filemigrate", "backup", "dbschema"}

// under reports whether path is root or inside it.
func under(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

// violations applies the import rule to pkgs, through their transitive
// dependencies: a domain package that reached River through a helper would
// break the rule as surely as one importing it.
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		isDomain := slices.ContainsFunc(domain, func(d string) bool { return under(p.Path, d) })
		for _, dep := range p.Deps {
			rel, inModule := strings.CutPrefix(dep, module+"/")
			switch {
			case isDomain && inModule && (under(rel, "jobs") || under(rel, "cmd")):
				out = append(out, fmt.Sprintf("%s reaches %s: domain packages never import jobs or cmd", p.Path, rel))
			case isDomain && under(dep, "github.com/riverqueue/river"):
				out = append(out, fmt.Sprintf("%s reaches %s: domain packages never import River", p.Path, dep))
			case under(p.Path, "storage") && inModule && under(rel, "tempfile"):
				out = append(out, fmt.Sprintf("%s reaches %s: storage never imports tempfile", p.Path, rel))
			}
		}
	}
	return out
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestImportRule(t *testing.T) {
	t.Parallel()
	pkgs := list(t, root(t))
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages: not the whole module", len(pkgs))
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// The rule fails on a module where forbidden imports are planted: a domain
// package importing jobs, one importing cmd, and storage importing tempfile.
func TestImportRuleCatchesPlantedImports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                    "module " + module + "\n\ngo 1.26\n",
		"jobs/jobs.go":              "package jobs\n",
		"cmd/worker/main.go":        "package main\n\nfunc main() {}\n",
		"cmd/tool/tool.go":          "package tool\n",
		"tempfile/tempfile.go":      "package tempfile\n",
		"ocr/ocr.go":                "package ocr\n\nimport _ \"" + module + "/jobs\"\n",
		"passport/passport.go":      "package passport\n\nimport _ \"" + module + "/cmd/tool\"\n",
		"storage/storage.go":        "package storage\n\nimport _ \"" + module + "/tempfile\"\n",
		"storage/storagetest/st.go": "package storagetest\n\nimport _ \"" + module + "/storage\"\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(violations(list(t, dir)), "\n")
	for _, want := range []string{
		"ocr reaches jobs",
		"passport reaches cmd/tool",
		"storage reaches tempfile",
		"storage/storagetest reaches tempfile", // through storage
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the rule missed %q; it said:\n%s", want, got)
		}
	}
	// River itself cannot be planted without the network; its rule is the
	// same loop over the same dependencies, and the real tree has River.
}

// architectureRows reads docs/architecture.md's package table: the packages
// each row names in its first cell, and the module packages its last cell
// names as dependencies.
func architectureRows(t *testing.T, path string, known map[string]bool) (rows [][2][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code := regexp.MustCompile("`([^`]+)`")
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) < 3 {
			continue
		}
		var names, deps []string
		for _, m := range code.FindAllStringSubmatch(cells[0], -1) {
			if p := strings.TrimSuffix(m[1], "/"); known[p] {
				names = append(names, p)
			}
		}
		for _, m := range code.FindAllStringSubmatch(cells[len(cells)-1], -1) {
			if known[m[1]] {
				deps = append(deps, m[1])
			}
		}
		if len(names) > 0 {
			rows = append(rows, [2][]string{names, deps})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// docs/architecture.md names every package, and each row's "depends on"
// names exactly the module packages its packages import.
func TestArchitectureDocumentIsCurrent(t *testing.T) {
	t.Parallel()
	pkgs := list(t, root(t))
	known := map[string]bool{}
	for _, p := range pkgs {
		known[p.Path] = true
	}
	rows := architectureRows(t, filepath.Join(root(t), "docs", "architecture.md"), known)
	named := map[string]bool{}
	for _, r := range rows {
		for _, n := range r[0] {
			named[n] = true
		}
	}
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.Path] = p
		if !named[p.Path] {
			t.Errorf("docs/architecture.md does not name package %s/", p.Path)
		}
	}
	for _, r := range rows {
		var want []string
		for _, n := range r[0] {
			for _, imp := range byPath[n].Imports {
				if !slices.Contains(r[0], imp) && !slices.Contains(want, imp) {
					want = append(want, imp)
				}
			}
		}
		slices.Sort(want)
		got := slices.Clone(r[1])
		slices.Sort(got)
		got = slices.Compact(got)
		if !slices.Equal(got, want) {
			t.Errorf("docs/architecture.md row %v: depends on %v, but go list says %v", r[0], got, want)
		}
	}
}
