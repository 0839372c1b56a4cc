package backup

import (
	"testing"
	"time"
)

func chicago(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestFileName(t *testing.T) {
	t.Parallel()
	loc := chicago(t)
	// 08:00 UTC on 28 Nov is 02:00 in Chicago (CST, UTC-6).
	at := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		database, server      string
		compressed, encrypted bool
		want                  string
	}{
		{"default", "web1", true, false, "default-web1-2026-11-28-020000.psql.bin.gz"},
		{"default", "web1", false, false, "default-web1-2026-11-28-020000.psql.bin"},
		{"default", "web1", true, true, "default-web1-2026-11-28-020000.psql.bin.gz.gpg"},
		{"default", "web1", false, true, "default-web1-2026-11-28-020000.psql.bin.gpg"},
		// Runs of dashes collapse and a leading dash goes, as dbbackup's
		// REG_FILENAME_CLEAN does.
		{"default", "", true, false, "default-2026-11-28-020000.psql.bin.gz"},
		{"", "web1", true, false, "web1-2026-11-28-020000.psql.bin.gz"},
		{"default", "--web--1-", true, false, "default-web-1-2026-11-28-020000.psql.bin.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := FileName(tt.database, tt.server, at, loc, tt.compressed, tt.encrypted)
			if got != tt.want {
				t.Errorf("FileName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFileNameUsesTimeZoneNotUTC(t *testing.T) {
	t.Parallel()
	// 03:30 UTC on 1 July is 22:30 the day before in Chicago (CDT, UTC-5).
	at := time.Date(2026, 7, 1, 3, 30, 0, 0, time.UTC)
	if got, want := FileName("default", "h", at, chicago(t), false, false), "default-h-2026-06-30-223000.psql.bin"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	if got, want := FileName("default", "h", at, time.UTC, false, false), "default-h-2026-07-01-033000.psql.bin"; got != want {
		t.Errorf("FileName in UTC = %q, want %q", got, want)
	}
}

// TestParseFile follows dbrestore: a backup is any name holding a date in
// DBBACKUP_DATE_FORMAT (the leftmost match), except media (.tar) files;
// .gz and .gpg are found anywhere in the name.
func TestParseFile(t *testing.T) {
	t.Parallel()
	loc := chicago(t)
	tests := []struct {
		name                  string
		ok                    bool
		date                  string // in DateFormat
		compressed, encrypted bool
	}{
		{name: "default-web1-2026-11-28-020000.psql.bin.gz", ok: true, date: "2026-11-28-020000", compressed: true},
		{name: "default-web1-2026-11-28-020000.psql.bin", ok: true, date: "2026-11-28-020000"},
		{name: "default-web1-2026-11-28-020000.psql.bin.gz.gpg", ok: true, date: "2026-11-28-020000", compressed: true, encrypted: true},
		{name: "default-web1-2026-11-28-020000.psql", ok: true, date: "2026-11-28-020000"},
		{name: "default-web1-2026-11-28-020000.dump", ok: true, date: "2026-11-28-020000"},
		{name: "anything-2025-01-02-030405", ok: true, date: "2025-01-02-030405"},
		{name: "x-2025-01-02-030405-2026-01-02-030405.psql.bin", ok: true, date: "2025-01-02-030405"},
		{name: "web1-2026-11-28-020000.tar.gz", ok: false},
		{name: "default-web1-2026-11-28.psql.bin.gz", ok: false},
		{name: "default-web1-20261128-020000.psql.bin", ok: false},
		{name: "default-web1-2026-13-28-020000.psql.bin", ok: false},
		{name: "default-web1-2026-11-28-250000.psql.bin", ok: false},
		{name: "notes.txt", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := ParseFile(tt.name, loc)
			if ok != tt.ok {
				t.Fatalf("ParseFile ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			want, _ := time.ParseInLocation(DateFormat, tt.date, loc)
			if !f.Date.Equal(want) || f.Date.Location() != loc {
				t.Errorf("date = %v, want %v in %v", f.Date, want, loc)
			}
			if f.Compressed != tt.compressed || f.Encrypted != tt.encrypted {
				t.Errorf("compressed, encrypted = %v, %v; want %v, %v", f.Compressed, f.Encrypted, tt.compressed, tt.encrypted)
			}
		})
	}
}

func TestFileNameRoundTrip(t *testing.T) {
	t.Parallel()
	loc := chicago(t)
	at := time.Date(2026, 3, 8, 9, 15, 42, 0, time.UTC) // the morning clocks spring forward
	for _, c := range []bool{false, true} {
		for _, e := range []bool{false, true} {
			name := FileName("default", "web1", at, loc, c, e)
			f, ok := ParseFile(name, loc)
			if !ok || !f.Date.Equal(at) || f.Compressed != c || f.Encrypted != e {
				t.Errorf("%s parsed as %+v, %v; want date %v compressed %v encrypted %v", name, f, ok, at, c, e)
			}
		}
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	loc := chicago(t)
	var files []File
	for _, n := range []string{
		"default-a-2026-11-26-020000.psql.bin.gz",
		"default-a-2026-11-28-020000.psql.bin.gz",
		"default-a-2026-11-29-020000.psql.bin", // newest, but not compressed
		"default-b-2026-11-27-020000.psql.bin.gz",
		"default-a-2026-11-30-020000.psql.bin.gz.gpg", // encrypted
		"other-a-2026-12-01-020000.psql.bin.gz",       // another database
	} {
		f, ok := ParseFile(n, loc)
		if !ok {
			t.Fatalf("%s does not parse", n)
		}
		files = append(files, f)
	}
	got := Select(files, Filter{Compressed: true, Database: "default"})
	want := []string{
		"default-a-2026-11-28-020000.psql.bin.gz",
		"default-b-2026-11-27-020000.psql.bin.gz",
		"default-a-2026-11-26-020000.psql.bin.gz",
	}
	if len(got) != len(want) {
		t.Fatalf("Select = %v, want %v", names(got), want)
	}
	for i := range want {
		if got[i].Name != want[i] {
			t.Errorf("Select[%d] = %s, want %s", i, got[i].Name, want[i])
		}
	}
	if got := Select(files, Filter{}); len(got) != 1 || got[0].Name != "default-a-2026-11-29-020000.psql.bin" {
		t.Errorf("uncompressed, unencrypted: %v", names(got))
	}
	if got := Select(files, Filter{Compressed: true, Encrypted: true}); len(got) != 1 {
		t.Errorf("compressed and encrypted: %v", names(got))
	}
}

func names(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func TestWithoutRiver(t *testing.T) {
	t.Parallel()
	list := `;
; Archive created at 2026-11-28 08:53:39 UTC
;
845; 1247 28714 TYPE public river_job_state postgres
222; 1255 28731 FUNCTION public river_job_state_in_bitmask(bit, public.river_job_state) postgres
214; 1259 28732 TABLE public river_job postgres
210; 1259 28700 TABLE public customer postgres
215; 1259 28751 SEQUENCE public river_job_id_seq postgres
3423; 0 0 SEQUENCE OWNED BY public river_job_id_seq postgres
211; 1259 28701 TABLE public river_workflow postgres
3222; 2604 28787 DEFAULT public river_job id postgres
3409; 0 28732 TABLE DATA public river_job postgres
3410; 0 28700 TABLE DATA public customer postgres
3253; 2606 28790 CONSTRAINT public river_job river_job_pkey postgres
3254; 2606 28791 CONSTRAINT public customer customer_pkey postgres
3256; 1259 28804 INDEX public river_job_unique_idx postgres
3260; 2606 28794 CONSTRAINT public river_migration river_migration_pkey1 postgres
3261; 1259 28795 TABLE public river_client_queue postgres
`
	want := `;
; Archive created at 2026-11-28 08:53:39 UTC
;
210; 1259 28700 TABLE public customer postgres
211; 1259 28701 TABLE public river_workflow postgres
3410; 0 28700 TABLE DATA public customer postgres
3254; 2606 28791 CONSTRAINT public customer customer_pkey postgres
`
	// django-river's river_workflow is an application table: it stays.
	if got := string(withoutRiver([]byte(list))); got != want {
		t.Errorf("withoutRiver:\n%s\nwant\n%s", got, want)
	}
}
