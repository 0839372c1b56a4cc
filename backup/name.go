package backup

import (
	"cmp"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// DateFormat is django-dbbackup's DBBACKUP_DATE_FORMAT, %Y-%m-%d-%H%M%S, as
// a Go layout.
const DateFormat = "2006-01-02-150405"

// Extensions of django-dbbackup's PostgreSQL connectors.
const (
	ExtCustom = "psql.bin" // pg_dump --format=custom
	ExtPlain  = "psql"     // plain SQL
)

var (
	// dateInName is dbrestore's regex for the date format: the leftmost
	// match anywhere in the name counts.
	dateInName = regexp.MustCompile(`\d{4}-\d{2}-\d{2}-\d{2}\d{2}\d{2}`)
	dashes     = regexp.MustCompile(`-+`)
)

// FileName returns the name django-dbbackup would give a backup made at t:
// {databasename}-{servername}-{datetime}.{extension}, the date in loc, runs
// of "-" collapsed and a leading "-" dropped.
func FileName(database, server string, t time.Time, loc *time.Location, compressed, encrypted bool) string {
	ext := ExtCustom
	if compressed {
		ext += ".gz"
	}
	if encrypted {
		ext += ".gpg"
	}
	name := database + "-" + server + "-" + t.In(loc).Format(DateFormat) + "." + ext
	name = dashes.ReplaceAllString(name, "-")
	return strings.TrimPrefix(name, "-")
}

// File is a stored file whose name parses as a database backup.
type File struct {
	// Name is the storage name, location included.
	Name string
	// Date is the date written in the name, read in the time zone given.
	Date time.Time
	// Compressed and Encrypted say whether ".gz" and ".gpg" occur in the
	// name: dbrestore's test, not a look at the content.
	Compressed bool
	Encrypted  bool
}

// ParseFile reads a file name (without its folder) as dbrestore does: it is
// a database backup when it holds a valid date in DateFormat and no ".tar"
// (which marks media backups).
func ParseFile(base string, loc *time.Location) (File, bool) {
	if strings.Contains(base, ".tar") {
		return File{}, false
	}
	date := dateInName.FindString(base)
	if date == "" {
		return File{}, false
	}
	t, err := time.ParseInLocation(DateFormat, date, loc)
	if err != nil {
		// Python's strptime refuses a month 13 as well.
		return File{}, false
	}
	return File{
		Name:       base,
		Date:       t,
		Compressed: strings.Contains(base, ".gz"),
		Encrypted:  strings.Contains(base, ".gpg"),
	}, true
}

// Filter picks backups as dbrestore and dbbackup's cleanup do.
type Filter struct {
	Compressed bool
	Encrypted  bool
	// Database, when set, keeps names containing it.
	Database string
}

func (f Filter) match(file File) bool {
	return file.Compressed == f.Compressed && file.Encrypted == f.Encrypted &&
		(f.Database == "" || strings.Contains(path.Base(file.Name), f.Database))
}

// Select returns the files that match f, newest first. Ties on the date
// keep name order, so the result is stable.
func Select(files []File, f Filter) []File {
	var out []File
	for _, file := range files {
		if f.match(file) {
			out = append(out, file)
		}
	}
	slices.SortStableFunc(out, func(a, b File) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}
