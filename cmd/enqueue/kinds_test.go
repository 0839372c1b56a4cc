package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/revisbali/worker/jobs"
)

// echoArgs is a throwaway kind, declared here only: the CLI, its help and
// the contract must pick it up from its declaration alone.
type echoArgs struct {
	Word string `json:"word" river:"unique"`
	Loud bool   `json:"loud,omitempty"`
	Rep  int    `json:"rep,omitempty"`
}

func (echoArgs) Kind() string                   { return "test_echo" }
func (a echoArgs) InsertOpts() river.InsertOpts { return echoKind.InsertOpts(a) }

type echoWorker struct{ river.WorkerDefaults[echoArgs] }

func (echoWorker) Work(context.Context, *river.Job[echoArgs]) error { return nil }

var echoKind = jobs.Define(jobs.Kind{
	Name: "test_echo", Queue: jobs.QueueOCR, Timeout: time.Minute, MaxAttempts: 2,
	Unique:      river.UniqueOpts{ByArgs: true},
	Description: "say a word back",
	Command: &jobs.Command{
		Verb:       "echo",
		Positional: &jobs.Positional{Placeholder: "WORD", Arg: "word", Usage: "the word to say"},
		Flags: []jobs.Flag{
			{Name: "loud", Arg: "loud", Usage: "say it in capitals"},
			{Name: "times", Arg: "rep", Placeholder: "N", Usage: "how many times"},
		},
	},
}, func(jobs.Deps) (river.Worker[echoArgs], error) { return echoWorker{}, nil })

func runWith(t *testing.T, kinds []jobs.Kind, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := runKinds(ctx, kinds, args, env, &streams{stdout: &stdout, stderr: &stderr})
	return result{code, stdout.String(), stderr.String()}
}

