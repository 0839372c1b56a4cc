// Command migratebench generates a media folder with the rows that name its
// files, and migrates it with filemigrate the way the worker's jobs do (plan,
// then batches), for scripts/bench/migrate.sh.
//
//	migratebench gen -media DIR -table NAME [-small N -medium N -large N] [-huge]
//	migratebench run [-table NAME | -fields T.C,...] [-batch-size N] [-parallel N] [-check-objects]
//
// run reads the worker's configuration from the environment (MEDIA_ROOT,
// DATABASE_URL, AWS_*, MIGRATE_CONCURRENCY), creates the worker's own
// tables as `worker migrate` does (the manifest), and prints the summed
// batch report as JSON. gen ages the files it writes by an hour, as a media
// folder's files are: only settled files enter the manifest.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/dbschema"
	"github.com/revisbali/worker/filemigrate"
	"github.com/revisbali/worker/storage"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: migratebench gen|run [flags]")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(ctx, os.Args[2:])
	case "run":
		err = run(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "migratebench:", err)
		os.Exit(1)
	}
}

// gen writes the files (incompressible, as scans are) and one row per file.
func gen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	media := fs.String("media", "", "media folder to fill")
	table := fs.String("table", "bench_document", "table to create")
	small := fs.Int("small", 2000, "files of about 30 KB")
	medium := fs.Int("medium", 900, "files of about 250 KB")
	large := fs.Int("large", 100, "files of about 1.5 MB")
	huge := fs.Bool("huge", false, "one file of 1 GiB instead")
	_ = fs.Parse(args)
	if *media == "" {
		return errors.New("gen: -media is required")
	}
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{*table}.Sanitize()
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP TABLE IF EXISTS %[1]s; CREATE TABLE %[1]s (id bigserial PRIMARY KEY, title text NOT NULL, file varchar(100) NOT NULL)`, ident)); err != nil {
		return err
	}
	type kind struct {
		dir  string
		n    int
		size int
	}
	kinds := []kind{{"scans", *small, 30 << 10}, {"passports", *medium, 250 << 10}, {"contracts", *large, 1536 << 10}}
	if *huge {
		kinds = []kind{{"archives", 1, 1 << 30}}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var names []string
	for _, k := range kinds {
		for i := range k.n {
			name := fmt.Sprintf("%s/%d/%05d.pdf", k.dir, i%10, i)
			// Sizes vary by up to a tenth around the nominal size.
			size := k.size
			if !*huge {
				size += rng.IntN(k.size/5) - k.size/10
			}
			path := filepath.Join(*media, filepath.FromSlash(name))
			if err := writeFile(path, size, rng); err != nil {
				return err
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(path, old, old); err != nil {
				return err
			}
			names = append(names, name)
		}
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{*table}, []string{"title", "file"}, pgx.CopyFromSlice(len(names), func(i int) ([]any, error) {
		return []any{fmt.Sprintf("document %d", i), names[i]}, nil
	}))
	return err
}

func writeFile(path string, size int, rng *rand.Rand) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, min(size, 4<<20))
	for left := size; left > 0; left -= len(buf) {
		buf = buf[:min(left, len(buf))]
		for i := 0; i+8 <= len(buf); i += 8 {
			v := rng.Uint64()
			for j := range 8 {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// run plans the table's file column, measures it and copies its batches,
// parallel at a time, as the plan job and that many storage-queue workers
// would.
func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	table := fs.String("table", "bench_document", "table whose file column to migrate")
	fieldList := fs.String("fields", "", "TABLE.COLUMN,... to migrate instead of -table's file column")
	checkObjects := fs.Bool("check-objects", false, "ask the bucket about every file, not the manifest")
	batchSize := fs.Int("batch-size", filemigrate.DefaultBatchSize, "rows per batch")
	parallel := fs.Int("parallel", 1, "batches copied at once")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	_ = fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	cfg, err := config.Load()
	if err != nil {
		return err
	}
	store, err := storage.New(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	root, err := os.OpenRoot(os.Getenv("MEDIA_ROOT"))
	if err != nil {
		return err
	}
	defer root.Close()

	start := time.Now()
	if _, err := dbschema.Migrate(ctx, pool); err != nil {
		return err
	}
	fields := []filemigrate.Field{{Table: *table, Column: "file"}}
	if *fieldList != "" {
		if fields, err = filemigrate.ParseFields([]string{*fieldList}); err != nil {
			return err
		}
	}
	plan, err := filemigrate.PlanBatches(ctx, pool, fields, *batchSize)
	if err != nil {
		return err
	}
	// The plan job measures the bytes to copy before any batch runs.
	if err := plan.Measure(ctx, pool, root, cfg.Migrate.Concurrency); err != nil {
		return err
	}
	c := &filemigrate.Copier{Root: root, Target: store, Concurrency: cfg.Migrate.Concurrency, CheckObjects: *checkObjects,
		Manifest: filemigrate.NewManifest(pool, cfg.Storage.EndpointURL, cfg.Storage.Bucket, cfg.Storage.Location)}
	var mu sync.Mutex
	var total filemigrate.Report
	var errs []error
	work := make(chan filemigrate.Batch)
	var wg sync.WaitGroup
	for range max(*parallel, 1) {
		wg.Go(func() {
			for b := range work {
				rep, err := c.CopyBatch(ctx, pool, b)
				mu.Lock()
				total.Add(rep, 20)
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	for _, b := range plan.Batches {
		work <- b
	}
	close(work)
	wg.Wait()
	out := struct {
		filemigrate.Report
		Batches int     `json:"batches"`
		Seconds float64 `json:"seconds"`
	}{total, len(plan.Batches), time.Since(start).Seconds()}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return err
	}
	return errors.Join(errs...)
}
