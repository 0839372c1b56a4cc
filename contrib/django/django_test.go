// Package djangokit_test runs the Django half of the system (the Python
// package revisbali_worker beside this file) against the test bed, under
// Debian's /usr/bin/python3, and checks that it agrees with the worker.
package djangokit_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revisbali/worker/internal/testbed"
)

// Debian's interpreter: the one that sees python3-django and friends.
const python = "/usr/bin/python3"

// modules are the Debian packages the Django side needs (scripts/deps.sh
// installs them).
var modules = []string{"django", "storages.backends.s3boto3", "boto3", "psycopg2", "rest_framework", "PIL", "dotenv"}

// requirePython stops the test when the interpreter or a module is missing:
// a failure under CI=true, a skip elsewhere.
func requirePython(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err == nil {
		return
	}
	msg := python + " cannot import " + strings.Join(modules, ", ") + " (run scripts/deps.sh): " + strings.TrimSpace(string(out))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// pythonEnv is a clean environment for the interpreter: the variables given,
// plus what any process needs. The storage variables of the developer's
// shell must not leak into a test.
func pythonEnv(vars map[string]string) []string {
	env := []string{"PYTHONPATH=" + mustAbs("."), "PYTHONDONTWRITEBYTECODE=1"}
	for _, name := range []string{"PATH", "HOME", "LANG", "TMPDIR", "CI", "AWS_CA_BUNDLE"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// runPython runs the interpreter in this folder and returns its standard
// output; on failure the test fails with everything Python printed.
func runPython(t *testing.T, vars map[string]string, stdin []byte, args ...string) []byte {
	t.Helper()
	stdout, stderr, err := tryPython(t, vars, stdin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", python, strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// tryPython runs the interpreter in this folder with a clean environment.
func tryPython(t *testing.T, vars map[string]string, stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env = pythonEnv(vars)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return abs
}

// riverDatabase is a fresh database with River's tables, as the worker
// leaves it after `worker migrate`.
func riverDatabase(t *testing.T) string {
	t.Helper()
	url, _ := testbed.NewRiverDatabase(t)
	return url
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// modeEnv is the environment of the app and the worker in one storage mode,
// against the test bed. Each call gets its own AWS_LOCATION and MEDIA_ROOT.
func modeEnv(t *testing.T, cloud bool, databaseURL string) map[string]string {
	t.Helper()
	s3 := testbed.S3Server(t)
	env := map[string]string{
		"APP_ENV":                 "dev",
		"DATABASE_URL":            databaseURL,
		"MEDIA_ROOT":              t.TempDir(),
		"AWS_ACCESS_KEY_ID":       s3.AccessKey,
		"AWS_SECRET_ACCESS_KEY":   s3.SecretKey,
		"AWS_STORAGE_BUCKET_NAME": s3.Bucket,
		"AWS_S3_ENDPOINT_URL":     s3.Endpoint,
		"AWS_LOCATION":            "djangokit-" + randomHex(4),
		"USE_CLOUD_STORAGE":       "False",
	}
	if cloud {
		env["USE_CLOUD_STORAGE"] = "True"
	}
	return env
}

var modes = []struct {
	name  string
	cloud bool
}{{"local", false}, {"cloud", true}}

// TestPythonSuite runs the package's unittest suite in both storage modes:
// settings, enqueue and job results, and file URLs fetched over HTTP.
func TestPythonSuite(t *testing.T) {
	requirePython(t)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			env := modeEnv(t, mode.cloud, riverDatabase(t))
			stdout, report, err := tryPython(t, env, nil, "-W", "ignore::DeprecationWarning", "-m", "unittest", "discover", "-v", "-s", "tests", "-t", ".")
			if err != nil {
				t.Fatalf("python tests failed: %v\n%s%s", err, stdout, report)
			}
			// Everything a test needs is here: a skip would hide a test
			// that did not run.
			if bytes.Contains(report, []byte("skipped")) {
				t.Fatalf("python tests skipped with the test bed running:\n%s", report)
			}
			t.Logf("%s", report)
		})
	}
}
