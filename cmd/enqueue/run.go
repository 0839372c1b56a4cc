package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/jobs"
)

// Exit codes.
const (
	exitOK          = 0
	exitNotComplete = 1
	exitUsage       = 2
	exitInfra       = 3
	exitIncomplete  = 4
)

// streams is where the command writes; tty says whether stderr is a
// terminal, which decides between a progress bar and plain lines.
type streams struct {
	stdout, stderr io.Writer
	tty            bool
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// notCompleteError reports a job that ended, or is, not completed.
type notCompleteError struct{ state rivertype.JobState }

func (e *notCompleteError) Error() string { return "job " + string(e.state) }

// helpRequest asks for the help of one verb, or of the command ("").
type helpRequest struct{ verb string }

func (h *helpRequest) Error() string { return "help requested" }

// command is a parsed command line.
type command struct {
	verb *verb
	args river.JobArgs // for a kind's verb
	id   int64         // status
	file string        // url
	wait bool
	json bool
}

func run(ctx context.Context, argv []string, env map[string]string, s *streams) int {
	return runKinds(ctx, jobs.Kinds(), argv, env, s)
}

// runKinds is run with the verbs of the given kinds.
func runKinds(ctx context.Context, kinds []jobs.Kind, argv []string, env map[string]string, s *streams) int {
	c := newCLI(kinds)
	envFile, argv, err := config.EnvFileFlag(argv)
	if err != nil {
		fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
		return exitUsage
	}
	cmd, err := c.parse(argv)
	var help *helpRequest
	if errors.As(err, &help) {
		if err := c.help(s.stdout, help.verb); err != nil {
			fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
		if cmd != nil && cmd.verb != nil {
			fmt.Fprintf(s.stderr, "usage: enqueue %s %s\n`enqueue %s --help` says more\n", cmd.verb.name, cmd.verb.usage, cmd.verb.name)
		} else {
			fmt.Fprintln(s.stderr, "`enqueue --help` lists the commands")
		}
		return exitUsage
	}
	if env, err = config.ReadEnvFile(envFile, env); err == nil {
		err = cmd.verb.execute(ctx, cmd, env, s)
	}
	var nc *notCompleteError
	var ue *usageError
	var me *migrationError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &nc):
		return exitNotComplete
	case errors.As(err, &me):
		fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
		return me.code
	case errors.As(err, &ue):
		fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
		return exitInfra
	}
}