func TestThrowawayKind(t *testing.T) {
	t.Parallel()
	kinds := append(jobs.Kinds(), echoKind)

	// The overview lists the verb, its help describes it.
	if r := runWith(t, kinds, nil, "--help"); r.code != exitOK || !strings.Contains(r.stdout, "enqueue echo WORD [--loud] [--times N]") || !strings.Contains(r.stdout, "say a word back") {
		t.Errorf("enqueue --help: exit %d\n%s", r.code, r.stdout)
	}
	r := runWith(t, kinds, nil, "echo", "--help")
	for _, want := range []string{"say a word back", "WORD the word to say", "--loud say it in capitals", "--times N how many times", "test_echo", "DATABASE_URL", "exit codes"} {
		if r.code != exitOK || !strings.Contains(flat(r.stdout), want) {
			t.Errorf("enqueue echo --help: exit %d, no %q in\n%s", r.code, want, r.stdout)
		}
	}

	// The contract has it, its arguments typed from the args struct.
	r = runWith(t, kinds, nil, "kinds", "--json")
	var c jobs.Contract
	if err := json.Unmarshal([]byte(r.stdout), &c); r.code != exitOK || err != nil {
		t.Fatalf("kinds --json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	i := slices.IndexFunc(c.Kinds, func(k jobs.KindContract) bool { return k.Name == "test_echo" })
	if i < 0 {
		t.Fatalf("kinds --json has no test_echo: %s", r.stdout)
	}
	got, _ := json.Marshal(c.Kinds[i])
	want := `{"name":"test_echo","description":"say a word back","queue":"ocr","app":true,"verb":"echo","timeout_seconds":60,"max_attempts":2,` +
		`"unique":{"args":["word"],"period_seconds":0,"states":["available","completed","pending","retryable","running","scheduled"],"states_bitmask":"11110101"},` +
		`"args":[{"name":"word","type":"string","omitempty":false,"unique":true,"required":true},` +
		`{"name":"loud","type":"boolean","omitempty":true,"required":false},{"name":"rep","type":"integer","omitempty":true,"required":false}],"files":[]}`
	if string(got) != want {
		t.Errorf("kinds --json entry\n%s\nwant\n%s", got, want)
	}

	// Usage errors come from the declaration too.
	for args, want := range map[string]string{
		"echo":                 "exactly one WORD",
		"echo hi --times x":    `invalid value "x" for flag -times`,
		"echo hi --whisper":    "flag provided but not defined: -whisper",
		"echo hi there --loud": "exactly one WORD",
	} {
		if r := runWith(t, kinds, nil, strings.Fields(args)...); r.code != exitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("enqueue %s: exit %d, stderr %q; want %d and %q", args, r.code, r.stderr, exitUsage, want)
		}
	}

	// And it enqueues: the job's args and options are the declaration's.
	b := setup(t)
	r = runWith(t, kinds, map[string]string{"DATABASE_URL": b.env["DATABASE_URL"]}, "echo", "hi", "--loud", "--times", "3")
	if r.code != exitOK {
		t.Fatalf("enqueue echo: exit %d, %s", r.code, r.stderr)
	}
	var kind, queue, args string
	var attempts int
	if err := b.pool.QueryRow(context.Background(), `SELECT kind, queue, max_attempts, args::text FROM river_job WHERE id = $1`,
		strings.TrimSpace(r.stdout)).Scan(&kind, &queue, &attempts, &args); err != nil {
		t.Fatal(err)
	}
	if kind != "test_echo" || queue != jobs.QueueOCR || attempts != 2 || args != `{"rep": 3, "loud": true, "word": "hi"}` {
		t.Errorf("enqueued %s on %s, %d attempts, args %s", kind, queue, attempts, args)
	}
}

// Every verb answers --help and -h on stdout with exit 0: what it does,
// its flags, the variables it reads and its exit codes.
func TestHelpOnEveryVerb(t *testing.T) {
	t.Parallel()
	c := newCLI(jobs.Kinds())
	for _, v := range c.verbs {
		for _, flag := range []string{"--help", "-h"} {
			r := runWith(t, jobs.Kinds(), nil, v.name, flag)
			if r.code != exitOK || r.stderr != "" {
				t.Errorf("%s %s: exit %d, stderr %q", v.name, flag, r.code, r.stderr)
			}
			for _, want := range []string{v.summary, "usage: enqueue " + v.name, "environment:", "exit codes:", "-h, --help"} {
				if !strings.Contains(flat(r.stdout), want) {
					t.Errorf("%s %s: no %q in\n%s", v.name, flag, want, r.stdout)
				}
			}
			for _, f := range v.flags {
				if !strings.Contains(flat(r.stdout), f[0]+" "+flat(f[1])) {
					t.Errorf("%s %s: flag %s undescribed in\n%s", v.name, flag, f[0], r.stdout)
				}
			}
		}
		if r := runWith(t, jobs.Kinds(), nil, "help", v.name); r.code != exitOK || !strings.Contains(r.stdout, "usage: enqueue "+v.name) {
			t.Errorf("help %s: exit %d\n%s", v.name, r.code, r.stdout)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := runWith(t, jobs.Kinds(), nil, args...)
		if r.code != exitOK {
			t.Errorf("%v: exit %d", args, r.code)
		}
		for _, v := range c.verbs {
			if !strings.Contains(r.stdout, "enqueue "+v.name+" ") || !strings.Contains(flat(r.stdout), v.summary) {
				t.Errorf("%v: %s missing from\n%s", args, v.name, r.stdout)
			}
		}
	}
	if r := runWith(t, jobs.Kinds(), nil, "help", "scan"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "scan"`) {
		t.Errorf("help scan: exit %d, %q", r.code, r.stderr)
	}
}

// status reads DATABASE_URL alone: no MEDIA_ROOT, no storage settings.
func TestStatusNeedsOnlyTheDatabase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	env := map[string]string{"DATABASE_URL": b.env["DATABASE_URL"]}
	r := runWith(t, jobs.Kinds(), env, "ocr", "scans/a.png")
	if r.code != exitOK {
		t.Fatalf("ocr: exit %d, %s", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	if r := runWith(t, jobs.Kinds(), env, "status", id); r.code != exitOK || r.stdout != id+" "+jobs.KindOCRDocument+" available\n" {
		t.Errorf("status %s: exit %d, %q, %q", id, r.code, r.stdout, r.stderr)
	}
}

// flat is s with every run of white space one space: help text is wrapped.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }
