package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/internal/testbed"
)

// connect opens a connection to url; the caller closes it.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// seed fills a database with tables a CRM would have, rows tables of kinds
// pg_dump treats differently (text, json, bytea, numeric, a sequence).
func seed(t *testing.T, url string, rows int) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	defer conn.Close(ctx)
	n := strconv.Itoa(rows)
	_, err := conn.Exec(ctx, strings.ReplaceAll(`
CREATE TABLE customer (id bigserial PRIMARY KEY, name text NOT NULL, passport jsonb, born date);
CREATE TABLE invoice (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customer(id), total numeric(12,2), scan bytea);
CREATE TABLE empty_table (id int PRIMARY KEY);
INSERT INTO customer (name, passport, born)
  SELECT 'Customer ' || g || ' ' || md5(g::text), jsonb_build_object('number', 'X' || g, 'country', 'IDN'), date '1970-01-01' + g % 15000
  FROM generate_series(1, $1) g;
INSERT INTO invoice (customer_id, total, scan)
  SELECT 1 + g % $1, (g * 37 % 100000) / 100.0, decode(md5(g::text) || md5((g+1)::text), 'hex')
  FROM generate_series(1, $1 * 2) g;`, "$1", n))
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// fingerprint is what a user compares after a restore: every table's row
// count and a digest of two tables' full content.
func fingerprint(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	defer conn.Close(ctx)
	var out []string
	for _, q := range []string{
		"SELECT count(*)::text FROM customer",
		"SELECT count(*)::text FROM invoice",
		"SELECT count(*)::text FROM empty_table",
		"SELECT md5(string_agg(c::text, ',' ORDER BY id)) FROM customer c",
		"SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM invoice i",
		"SELECT last_value::text || ' ' || is_called::text FROM customer_id_seq",
	} {
		var s string
		if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// gpgHome makes a throw-away GnuPG home with a fresh key pair and returns
// it with the armoured public and private keys (protected by passphrase
// when it is not empty).
func gpgHome(t *testing.T, passphrase string) (home, public, private string) {
	t.Helper()
	home, gpg := newGPG(t, passphrase)
	gpg("--quick-gen-key", "Backups <backups@example.com>", "default", "default", "never")
	return home, gpg("--armor", "--export", "backups@example.com"), gpg("--armor", "--export-secret-keys", "backups@example.com")
}

// newGPG makes a throw-away GnuPG home, removed (its agent stopped) when
// the test ends, and returns it with a function that runs gpg in it.
func newGPG(t *testing.T, passphrase string) (string, func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Fatal("gpg is not installed (Debian package gnupg, installed by scripts/deps.sh)")
	}
	// gpg-agent's socket path must stay short: use /tmp, not t.TempDir().
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	return home, func(args ...string) string {
		t.Helper()
		cmd := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v: %s", args, err, stderr.String())
		}
		return string(out)
	}
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	source := testbed.NewDatabase(t)
	seed(t, source, 1000)
	want := fingerprint(t, source)
	_, public, private := gpgHome(t, "correct horse")

	variants := []struct {
		name              string
		compress, encrypt bool
		suffix            string
	}{
		{"custom", false, false, ".psql.bin"},
		{"gzip", true, false, ".psql.bin.gz"},
		{"gzip+gpg", true, true, ".psql.bin.gz.gpg"},
		{"gpg", false, true, ".psql.bin.gpg"},
	}
	for _, b := range backends(t) {
		for _, v := range variants {
			t.Run(b.name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				opts := Options{DatabaseURL: source, Location: "backups-" + randomHex(4) + "/", Hostname: "web1", Compress: v.compress, Keep: 10}
				if v.encrypt {
					opts.PublicKey, opts.PrivateKey, opts.Passphrase = public, private, "correct horse"
				}
				res, err := Run(ctx, b.store, opts)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(res.Name, opts.Location+"default-web1-") || !strings.HasSuffix(res.Name, v.suffix) {
					t.Errorf("name %q, want %sdefault-web1-<date>%s", res.Name, opts.Location, v.suffix)
				}
				if res.Compressed != v.compress || res.Encrypted != v.encrypt || res.Format != "custom" || len(res.SHA256) != 64 {
					t.Errorf("result %+v", res)
				}
				info, err := b.store.Stat(ctx, res.Name)
				if err != nil || info.Size != res.Bytes || res.Bytes == 0 {
					t.Errorf("stored size %d (err %v), result says %d", info.Size, err, res.Bytes)
				}

				target := testbed.NewDatabase(t)
				opts.DatabaseURL = target
				// On disk nothing stored a digest: an uncompressed, unencrypted
				// backup there is restored only when the caller accepts that.
				unverifiable := b.name == "local" && !v.compress && !v.encrypt
				if unverifiable {
					_, err := Restore(ctx, b.store, opts, RestoreRequest{Name: res.Name, Confirmed: true})
					if !errors.Is(err, ErrUnverifiable) {
						t.Fatalf("restore without --unverified: err = %v, want ErrUnverifiable", err)
					}
				}
				restored, err := Restore(ctx, b.store, opts, RestoreRequest{Name: res.Name, Confirmed: true, Unverified: unverifiable})
				if err != nil {
					t.Fatal(err)
				}
				if restored.Bytes != res.Bytes || restored.Format != "custom" || restored.Compressed != v.compress || restored.Encrypted != v.encrypt {
					t.Errorf("restored %+v after backup %+v", restored, res)
				}
				wantVerified := map[string]string{"custom": VerifiedNone, "gzip": VerifiedGzip, "gzip+gpg": VerifiedOpenPGP + "+" + VerifiedGzip, "gpg": VerifiedOpenPGP}[v.name]
				if b.name == "s3" {
					wantVerified = VerifiedDigest
				}
				if restored.Verified != wantVerified || len(restored.ReplacedTables) != 0 {
					t.Errorf("verified %q, replaced %v; want %q into an empty database", restored.Verified, restored.ReplacedTables, wantVerified)
				}
				if got := fingerprint(t, target); got != want {
					t.Errorf("restored database differs:\n got %s\nwant %s", got, want)
				}

				// Restoring again over a damaged database repairs it (--clean
				// --if-exists), by --latest this time.
				damage(t, target)
				if _, err := Restore(ctx, b.store, opts, RestoreRequest{Filter: opts.Filter(), Confirmed: true, Unverified: unverifiable}); err != nil {
					t.Fatalf("second restore by --latest: %v", err)
				}
				if got := fingerprint(t, target); got != want {
					t.Errorf("database differs after the second restore:\n got %s\nwant %s", got, want)
				}
			})
		}
	}
}

