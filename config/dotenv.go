package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"strings"
)

// DefaultEnvFile is the file the commands read from their working
// directory when no --env-file is given, as the Django settings do with
// python-dotenv's load_dotenv.
const DefaultEnvFile = ".env"

// The grammar of python-dotenv (its parser.py), which the Django side reads
// the same file with: `export` prefixes, single- and double-quoted values
// that may span lines, escapes inside quotes, `#` comments after a value
// preceded by whitespace. Go's regexp picks the same leftmost-first matches
// as Python's. Python's \s is Unicode whitespace, spelled out here.
const (
	pySpace  = `\t\n\v\f\r\x1c-\x1f \x85\p{Z}`
	pyInline = `\t\v\f\x1c-\x1f \x85\p{Z}` // \s but not \r or \n
)

var (
	dotenvMultilineSpace = regexp.MustCompile(`^[` + pySpace + `]*`)
	dotenvExport         = regexp.MustCompile(`^(?:export[` + pyInline + `]+)?`)
	dotenvQuotedKey      = regexp.MustCompile(`^'([^']+)'`)
	dotenvKey            = regexp.MustCompile(`^([^=#` + pySpace + `]+)`)
	dotenvSpace          = regexp.MustCompile(`^[` + pyInline + `]*`)
	dotenvEqual          = regexp.MustCompile(`^=[` + pyInline + `]*`)
	dotenvSingleQuoted   = regexp.MustCompile(`^'((?:\\'|[^'])*)'`)
	dotenvDoubleQuoted   = regexp.MustCompile(`^"((?:\\"|[^"])*)"`)
	dotenvUnquoted       = regexp.MustCompile(`^([^\r\n]*)`)
	dotenvComment        = regexp.MustCompile(`^(?:[` + pyInline + `]*#[^\r\n]*)?`)
	dotenvEndOfLine      = regexp.MustCompile(`^[` + pyInline + `]*(?:\r\n|\n|\r|$)`)
	dotenvInlineComment  = regexp.MustCompile(`[` + pySpace + `]+#.*`)
	dotenvTrailingSpace  = regexp.MustCompile(`[` + pySpace + `]+$`)
	dotenvDoubleEscapes  = regexp.MustCompile(`\\[\\'"abfnrtv]`)
	dotenvSingleEscapes  = regexp.MustCompile(`\\[\\']`)
	dotenvVariable       = regexp.MustCompile(`\$\{([^}:]*)(?::-([^}]*))?\}`)
)

