package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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
)

const usage = `usage:
  enqueue ocr NAME [--lang L] [--wait] [--json]
  enqueue passport NAME [--wait] [--json]
  enqueue migrate-files [--field TABLE.COLUMN]... [--dry-run] [--batch-size N] [--wait] [--json]
  enqueue backup [--verify] [--wait] [--json]
  enqueue restore (NAME | --latest) --yes [--wait] [--json]
  enqueue url NAME
  enqueue status JOB_ID [--wait] [--json]

Every command reads .env from the working directory when there is one, or
the file given by --env-file PATH (python-dotenv's syntax); real environment
variables win.

exit codes: 0 enqueued (with --wait: completed), 1 the job ended without
completing, 2 usage error, 3 configuration, database or storage error
`

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

// command is a parsed command line.
type command struct {
	name string
	args river.JobArgs // for the enqueuing commands
	id   int64         // status
	file string        // url
	wait bool
	json bool
}

func run(ctx context.Context, argv []string, env map[string]string, s *streams) int {
	envFile, argv, err := config.EnvFileFlag(argv)
	if err != nil {
		fmt.Fprintf(s.stderr, "enqueue: %v\n\n%s", err, usage)
		return exitUsage
	}
	cmd, err := parse(argv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(s.stdout, usage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "enqueue: %v\n\n%s", err, usage)
		return exitUsage
	}
	if env, err = config.ReadEnvFile(envFile, env); err == nil {
		err = execute(ctx, cmd, env, s)
	}
	var nc *notCompleteError
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &nc):
		return exitNotComplete
	case errors.As(err, &ue):
		fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(s.stderr, "enqueue: %v\n", err)
		return exitInfra
	}
}