// Restoring over the live database leaves River's queue alone: its rows
// stay the current ones, and the workers' prepared statements still work.
func TestRestoreLeavesRiverTablesAlone(t *testing.T) {
	t.Parallel()
	db := testbed.NewDatabase(t)
	seed(t, db, 200)
	ctx := context.Background()
	conn := connect(t, db)
	defer conn.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`CREATE TABLE river_job (id bigserial PRIMARY KEY, kind text NOT NULL);
INSERT INTO river_job (kind) VALUES ('at backup time')`)
	want := fingerprint(t, db)
	b := backends(t)[0]
	opts := Options{DatabaseURL: db, Location: "live-" + randomHex(4) + "/", Hostname: "web1", Compress: true}
	res, err := Run(ctx, b.store, opts)
	if err != nil {
		t.Fatal(err)
	}

	exec(`INSERT INTO river_job (kind) VALUES ('after the backup')`)
	damage(t, db)
	// A worker's cached plan on River's table, as pgx keeps them.
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind <> $1", "x").Scan(&n); err != nil {
		t.Fatal(err)
	}

	if _, err := Restore(ctx, b.store, opts, RestoreRequest{Name: res.Name, Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	if got := fingerprint(t, db); got != want {
		t.Errorf("application tables not restored:\n got %s\nwant %s", got, want)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind <> $1", "x").Scan(&n); err != nil || n != 2 {
		t.Errorf("river_job after the restore: %d rows (err %v), want the 2 current ones", n, err)
	}
	v, err := Verify(ctx, b.store, opts, RestoreRequest{Name: res.Name})
	if err != nil || !v.OK {
		t.Errorf("verify after the restore: %+v, %v", v, err)
	}
}

func TestRestoreRefusedWithoutConfirmation(t *testing.T) {
	t.Parallel()
	store := newMemStore("backups/default-web1-2026-11-28-020000.psql.bin")
	_, err := Restore(context.Background(), store, Options{DatabaseURL: "postgres://u@h/db"}, RestoreRequest{Name: "backups/default-web1-2026-11-28-020000.psql.bin"})
	if !errors.Is(err, ErrNotConfirmed) || !fault.IsBadInput(err) || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("err = %v, want ErrNotConfirmed naming --yes", err)
	}
}