var dotenvEscape = map[string]string{
	`\\`: `\`, `\'`: `'`, `\"`: `"`, `\a`: "\a", `\b`: "\b", `\f`: "\f",
	`\n`: "\n", `\r`: "\r", `\t`: "\t", `\v`: "\v",
}

// ParseDotenv reads a .env file's text as python-dotenv does and returns
// its variables, with ${NAME} and ${NAME:-default} expanded from environ
// first, then from the file's earlier lines (load_dotenv's order when real
// variables win). A statement python-dotenv would skip with a warning is an
// error here naming its line: a worker silently lacking a variable the web
// app has would disagree with it.
func ParseDotenv(text string, environ map[string]string) (map[string]string, error) {
	r := &dotenvReader{text: text, line: 1}
	values := map[string]string{}
	for {
		r.read(dotenvMultilineSpace)
		if r.pos == len(r.text) {
			return values, nil
		}
		start := r.line
		key, value, err := r.binding()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		if key == "" || value == nil {
			continue // a comment, or a bare NAME, which sets nothing
		}
		values[key] = dotenvVariable.ReplaceAllStringFunc(*value, func(ref string) string {
			m := dotenvVariable.FindStringSubmatch(ref)
			if v, ok := environ[m[1]]; ok {
				return v
			}
			if v, ok := values[m[1]]; ok {
				return v
			}
			return m[2]
		})
	}
}

// dotenvReader walks the text as python-dotenv's Reader does.
type dotenvReader struct {
	text string
	pos  int
	line int
}

// read consumes what re matches at the current position and returns its
// first group; ok is false when it does not match.
func (r *dotenvReader) read(re *regexp.Regexp) (group string, ok bool) {
	m := re.FindStringSubmatchIndex(r.text[r.pos:])
	if m == nil {
		return "", false
	}
	if len(m) > 2 && m[2] >= 0 {
		group = r.text[r.pos+m[2] : r.pos+m[3]]
	}
	matched := r.text[r.pos : r.pos+m[1]]
	r.line += strings.Count(matched, "\n") + strings.Count(matched, "\r") - strings.Count(matched, "\r\n")
	r.pos += m[1]
	return group, true
}

func (r *dotenvReader) peek() byte {
	if r.pos < len(r.text) {
		return r.text[r.pos]
	}
	return 0
}

// binding reads one statement: NAME=VALUE, a bare NAME (nil value) or a
// comment (empty key).
func (r *dotenvReader) binding() (string, *string, error) {
	start := r.pos
	fail := func(what string) (string, *string, error) {
		// Quote only the statement's name: its value may be a secret.
		stmt := r.text[start:]
		name, _, _ := strings.Cut(stmt, "=")
		name, _, _ = strings.Cut(name, "\n")
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		return "", nil, fmt.Errorf("%s in the statement starting %q (python-dotenv would skip it)", what, strings.TrimSpace(name))
	}
	r.read(dotenvExport)
	var key string
	switch r.peek() {
	case '#':
	case '\'':
		k, ok := r.read(dotenvQuotedKey)
		if !ok {
			return fail("an unclosed quoted name")
		}
		key = k
	default:
		k, ok := r.read(dotenvKey)
		if !ok {
			return fail("no variable name")
		}
		key = k
	}
	r.read(dotenvSpace)
	var value *string
	if key != "" && r.peek() == '=' {
		r.read(dotenvEqual)
		v, err := r.value()
		if err != nil {
			return fail(err.Error())
		}
		value = &v
	}
	r.read(dotenvComment)
	if _, ok := r.read(dotenvEndOfLine); !ok {
		return fail("text after the closing quote")
	}
	return key, value, nil
}

func (r *dotenvReader) value() (string, error) {
	switch r.peek() {
	case '\'':
		v, ok := r.read(dotenvSingleQuoted)
		if !ok {
			return "", errors.New("an unclosed single quote")
		}
		return unescape(dotenvSingleEscapes, v), nil
	case '"':
		v, ok := r.read(dotenvDoubleQuoted)
		if !ok {
			return "", errors.New("an unclosed double quote")
		}
		return unescape(dotenvDoubleEscapes, v), nil
	case 0, '\n', '\r':
		return "", nil
	}
	v, _ := r.read(dotenvUnquoted)
	v = dotenvInlineComment.ReplaceAllString(v, "")
	return dotenvTrailingSpace.ReplaceAllString(v, ""), nil
}

func unescape(re *regexp.Regexp, s string) string {
	return re.ReplaceAllStringFunc(s, func(e string) string { return dotenvEscape[e] })
}

// EnvFileFlag takes --env-file PATH (or --env-file=PATH) out of a
// command's arguments, wherever it is before a "--".
func EnvFileFlag(args []string) (path string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return path, append(rest, args[i:]...), nil
		case a == "--env-file" || a == "-env-file":
			if i+1 == len(args) || args[i+1] == "" {
				return "", nil, errors.New("--env-file needs a file name")
			}
			path = args[i+1]
			i++
		case strings.HasPrefix(a, "--env-file=") || strings.HasPrefix(a, "-env-file="):
			_, path, _ = strings.Cut(a, "=")
			if path == "" {
				return "", nil, errors.New("--env-file needs a file name")
			}
		default:
			rest = append(rest, a)
		}
	}
	return path, rest, nil
}

// Environ is the process environment as a map.
func Environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// ReadEnvFile returns environ over the variables of a .env file: path when
// given (it must exist), else .env in the working directory when there is
// one. Real environment variables win, as with the Django side's
// load_dotenv.
func ReadEnvFile(path string, environ map[string]string) (map[string]string, error) {
	name := path
	if name == "" {
		name = DefaultEnvFile
	}
	raw, err := os.ReadFile(name)
	switch {
	case path == "" && errors.Is(err, fs.ErrNotExist):
		return environ, nil
	case err != nil:
		return nil, fmt.Errorf("env file: %w", err)
	}
	values, err := ParseDotenv(string(raw), environ)
	if err != nil {
		return nil, fmt.Errorf("env file %s: %w", name, err)
	}
	env := maps.Clone(values)
	maps.Copy(env, environ)
	return env, nil
}
