package backup

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/internal/testbed"
)

// flip inverts one byte of a file in place, as damage on disk would.
func flip(t *testing.T, file string, at int64) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// A backup with one byte flipped on disk is refused as corrupt before
// anything reaches the target, which keeps its data, whether the backup is
// gzipped or not and wherever the byte is: on S3 by the stored SHA-256, on
// local storage (no stored digest) by gzip's CRC, and an uncompressed local
// backup, which nothing can check, only with --unverified.
func TestCorruptBackupLeavesTargetUntouched(t *testing.T) {
	t.Parallel()
	source := testbed.NewDatabase(t)
	seed(t, source, 600)
	for _, b := range backends(t) {
		for _, compress := range []bool{false, true} {
			label := b.name + map[bool]string{false: "/custom", true: "/gzip"}[compress]
			t.Run(label, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				spool := t.TempDir()
				opts := Options{DatabaseURL: source, Location: "corrupt-" + randomHex(4) + "/", Hostname: "web1", Compress: compress, TempDir: spool}
				res, err := Run(ctx, b.store, opts)
				if err != nil {
					t.Fatal(err)
				}
				target := testbed.NewDatabase(t)
				seed(t, target, 40) // the live data a wrong restore would overwrite
				before := fingerprint(t, target)
				opts.DatabaseURL = target

				// Bytes inside the dump's data: the head, the middle, near the
				// end (for gzip: the deflate stream, its CRC and its length).
				for _, at := range []int64{20, res.Bytes / 3, res.Bytes / 2, res.Bytes - 7, res.Bytes - 2} {
					flip(t, b.file(res.Name), at)
					for _, unverified := range []bool{false, true} {
						if b.name == "local" && !compress && unverified {
							continue // nothing can tell: that is what --unverified accepts
						}
						_, err := Restore(ctx, b.store, opts, RestoreRequest{Name: res.Name, Confirmed: true, Unverified: unverified})
						switch {
						case b.name == "local" && !compress:
							if !errors.Is(err, ErrUnverifiable) || !strings.Contains(err.Error(), "--unverified") {
								t.Errorf("byte %d flipped: err = %v, want ErrUnverifiable naming --unverified", at, err)
							}
						case !errors.Is(err, ErrCorrupt) || !fault.IsBadInput(err) || !strings.Contains(err.Error(), res.Name):
							t.Errorf("byte %d flipped: err = %v, want a corrupt backup naming the file", at, err)
						case b.name == "s3" && !strings.Contains(err.Error(), "corrupt backup: digest mismatch"):
							t.Errorf("byte %d flipped: err = %v, want a digest mismatch", at, err)
						case strings.Contains(err.Error(), "out of memory"):
							t.Errorf("byte %d flipped: corruption reported as %v", at, err)
						}
						if got := fingerprint(t, target); got != before {
							t.Fatalf("byte %d flipped: the target changed:\n got %s\nwant %s", at, got, before)
						}
					}
					flip(t, b.file(res.Name), at) // undo
				}
				if left, _ := os.ReadDir(spool); len(left) > 0 {
					t.Errorf("spool files left: %v", left)
				}

				// Undamaged, it restores over the live data and names the
				// tables it replaced.
				got, err := Restore(ctx, b.store, opts, RestoreRequest{Name: res.Name, Confirmed: true, Unverified: b.name == "local" && !compress})
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"s3": VerifiedDigest, "local": VerifiedNone}[b.name]
				if b.name == "local" && compress {
					want = VerifiedGzip
				}
				if got.Verified != want || (want == VerifiedNone) != strings.Contains(got.Warning, "could not be verified") {
					t.Errorf("verified %q, warning %q; want %q", got.Verified, got.Warning, want)
				}
				if !slices.Equal(got.ReplacedTables, []string{"public.customer", "public.invoice"}) {
					t.Errorf("replaced tables %v, want the two that held rows", got.ReplacedTables)
				}
				if fp, want := fingerprint(t, target), fingerprint(t, source); fp != want {
					t.Errorf("restored database differs:\n got %s\nwant %s", fp, want)
				}
			})
		}
	}
}
