package backup

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

// TestKilledPgDumpLeavesNoObject kills pg_dump halfway through a backup:
// after more than one multipart part has gone to S3, and after megabytes
// have gone to the local temp file. Nothing may remain visible.
//
// Not parallel: it kills this test binary's pg_dump children, and parallel
// tests start only once the sequential ones are done.
func TestKilledPgDumpLeavesNoObject(t *testing.T) {
	source := testbed.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	// About 24 MB of dump, uncompressed.
	_, err = conn.Exec(ctx, `CREATE TABLE scan AS
SELECT g AS id, repeat(md5(g::text || random()::text), 16) AS data FROM generate_series(1, 40000) g`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			killed, partial := 0, 0
			var store *gatedStore
			store = &gatedStore{Store: b.store, after: 12 << 20, at: func() {
				// Wait until the upload is visibly under way (a temp file,
				// or a multipart part written by the server), so that the
				// check after the kill means something.
				for range 1000 {
					if partial = len(b.leftovers(t, store.name)); partial > 0 {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				for _, pid := range pgDumpChildren(t) {
					if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
						killed++
					}
				}
			}}
			opts := Options{DatabaseURL: source, Location: "killed-" + randomHex(4) + "/", Hostname: "web1", Compress: false}
			res, err := Run(ctx, store, opts)
			if killed != 1 {
				t.Fatalf("killed %d pg_dump processes, want 1", killed)
			}
			if partial == 0 {
				t.Errorf("no partial upload on disk while pg_dump ran: the check below proves nothing")
			}
			var tool *ToolError
			if !errors.As(err, &tool) || tool.Tool != "pg_dump" || !strings.Contains(err.Error(), "killed") {
				t.Errorf("err = %v, want pg_dump killed", err)
			}
			if store.passed < 12<<20 {
				t.Errorf("only %d bytes reached storage before the kill", store.passed)
			}
			assertNothingUnder(t, b, opts.Location, res.Name)
		})
	}
}

// gatedStore calls at once, from inside Save, when more than after bytes
// have been read from the backup stream.
type gatedStore struct {
	Store
	after  int64
	at     func()
	passed int64
	name   string
}

func (g *gatedStore) Save(ctx context.Context, name string, r io.Reader, opts storage.SaveOptions) (string, error) {
	g.name = name
	return g.Store.Save(ctx, name, &gatedReader{r: r, g: g}, opts)
}

type gatedReader struct {
	r    io.Reader
	g    *gatedStore
	done bool
}

func (gr *gatedReader) Read(p []byte) (int, error) {
	n, err := gr.r.Read(p)
	gr.g.passed += int64(n)
	if !gr.done && gr.g.passed > gr.g.after {
		gr.done = true
		gr.g.at()
	}
	return n, err
}
