// Command worker is the daemon that works the jobs Django enqueues.
//
//	worker           apply River's and the worker's migrations (unless WORKER_MIGRATE=false), then work jobs
//	worker migrate   apply River's and the worker's migrations, and exit
//	worker health    ask the running worker's /readyz (WORKER_HTTP_ADDR); exit 0 when ready, 1 otherwise
//	worker --help    what each command does, the variables it reads, its exit codes
//
// Both read .env from the working directory when there is one, or the file
// named by --env-file PATH, in python-dotenv's syntax; real environment
// variables win.
//
// SIGTERM or SIGINT stops fetching and lets running jobs finish for up to
// WORKER_SOFT_STOP_TIMEOUT, then cancels them; a cancelled job goes back to
// the queue without losing an attempt. A second signal cancels them at once.
package main

import (
	"fmt"
	// TIME_ZONE is checked at start; images without zoneinfo must still know it.
	_ "time/tzdata"

	"os"

	"github.com/revisbali/worker/jobs"
	"github.com/revisbali/worker/ocr"
)

func main() {
	// Tesseract's OpenMP reads OMP_THREAD_LIMIT before main runs: re-execute
	// with it set, or every engine starts a thread per CPU.
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(exitError)
	}
	os.Exit(run(os.Args[1:], jobs.Register, os.Stdout, os.Stderr))
}
