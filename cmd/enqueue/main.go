// Command enqueue puts jobs on the worker's queue and follows them.
//
//	enqueue ocr NAME [--lang L] [--wait] [--json]
//	enqueue passport NAME [--wait] [--json]
//	enqueue migrate-files [--field TABLE.COLUMN]... [--dry-run] [--batch-size N] [--wait] [--json]
//	enqueue backup [--verify] [--wait] [--json]
//	enqueue restore (NAME | --latest) --yes [--wait] [--json]
//	enqueue url NAME
//	enqueue status JOB_ID [--wait] [--json]
//
// Without --wait it prints the job's id and returns. --wait follows the job
// to its end, with a progress bar when stderr is a terminal and plain lines
// otherwise. --json prints one object on stdout:
// {"id", "kind", "state", "errors", "output"}. The same ocr or passport name
// enqueued while its first job is not finished is that job; backup makes a
// new backup every time, after any backup already running.
//
// Every command reads .env from the working directory when there is one, or
// the file named by --env-file PATH, in python-dotenv's syntax; real
// environment variables win.
//
// Exit codes: 0 the job was enqueued (or, with --wait, completed); 1 the job
// ended without completing (cancelled, discarded); 2 usage error; 3 the
// configuration, the database or the storage failed.
package main

import (
	// TIME_ZONE is checked at start; images without zoneinfo must still know it.
	_ "time/tzdata"

	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/revisbali/worker/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], config.Environ(), &streams{
		stdout: os.Stdout,
		stderr: os.Stderr,
		tty:    term.IsTerminal(int(os.Stderr.Fd())),
	})
	stop()
	os.Exit(code)
}
