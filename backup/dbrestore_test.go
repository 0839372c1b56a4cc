package backup

import (
	"encoding/json"
	"os/exec"
	"path"
	"strings"
	"testing"
	"time"
)

// dbrestoreRules is django-dbbackup's selection (dbbackup/utils.py and
// storage.py: datefmt_to_regex, filename_to_date, list_backups,
// get_latest_backup), in Python as it runs there: it prints, for each
// combination of -c and -z, the file dbrestore would pick, or "".
const dbrestoreRules = `
import json, re, sys
from datetime import datetime
DATE_FORMAT = "%Y-%m-%d-%H%M%S"
regex = DATE_FORMAT
for pat, reg in (("%d", r"\d{2}"), ("%m", r"\d{2}"), ("%Y", r"\d{4}"), ("%H", r"\d{2}"), ("%M", r"\d{2}"), ("%S", r"\d{2}")):
    regex = regex.replace(pat, reg)
regex = re.compile("(%s)" % regex)
def datestring(f):
    m = regex.search(f)
    return m.groups()[0] if m else None
def date(f):
    return datetime.strptime(datestring(f), DATE_FORMAT)
files = json.load(sys.stdin)
out = {}
for encrypted in (False, True):
    for compressed in (False, True):
        fs = [f for f in files if datestring(f)]
        fs = [f for f in fs if (".gpg" in f) == encrypted]
        fs = [f for f in fs if (".gz" in f) == compressed]
        fs = [f for f in fs if ".tar" not in f]
        out["%s-%s" % (encrypted, compressed)] = max(fs, key=date) if fs else ""
print(json.dumps(out))
`

// TestNamesParseUnderDbrestoresRules runs dbrestore's own selection over
// names the worker writes, names dbbackup writes and names that are not
// backups, and checks that Select picks the same file for every flag
// combination.
func TestNamesParseUnderDbrestoresRules(t *testing.T) {
	t.Parallel()
	loc := chicago(t)
	names := []string{
		"default-web1-2026-11-25-020000.psql.bin",
		"default-web1-2026-11-26-020000.psql.bin.gz",
		"default-web1-2026-11-27-020000.psql.bin.gz.gpg",
		"default-web1-2026-11-24-230000.psql.bin.gpg",
		"default-web2-2026-11-26-020001.psql.bin.gz",
		"default-2026-11-28-020000.psql",
		"web1-2026-11-29-020000.tar.gz",
		"notes.txt",
		"default-web1-20261130.psql.bin",
	}
	// The worker's own names, from FileName, join the list.
	at, _ := parseIn("2026-11-26-020002", loc)
	for _, c := range []bool{false, true} {
		for _, e := range []bool{false, true} {
			names = append(names, FileName("default", "worker", at, loc, c, e))
		}
	}
	in, _ := json.Marshal(names)
	cmd := exec.Command("python3", "-c", dbrestoreRules)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var want map[string]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}

	var files []File
	for _, n := range names {
		if f, ok := ParseFile(n, loc); ok {
			files = append(files, f)
		}
	}
	for _, e := range []bool{false, true} {
		for _, c := range []bool{false, true} {
			key := map[bool]string{false: "False", true: "True"}[e] + "-" + map[bool]string{false: "False", true: "True"}[c]
			var got string
			if sel := Select(files, Filter{Compressed: c, Encrypted: e}); len(sel) > 0 {
				got = path.Base(sel[0].Name)
			}
			if want[key] == "" {
				t.Errorf("dbrestore picks nothing for %s: the list is wrong", key)
			}
			if got != want[key] {
				t.Errorf("encrypted=%v compressed=%v: Select picks %q, dbrestore picks %q", e, c, got, want[key])
			}
		}
	}
}

func parseIn(s string, loc *time.Location) (time.Time, error) {
	return time.ParseInLocation(DateFormat, s, loc)
}
