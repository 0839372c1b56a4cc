package ocr

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"
)

// ThreadLimitVar must be 1 in the environment of any process that runs
// Tesseract. Debian's libtesseract is built with OpenMP and would start a
// team of threads per engine on every page; with one engine per CPU that
// oversubscribes the machine (on 2 cores: 14.5 s a page instead of 5.1 s).
// libgomp reads the variable once, in its constructor, before main runs,
// so os.Setenv from Go comes too late: EnsureThreadLimit re-executes the
// program with the variable set instead.
const ThreadLimitVar = "OMP_THREAD_LIMIT"

// EnsureThreadLimit returns at once when OMP_THREAD_LIMIT=1 is set.
// Otherwise it replaces the running program by itself with the variable
// set (same arguments and environment), so it must be called first thing
// in main or TestMain, before any other goroutine or file matters. It
// returns an error only if the re-execution fails.
func EnsureThreadLimit() error {
	if os.Getenv(ThreadLimitVar) == "1" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("set %s=1: find own executable: %w", ThreadLimitVar, err)
	}
	env := append(os.Environ(), ThreadLimitVar+"=1")
	if err := syscall.Exec(exe, os.Args, env); err != nil {
		return fmt.Errorf("set %s=1: re-execute %s: %w", ThreadLimitVar, exe, err)
	}
	return nil // not reached
}

func warnThreadLimit(log *slog.Logger) {
	if os.Getenv(ThreadLimitVar) != "1" {
		log.Warn("OMP_THREAD_LIMIT is not 1: each Tesseract engine may start one thread per CPU and pages will take several times longer; call ocr.EnsureThreadLimit at the start of main",
			"OMP_THREAD_LIMIT", os.Getenv(ThreadLimitVar))
	}
}
