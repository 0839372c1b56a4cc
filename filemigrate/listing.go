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

	"github.com/revisbali/worker/storage"
)

// Lister is the optional ability of a Target to list the names under a
// prefix in name order, as storage.Storage does. With it, a batch learns
// which of its files the bucket already holds from a few listings instead of
// one Stat per file: a first migration then costs one request per file.
type Lister interface {
	List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error]
}

// Listing pays off only where a folder holds many of the batch's names, and
// stops early where the folder holds many other files: a listing page of
// 1,000 keys costs about what a few Stat calls cost.
const (
	minNamesToList = 16
	keysPerName    = 20
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
	// sizes of the names found; a name in a covered range but not here is
	// absent.
	sizes map[string]int64
	// upto is, per folder, the last name the listing reached ("" for none):
	// names up to it are known.
	upto map[string]string
	// done marks folders listed to their end.
	done map[string]bool
}

// known reports whether listings covered name, and if so its size and
// whether it exists.
func (p *presence) known(name string) (size int64, exists, ok bool) {
	if p == nil {
		return 0, false, false
	}
	dir := folder(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done[dir] && (p.upto[dir] == "" || name > p.upto[dir]) {
		return 0, false, false
	}
	size, exists = p.sizes[name]
	return size, exists, true
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

// listPresence lists the folders holding at least minNamesToList of names,
// at most limit at a time. A failed listing only leaves its names unknown:
// they are then checked one by one.
func listPresence(ctx context.Context, l Lister, names []string, limit int) *presence {
	groups := map[string][]string{}
	for _, name := range names {
		if listable(name) {
			groups[folder(name)] = append(groups[folder(name)], name)
		}
	}
	p := &presence{sizes: map[string]int64{}, upto: map[string]string{}, done: map[string]bool{}}
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for dir, group := range groups {
		if len(group) < minNamesToList {
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

func (p *presence) list(ctx context.Context, l Lister, dir string, group []string) {
	wanted := map[string]bool{}
	for _, name := range group {
		wanted[name] = true
	}
	last := slices.Max(group)
	budget := keysPerName * len(group)
	seen := 0
	for info, err := range l.List(ctx, dir) {
		if err != nil {
			return
		}
		p.mu.Lock()
		if wanted[info.Name] {
			p.sizes[info.Name] = info.Size
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
