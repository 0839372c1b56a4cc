package jobs

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/internal/testbed"
)

type dbBundle struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx] // insert-only, as cmd/enqueue's
}

func setupDB(t *testing.T) *dbBundle {
	t.Helper()
	_, pool := testbed.NewRiverDatabase(t)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &dbBundle{pool: pool, client: client}
}

// djangoKey is docs/river.md's recipe, computed in Python exactly as
// the Django side should: json.dumps with sorted keys, no spaces, non-ASCII
// kept, and <, >, &, U+2028, U+2029 escaped as Go's encoding/json escapes
// them (River hashes the JSON Go wrote).
const djangoKey = `
import hashlib, json, sys
kind, args = sys.argv[1], json.loads(sys.argv[2])
enc = json.dumps(args, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
for c, e in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
    enc = enc.replace(c, e)
print(hashlib.sha256(("&kind=" + kind + "&args=" + enc).encode()).hexdigest())
`

func pythonKey(t *testing.T, kind string, uniqueArgs map[string]any) []byte {
	t.Helper()
	args, err := json.Marshal(uniqueArgs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c", djangoKey, kind, string(args)).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// insertSQL is the raw-SQL route Django takes (docs/river.md).
func insertSQL(t *testing.T, pool *pgxpool.Pool, kind, queue string, args any, key []byte) int64 {
	t.Helper()
	encoded, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = pool.QueryRow(context.Background(), `
		INSERT INTO river_job (args, kind, max_attempts, priority, queue, scheduled_at, state, tags, metadata, unique_key, unique_states)
		VALUES ($1::jsonb, $2, 5, 1, $3, now(), 'available', '{}', '{}', $4, B'11110001')
		ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND unique_states IS NOT NULL
			AND river_job_state_in_bitmask(unique_states, state)
		DO UPDATE SET kind = river_job.kind
		RETURNING id`, encoded, kind, queue, key).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The same name enqueued by Django's raw SQL and by the Go client is one
// job, in either order, and names with characters JSON escapes agree too.
func TestUniqueMatchesDjangoRoute(t *testing.T) {
	t.Parallel()
	b := setupDB(t)
	ctx := context.Background()
	names := []string{"scans/a.pdf", "passports/José <1> & Ñ.jpg"}

	for _, name := range names {
		for _, args := range []river.JobArgs{OCRDocumentArgs{Name: name}, PassportMRZArgs{Name: name}} {
			key := pythonKey(t, args.Kind(), map[string]any{"name": name})
			queue := args.(river.JobArgsWithInsertOpts).InsertOpts().Queue

			// Django first, then the CLI.
			sqlID := insertSQL(t, b.pool, args.Kind(), queue, args, key)
			res, err := b.client.Insert(ctx, args, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !res.UniqueSkippedAsDuplicate || res.Job.ID != sqlID {
				t.Errorf("%s %q: Go insert made job %d (duplicate %v) beside Django's %d", args.Kind(), name, res.Job.ID, res.UniqueSkippedAsDuplicate, sqlID)
			}
			if string(res.Job.UniqueKey) != string(key) {
				t.Errorf("%s %q: River's unique key %x, Django's %x", args.Kind(), name, res.Job.UniqueKey, key)
			}
			// The language is not part of the identity.
			if ocr, ok := args.(OCRDocumentArgs); ok {
				ocr.Lang = "ind"
				res, err := b.client.Insert(ctx, ocr, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Job.ID != sqlID {
					t.Errorf("ocr %q with another language is a second job", name)
				}
			}
		}
	}

	// The CLI first, then Django.
	res, err := b.client.Insert(ctx, PassportMRZArgs{Name: "passports/b.png"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := pythonKey(t, KindPassportMRZ, map[string]any{"name": "passports/b.png"})
	if id := insertSQL(t, b.pool, KindPassportMRZ, QueuePassport, PassportMRZArgs{Name: "passports/b.png"}, key); id != res.Job.ID {
		t.Errorf("Django's insert made job %d beside the CLI's %d", id, res.Job.ID)
	}

	// Another name is another job.
	other, err := b.client.Insert(ctx, PassportMRZArgs{Name: "passports/c.png"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if other.UniqueSkippedAsDuplicate {
		t.Error("a different name was taken for a duplicate")
	}
}

// A job waiting or running for a name answers for it; once it completed
// (the file may have been uploaded again under the same name) or was
// cancelled, the name makes a new job. Both kinds by name, both routes.
func TestUniqueStates(t *testing.T) {
	t.Parallel()
	b := setupDB(t)
	ctx := context.Background()
	for _, args := range []river.JobArgs{OCRDocumentArgs{Name: "scans/x.pdf"}, PassportMRZArgs{Name: "scans/x.pdf"}} {
		insert := func() *rivertype.JobInsertResult {
			t.Helper()
			res, err := b.client.Insert(ctx, args, nil)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		setState := func(id int64, state rivertype.JobState) {
			t.Helper()
			if _, err := b.pool.Exec(ctx, `UPDATE river_job SET state = $2::river_job_state, finalized_at = CASE WHEN $2::text IN ('completed', 'cancelled') THEN now() END WHERE id = $1`, id, string(state)); err != nil {
				t.Fatal(err)
			}
		}
		first := insert()
		for _, state := range []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled} {
			setState(first.Job.ID, state)
			if again := insert(); !again.UniqueSkippedAsDuplicate || again.Job.ID != first.Job.ID {
				t.Errorf("%s while the first job is %s: job %d (duplicate %v), want %d", args.Kind(), state, again.Job.ID, again.UniqueSkippedAsDuplicate, first.Job.ID)
			}
		}
		setState(first.Job.ID, rivertype.JobStateCompleted)
		second := insert()
		if second.UniqueSkippedAsDuplicate || second.Job.ID == first.Job.ID || second.Job.State != rivertype.JobStateAvailable {
			t.Errorf("%s after the first job completed: job %d %s (duplicate %v), want a new available job", args.Kind(), second.Job.ID, second.Job.State, second.UniqueSkippedAsDuplicate)
		}
		if _, err := b.client.JobCancel(ctx, second.Job.ID); err != nil {
			t.Fatal(err)
		}
		if third := insert(); third.UniqueSkippedAsDuplicate || third.Job.ID == second.Job.ID {
			t.Errorf("%s: a cancelled job blocks a new one for the same name", args.Kind())
		}
	}
}

// A backup asked for is always a new one, even after the night's, as
// manage.py dbbackup makes one; the scheduled backup is one per night in
// TIME_ZONE, however often the schedule fires.
func TestBackupOnDemandAndNightly(t *testing.T) {
	t.Parallel()
	b := setupDB(t)
	ctx := context.Background()
	bali, err := time.LoadLocation("Asia/Makassar")
	if err != nil {
		t.Fatal(err)
	}
	// 17:00 UTC is 01:00 the next day in Bali: the night is Bali's.
	at := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	night := NightlyBackup(at, bali)
	if night.Night != "2026-12-08" || !night.Nightly {
		t.Fatalf("NightlyBackup(%s, Asia/Makassar) = %+v, want night 2026-12-08", at, night)
	}
	first, err := b.client.Insert(ctx, night, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Done, then asked for again.
	if _, err := b.pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1`, first.Job.ID); err != nil {
		t.Fatal(err)
	}
	again, err := b.client.Insert(ctx, NightlyBackup(at.Add(time.Hour), bali), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !again.UniqueSkippedAsDuplicate || again.Job.ID != first.Job.ID {
		t.Errorf("a second scheduled backup of the night is job %d, want the first (%d)", again.Job.ID, first.Job.ID)
	}
	next, err := b.client.Insert(ctx, NightlyBackup(at.Add(24*time.Hour), bali), nil)
	if err != nil {
		t.Fatal(err)
	}
	if next.UniqueSkippedAsDuplicate {
		t.Error("the next night's scheduled backup was taken for this night's")
	}
	// On demand: a new job every time, beside the night's and each other.
	seen := map[int64]bool{first.Job.ID: true, next.Job.ID: true}
	for range 2 {
		manual, err := b.client.Insert(ctx, BackupDBArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if manual.UniqueSkippedAsDuplicate || seen[manual.Job.ID] || len(manual.Job.UniqueKey) != 0 {
			t.Errorf("a backup asked for is job %d (duplicate %v), not a new one", manual.Job.ID, manual.UniqueSkippedAsDuplicate)
		}
		seen[manual.Job.ID] = true
	}
}
