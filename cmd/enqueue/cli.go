package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/revisbali/worker/clihelp"
	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/jobs"
)

// cli is the command's verbs: one per kind that has a Command, then the
// verbs that enqueue nothing.
type cli struct {
	kinds []jobs.Kind
	verbs []*verb
}

// verb is one subcommand and its help.
type verb struct {
	name    string
	summary string
	// usage is what follows the verb in a usage line.
	usage string
	// about says more than summary, one paragraph.
	about string
	// args and flags are the help's lists: a name and what it is.
	args, flags [][2]string
	env         [][2]string
	exits       [][2]string
	bind        func(fs *flag.FlagSet, cmd *command) func(pos []string) error
	execute     func(ctx context.Context, cmd *command, env map[string]string, s *streams) error
}

var (
	databaseEnv = [2]string{"DATABASE_URL", "the Django database, where River's tables are"}
	waitFlags   = [][2]string{{"--wait", waitUsage}, {"--json", jsonUsage}}
)

func newCLI(kinds []jobs.Kind) *cli {
	c := &cli{kinds: kinds}
	for _, k := range kinds {
		if k.Command == nil {
			continue
		}
		c.verbs = append(c.verbs, kindVerb(k))
	}
	c.verbs = append(c.verbs, &verb{
		name:    "status",
		summary: "show a job's state, or follow it to its end",
		usage:   "JOB_ID [--wait] [--json]",
		about: "Prints `ID KIND STATE`, or the job as JSON with --json. A migrate_files plan's output " +
			"adds the totals of its batches so far; with --wait it ends when every batch has.",
		args:  [][2]string{{"JOB_ID", "the id enqueue printed, or any job's id"}},
		flags: waitFlags,
		env:   [][2]string{databaseEnv},
		exits: [][2]string{
			{"0", "the job exists (with --wait: it completed)"},
			{"1", "with --wait: the job ended without completing (cancelled, discarded); a migration: a file failed"},
			{"2", "usage error, or no job has this id (River deletes finished jobs after a while)"},
			{"3", "DATABASE_URL is not set or wrong, or the database failed"},
			{"4", "with --wait, a migration: a batch did not complete, so planned files are not known to be in the bucket"},
		},
		bind: func(fs *flag.FlagSet, cmd *command) func([]string) error {
			waitable(fs, cmd)
			return func(pos []string) (err error) {
				cmd.id, err = parseJobID(pos)
				return err
			}
		},
		execute: status,
	}, &verb{
		name:    "url",
		summary: "print the URL the frontend should load for a stored file",
		usage:   "NAME",
		about: "A presigned or public bucket URL with USE_CLOUD_STORAGE=True, one under MEDIA_URL " +
			"otherwise: exactly what Django's storage gives. Like Django it does not need the file to " +
			"exist, but says so on stderr when it does not.",
		args: [][2]string{{"NAME", "the file's name as Django stores it, e.g. passports/a.pdf"}},
		env:  storageEnv(),
		exits: [][2]string{
			{"0", "the URL is printed (a note on stderr if the file is not in storage)"},
			{"2", "usage error, or a name no file can have (absolute, or leading outside the storage)"},
			{"3", "the storage settings are wrong, or the storage failed"},
		},
		bind: func(_ *flag.FlagSet, cmd *command) func([]string) error {
			return func(pos []string) (err error) {
				cmd.file, err = one("url", "NAME", pos)
				return err
			}
		},
		execute: func(ctx context.Context, cmd *command, env map[string]string, s *streams) error {
			cfg, err := config.LoadStorage(env)
			if err != nil {
				return err
			}
			return printURL(ctx, cfg, cmd.file, s)
		},
	}, &verb{
		name:    "kinds",
		summary: "list the job kinds: verb, queue, attempts, uniqueness and arguments",
		usage:   "[--json]",
		about: "With --json, the contract Django's kit is checked against: every kind with its queue, " +
			"timeout, attempts, unique options and argument schema.",
		flags: [][2]string{{"--json", "print the kinds as one JSON object"}},
		exits: [][2]string{{"0", "listed"}, {"2", "usage error"}},
		bind: func(fs *flag.FlagSet, cmd *command) func([]string) error {
			fs.BoolVar(&cmd.json, "json", false, "")
			return func(pos []string) error {
				if len(pos) > 0 {
					return usagef("kinds takes no arguments, got %q", pos)
				}
				return nil
			}
		},
		execute: func(_ context.Context, cmd *command, _ map[string]string, s *streams) error {
			return printKinds(s.stdout, c.kinds, cmd.json)
		},
	})
	return c
}

func (c *cli) verb(name string) *verb {
	for _, v := range c.verbs {
		if v.name == name {
			return v
		}
	}
	return nil
}

