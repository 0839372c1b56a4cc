package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/storage"
)

// printURL prints what the frontend should load for name: a presigned or
// public bucket URL, or one under MEDIA_URL, exactly as Django's storage
// would give it. Like Django it does not need the file to exist, but it
// says so when the file is not there.
func printURL(ctx context.Context, cfg config.Storage, name string, s *streams) error {
	store, err := storage.New(ctx, cfg)
	if err != nil {
		return err
	}
	u, err := store.URL(ctx, name)
	if errors.Is(err, storage.ErrSuspiciousName) {
		return usagef("url: %v", err)
	}
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	_, err = store.Stat(ctx, name)
	switch {
	case errors.Is(err, storage.ErrSuspiciousName):
		// A URL can be made for it (a folder), but no file can be there.
		return usagef("url: %v", err)
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(s.stderr, "enqueue: note: %q is not in storage\n", name)
	case err != nil:
		return fmt.Errorf("url: %w", err)
	}
	fmt.Fprintln(s.stdout, u)
	return nil
}
