package backup

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/revisbali/worker/fault"
)

// ErrNoBackup is returned when no stored file matches; it is bad input for
// a restore (nothing to restore is not fixed by retrying).
var ErrNoBackup = fmt.Errorf("no matching database backup (%w)", fault.ErrBadInput)

// List returns the backups at the top level of location, as dbrestore sees
// them: names holding a date, media backups (.tar) left out.
func List(ctx context.Context, store Store, location string, loc *time.Location) ([]File, error) {
	if location != "" && !strings.HasSuffix(location, "/") {
		location += "/"
	}
	var files []File
	for info, err := range store.List(ctx, location) {
		if err != nil {
			return nil, fmt.Errorf("list backups under %q: %w", location, err)
		}
		rest := strings.TrimPrefix(info.Name, location)
		if rest == "" || strings.Contains(rest, "/") {
			continue // dbrestore lists one folder, not its subfolders
		}
		f, ok := ParseFile(rest, loc)
		if !ok {
			continue
		}
		f.Name = info.Name
		files = append(files, f)
	}
	return files, nil
}

// Latest returns the newest backup that f matches: dbrestore's choice.
func Latest(ctx context.Context, store Store, opts Options, f Filter) (File, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return File{}, err
	}
	files, err := List(ctx, store, opts.Location, opts.TimeZone)
	if err != nil {
		return File{}, err
	}
	matching := Select(files, f)
	if len(matching) == 0 {
		return File{}, fmt.Errorf("%w under %q (%s)", ErrNoBackup, opts.Location, f)
	}
	return matching[0], nil
}

func (f Filter) String() string {
	var b strings.Builder
	b.WriteString("compressed=")
	b.WriteString(yesNo(f.Compressed))
	b.WriteString(" encrypted=")
	b.WriteString(yesNo(f.Encrypted))
	if f.Database != "" {
		b.WriteString(" database=" + f.Database)
	}
	return b.String()
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// Prune deletes the backups matching opts.Filter() beyond the newest
// opts.Keep, as dbbackup's cleanup does, and returns their names. Files that
// do not parse as such backups are never touched.
func Prune(ctx context.Context, store Store, opts Options) ([]string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if opts.Keep < 1 {
		return nil, errors.New("backup: prune needs Keep of at least 1")
	}
	files, err := List(ctx, store, opts.Location, opts.TimeZone)
	if err != nil {
		return nil, err
	}
	matching := Select(files, opts.Filter())
	pruned := []string{}
	for _, f := range matching[min(opts.Keep, len(matching)):] {
		if err := store.Delete(ctx, f.Name); err != nil {
			return pruned, fmt.Errorf("prune %q: %w", path.Base(f.Name), err)
		}
		pruned = append(pruned, f.Name)
	}
	return pruned, nil
}
