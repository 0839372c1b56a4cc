package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	worker "github.com/revisbali/worker"
	"github.com/revisbali/worker/backup"
	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/dbschema"
	"github.com/revisbali/worker/jobs"
	"github.com/revisbali/worker/metrics"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/tempfile"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// hardStopGrace bounds how long a stop waits for cancelled jobs to return
// before the process exits anyway; a job that ignores its context is then
// left running in the table, and River's rescuer retries it later.
const hardStopGrace = 5 * time.Second

// registerFunc returns the job kinds this binary works; tests pass their own.
type registerFunc func(jobs.Deps) (*jobs.Registry, error)

func run(args []string, register registerFunc, stdout, stderr io.Writer) int {
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	envFile, args, err := config.EnvFileFlag(args)
	if err != nil {
		fmt.Fprintf(stderr, "worker: %v\n`worker --help` lists the commands\n", err)
		return exitUsage
	}
	sub, help, err := parseArgs(args)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "worker: %v\n`worker --help` lists the commands\n", err)
		return exitUsage
	case help:
		printHelp(stdout, sub)
		return exitOK
	}
	env, err := config.ReadEnvFile(envFile, config.Environ())
	if err != nil {
		logger.Error("configuration", slog.String("error", err.Error()))
		return exitError
	}
	switch sub {
	case "migrate":
		return migrateOnly(logger, env)
	case "health":
		return health(stdout, stderr, env)
	}

	cfg, err := config.LoadFrom(env)
	if err != nil {
		logger.Error("configuration", slog.String("error", err.Error()))
		return exitError
	}
	// Signals are caught from the start so that a stop during migrations or
	// start-up is orderly too.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-signals:
			cancel()
		case <-ctx.Done():
		}
	}()

	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		// pgx's parse errors may quote the URL, password included.
		logger.Error("database: DATABASE_URL cannot be parsed")
		return exitError
	}
	// Every running job may hold a connection (the migration reads tables),
	// and River needs its own for fetching, listening and completing.
	w := cfg.Worker
	poolCfg.MaxConns = max(poolCfg.MaxConns, int32(w.QueueOCR+w.QueuePassport+w.QueueStorage+w.QueueMaintenance+8))
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		logger.Error("database", slog.String("error", err.Error()))
		return exitError
	}
	defer pool.Close()

	if cfg.Worker.Migrate {
		if err := migrate(ctx, pool, logger); err != nil {
			logger.Error("migrations", slog.String("error", err.Error()))
			return exitError
		}
	}

	d := &daemon{cfg: cfg, pool: pool, logger: logger}
	if err := d.start(ctx, register); err != nil {
		logger.Error("start", slog.String("error", err.Error()))
		d.close()
		return exitError
	}
	return d.wait(ctx, signals)
}

// migrateOnly is `worker migrate`: River's and the worker's migrations, with DATABASE_URL
// the only setting read.
func migrateOnly(logger *slog.Logger, env map[string]string) int {
	dbURL, err := config.LoadDatabaseURL(env)
	if err != nil {
		logger.Error("configuration", slog.String("error", err.Error()))
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		logger.Error("database: DATABASE_URL cannot be parsed") // it may hold a password
		return exitError
	}
	defer pool.Close()
	if err := migrate(ctx, pool, logger); err != nil {
		logger.Error("migrations", slog.String("error", err.Error()))
		return exitError
	}
	return exitOK
}

// migrate applies River's migrations, then the worker's own (dbschema).
// An advisory lock makes workers that
// start together apply them one after the other.
func migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	// The key is arbitrary but fixed: "rvmg".
	const lockKey = 0x72766d67
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
	}()

	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return err
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return err
	}
	versions := make([]int, len(res.Versions))
	for i, v := range res.Versions {
		versions[i] = v.Version
	}
	logger.Info("river migrations applied", slog.Any("versions", versions))
	// The worker's own tables (the migration's manifest) come after River's.
	own, err := dbschema.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	logger.Info("worker migrations applied", slog.Any("versions", own))
	return nil
}

type daemon struct {
	cfg    config.Config
	pool   *pgxpool.Pool
	logger *slog.Logger

	client   *river.Client[pgx.Tx]
	server   *http.Server
	serveErr chan error
	ui       *uiServer
	temp     *tempfile.Dir
	ocr      *ocr.Pool
	storage  *storage.Health

	started  atomic.Bool
	stopping atomic.Bool
}

