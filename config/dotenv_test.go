package config

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A GPG key as .env files carry it: a double-quoted value over many lines.
const gpgKey = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEZ0f0bBYJKwYBBAHaRw8BAQdA3xE0pP2kT8v1l3n0cJb5Zb7xJ8bq0uWm1wK
=a1B2
-----END PGP PUBLIC KEY BLOCK-----`

var dotenvCases = []struct {
	name string
	text string
	env  map[string]string // the real environment, for ${...}
	want map[string]string
}{
	{"plain", "APP_ENV=prod\nMEDIA_ROOT=/srv/media\n", nil,
		map[string]string{"APP_ENV": "prod", "MEDIA_ROOT": "/srv/media"}},
	{"comments and blank lines", "# the database\n\n  DATABASE_URL=postgres://a@h/db # inline\nX=a#b\n", nil,
		map[string]string{"DATABASE_URL": "postgres://a@h/db", "X": "a#b"}},
	{"quotes", `A='single # kept'` + "\n" + `B="double # kept"` + "\n" + `C= spaced value ` + "\n" + `D=""` + "\n" + "E=\n", nil,
		map[string]string{"A": "single # kept", "B": "double # kept", "C": "spaced value", "D": "", "E": ""}},
	{"escapes", `A="tab\tnl\nq\"bs\\"` + "\n" + `B='it\'s \n raw'` + "\n", nil,
		map[string]string{"A": "tab\tnl\nq\"bs\\", "B": `it's \n raw`}},
	{"multi-line quoted value", "DBBACKUP_GPG_PUBLIC_KEY=\"" + gpgKey + "\"\nNEXT=1\n", nil,
		map[string]string{"DBBACKUP_GPG_PUBLIC_KEY": gpgKey, "NEXT": "1"}},
	{"export, spaces around =, CRLF", "export APP_ENV = dev\r\n'QUOTED_KEY'=v\r\n", nil,
		map[string]string{"APP_ENV": "dev", "QUOTED_KEY": "v"}},
	{"bare name sets nothing", "BARE\nSET=1", nil, map[string]string{"SET": "1"}},
	{"interpolation", "HOST=db\nURL=postgres://${HOST}/${NAME:-app}\nREAL=${HOME}\nSINGLE='${HOST}'\n",
		map[string]string{"HOME": "/root"},
		map[string]string{"HOST": "db", "URL": "postgres://db/app", "REAL": "/root", "SINGLE": "db"}},
	{"comment after a quoted value", "A=\"x y\" # c\nB='z'#c\nC='two\nlines'\n", nil,
		map[string]string{"A": "x y", "B": "z", "C": "two\nlines"}},
	{"last one wins", "A=1\nA=2\n", nil, map[string]string{"A": "2"}},
}

func TestParseDotenv(t *testing.T) {
	t.Parallel()
	for _, tt := range dotenvCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDotenv(tt.text, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// What python-dotenv skips with a warning stops the worker, naming the line
// and never the value.
func TestParseDotenvRefusesWhatPythonSkips(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ text, want string }{
		{"A=1\nAWS_SECRET_ACCESS_KEY=\"s3cret\n", `line 2: an unclosed double quote in the statement starting "AWS_SECRET_ACCESS_KEY"`},
		{"A='x'y\n", `line 1: text after the closing quote in the statement starting "A"`},
		{"\n\n=value\n", `line 3: no variable name`},
	} {
		_, err := ParseDotenv(tt.text, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.text, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows a value: %v", err)
		}
	}
}

// The Django side reads the same file with python-dotenv: both must see the
// same values. Debian's python3-dotenv is the reference.
func TestParseDotenvAgreesWithPythonDotenv(t *testing.T) {
	if out, err := exec.Command("/usr/bin/python3", "-c", "import dotenv").CombinedOutput(); err != nil {
		msg := "python3-dotenv is not installed (scripts/deps.sh installs it): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, tt := range dotenvCases {
		t.Run(tt.name, func(t *testing.T) {
			script := `import io, json, os, sys
from dotenv import dotenv_values
print(json.dumps(dotenv_values(stream=io.StringIO(sys.stdin.read(), newline=""))))`
			cmd := exec.Command("/usr/bin/python3", "-c", script)
			cmd.Stdin = strings.NewReader(tt.text)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			for k, v := range tt.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			var py map[string]*string
			if err := json.Unmarshal(out, &py); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for k, v := range py {
				if v != nil { // a bare NAME: load_dotenv sets nothing
					want[k] = *v
				}
			}
			got, err := ParseDotenv(tt.text, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Errorf("Go %q\npython-dotenv %q", got, want)
			}
		})
	}
}

func TestReadEnvFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "prod.env")
	if err := os.WriteFile(file, []byte("APP_ENV=prod\nMEDIA_ROOT=/from/file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := ReadEnvFile(file, map[string]string{"MEDIA_ROOT": "/from/env", "PATH": "/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"APP_ENV": "prod", "MEDIA_ROOT": "/from/env", "PATH": "/bin"}; !maps.Equal(env, want) {
		t.Errorf("real variables must win: got %v, want %v", env, want)
	}
	if _, err := ReadEnvFile(filepath.Join(dir, "missing.env"), nil); err == nil || !strings.Contains(err.Error(), "missing.env") {
		t.Errorf("a named file that is missing: %v", err)
	}

	// Without a name: .env in the working directory, when there is one.
	t.Chdir(dir)
	if env, err := ReadEnvFile("", map[string]string{"A": "1"}); err != nil || !maps.Equal(env, map[string]string{"A": "1"}) {
		t.Errorf("no .env: %v %v", env, err)
	}
	if err := os.WriteFile(".env", []byte("B=2\nC=\"unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvFile("", nil); err == nil || !strings.Contains(err.Error(), ".env: line 2") {
		t.Errorf("a bad .env: %v", err)
	}
}

func TestEnvFileFlag(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args, rest []string
		path, err  string
	}{
		{args: []string{"ocr", "a.png"}, rest: []string{"ocr", "a.png"}},
		{args: []string{"--env-file", "/etc/app.env", "migrate"}, path: "/etc/app.env", rest: []string{"migrate"}},
		{args: []string{"ocr", "a.png", "--env-file=x.env", "--wait"}, path: "x.env", rest: []string{"ocr", "a.png", "--wait"}},
		{args: []string{"ocr", "--", "--env-file"}, rest: []string{"ocr", "--", "--env-file"}},
		{args: []string{"migrate", "--env-file"}, err: "--env-file needs a file name"},
	} {
		path, rest, err := EnvFileFlag(tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: %v; want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || path != tt.path || strings.Join(rest, " ") != strings.Join(tt.rest, " ") {
			t.Errorf("%q: %q %q %v; want %q %q", tt.args, path, rest, err, tt.path, tt.rest)
		}
	}
}
