// Command storagebench moves files through the storage layer for
// scripts/bench/storage.sh, which times it beside rclone. It reads the
// same Django variables as the worker (config.Load).
//
//	storagebench gen DIR                  write big.bin (256 MiB) and many/ (2,000 x 30 KiB)
//	storagebench upload FILE NAME         save one file under NAME
//	storagebench download NAME FILE       open NAME and write it to FILE
//	storagebench upload-tree DIR PREFIX   save every file of DIR under PREFIX, 16 at a time
//	storagebench download-tree PREFIX DIR write every file under PREFIX into DIR, 16 at a time
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/storage"
)

// transfers matches rclone's --transfers 16 in the benchmark.
const transfers = 16

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "storagebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 2 && args[0] == "gen" {
		return generate(args[1])
	}
	if len(args) != 3 {
		return errors.New("usage: storagebench gen DIR | upload FILE NAME | download NAME FILE | upload-tree DIR PREFIX | download-tree PREFIX DIR")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	store, err := storage.New(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	switch args[0] {
	case "upload":
		return upload(ctx, store, args[1], args[2])
	case "download":
		return download(ctx, store, args[1], args[2])
	case "upload-tree":
		return uploadTree(ctx, store, args[1], args[2])
	case "download-tree":
		return downloadTree(ctx, store, args[1], args[2])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// generate writes incompressible test data.
func generate(dir string) error {
	rng := rand.NewChaCha8([32]byte{42})
	if err := writeFile(filepath.Join(dir, "big.bin"), io.LimitReader(rng, 256<<20)); err != nil {
		return err
	}
	for i := range 2000 {
		name := filepath.Join(dir, "many", fmt.Sprintf("%02d", i%20), fmt.Sprintf("file-%04d.jpg", i))
		if err := writeFile(name, io.LimitReader(rng, 30<<10)); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func upload(ctx context.Context, store storage.Storage, file, name string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = store.Save(ctx, name, f, storage.SaveOptions{Replace: true, Size: st.Size()})
	return err
}

func download(ctx context.Context, store storage.Storage, name, file string) error {
	r, err := store.Open(ctx, name)
	if err != nil {
		return err
	}
	defer r.Close()
	return writeFile(file, r)
}

// parallel runs fn on every item with transfers workers and returns the
// first error, which also cancels the rest.
func parallel(ctx context.Context, items []string, fn func(context.Context, string) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan string)
	var wg sync.WaitGroup
	for range transfers {
		wg.Go(func() {
			for it := range work {
				if err := fn(ctx, it); err != nil {
					cancel(err)
				}
			}
		})
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		work <- it
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

func uploadTree(ctx context.Context, store storage.Storage, dir, prefix string) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	return parallel(ctx, files, func(ctx context.Context, p string) error {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return upload(ctx, store, p, prefix+filepath.ToSlash(rel))
	})
}

func downloadTree(ctx context.Context, store storage.Storage, prefix, dir string) error {
	var names []string
	for info, err := range store.List(ctx, prefix) {
		if err != nil {
			return err
		}
		names = append(names, info.Name)
	}
	return parallel(ctx, names, func(ctx context.Context, name string) error {
		return download(ctx, store, name, filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, prefix))))
	})
}