// Debian's gpg and Python's gzip module read the worker's backups: the route
// django-dbbackup's dbrestore -c -z takes (python-gnupg runs gpg).
func TestDebianToolsReadWorkerBackup(t *testing.T) {
	t.Parallel()
	source := testbed.NewDatabase(t)
	seed(t, source, 500)
	home, public, _ := gpgHome(t, "")
	b := backends(t)[0]
	ctx := context.Background()
	opts := Options{DatabaseURL: source, Location: "backups-" + randomHex(4), Hostname: "web1", Compress: true, PublicKey: public}
	res, err := Run(ctx, b.store, opts)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := b.store.Open(ctx, res.Name)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(stored, []byte("-----BEGIN PGP MESSAGE-----")) {
		t.Fatalf("not ASCII-armoured: %q", stored[:min(40, len(stored))])
	}
	dir := t.TempDir()
	file := filepath.Join(dir, filepath.Base(res.Name))
	if err := os.WriteFile(file, stored, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	gz := strings.TrimSuffix(file, ".gpg")
	run("gpg", "--homedir", home, "--batch", "--output", gz, "--decrypt", file)
	// dbrestore -z decompresses with Python's gzip module.
	dump := strings.TrimSuffix(gz, ".gz")
	run("python3", "-c", "import gzip,shutil,sys; shutil.copyfileobj(gzip.GzipFile(sys.argv[1],'rb'), open(sys.argv[2],'wb'))", gz, dump)
	target := testbed.NewDatabase(t)
	run("pg_restore", "--dbname="+target, "--single-transaction", "--clean", "--if-exists", dump)
	if got, want := fingerprint(t, target), fingerprint(t, source); got != want {
		t.Errorf("gpg | gunzip | pg_restore gave a different database:\n got %s\nwant %s", got, want)
	}
}

// Files written the way django-dbbackup writes them (pg_dump's own custom
// archive or plain SQL, Python's gzip, gpg --armor --encrypt) restore, and
// --latest picks them by dbrestore's rules.
func TestRestoreDbbackupFiles(t *testing.T) {
	t.Parallel()
	source := testbed.NewDatabase(t)
	seed(t, source, 800)
	want := fingerprint(t, source)
	home, _, private := gpgHome(t, "")
	ctx := context.Background()
	dir := t.TempDir()

	sh := func(script string) {
		t.Helper()
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Env = append(os.Environ(), "SRC="+source, "DIR="+dir, "GNUPGHOME="+home)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
	}
	sh(`pg_dump --dbname="$SRC" --format=custom > "$DIR/custom"
pg_dump --dbname="$SRC" --clean > "$DIR/plain"
python3 -c 'import gzip,shutil,sys; shutil.copyfileobj(open(sys.argv[1],"rb"), gzip.GzipFile(sys.argv[2],"wb"))' "$DIR/custom" "$DIR/custom.gz"
gpg --batch --trust-model always --armor --recipient backups@example.com --output "$DIR/custom.gz.gpg" --encrypt "$DIR/custom.gz"`)

	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			location := "dbbackup-" + randomHex(4) + "/"
			files := map[string]string{
				"default-web1-2026-11-25-020000.psql.bin":        "custom",
				"default-web1-2026-11-26-020000.psql":            "plain",
				"default-web1-2026-11-27-020000.psql.bin.gz":     "custom.gz",
				"default-web1-2026-11-28-020000.psql.bin.gz.gpg": "custom.gz.gpg",
			}
			for name, src := range files {
				f, err := os.Open(filepath.Join(dir, src))
				if err != nil {
					t.Fatal(err)
				}
				_, err = b.store.Save(ctx, location+name, f, saveReplace)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			opts := Options{Location: location, PrivateKey: private}
			// One target throughout, as in real use: a plain dump made with
			// --clean (no IF EXISTS) needs the tables to exist already.
			// Between restores the target is damaged, so each restore has
			// to do the work.
			target := testbed.NewDatabase(t)
			opts.DatabaseURL = target
			cases := []struct {
				req        RestoreRequest
				wantName   string
				wantFormat string
			}{
				{RestoreRequest{Name: "default-web1-2026-11-25-020000.psql.bin"}, "default-web1-2026-11-25-020000.psql.bin", "custom"},
				{RestoreRequest{Filter: Filter{}}, "default-web1-2026-11-26-020000.psql", "plain"},
				{RestoreRequest{Filter: Filter{Compressed: true}}, "default-web1-2026-11-27-020000.psql.bin.gz", "custom"},
				{RestoreRequest{Filter: Filter{Compressed: true, Encrypted: true}}, "default-web1-2026-11-28-020000.psql.bin.gz.gpg", "custom"},
			}
			for _, c := range cases {
				// On disk, the uncompressed files have no digest.
				c.req.Confirmed, c.req.Unverified = true, true
				got, err := Restore(ctx, b.store, opts, c.req)
				if err != nil {
					t.Fatalf("%+v: %v", c.req, err)
				}
				if got.Name != location+c.wantName || got.Format != c.wantFormat {
					t.Errorf("%+v restored %s as %s, want %s as %s", c.req, got.Name, got.Format, c.wantName, c.wantFormat)
				}
				if fp := fingerprint(t, target); fp != want {
					t.Errorf("%s: restored database differs:\n got %s\nwant %s", c.wantName, fp, want)
				}
				damage(t, target)
			}
		})
	}
}