// start builds the River client from the registered kinds, serves health
// and metrics, and starts working.
func (d *daemon) start(ctx context.Context, register registerFunc) error {
	temp, err := tempfile.Open(d.cfg.Temp.Dir)
	if err != nil {
		return fmt.Errorf("WORKER_TMPDIR: %w", err)
	}
	d.temp = temp
	swept, err := temp.Sweep()
	if err != nil {
		return err
	}
	if swept > 0 {
		d.logger.Info("removed the temp folders of dead workers", slog.Int("folders", swept))
	}

	store, err := storage.New(ctx, d.cfg.Storage)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	// A wrong key or a missing bucket stops the worker here, in one line,
	// rather than failing every job later.
	host, _ := os.Hostname()
	if d.storage, err = storage.NewHealth(store, host); err != nil {
		return err
	}
	if err := d.storage.Err(ctx); err != nil {
		return fmt.Errorf("storage check: %w", err)
	}
	d.logger.Info("storage check passed", storageFields(d.cfg.Storage)...)
	// pg_dump refuses a newer server: a mismatched image would fail every
	// backup, so it fails here instead.
	client, server, err := backup.CheckClient(ctx, d.cfg.BackupDatabaseURL())
	if err != nil {
		return fmt.Errorf("backup client check: %w", err)
	}
	d.logger.Info("backup client check passed", slog.String("pg_dump", client), slog.String("server_major", server))
	d.logCatchUp(ctx, store)
	// One engine per OCR slot: the pool, shared with the passport queue,
	// is what bounds how many Tesseract threads compete for the CPUs.
	d.ocr, err = ocr.NewPool(ocr.PoolConfig{
		Size:        d.cfg.Worker.QueueOCR,
		Languages:   d.cfg.OCR.LanguageList(),
		TessdataDir: d.cfg.OCR.TessdataDir,
		Logger:      d.logger,
	})
	if err != nil {
		return fmt.Errorf("ocr: %w", err)
	}
	reg, err := register(jobs.Deps{
		Config:  d.cfg,
		Storage: store,
		Pool:    d.pool,
		Logger:  d.logger,
		Temp:    temp,
		OCR:     d.ocr,
	})
	if err != nil {
		return err
	}
	kinds := reg.Kinds
	if len(kinds) == 0 {
		return errors.New("no job kind has a worker yet: nothing to do")
	}
	shortest := jobs.ShortestTimeout(kinds)
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}

	m := metrics.New(d.pool, d.logger)
	m.WatchTemp(temp)
	m.WatchReadiness(func(ctx context.Context) bool { return d.notReady(ctx) == "" })
	w := d.cfg.Worker
	d.client, err = river.NewClient(riverpgxv5.New(d.pool), &river.Config{
		Logger: d.logger,
		Queues: map[string]river.QueueConfig{
			jobs.QueueOCR:         {MaxWorkers: w.QueueOCR},
			jobs.QueuePassport:    {MaxWorkers: w.QueuePassport},
			jobs.QueueStorage:     {MaxWorkers: w.QueueStorage},
			jobs.QueueMaintenance: {MaxWorkers: w.QueueMaintenance},
		},
		Workers:      reg.Workers,
		PeriodicJobs: reg.Periodic,
		// Jobs of kinds this binary cannot work stay in the queue for one
		// that can, instead of failing.
		FetchOnlyKnownKinds: true,
		// Every worker sets its own timeout, and River's rescuer leaves a
		// running job alone until that has passed: the rescuer may look from
		// the shortest one on, so that a job whose worker died is worked
		// again once its own timeout is over (RELIABILITY.md).
		JobTimeout:           shortest,
		RescueStuckJobsAfter: shortest,
		SoftStopTimeout:      w.SoftStopTimeout,
		// Outputs live in the job rows: how long an app can still read them.
		CompletedJobRetentionPeriod: w.CompletedJobRetention,
		// The error middleware judges what a worker returned (cancel, retry,
		// back to the queue); the metrics and the log, outside it, see its
		// verdict. Inside it, the storage middleware turns a failure of the
		// storage as a whole into a snooze.
		Middleware: []rivertype.Middleware{m.Middleware(), &jobs.LogMiddleware{Logger: d.logger}, jobs.ErrorMiddleware(kinds), jobs.StorageMiddleware(d.storage)},
	})
	if err != nil {
		return fmt.Errorf("river client: %w", err)
	}

	ln, err := net.Listen("tcp", w.HTTPAddr)
	if err != nil {
		return fmt.Errorf("WORKER_HTTP_ADDR: %w", err)
	}
	d.server = &http.Server{Handler: d.routes(m.Handler()), ReadHeaderTimeout: 5 * time.Second}
	d.serveErr = make(chan error, 1)
	go func() { d.serveErr <- d.server.Serve(ln) }()
	if err := d.serveUI(ctx); err != nil {
		return err
	}

	// The client runs on a context of its own: stopping is d.wait's job, so
	// that the soft stop, the hard stop and the exit happen in that order.
	if err := d.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("river client: %w", err)
	}
	d.started.Store(true)
	d.logger.Info("worker started",
		slog.String("version", worker.Version()),
		slog.Any("kinds", names),
		slog.String("http", ln.Addr().String()),
		slog.Duration("rescue_stuck_jobs_after", shortest),
		slog.Duration("completed_job_retention", w.CompletedJobRetention),
		slog.Int("queue_ocr", w.QueueOCR), slog.Int("queue_passport", w.QueuePassport),
		slog.Int("queue_storage", w.QueueStorage), slog.Int("queue_maintenance", w.QueueMaintenance))
	return nil
}

