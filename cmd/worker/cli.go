package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/revisbali/worker/clihelp"
	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/jobs"
)

// subcommand is one of the worker's commands; "" is the daemon itself.
type subcommand struct {
	name    string
	summary string
	about   string
	env     []string
	exits   [][2]string
}

var subcommands = []subcommand{{
	name:    "",
	summary: "apply River's and the worker's migrations (unless WORKER_MIGRATE=false), then work jobs until stopped",
	about: "Works the ocr, passport, storage and maintenance queues; jobs of a kind this binary has " +
		"no worker for stay queued. Logs are JSON lines on stderr. WORKER_HTTP_ADDR serves /livez, " +
		"/readyz and /metrics. SIGTERM or SIGINT stops fetching and lets running jobs finish for " +
		"WORKER_SOFT_STOP_TIMEOUT, then cancels them (a cancelled job goes back to the queue without " +
		"losing an attempt); a second signal cancels them at once.",
	env: config.Variables(),
	exits: [][2]string{
		{"0", "stopped by a signal, every job returned to River"},
		{"1", "the configuration, the database, the storage or the start failed, or jobs did not return at the stop"},
		{"2", "usage error"},
	},
}, {
	name:    "migrate",
	summary: "apply River's and the worker's migrations (the migration's manifest table), and exit",
	about: "Workers started together apply them one after the other (an advisory lock); run it as a " +
		"deploy step with WORKER_MIGRATE=false on the workers.",
	env: []string{"DATABASE_URL"},
	exits: [][2]string{
		{"0", "River's tables and the worker's are up to date"},
		{"1", "DATABASE_URL is not set or wrong, or a migration failed"},
		{"2", "usage error"},
	},
}, {
	name:    "health",
	summary: "ask the running worker's /readyz; the image's HEALTHCHECK",
	about: "Asks GET /readyz on WORKER_HTTP_ADDR (on loopback when the worker listens on every " +
		"interface) and prints the answer: ok, or why the worker is not ready (starting, stopping, " +
		"database unreachable, storage: ...). Reads nothing else, so it runs where the rest of the " +
		"configuration is missing.",
	env: []string{"WORKER_HTTP_ADDR"},
	exits: [][2]string{
		{"0", "the worker is ready"},
		{"1", "the worker is not ready or not answering (the reason on stderr)"},
		{"2", "usage error, or WORKER_HTTP_ADDR is not host:port"},
	},
}}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// parseArgs finds the subcommand ("" for the daemon) and whether its help
// was asked for.
func parseArgs(args []string) (sub string, help bool, err error) {
	known := func(name string) bool {
		for _, c := range subcommands {
			if c.name == name {
				return true
			}
		}
		return false
	}
	switch {
	case len(args) == 0:
		return "", false, nil
	case isHelp(args[0]) && len(args) == 1:
		return "", true, nil
	case isHelp(args[0]) && len(args) == 2 && known(args[1]):
		return args[1], true, nil
	case isHelp(args[0]) && len(args) == 2:
		return "", false, fmt.Errorf("unknown command %q", args[1])
	case !known(args[0]) || args[0] == "":
		return "", false, fmt.Errorf("unknown command %q", args[0])
	case len(args) == 1:
		return args[0], false, nil
	case len(args) == 2 && isHelp(args[1]):
		return args[0], true, nil
	}
	return "", false, fmt.Errorf("unexpected arguments: %q", args[1:])
}

// printHelp describes a subcommand; the daemon's help lists the others and
// the job kinds too.
func printHelp(w io.Writer, name string) {
	var c subcommand
	for _, s := range subcommands {
		if s.name == name {
			c = s
		}
	}
	usage := strings.TrimSpace("worker " + c.name)
	fmt.Fprintf(w, "%s: %s\n\nusage: %s [--env-file PATH] [-h | --help]\n\n%s\n", usage, c.summary, usage, clihelp.Wrap(c.about, 78))
	if name == "" {
		fmt.Fprint(w, "\ncommands:\n")
		var rows [][2]string
		for _, s := range subcommands {
			rows = append(rows, [2]string{strings.TrimSpace("worker " + s.name), s.summary})
		}
		clihelp.Rows(w, rows)
		fmt.Fprint(w, "\njob kinds (`enqueue kinds` says more):\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range jobs.Kinds() {
			fmt.Fprintf(tw, "  %s\t%s queue\t%s\n", k.Name, k.Queue, k.Description)
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(w, "\nenvironment (the README's table says what each means):\n%s\n", clihelp.Indent(clihelp.Wrap(strings.Join(c.env, " "), 76), "  "))
	fmt.Fprintf(w, "%s\n", clihelp.Indent(clihelp.Wrap("Read from the process environment over .env in the working directory, or the file given by --env-file PATH (python-dotenv's syntax); real environment variables win.", 76), "  "))
	fmt.Fprint(w, "\nexit codes:\n")
	clihelp.Rows(w, c.exits)
}