// parse reads the command line. A usage error comes with the command as
// far as it was understood, for the usage line of its verb.
func (c *cli) parse(argv []string) (*command, error) {
	if len(argv) == 0 {
		return nil, usagef("no command given")
	}
	switch argv[0] {
	case "help", "-h", "-help", "--help":
		if len(argv) > 1 {
			return nil, &helpRequest{verb: argv[1]}
		}
		return nil, &helpRequest{}
	}
	v := c.verb(argv[0])
	if v == nil {
		return nil, usagef("unknown command %q", argv[0])
	}
	cmd := &command{verb: v}
	fs := flag.NewFlagSet(v.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the help is ours, printed by c.help
	finish := v.bind(fs, cmd)
	pos, err := parseInterspersed(fs, argv[1:])
	if errors.Is(err, flag.ErrHelp) {
		return nil, &helpRequest{verb: v.name}
	}
	if err != nil {
		return cmd, usagef("%s: %v", v.name, err)
	}
	if err := finish(pos); err != nil {
		return cmd, err
	}
	return cmd, nil
}

// parseInterspersed lets flags come after the positional arguments, as in
// `enqueue ocr NAME --wait`. A "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// one is the single positional argument what.
func one(verb, what string, pos []string) (string, error) {
	if len(pos) != 1 {
		return "", usagef("%s takes exactly one %s, got %d arguments", verb, what, len(pos))
	}
	if pos[0] == "" {
		return "", usagef("%s: the %s is empty", verb, what)
	}
	return pos[0], nil
}

// bindKind defines the flags of a kind's verb, and returns what builds
// the job's args from them and the positional arguments.
func bindKind(k jobs.Kind) func(fs *flag.FlagSet, cmd *command) func([]string) error {
	return func(fs *flag.FlagSet, cmd *command) func([]string) error {
		types := map[string]jobs.Arg{}
		for _, a := range k.Args() {
			types[a.Name] = a
		}
		values := map[string]any{} // by argument, for the flags given
		setters := map[string]func(){}
		for _, f := range k.Command.Flags {
			switch types[f.Arg].Type {
			case "boolean":
				p := fs.Bool(f.Name, false, f.Usage)
				setters[f.Name] = func() { values[f.Arg] = *p }
			case "integer":
				p := fs.Int(f.Name, 0, f.Usage)
				setters[f.Name] = func() { values[f.Arg] = *p }
			case "array":
				var l stringList
				fs.Var(&l, f.Name, f.Usage)
				setters[f.Name] = func() { values[f.Arg] = []string(l) }
			default:
				p := fs.String(f.Name, "", f.Usage)
				setters[f.Name] = func() { values[f.Arg] = *p }
			}
		}
		waitable(fs, cmd)
		return func(pos []string) error {
			fs.Visit(func(f *flag.Flag) {
				if set := setters[f.Name]; set != nil {
					set()
				}
			})
			verb := k.Command.Verb
			switch p := k.Command.Positional; {
			case p == nil && len(pos) > 0:
				return usagef("%s takes no arguments, got %q", verb, pos)
			case p != nil && p.Optional && len(pos) > 1:
				return usagef("%s takes at most one %s, got %d arguments", verb, p.Placeholder, len(pos))
			case p != nil && p.Optional && len(pos) == 1 && pos[0] == "":
				return usagef("%s: the %s is empty", verb, p.Placeholder)
			case p != nil && p.Optional && len(pos) == 1:
				values[p.Arg] = pos[0]
			case p != nil && !p.Optional:
				v, err := one(verb, p.Placeholder, pos)
				if err != nil {
					return err
				}
				values[p.Arg] = v
			}
			data, err := json.Marshal(values)
			if err != nil {
				return err
			}
			args, err := k.NewArgs(data)
			if err != nil {
				return usagef("%s: %v", verb, err)
			}
			if k.Command.Check != nil {
				if err := k.Command.Check(args); err != nil {
					return usagef("%s: %v", verb, err)
				}
			}
			cmd.args = args
			return nil
		}
	}
}

func waitable(fs *flag.FlagSet, cmd *command) {
	fs.BoolVar(&cmd.wait, "wait", false, waitUsage)
	fs.BoolVar(&cmd.json, "json", false, jsonUsage)
}

const (
	waitUsage = "follow the job to its end, with a progress bar when stderr is a terminal and plain lines otherwise; " +
		"then print its output (stdout) or its last error (stderr)"
	jsonUsage = `print the job as one JSON object on stdout: {"id", "kind", "state", "errors", "output"}`
)

// enqueueJob inserts the job of a kind's verb, then reports it.
func enqueueJob(ctx context.Context, cmd *command, env map[string]string, s *streams) error {
	q, err := openQueue(ctx, env)
	if err != nil {
		return err
	}
	defer q.close()
	res, err := q.client.Insert(ctx, cmd.args, nil)
	if err != nil {
		return jobs.DBError("insert", err)
	}
	job := res.Job
	if res.UniqueSkippedAsDuplicate {
		fmt.Fprintf(s.stderr, "enqueue: %s is already queued as job %d (%s)\n", job.Kind, job.ID, job.State)
	}
	if job.Kind == jobs.KindMigrateFiles {
		// The plan will leave the ranges of these batches to them.
		others, err := q.otherPlans(ctx, job.ID)
		if err != nil {
			return err
		}
		if others != "" {
			fmt.Fprintf(s.stderr, "enqueue: batches of an earlier migration are unfinished (%s): "+
				"this run does not enqueue their rows again, and --wait waits for them\n", others)
		}
	}
	if !cmd.wait && !cmd.json {
		fmt.Fprintln(s.stdout, job.ID)
		return nil
	}
	return report(ctx, q, cmd, env, job, s)
}

// status reports a job already in the queue.
func status(ctx context.Context, cmd *command, env map[string]string, s *streams) error {
	q, err := openQueue(ctx, env)
	if err != nil {
		return err
	}
	defer q.close()
	job, err := q.get(ctx, cmd.id)
	if err != nil {
		return err
	}
	if !cmd.wait && !cmd.json {
		fmt.Fprintf(s.stdout, "%d %s %s\n", job.ID, job.Kind, job.State)
		return nil
	}
	return report(ctx, q, cmd, env, job, s)
}

// openQueue connects to the database named by DATABASE_URL, the only
// setting a command on the queue reads.
func openQueue(ctx context.Context, env map[string]string) (*queue, error) {
	dbURL, err := config.LoadDatabaseURL(env)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, errors.New("database: DATABASE_URL cannot be parsed") // it may hold a password
	}
	// Insert-only: no queues, no workers.
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &queue{pool: pool, client: client}, nil
}