// kindVerb is the verb that enqueues a job of kind k.
func kindVerb(k jobs.Kind) *verb {
	cmd := k.Command
	v := &verb{
		name:    cmd.Verb,
		summary: k.Description,
		about:   aboutKind(k),
		env:     [][2]string{databaseEnv},
		exits: [][2]string{
			{"0", "the job is enqueued, or an equal one already was (with --wait: it completed)"},
			{"1", "with --wait: the job ended without completing (cancelled: bad input; discarded: out of attempts)"},
			{"2", "usage error"},
			{"3", "DATABASE_URL is not set or wrong, or the database failed"},
		},
		bind:    bindKind(k),
		execute: enqueueJob,
	}
	if k.Name == jobs.KindMigrateFiles {
		v.exits = [][2]string{
			{"0", "the plan is enqueued (with --wait: every planned file is in the bucket; missing and refused names are reported)"},
			{"1", "with --wait: a file failed (failed_names), or the plan ended without completing"},
			{"2", "usage error"},
			{"3", "DATABASE_URL is not set or wrong, or the database failed"},
			{"4", "with --wait: incomplete, a batch did not complete: \"incomplete: N files pending in batches ...\"; run it again"},
		}
	}
	types := map[string]string{}
	for _, a := range k.Args() {
		types[a.Name] = a.Type
	}
	var usage []string
	if p := cmd.Positional; p != nil {
		v.args = append(v.args, [2]string{p.Placeholder, p.Usage})
		if p.Optional {
			usage = append(usage, "["+p.Placeholder+"]")
		} else {
			usage = append(usage, p.Placeholder)
		}
	}
	for _, f := range cmd.Flags {
		name := "--" + f.Name
		if f.Placeholder != "" {
			name += " " + f.Placeholder
		}
		v.flags = append(v.flags, [2]string{name, f.Usage})
		if types[f.Arg] == "array" {
			usage = append(usage, "["+name+"]...")
		} else {
			usage = append(usage, "["+name+"]")
		}
	}
	v.flags = append(v.flags, waitFlags...)
	if cmd.Usage != "" {
		usage = []string{cmd.Usage}
	}
	v.usage = strings.Join(append(usage, "[--wait] [--json]"), " ")
	return v
}

// aboutKind says where a kind's job runs and what makes two of them one.
func aboutKind(k jobs.Kind) string {
	s := fmt.Sprintf("Enqueues a %s job on the %s queue: up to %d attempt(s) of at most %s each.",
		k.Name, k.Queue, k.MaxAttempts, formatDuration(k.Timeout))
	if u := describeUnique(k); u != "" {
		s += " " + u
	}
	return s
}

// describeUnique says in words what makes two of a kind's jobs one.
func describeUnique(k jobs.Kind) string {
	u := k.Unique
	if !u.ByArgs && u.ByPeriod == 0 {
		return ""
	}
	var what []string
	if u.ByArgs {
		var unique []string
		for _, a := range k.Args() {
			if a.Unique {
				unique = append(unique, a.Name)
			}
		}
		if len(unique) == 0 {
			what = append(what, "the same arguments")
		} else {
			what = append(what, "the same "+strings.Join(unique, ", "))
		}
	}
	switch u.ByPeriod {
	case 0:
	case 24 * time.Hour:
		what = append(what, "the same UTC day")
	case time.Hour:
		what = append(what, "the same hour")
	default:
		what = append(what, "the same period of "+formatDuration(u.ByPeriod))
	}
	when := "while it waits, runs, or has completed (River keeps completed jobs a day)"
	if len(u.ByState) > 0 {
		when = "while it waits or runs"
	}
	return "A job with " + strings.Join(what, " and ") + " as an earlier one is that job " + when + "."
}

func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "an hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func storageEnv() [][2]string {
	var env [][2]string
	for _, name := range config.StorageVariables() {
		env = append(env, [2]string{name, "as in Django's settings (see the README)"})
	}
	return env
}

// help prints the help of one verb, or of the command when verb is "".
func (c *cli) help(w io.Writer, name string) error {
	if name == "" {
		c.overview(w)
		return nil
	}
	v := c.verb(name)
	if v == nil {
		return usagef("unknown command %q", name)
	}
	fmt.Fprintf(w, "enqueue %s: %s\n\nusage: enqueue %s %s\n", v.name, v.summary, v.name, v.usage)
	if v.about != "" {
		fmt.Fprintf(w, "\n%s\n", clihelp.Wrap(v.about, 78))
	}
	list := func(title string, rows [][2]string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		clihelp.Rows(w, rows)
	}
	list("arguments", v.args)
	list("flags", append(v.flags, [2]string{"-h, --help", "print this help"}))
	env := v.env
	if len(env) == 0 {
		env = [][2]string{{"(none)", ""}}
	}
	list("environment", env)
	list("exit codes", v.exits)
	return nil
}

func (c *cli) overview(w io.Writer) {
	fmt.Fprint(w, "enqueue puts jobs on the worker's queue and follows them.\n\nusage:\n")
	for _, v := range c.verbs {
		fmt.Fprintf(w, "  enqueue %s %s\n%s\n", v.name, v.usage, clihelp.Indent(clihelp.Wrap(v.summary, 70), "      "))
	}
	fmt.Fprint(w, `
Without --wait a job's verb prints the job's id and returns. An equal job
already queued is not enqueued twice: its id is printed.

`+"`enqueue VERB --help`"+` says what a verb does, its flags, the environment
variables it reads and its exit codes. Every verb reads .env from the
working directory when there is one, or the file given by --env-file PATH
(python-dotenv's syntax); real environment variables win.

exit codes: 0 enqueued (with --wait: completed), 1 the job ended without
completing (a migration: a file failed), 2 usage error, 3 configuration,
database or storage error, 4 a migration ended with planned files not in
the bucket (incomplete: N files pending in batches ...)
`)
}

// printKinds lists the kinds, or prints their contract as JSON.
func printKinds(w io.Writer, kinds []jobs.Kind, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(jobs.ContractOf(kinds))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tVERB\tQUEUE\tATTEMPTS\tTIMEOUT\tWHAT IT DOES")
	for _, k := range kinds {
		verb := "-"
		if k.Command != nil {
			verb = k.Command.Verb
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", k.Name, verb, k.Queue, k.MaxAttempts, formatDuration(k.Timeout), k.Description)
	}
	return tw.Flush()
}
