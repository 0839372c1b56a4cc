package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/storage"
)

func TestRiverError(t *testing.T) {
	t.Parallel()
	stop := errors.New("stop initiated")
	stopped, cancel := context.WithCancelCause(context.Background())
	cancel(stop)
	timedOut, cancelTimeout := context.WithTimeout(context.Background(), 0)
	defer cancelTimeout()
	live := context.Background()

	tests := []struct {
		name       string
		ctx        context.Context
		err        error
		wantCancel bool  // river.JobCancel: no retry
		wantIs     error // must still match
	}{
		{"bad input", live, fmt.Errorf("ocr a.pdf: %w", fault.BadInput("the PDF is encrypted")), true, fault.ErrBadInput},
		{"missing file", live, fmt.Errorf("open scans/a.pdf: %w", fs.ErrNotExist), true, fs.ErrNotExist},
		{"suspicious name", live, fmt.Errorf("open ../etc/passwd: %w", storage.ErrSuspiciousName), true, storage.ErrSuspiciousName},
		{"passing fault", live, errors.New("s3: 503 slow down"), false, nil},
		// A subprocess killed by the cancellation reports "signal: killed";
		// River must still see the stop to give the job back unharmed.
		{"stopping", stopped, errors.New("tesseract: signal: killed"), false, context.Canceled},
		{"stopping keeps its cause", stopped, errors.New("tesseract: signal: killed"), false, stop},
		{"stopping beats bad input", stopped, fault.BadInput("truncated read"), false, context.Canceled},
		{"timeout is retried", timedOut, errors.New("pg_dump: signal: killed"), false, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := RiverError(tt.ctx, tt.err)
			var cancelErr *rivertype.JobCancelError
			if isCancel := errors.As(got, &cancelErr); isCancel != tt.wantCancel {
				t.Errorf("RiverError(%v) = %v: cancel %v, want %v", tt.err, got, isCancel, tt.wantCancel)
			}
			if tt.wantIs != nil && !errors.Is(got, tt.wantIs) {
				t.Errorf("RiverError(%v) = %v, does not match %v", tt.err, got, tt.wantIs)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("RiverError lost the original error %v: %v", tt.err, got)
			}
		})
	}
	if RiverError(live, nil) != nil {
		t.Error("RiverError(nil) is not nil")
	}
}

// Each args type agrees with the kind table, and its JSON field names are
// the contract with Django and the CLI.
func TestArgsContract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args river.JobArgs
		json string
	}{
		{OCRDocumentArgs{Name: "scans/a.pdf", Lang: "eng+ind"}, `{"name":"scans/a.pdf","lang":"eng+ind"}`},
		{OCRDocumentArgs{Name: "scans/a.pdf"}, `{"name":"scans/a.pdf"}`},
		{PassportMRZArgs{Name: "passports/p.jpg"}, `{"name":"passports/p.jpg"}`},
		{MigrateFilesArgs{Fields: []string{"core_document.file"}, DryRun: true, BatchSize: 500}, `{"fields":["core_document.file"],"dry_run":true,"batch_size":500}`},
		{MigrateFilesArgs{}, `{"dry_run":false}`},
		{MigrateFilesBatchArgs{PlanID: 7, Schema: "public", Table: "core_document", Column: "file", KeyColumn: "id", After: new("500"), Upto: new("1000")},
			`{"plan_id":7,"schema":"public","table":"core_document","column":"file","key_column":"id","after":"500","upto":"1000","dry_run":false}`},
		{BackupDBArgs{}, `{}`},
		{RestoreDBArgs{Latest: true}, `{"latest":true}`},
		{RestoreDBArgs{Name: "backups/default-web1-2026-11-28-020000.psql.bin.gz"}, `{"name":"backups/default-web1-2026-11-28-020000.psql.bin.gz"}`},
	}
	kinds := map[string]Kind{}
	for _, k := range Kinds() {
		kinds[k.Name] = k
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got, err := json.Marshal(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.json {
			t.Errorf("%s args encode as %s, want %s", tt.args.Kind(), got, tt.json)
		}
		k, ok := kinds[tt.args.Kind()]
		if !ok {
			t.Errorf("kind %s is not in Kinds()", tt.args.Kind())
			continue
		}
		seen[k.Name] = true
		if opts := tt.args.(river.JobArgsWithInsertOpts).InsertOpts(); opts.Queue != k.Queue {
			t.Errorf("%s inserts into queue %q, Kinds() says %q", k.Name, opts.Queue, k.Queue)
		}
		if k.Timeout <= 0 || k.MaxAttempts <= 0 || k.Description == "" {
			t.Errorf("%s has no timeout, attempts or description: %+v", k.Name, k)
		}
		// The args type's JSON decodes back through the declaration.
		back, err := k.NewArgs(got)
		if err != nil || !reflect.DeepEqual(back, tt.args) {
			t.Errorf("%s: NewArgs(%s) = %#v, %v", k.Name, got, back, err)
		}
	}
	for name := range kinds {
		if !seen[name] {
			t.Errorf("kind %s has no args type tested here", name)
		}
	}
}

