package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/revisbali/worker/jobs"
)

// Every command answers --help, -h and help on stdout with exit 0: what it
// does, the variables it reads and its exit codes.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"usage: worker [--env-file PATH] [-h | --help]", "worker migrate", "WORKER_SOFT_STOP_TIMEOUT", "MEDIA_ROOT", "exit codes:", jobs.KindOCRDocument}},
		{[]string{"-h"}, []string{"usage: worker [--env-file PATH] [-h | --help]", "apply River's and the worker's migrations"}},
		{[]string{"help"}, []string{"usage: worker [--env-file PATH] [-h | --help]"}},
		{[]string{"migrate", "--help"}, []string{"usage: worker migrate", "DATABASE_URL", "--env-file PATH", "exit codes:"}},
		{[]string{"migrate", "-h"}, []string{"usage: worker migrate"}},
		{[]string{"help", "migrate"}, []string{"usage: worker migrate"}},
		{[]string{"health", "--help"}, []string{"usage: worker health", "WORKER_HTTP_ADDR", "exit codes:"}},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, nil, &stdout, &stderr)
		if code != exitOK || stderr.Len() > 0 {
			t.Errorf("worker %v: exit %d, stderr %q", tt.args, code, stderr.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("worker %v: no %q in\n%s", tt.args, w, stdout.String())
			}
		}
		if strings.Join(tt.args, " ") == "migrate --help" && strings.Contains(stdout.String(), "MEDIA_ROOT") {
			t.Errorf("worker migrate --help lists variables it does not read:\n%s", stdout.String())
		}
	}
	for _, args := range [][]string{{"bogus"}, {"migrate", "now"}, {"help", "bogus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "worker --help") || strings.Contains(stderr.String(), `"help"`) || stdout.Len() > 0 {
			t.Errorf("worker %v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// worker migrate reads DATABASE_URL alone.
func TestMigrateNeedsOnlyTheDatabase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if code := startProc(t, env{"DATABASE_URL": b.dbURL, "MEDIA_ROOT": "", "USE_CLOUD_STORAGE": ""}, "migrate").Wait(); code != exitOK {
		t.Errorf("worker migrate with DATABASE_URL only: exit %d", code)
	}
}