// logCatchUp says at start what the leader's backup catch-up is about to
// do, so that a full pg_dump right after a first start is a logged
// decision, not a surprise.
func (d *daemon) logCatchUp(ctx context.Context, store storage.Storage) {
	b := d.cfg.Backup
	switch {
	case b.Schedule == config.ScheduleOff:
		return
	case !bool(b.CatchUp):
		d.logger.Info("backup catch-up off (BACKUP_CATCH_UP=False): only the schedule makes backups", slog.String("schedule", b.Schedule))
		return
	}
	opts, err := backup.FromConfig(d.cfg)
	if err != nil {
		return // the backup kind's registration reports it
	}
	schedule, err := backup.ParseSchedule(b.Schedule, opts.TimeZone)
	if err != nil {
		return
	}
	latest, err := backup.Latest(ctx, store, opts, opts.Filter())
	switch {
	case errors.Is(err, backup.ErrNoBackup):
		d.logger.Warn("backup catch-up: no backup in the folder yet: a full pg_dump runs now on the leader (BACKUP_CATCH_UP=False turns this off)",
			slog.String("folder", b.Folder))
	case err != nil:
		d.logger.Warn("backup catch-up: cannot list the backups", slog.String("error", err.Error()))
	case backup.NeedsCatchUp(latest.Date, schedule, time.Now()):
		d.logger.Warn("backup catch-up: the newest backup is older than the last scheduled run: a pg_dump runs now on the leader (BACKUP_CATCH_UP=False turns this off)",
			slog.String("newest", latest.Name))
	default:
		d.logger.Info("backup catch-up on: a missed scheduled run is caught up at start and hourly", slog.String("newest", latest.Name))
	}
}

// storageFields says which storage the worker checked, without secrets.
func storageFields(cfg config.Storage) []any {
	if cfg.UseCloudStorage {
		return []any{slog.String("backend", "s3"), slog.String("bucket", cfg.Bucket),
			slog.String("location", cfg.Location), slog.String("endpoint", cfg.EndpointURL)}
	}
	return []any{slog.String("backend", "local"), slog.String("media_root", cfg.MediaRoot)}
}

// wait blocks until a signal (ctx is cancelled by the first) or a failed
// HTTP server, then stops: softly first, at once on a second signal.
func (d *daemon) wait(ctx context.Context, signals <-chan os.Signal) int {
	code := exitOK
	select {
	case <-ctx.Done():
		d.stopping.Store(true)
		d.logger.Info("stopping: no new jobs; running jobs may finish", slog.Duration("soft_stop_timeout", d.cfg.Worker.SoftStopTimeout))
	case err := <-d.serveErr:
		d.logger.Error("http server", slog.String("error", err.Error()))
		code = exitError
		d.stopping.Store(true)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- d.client.Stop(context.Background()) }()
	var err error
	select {
	case err = <-stopped:
	case <-signals:
		d.logger.Warn("second signal: cancelling running jobs; they go back to the queue")
		err = d.hardStop()
	case <-time.After(d.cfg.Worker.SoftStopTimeout + hardStopGrace):
		// River cancelled the jobs at the soft stop timeout; some ignore it.
		err = errors.New("jobs still running after their contexts were cancelled; leaving them to the rescuer")
	}
	if err != nil {
		d.logger.Error("stop", slog.String("error", err.Error()))
		code = exitError
	}
	d.close()
	d.logger.Info("worker stopped")
	return code
}

func (d *daemon) hardStop() error {
	ctx, cancel := context.WithTimeout(context.Background(), hardStopGrace)
	defer cancel()
	if err := d.client.StopAndCancel(ctx); err != nil {
		return fmt.Errorf("hard stop: jobs did not return after cancellation: %w", err)
	}
	return nil
}

// close releases what start acquired; it tolerates a start that failed
// halfway.
func (d *daemon) close() {
	if d.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = d.server.Shutdown(ctx)
	}
	if d.ui != nil {
		d.ui.close()
	}
	if d.ocr != nil {
		d.ocr.Close()
	}
	if d.temp != nil {
		if err := d.temp.Close(); err != nil {
			d.logger.Error("temp folder", slog.String("error", err.Error()))
		}
	}
}