func damage(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DELETE FROM invoice WHERE id % 3 = 0"); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreBadInput(t *testing.T) {
	t.Parallel()
	target := testbed.NewDatabase(t)
	_, _, private := gpgHome(t, "")
	_, public, _ := gpgHome(t, "") // a key pair whose private half we do not hold
	ctx := context.Background()
	b := backends(t)[0]
	location := "bad-" + randomHex(4) + "/"
	save := func(name string, content []byte) {
		t.Helper()
		if _, err := b.store.Save(ctx, location+name, bytes.NewReader(content), saveReplace); err != nil {
			t.Fatal(err)
		}
	}
	save("default-w-2026-11-01-020000.psql.bin.gz", []byte("this is not gzip"))
	save("default-w-2026-11-02-020000.psql.bin", []byte("not a dump either"))
	save("default-w-2026-11-03-020000.psql.bin.gz.gpg", []byte("-----BEGIN PGP MESSAGE-----\n\ngarbage\n-----END PGP MESSAGE-----\n"))
	// Encrypted to a key we do not hold.
	var enc bytes.Buffer
	recipients, err := readRecipients(public)
	if err != nil {
		t.Fatal(err)
	}
	w, err := encrypt(&enc, recipients)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("PGDMP secret"))
	w.Close()
	save("default-w-2026-11-04-020000.psql.bin.gpg", enc.Bytes())

	opts := Options{DatabaseURL: target, Location: location, PrivateKey: private}
	for _, name := range []string{
		"default-w-2026-11-01-020000.psql.bin.gz",
		"default-w-2026-11-02-020000.psql.bin",
		"default-w-2026-11-03-020000.psql.bin.gz.gpg",
		"default-w-2026-11-04-020000.psql.bin.gpg",
		"default-w-2026-11-05-020000.psql.bin", // missing
	} {
		_, err := Restore(ctx, b.store, opts, RestoreRequest{Name: name, Confirmed: true})
		if err == nil || !fault.IsBadInput(err) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v; want bad input naming the file", name, err)
		}
	}
	// No private key configured at all.
	opts.PrivateKey = ""
	_, err = Restore(ctx, b.store, opts, RestoreRequest{Name: "default-w-2026-11-04-020000.psql.bin.gpg", Confirmed: true})
	if !fault.IsBadInput(err) || !strings.Contains(err.Error(), "DBBACKUP_GPG_PRIVATE_KEY") {
		t.Errorf("no key: err = %v", err)
	}
}

func TestFailingDumpSavesNothingAndHidesPassword(t *testing.T) {
	t.Parallel()
	u, err := urlWithPassword(testbed.PostgresURL(t), "no_such_db_"+randomHex(4), "pw-"+randomHex(6))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			opts := Options{DatabaseURL: u.url, Location: "fail-" + randomHex(4) + "/", Hostname: "web1", Compress: true}
			res, err := Run(context.Background(), b.store, opts)
			if err == nil {
				t.Fatal("backup of a missing database succeeded")
			}
			if !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "does not exist") {
				t.Errorf("error does not carry pg_dump's message: %v", err)
			}
			if strings.Contains(err.Error(), u.password) {
				t.Errorf("error leaks the password: %v", err)
			}
			assertNothingUnder(t, b, opts.Location, res.Name)
		})
	}
}

