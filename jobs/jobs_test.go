package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
		if timeoutOf(k.Name) <= 0 {
			t.Errorf("%s has no timeout", k.Name)
		}
	}
	for name := range kinds {
		if !seen[name] {
			t.Errorf("kind %s has no args type tested here", name)
		}
	}
}

// The rescuer's horizon is the shortest timeout, and the batch's is the
// operator's MIGRATE_BATCH_TIMEOUT, so that a batch whose worker died is
// worked again after it.
func TestShortestTimeoutAndBatchTimeout(t *testing.T) {
	t.Parallel()
	if got := ShortestTimeout(Kinds()); got != timeoutOf(KindPassportMRZ) {
		t.Errorf("ShortestTimeout(Kinds()) = %s, want passport's %s", got, timeoutOf(KindPassportMRZ))
	}
	if ShortestTimeout(nil) != 0 {
		t.Error("ShortestTimeout(nil) is not 0")
	}
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": t.TempDir(), "MIGRATE_BATCH_TIMEOUT": "7s"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Register(Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if got := ShortestTimeout(r.Kinds); got != 7*time.Second {
		t.Errorf("with MIGRATE_BATCH_TIMEOUT=7s the shortest registered timeout is %s", got)
	}
	w := &migrateFilesBatchWorker{deps: Deps{Config: cfg}}
	if got := w.Timeout(nil); got != 7*time.Second {
		t.Errorf("the batch worker's Timeout() = %s, want 7s", got)
	}
}

type nopWorker struct {
	river.WorkerDefaults[PassportMRZArgs]
}

func (nopWorker) Work(context.Context, *river.Job[PassportMRZArgs]) error { return nil }

func TestAdd(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Register(Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	before := len(r.Kinds)
	if err := add(r, KindPassportMRZ, &nopWorker{}); err != nil {
		t.Fatal(err)
	}
	if k := r.Kinds[len(r.Kinds)-1]; len(r.Kinds) != before+1 || k.Name != KindPassportMRZ || k.Queue != QueuePassport {
		t.Errorf("registered = %+v", r.Kinds)
	}
	if err := add(r, KindPassportMRZ, &nopWorker{}); err == nil {
		t.Error("a kind registered twice is accepted")
	}
	if err := add(r, "passport_scan", &nopWorker{}); err == nil {
		t.Error("a kind missing from Kinds() is accepted")
	}
}
