// Command backupbench runs one backup or restore for scripts/bench/backup.sh,
// configured from the environment like the worker, and prints its wall
// time and peak memory as JSON.
//
//	backupbench backup
//	backupbench restore NAME
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/revisbali/worker/backup"
	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/storage"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "backupbench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || (args[0] == "restore" && len(args) != 2) {
		return fmt.Errorf("usage: backupbench backup | backupbench restore NAME")
	}
	ctx := context.Background()
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	store, err := storage.New(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	opts, err := backup.FromConfig(cfg)
	if err != nil {
		return err
	}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	start := time.Now()
	var out any
	switch args[0] {
	case "backup":
		out, err = backup.Run(ctx, store, opts)
	case "restore":
		out, err = backup.Restore(ctx, store, opts, backup.RestoreRequest{Name: args[1], Confirmed: true})
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	if err != nil {
		return err
	}
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"seconds": time.Since(start).Seconds(),
		"rss_kb":  self.Maxrss, // kilobytes on Linux
		"result":  out,
	})
}
