package backup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/revisbali/worker/fault"
)

func TestPruneKeepsNewestMatchingAndTouchesNothingElse(t *testing.T) {
	t.Parallel()
	var ours []string
	for day := 1; day <= 14; day++ {
		ours = append(ours, fmt.Sprintf("backups/default-web1-2026-11-%02d-020000.psql.bin.gz", day))
	}
	others := []string{
		"backups/default-web1-2026-10-01-020000.psql.bin",        // not compressed
		"backups/default-web1-2026-10-01-020000.psql.bin.gz.gpg", // encrypted
		"backups/web1-2026-10-01-020000.tar.gz",                  // media backup
		"backups/old/default-web1-2026-10-01-020000.psql.bin.gz", // subfolder
		"backups/other-web1-2026-10-01-020000.psql.bin.gz",       // another database
		"backups/README.txt",                                     // no date
		"passports/default-web1-2026-10-01-020000.psql.bin.gz",   // outside the location
		"backups/default-web2-2026-11-15-020000.psql.bin.gz",     // newest, from another host
	}
	store := newMemStore(append(slices.Clone(ours), others...)...)
	opts := Options{DatabaseURL: "postgres://x@h/db", Location: "backups", Hostname: "web1", Compress: true, Keep: 10}

	pruned, err := Prune(context.Background(), store, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Keep 10 across hosts, as dbbackup's cleanup does: web2's and days 6-14.
	want := ours[:5]
	slices.Reverse(want)
	if !slices.Equal(pruned, want) {
		t.Errorf("pruned %v, want %v", pruned, want)
	}
	left := store.names()
	for _, n := range others {
		if !slices.Contains(left, n) {
			t.Errorf("%s was deleted; it does not match", n)
		}
	}
	for _, n := range ours[5:] {
		if !slices.Contains(left, n) {
			t.Errorf("%s was deleted; it is among the newest 10", n)
		}
	}
	if len(left) != 9+len(others) {
		t.Errorf("%d files left, want %d: %v", len(left), 9+len(others), left)
	}

	again, err := Prune(context.Background(), store, opts)
	if err != nil || len(again) != 0 {
		t.Errorf("second prune deleted %v (err %v); want nothing", again, err)
	}
}

func TestLatest(t *testing.T) {
	t.Parallel()
	store := newMemStore(
		"backups/default-web1-2026-11-27-020000.psql.bin.gz",
		"backups/default-web1-2026-11-28-020000.psql.bin.gz",
		"backups/default-web1-2026-11-29-020000.psql.bin",
		"backups/sub/default-web1-2026-12-01-020000.psql.bin.gz",
	)
	opts := Options{DatabaseURL: "postgres://x@h/db", Location: "backups/", Hostname: "web1"}
	f, err := Latest(context.Background(), store, opts, Filter{Compressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "backups/default-web1-2026-11-28-020000.psql.bin.gz" {
		t.Errorf("latest compressed = %s", f.Name)
	}
	f, err = Latest(context.Background(), store, opts, Filter{})
	if err != nil || f.Name != "backups/default-web1-2026-11-29-020000.psql.bin" {
		t.Errorf("latest plain = %s, %v", f.Name, err)
	}
	_, err = Latest(context.Background(), store, opts, Filter{Compressed: true, Encrypted: true})
	if !errors.Is(err, ErrNoBackup) || !fault.IsBadInput(err) {
		t.Errorf("no encrypted backup: err = %v, want ErrNoBackup (bad input)", err)
	}
}
