// Package dockerlint checks the project's Dockerfile and compose file for
// what a Docker engine would not: base images pinned to a version (never
// latest, never untagged), build arguments with defaults and documented in
// the README, and a health check. No Docker engine runs where the tests
// run, so this and an apt-get simulation of the runtime packages are what
// is checked of the image (README, "The container").
package dockerlint

import (
	"fmt"
	"regexp"
	"strings"
)

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	Line int    // 1-based line of its first line
	Cmd  string // upper case: FROM, RUN, ARG...
	Args string
}

// Parse splits a Dockerfile into instructions, dropping comments and
// joining lines that end with a backslash.
func Parse(dockerfile string) []Instruction {
	var out []Instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(dockerfile, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		cont := strings.HasSuffix(trimmed, "\\")
		cur.WriteString(strings.TrimSuffix(trimmed, "\\"))
		if cont {
			cur.WriteString(" ")
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, Instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// versioned is a tag that names a release: a version number or a Debian
// codename.
var versioned = regexp.MustCompile(`\d|^(bookworm|trixie|bullseye)(-|$)`)

// CheckImage says what is wrong with an image reference, or "".
func CheckImage(ref string) string {
	if _, digest, ok := strings.Cut(ref, "@sha256:"); ok && len(digest) == 64 {
		return ""
	}
	name := ref
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		name = ref[i+1:]
	}
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok || tag == "":
		return fmt.Sprintf("%s has no tag: it means latest", ref)
	case tag == "latest" || strings.HasPrefix(tag, "latest-"):
		return fmt.Sprintf("%s is not pinned: latest moves", ref)
	case !versioned.MatchString(tag):
		return fmt.Sprintf("%s: tag %q names no version or release", ref, tag)
	}
	return ""
}

// argDecl is ARG NAME[=default].
var argDecl = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(=(.*))?$`)

// Dockerfile returns every problem of dockerfile; readme is where its build
// arguments must be documented, each in a table row "| `NAME` |".
func Dockerfile(dockerfile, readme string) []string {
	var problems []string
	add := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("Dockerfile:%d: %s", line, fmt.Sprintf(format, args...)))
	}
	stages := map[string]bool{}
	healthcheck := false
	froms := 0
	for _, in := range Parse(dockerfile) {
		switch in.Cmd {
		case "FROM":
			froms++
			fields := strings.Fields(in.Args)
			var image string
			for _, f := range fields {
				if !strings.HasPrefix(f, "--") {
					image = f
					break
				}
			}
			switch {
			case stages[image]: // an earlier stage
			case strings.Contains(image, "$"):
				add(in.Line, "base image %s comes from a build argument: pin it here", image)
			default:
				if p := CheckImage(image); p != "" {
					add(in.Line, "%s", p)
				}
			}
			if len(fields) >= 3 && strings.EqualFold(fields[len(fields)-2], "AS") {
				stages[fields[len(fields)-1]] = true
			}
		case "HEALTHCHECK":
			healthcheck = !strings.HasPrefix(strings.ToUpper(in.Args), "NONE")
		case "ARG":
			m := argDecl.FindStringSubmatch(in.Args)
			if m == nil {
				add(in.Line, "ARG %q: one NAME=default per line", in.Args)
				continue
			}
			if m[2] == "" {
				add(in.Line, "ARG %s has no default: a plain docker build must work", m[1])
			}
			if !strings.Contains(readme, "| `"+m[1]+"` |") {
				add(in.Line, "build argument %s is not in the README's table of build arguments", m[1])
			}
		}
	}
	if froms == 0 {
		problems = append(problems, "Dockerfile: no FROM")
	}
	if !healthcheck {
		problems = append(problems, "Dockerfile: no HEALTHCHECK: an orchestrator cannot tell a worker that is not ready")
	}
	return problems
}

// composeImage is an "image:" line of a compose file.
var composeImage = regexp.MustCompile(`(?m)^\s+image:\s*["']?([^"'\s#]+)`)

// Compose returns a problem for every image of the compose file that is
// not pinned.
func Compose(compose string) []string {
	var problems []string
	for _, m := range composeImage.FindAllStringSubmatch(compose, -1) {
		if p := CheckImage(m[1]); p != "" {
			problems = append(problems, "docker-compose.yml: "+p)
		}
	}
	return problems
}

// RuntimeStage returns the instructions of the last stage, the image that
// ships.
func RuntimeStage(dockerfile string) []Instruction {
	all := Parse(dockerfile)
	last := 0
	for i, in := range all {
		if in.Cmd == "FROM" {
			last = i
		}
	}
	return all[last:]
}

// ArgDefaults returns the ARGs of the instructions with their defaults.
func ArgDefaults(ins []Instruction) map[string]string {
	out := map[string]string{}
	for _, in := range ins {
		if in.Cmd != "ARG" {
			continue
		}
		if m := argDecl.FindStringSubmatch(in.Args); m != nil {
			out[m[1]] = strings.Trim(m[3], `"'`)
		}
	}
	return out
}

// InstallWords returns the words that follow the last `apt-get install` of
// the instructions, up to the end of that command (&&, ; or the end): the
// runtime package list, still to be expanded by a shell.
func InstallWords(ins []Instruction) string {
	words := ""
	for _, in := range ins {
		if in.Cmd != "RUN" {
			continue
		}
		parts := strings.Split(in.Args, "apt-get install")
		if len(parts) < 2 {
			continue
		}
		rest := parts[len(parts)-1]
		// A $( ... ) may hold a ; of its own: cut after it closes.
		depth := 0
		end := len(rest)
	scan:
		for i := 0; i < len(rest); i++ {
			switch {
			case strings.HasPrefix(rest[i:], "$("):
				depth++
				i++
			case rest[i] == ')' && depth > 0:
				depth--
			case depth == 0 && (rest[i] == ';' || strings.HasPrefix(rest[i:], "&&")):
				end = i
				break scan
			}
		}
		words = rest[:end]
	}
	return strings.TrimSpace(words)
}