// Every declaration is whole: a unique name, a queue the daemon runs, flags
// and variants naming arguments of the right type, and distinct verbs.
func TestDeclarations(t *testing.T) {
	t.Parallel()
	queues := []string{QueueOCR, QueuePassport, QueueStorage, QueueMaintenance}
	names, verbs := map[string]bool{}, map[string]bool{}
	for _, k := range Kinds() {
		if names[k.Name] {
			t.Errorf("kind %s declared twice", k.Name)
		}
		names[k.Name] = true
		if !slices.Contains(queues, k.Queue) {
			t.Errorf("%s: queue %q is not one the daemon runs", k.Name, k.Queue)
		}
		args := map[string]Arg{}
		for _, a := range k.Args() {
			args[a.Name] = a
		}
		for _, v := range k.Variants {
			if args[v.When].Type != "boolean" {
				t.Errorf("%s: variant when %q names no boolean argument", k.Name, v.When)
			}
		}
		if k.Command == nil {
			continue
		}
		if verbs[k.Command.Verb] {
			t.Errorf("verb %s used twice", k.Command.Verb)
		}
		verbs[k.Command.Verb] = true
		if p := k.Command.Positional; p != nil && args[p.Arg].Type != "string" {
			t.Errorf("%s: positional %s fills %q, no string argument", k.Name, p.Placeholder, p.Arg)
		}
		for _, f := range k.Command.Flags {
			if _, ok := args[f.Arg]; !ok || f.Usage == "" {
				t.Errorf("%s: flag --%s fills %q, no argument (or has no usage)", k.Name, f.Name, f.Arg)
			}
		}
	}
}

// A variant's options replace the kind's when its argument is true.
func TestInsertOptsVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args        river.JobArgs
		maxAttempts int
		unique      river.UniqueOpts
	}{
		{BackupDBArgs{}, 3, river.UniqueOpts{}},
		{BackupDBArgs{Nightly: true, Night: "2026-12-07"}, 3, river.UniqueOpts{ByArgs: true}},
		{BackupDBArgs{Verify: true}, 1, river.UniqueOpts{}},
		{BackupDBArgs{CatchUp: true}, 1, river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}},
		{OCRDocumentArgs{Name: "a.png"}, ocrDocument.MaxAttempts, ocrDocument.Unique},
	}
	for _, tt := range tests {
		opts := tt.args.(river.JobArgsWithInsertOpts).InsertOpts()
		if opts.MaxAttempts != tt.maxAttempts || !reflect.DeepEqual(opts.UniqueOpts, tt.unique) {
			t.Errorf("%#v: attempts %d unique %+v; want %d %+v", tt.args, opts.MaxAttempts, opts.UniqueOpts, tt.maxAttempts, tt.unique)
		}
	}
}