type testURL struct{ url, password string }

// urlWithPassword points the test bed's URL at database db with a password
// (the test bed trusts every connection, so any password is accepted).
func urlWithPassword(raw, db, password string) (testURL, error) {
	c, err := parseConn(raw)
	if err != nil {
		return testURL{}, err
	}
	c = c.withDatabase(db)
	c.password = password
	return testURL{url: c.pgxURL(), password: password}, nil
}

func TestVerify(t *testing.T) {
	t.Parallel()
	source := testbed.NewDatabase(t)
	seed(t, source, 1000)
	b := backends(t)[0]
	ctx := context.Background()
	opts := Options{DatabaseURL: source, Location: "verify-" + randomHex(4) + "/", Hostname: "web1", Compress: true}
	if _, err := Run(ctx, b.store, opts); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(ctx, b.store, opts, RestoreRequest{Filter: opts.Filter()})
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Tables != 3 || v.Rows != 3000 || len(v.Mismatches) != 0 {
		t.Errorf("verify of a fresh backup: %+v", v)
	}
	assertDropped(t, source, v.Scratch)

	conn := connect(t, source)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO customer (name) VALUES ('late'), ('later'); CREATE TABLE added (x int)"); err != nil {
		t.Fatal(err)
	}
	v, err = Verify(ctx, b.store, opts, RestoreRequest{Filter: opts.Filter()})
	if err != nil {
		t.Fatal(err)
	}
	want := []Mismatch{{Table: "public.added", Source: 0, Restored: -1}, {Table: "public.customer", Source: 1002, Restored: 1000}}
	if v.OK || len(v.Mismatches) != 2 || v.Mismatches[0] != want[0] || v.Mismatches[1] != want[1] {
		t.Errorf("verify after writes: %+v, want mismatches %+v", v, want)
	}
	assertDropped(t, source, v.Scratch)
}

func assertDropped(t *testing.T, url, db string) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", db).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if db == "" || n != 0 {
		t.Errorf("scratch database %q still exists", db)
	}
}

func TestPruneAfterBackupKeepsNewest(t *testing.T) {
	t.Parallel()
	source := testbed.NewDatabase(t)
	seed(t, source, 10)
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			clock := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
			opts := Options{DatabaseURL: source, Location: "prune-" + randomHex(4) + "/", Hostname: "web1", Compress: true, Keep: 3,
				Now: func() time.Time { return clock }}
			// Something that is not one of our backups must survive.
			if _, err := b.store.Save(ctx, opts.Location+"notes-2026-01-01-000000.txt.tar", strings.NewReader("keep me"), saveReplace); err != nil {
				t.Fatal(err)
			}
			var made []string
			for i := range 5 {
				res, err := Run(ctx, b.store, opts)
				if err != nil {
					t.Fatal(err)
				}
				made = append(made, res.Name)
				if wantPruned := min(1, max(0, i+1-3)); len(res.Pruned) != wantPruned {
					t.Errorf("run %d pruned %v, want %d", i, res.Pruned, wantPruned)
				}
				clock = clock.Add(24 * time.Hour)
			}
			var left []string
			for info, err := range b.store.List(ctx, opts.Location) {
				if err != nil {
					t.Fatal(err)
				}
				left = append(left, info.Name)
			}
			want := append(made[2:], opts.Location+"notes-2026-01-01-000000.txt.tar")
			if strings.Join(left, " ") != strings.Join(want, " ") {
				t.Errorf("left %v, want %v", left, want)
			}
		})
	}
}

// assertNothingUnder checks that a failed backup of name left nothing:
// nothing listed under location, no file (temp or multipart part) on disk.
func assertNothingUnder(t *testing.T, b backend, location, name string) {
	t.Helper()
	if name == "" {
		t.Fatal("the failed backup reported no name")
	}
	for info, err := range b.store.List(context.Background(), location) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s is stored after a failed backup (%d bytes)", info.Name, info.Size)
	}
	if files := b.leftovers(t, name); len(files) > 0 {
		t.Errorf("partial files left on disk: %v", files)
	}
}

// pgDumpChildren returns the pids of this process's pg_dump children.
func pgDumpChildren(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(s[close+1:])
		if s[open+1:close] == "pg_dump" && len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	return pids
}
