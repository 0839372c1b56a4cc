package backup_test

import (
	"fmt"
	"time"

	"github.com/revisbali/worker/backup"
)

func ExampleFileName() {
	chicago, _ := time.LoadLocation("America/Chicago")
	at := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC) // 02:00 in Chicago
	fmt.Println(backup.FileName("default", "web1", at, chicago, true, false))
	fmt.Println(backup.FileName("default", "web1", at, chicago, true, true))
	// Output:
	// default-web1-2026-11-28-020000.psql.bin.gz
	// default-web1-2026-11-28-020000.psql.bin.gz.gpg
}

func ExampleParseFile() {
	chicago, _ := time.LoadLocation("America/Chicago")
	for _, name := range []string{
		"default-web1-2026-11-28-020000.psql.bin.gz",
		"media-web1-2026-11-28-020000.tar.gz", // a media backup
		"notes.txt",
	} {
		f, ok := backup.ParseFile(name, chicago)
		fmt.Println(name, ok, f.Date.UTC().Format(time.RFC3339), f.Compressed, f.Encrypted)
	}
	// Output:
	// default-web1-2026-11-28-020000.psql.bin.gz true 2026-11-28T08:00:00Z true false
	// media-web1-2026-11-28-020000.tar.gz false 0001-01-01T00:00:00Z false false
	// notes.txt false 0001-01-01T00:00:00Z false false
}

func ExampleNeedsCatchUp() {
	chicago, _ := time.LoadLocation("America/Chicago")
	nightly, _ := backup.ParseSchedule("0 2 * * *", chicago)
	newest := time.Date(2026, 11, 27, 2, 0, 4, 0, chicago)
	fmt.Println(backup.NeedsCatchUp(newest, nightly, time.Date(2026, 11, 28, 1, 0, 0, 0, chicago)))
	fmt.Println(backup.NeedsCatchUp(newest, nightly, time.Date(2026, 11, 28, 9, 0, 0, 0, chicago)))
	// Output:
	// false
	// true
}