// report prints a job with --json, or follows it with --wait.
func report(ctx context.Context, q *queue, cmd *command, env map[string]string, job *rivertype.JobRow, s *streams) error {
	if !cmd.wait {
		v := q.view(ctx, job)
		if err := addFileURLs(ctx, env, v); err != nil {
			return err
		}
		return printJSON(s.stdout, v)
	}
	v, plan, err := q.follow(ctx, job, newProgress(s))
	if ctx.Err() != nil {
		return fmt.Errorf("stopped following job %d, which goes on in the worker; `enqueue status %d --wait` follows it again", job.ID, job.ID)
	}
	if err != nil {
		return err
	}
	if err := addFileURLs(ctx, env, v); err != nil {
		return err
	}
	if cmd.json {
		if err := printJSON(s.stdout, v); err != nil {
			return err
		}
	} else {
		printResult(s, v)
	}
	if plan != nil {
		if err := verdict(plan); err != nil {
			return err
		}
	}
	if v.State != rivertype.JobStateCompleted {
		return &notCompleteError{state: v.State}
	}
	return nil
}

// parseJobID reads status's JOB_ID.
func parseJobID(pos []string) (int64, error) {
	arg, err := one("status", "JOB_ID", pos)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("status: JOB_ID %q is not a job id", arg)
	}
	return id, nil
}

// jobView is the --json object.
type jobView struct {
	ID     int64                    `json:"id"`
	Kind   string                   `json:"kind"`
	State  rivertype.JobState       `json:"state"`
	Errors []rivertype.AttemptError `json:"errors"`
	Output json.RawMessage          `json:"output"`
}

func newView(job *rivertype.JobRow) *jobView {
	v := &jobView{ID: job.ID, Kind: job.Kind, State: job.State, Output: job.Output()}
	v.Errors = readable(job.Errors)
	if len(v.Output) == 0 {
		v.Output = json.RawMessage("null")
	}
	return v
}

// readable is errs as people read them, without River's type names.
func readable(errs []rivertype.AttemptError) []rivertype.AttemptError {
	out := make([]rivertype.AttemptError, len(errs))
	for i, e := range errs {
		e.Error = jobs.ErrorText(e.Error)
		out[i] = e
	}
	return out
}

func printJSON(w io.Writer, v *jobView) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printResult tells a person how the job ended: the output on stdout, the
// last error on stderr.
func printResult(s *streams, v *jobView) {
	if v.State == rivertype.JobStateCompleted {
		if string(v.Output) != "null" {
			var pretty any
			if json.Unmarshal(v.Output, &pretty) == nil {
				enc := json.NewEncoder(s.stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				_ = enc.Encode(pretty)
				return
			}
		}
		fmt.Fprintf(s.stdout, "job %d completed\n", v.ID)
		return
	}
	fmt.Fprintf(s.stderr, "job %d %s", v.ID, v.State)
	if n := len(v.Errors); n > 0 {
		fmt.Fprintf(s.stderr, " after %d attempt(s): %s", v.Errors[n-1].Attempt, oneLine(v.Errors[n-1].Error))
	}
	fmt.Fprintln(s.stderr)
}

// oneLine is text as it may be printed on a line meant for people: as it
// is when it holds no control character, else quoted (%q), so that a name
// with a line feed or carriage return inside an error cannot print a line
// of its own ("job 999 ocr_document: completed").
func oneLine(text string) string {
	if strings.IndexFunc(text, unicode.IsControl) < 0 {
		return text
	}
	return strconv.Quote(text)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