// The rescuer's horizon is the shortest timeout, and the batch's is the
// operator's MIGRATE_BATCH_TIMEOUT, so that a batch whose worker died is
// worked again after it.
func TestShortestTimeoutAndBatchTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		timeouts []time.Duration
		want     time.Duration
	}{
		{nil, 0},
		{[]time.Duration{2 * time.Hour, 5 * time.Minute, 10 * time.Minute}, 5 * time.Minute},
		{[]time.Duration{time.Second}, time.Second},
	} {
		var kinds []Kind
		for _, d := range tt.timeouts {
			kinds = append(kinds, Kind{Timeout: d})
		}
		if got := ShortestTimeout(kinds); got != tt.want {
			t.Errorf("ShortestTimeout(%v) = %s, want %s", tt.timeouts, got, tt.want)
		}
	}
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": t.TempDir(), "MIGRATE_BATCH_TIMEOUT": "7s"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := RegisterKinds(Deps{Config: cfg}, []Kind{migrateFilesBatch})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Kinds) != 1 || r.Kinds[0].Timeout != 7*time.Second || ShortestTimeout(r.Kinds) != 7*time.Second {
		t.Errorf("with MIGRATE_BATCH_TIMEOUT=7s the registered batch kind is %+v", r.Kinds)
	}
}

// A kind declared once is registered with its timeout, and a name declared
// twice is refused.
func TestRegisterKinds(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Register(Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range r.Kinds {
		names = append(names, k.Name)
	}
	// Without an OCR pool the passport reader cannot load: its kind is left
	// out, its jobs left in the queue.
	if want := []string{KindBackupDB, KindMigrateFiles, KindMigrateFilesBatch, KindOCRDocument, KindRestoreDB}; !slices.Equal(slices.Sorted(slices.Values(names)), want) {
		t.Errorf("registered %v, want %v", names, want)
	}
	if len(r.Periodic) != 2 {
		t.Errorf("%d periodic jobs, want the nightly backup and its hourly catch-up", len(r.Periodic))
	}
	if _, err := RegisterKinds(Deps{Config: cfg}, []Kind{ocrDocument, ocrDocument}); err == nil {
		t.Error("a kind registered twice is accepted")
	}
	if _, err := RegisterKinds(Deps{Config: cfg}, []Kind{{Name: "passport_scan", Queue: QueuePassport}}); err == nil {
		t.Error("a kind not made by Define is accepted")
	}
}

// The error middleware judges what a worker returned, sees the kind's
// timeout, and leaves an error already judged as it is.
func TestErrorMiddleware(t *testing.T) {
	t.Parallel()
	m := ErrorMiddleware([]Kind{{Name: "quick", Timeout: 20 * time.Millisecond}})
	job := &rivertype.JobRow{Kind: "quick"}
	tests := []struct {
		name       string
		work       func(ctx context.Context) error
		wantCancel bool
		wantIs     error
	}{
		{"bad input cancels", func(context.Context) error { return fault.BadInput("not an image") }, true, fault.ErrBadInput},
		{"judged once", func(ctx context.Context) error { return RiverError(ctx, fault.BadInput("not an image")) }, true, fault.ErrBadInput},
		{"out of time is retried", func(ctx context.Context) error {
			<-ctx.Done()
			return fault.BadInput("truncated read") // what a killed reader may say
		}, false, context.DeadlineExceeded},
		{"passing fault", func(context.Context) error { return errors.New("s3: 503") }, false, nil},
		// The same input would panic again at every attempt.
		{"panic cancels", func(context.Context) error {
			var m map[string]int
			//lint:ignore SA5000 a nil map write is the point: a genuine runtime panic
			m["x"]++
			return nil
		}, true, ErrPanicked},
	}
	for _, tt := range tests {
		err := m.Work(context.Background(), job, tt.work)
		var cancel *rivertype.JobCancelError
		if errors.As(err, &cancel) != tt.wantCancel || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.wantCancel && strings.Count(err.Error(), "JobCancelError") != 1 {
			t.Errorf("%s: %q", tt.name, err)
		}
	}
}

// What people read of an error has no Go type name.
func TestErrorText(t *testing.T) {
	t.Parallel()
	err := RiverError(context.Background(), fmt.Errorf("passport %q: %w", "x.png", fault.BadInput("no machine-readable zone found")))
	want := `passport "x.png": no machine-readable zone found`
	if got := Message(err); got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if got := ErrorText(err.Error()); got != want {
		t.Errorf("ErrorText(%q) = %q, want %q", err.Error(), got, want)
	}
	if got := Message(errors.New("s3: 503")); got != "s3: 503" {
		t.Errorf("Message of a plain error = %q", got)
	}
}