// identifier is a table or column name as Django names them.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func parse(argv []string) (*command, error) {
	if len(argv) == 0 {
		return nil, usagef("no command given")
	}
	cmd := &command{name: argv[0]}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	waitable := func() {
		fs.BoolVar(&cmd.wait, "wait", false, "follow the job to its end")
		fs.BoolVar(&cmd.json, "json", false, "print the job as one JSON object")
	}
	var (
		lang      string
		fields    stringList
		dryRun    bool
		batchSize int
		latest    bool
		yes       bool
		verify    bool
	)
	switch cmd.name {
	case "ocr":
		fs.StringVar(&lang, "lang", "", "Tesseract languages, e.g. eng+ind")
		waitable()
	case "passport":
		waitable()
	case "backup":
		fs.BoolVar(&verify, "verify", false, "make no backup: restore the newest into a scratch database and compare row counts")
		waitable()
	case "migrate-files":
		fs.Var(&fields, "field", "TABLE.COLUMN to migrate (repeatable); default: every file column")
		fs.BoolVar(&dryRun, "dry-run", false, "count, copy nothing")
		fs.IntVar(&batchSize, "batch-size", 0, "rows per batch")
		waitable()
	case "restore":
		fs.BoolVar(&latest, "latest", false, "restore the latest backup")
		fs.BoolVar(&yes, "yes", false, "confirm: the restore replaces the database")
		waitable()
	case "status":
		waitable()
	case "url":
	case "help", "-h", "--help":
		return nil, flag.ErrHelp
	default:
		return nil, usagef("unknown command %q", cmd.name)
	}
	pos, err := parseInterspersed(fs, argv[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usagef("%s: %v", cmd.name, err)
	}

	one := func(what string) (string, error) {
		if len(pos) != 1 {
			return "", usagef("%s takes exactly one %s, got %d arguments", cmd.name, what, len(pos))
		}
		if pos[0] == "" {
			return "", usagef("%s: the %s is empty", cmd.name, what)
		}
		return pos[0], nil
	}
	none := func() error {
		if len(pos) != 0 {
			return usagef("%s takes no arguments, got %q", cmd.name, pos)
		}
		return nil
	}

	switch cmd.name {
	case "ocr":
		name, err := one("NAME")
		if err != nil {
			return nil, err
		}
		cmd.args = jobs.OCRDocumentArgs{Name: name, Lang: lang}
	case "passport":
		name, err := one("NAME")
		if err != nil {
			return nil, err
		}
		cmd.args = jobs.PassportMRZArgs{Name: name}
	case "migrate-files":
		if err := none(); err != nil {
			return nil, err
		}
		for _, f := range fields {
			table, column, ok := strings.Cut(f, ".")
			if !ok || !identifier.MatchString(table) || !identifier.MatchString(column) {
				return nil, usagef("migrate-files: --field %q is not TABLE.COLUMN", f)
			}
		}
		if batchSize < 0 {
			return nil, usagef("migrate-files: --batch-size %d is negative", batchSize)
		}
		cmd.args = jobs.MigrateFilesArgs{Fields: fields, DryRun: dryRun, BatchSize: batchSize}
	case "backup":
		if err := none(); err != nil {
			return nil, err
		}
		cmd.args = jobs.BackupDBArgs{Verify: verify}
	case "restore":
		switch {
		case latest && len(pos) > 0:
			return nil, usagef("restore: give a NAME or --latest, not both")
		case !latest && len(pos) != 1:
			return nil, usagef("restore: give one backup NAME or --latest")
		case !yes:
			return nil, usagef("restore replaces the database: add --yes to confirm")
		}
		args := jobs.RestoreDBArgs{Latest: latest, Yes: yes}
		if !latest {
			args.Name = pos[0]
		}
		cmd.args = args
	case "url":
		name, err := one("NAME")
		if err != nil {
			return nil, err
		}
		cmd.file = name
	case "status":
		arg, err := one("JOB_ID")
		if err != nil {
			return nil, err
		}
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return nil, usagef("status: JOB_ID %q is not a job id", arg)
		}
		cmd.id = id
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

// execute runs a parsed command.
func execute(ctx context.Context, cmd *command, env map[string]string, s *streams) error {
	cfg, err := config.LoadFrom(env)
	if err != nil {
		return err
	}
	if cmd.name == "url" {
		return printURL(ctx, cfg, cmd.file, s)
	}

	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return errors.New("database: DATABASE_URL cannot be parsed") // it may hold a password
	}
	defer pool.Close()
	// Insert-only: no queues, no workers.
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return err
	}
	q := &queue{pool: pool, client: client}

	var job *rivertype.JobRow
	if cmd.args != nil {
		res, err := client.Insert(ctx, cmd.args, nil)
		if err != nil {
			return dbError("insert", err)
		}
		job = res.Job
		if res.UniqueSkippedAsDuplicate {
			fmt.Fprintf(s.stderr, "enqueue: %s is already queued as job %d (%s)\n", job.Kind, job.ID, job.State)
		}
	} else if job, err = q.get(ctx, cmd.id); err != nil {
		return err
	}

	if !cmd.wait {
		if cmd.json {
			v := q.view(ctx, job)
			if err := addFileURLs(ctx, cfg, v); err != nil {
				return err
			}
			return printJSON(s.stdout, v)
		}
		if cmd.name == "status" {
			fmt.Fprintf(s.stdout, "%d %s %s\n", job.ID, job.Kind, job.State)
			return nil
		}
		fmt.Fprintln(s.stdout, job.ID)
		return nil
	}

	v, err := q.follow(ctx, job, newProgress(s))
	if ctx.Err() != nil {
		return fmt.Errorf("stopped following job %d, which goes on in the worker; `enqueue status %d --wait` follows it again", job.ID, job.ID)
	}
	if err != nil {
		return err
	}
	if err := addFileURLs(ctx, cfg, v); err != nil {
		return err
	}
	if cmd.json {
		if err := printJSON(s.stdout, v); err != nil {
			return err
		}
	} else {
		printResult(s, v)
	}
	if v.State != rivertype.JobStateCompleted {
		return &notCompleteError{state: v.State}
	}
	return nil
}

// dbError explains the usual first-run mistake.
func dbError(what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return fmt.Errorf("%s: River's tables are missing; run `worker migrate` first: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
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
	v := &jobView{ID: job.ID, Kind: job.Kind, State: job.State, Errors: job.Errors, Output: job.Output()}
	if v.Errors == nil {
		v.Errors = []rivertype.AttemptError{}
	}
	if len(v.Output) == 0 {
		v.Output = json.RawMessage("null")
	}
	return v
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
		fmt.Fprintf(s.stderr, " after %d attempt(s): %s", v.Errors[n-1].Attempt, v.Errors[n-1].Error)
	}
	fmt.Fprintln(s.stderr)
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
