package filemigrate

import (
	"context"
	"errors"
	"io/fs"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/revisbali/worker/storage"
)

// Lister is the optional ability of a Target to list the names under a
// prefix after a given name, in name order, with their sizes and ETags, as
// storage.S3 does. With it, a batch learns which of its files the bucket
// holds from a few listings (1,000 keys each) instead of one Stat per file.
type Lister interface {
	ListAfter(ctx context.Context, prefix, after string, firstPage int) iter.Seq2[storage.Info, error]
}

// Listing pays off only where a folder holds many of the batch's names, and
// stops early where the folder holds many other files: a listing page of
// 1,000 keys costs about what a few Stat calls cost.
const (
	minNamesToList = 16
	keysPerName    = 20
	// pageKeys is how many keys one listing request returns.
	pageKeys = 1000
)

// probes is how many names mostlyAbsent asks about.
const probes = 8

// mostlyAbsent asks the bucket about a few of names, and reports whether
// most are missing: a first migration, where listings spare a request per
// file. On a re-run the files are there and their digests must be read one
// by one anyway, so listing would only add work.
func mostlyAbsent(ctx context.Context, t Target, names []string) bool {
	var sample []string
	for _, name := range names {
		if len(sample) == probes {
			break
		}
		if listable(name) && !slices.Contains(sample, name) {
			sample = append(sample, name)
		}
	}
	if len(names) < minNamesToList || len(sample) == 0 {
		return false
	}
	var absent atomic.Int32
	var wg sync.WaitGroup
	for _, name := range sample {
		wg.Go(func() {
			if _, err := t.Stat(ctx, name); errors.Is(err, fs.ErrNotExist) {
				absent.Add(1)
			}
		})
	}
	wg.Wait()
	return 2*int(absent.Load()) > len(sample)
}

// presence is what listings said about a batch's names.
type presence struct {
	mu sync.Mutex
	// found are the names listed; a name in a covered range but not here
	// is absent.
	found map[string]listed
	// upto is, per folder, the last name the listing reached ("" for none):
	// names up to it are known.
	upto map[string]string
	// done marks folders listed to their end.
	done map[string]bool
}

// listed is what a listing says of one object.
type listed struct {
	size int64
	etag string
}

// known reports whether listings covered name, and if so its size and ETag
// and whether it exists.
func (p *presence) known(name string) (obj listed, exists, ok bool) {
	if p == nil {
		return listed{}, false, false
	}
	dir := folder(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done[dir] && (p.upto[dir] == "" || name > p.upto[dir]) {
		return listed{}, false, false
	}
	obj, exists = p.found[name]
	return obj, exists, true
}

// listable reports whether name is a clean, relative file name: one that a
// listing shows as it is. Other names are left to copyOnce to judge.
func listable(name string) bool {
	clean, err := storage.LocalFileName(name)
	return err == nil && clean == name
}

func folder(name string) string {
	return name[:strings.LastIndex(name, "/")+1]
}

// listPresence lists the folders holding at least minNames of names, at
// most limit at a time. A failed listing only leaves its names unknown:
// they are then checked one by one.
func listPresence(ctx context.Context, l Lister, names []string, minNames, limit int) *presence {
	groups := map[string][]string{}
	for _, name := range names {
		if listable(name) {
			groups[folder(name)] = append(groups[folder(name)], name)
		}
	}
	p := &presence{found: map[string]listed{}, upto: map[string]string{}, done: map[string]bool{}}
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for dir, group := range groups {
		if len(group) < minNames {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p.list(ctx, l, dir, group)
		})
	}
	wg.Wait()
	return p
}

// list lists dir from just before the group's first name: keys before it
// cost nothing, and a group of one name costs one request, like a Stat.
// It stops after the group's last name, or after keysPerName keys per name
// (never before a full page), leaving the rest unknown.
func (p *presence) list(ctx context.Context, l Lister, dir string, group []string) {
	wanted := map[string]bool{}
	for _, name := range group {
		wanted[name] = true
	}
	first, last := slices.Min(group), slices.Max(group)
	// Every name from first on sorts after first less its last rune.
	_, size := utf8.DecodeLastRuneInString(first)
	after := first[:len(first)-size]
	if after < dir {
		after = ""
	}
	budget := max(keysPerName*len(group), pageKeys)
	seen := 0
	// The first page asks for about the group's keys: a folder that holds
	// little but the group's names (a batch's share of an upload_to
	// folder) is then listed in one request, without the server listing
	// and sending the rest of the folder, up to 1,000 keys, for nothing.
	// Each key listed costs the server and the decoding here about what a
	// twentieth of a request costs, so the margin for a few other objects
	// among the names stays small: more of them cost one more request.
	firstPage := min(len(group)+len(group)/16+4, pageKeys)
	for info, err := range l.ListAfter(ctx, dir, after, firstPage) {
		if err != nil {
			return
		}
		p.mu.Lock()
		if wanted[info.Name] {
			p.found[info.Name] = listed{size: info.Size, etag: info.ETag}
		}
		p.upto[dir] = info.Name
		p.mu.Unlock()
		seen++
		if info.Name >= last || seen >= budget {
			return
		}
	}
	if ctx.Err() == nil {
		p.mu.Lock()
		p.done[dir] = true
		p.mu.Unlock()
	}
}
