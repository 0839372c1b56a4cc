package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/revisbali/worker/internal/hostile"
	"github.com/revisbali/worker/internal/workerproc"
	"github.com/revisbali/worker/storage"
)

// nameKinds are the job kinds that take a file name, with their enqueue
// subcommand.
var nameKinds = []struct{ kind, command string }{
	{"ocr_document", "ocr"},
	{"passport_mrz", "passport"},
}

// Storage never hands out a byte for a hostile name, on disk or in the
// bucket: each is refused as suspicious or not found, the confusable name
// does not reach the file it imitates, and symbolic links out of the media
// root are not followed.
func TestHostileNamesInStorage(t *testing.T) {
	t.Parallel()
	for _, cloud := range []bool{false, true} {
		t.Run(map[bool]string{false: "local", true: "s3"}[cloud], func(t *testing.T) {
			t.Parallel()
			st := newStack(t, cloud)
			st.save(t, hostile.Decoy, hostile.DecoyData())
			names := hostile.Names()
			if !cloud {
				// Links planted in the media folder, pointing out of it.
				root := st.env["MEDIA_ROOT"]
				for link, target := range map[string]string{"link.pdf": "/etc/passwd", "dirlink": "/etc"} {
					if err := os.Symlink(target, filepath.Join(root, hostile.Folder, link)); err != nil {
						t.Fatal(err)
					}
				}
				names = append(names,
					hostile.Name{Name: hostile.Folder + "link.pdf", What: "a symbolic link to /etc/passwd"},
					hostile.Name{Name: hostile.Folder + "dirlink/passwd", What: "through a symbolic link to /etc"})
			}
			ctx := context.Background()
			for _, n := range names {
				refused := func(op string, err error) {
					t.Helper()
					if !errors.Is(err, storage.ErrSuspiciousName) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
						t.Errorf("%s: %s(%.80q): %.300v, want a suspicious, missing or forbidden name", n.What, op, n.Name, err)
					}
				}
				r, err := st.store.Open(ctx, n.Name)
				if err == nil {
					data, _ := io.ReadAll(io.LimitReader(r, 64))
					r.Close()
					t.Errorf("%s: Open(%q) read %q", n.What, n.Name, data)
				}
				refused("Open", err)
				_, err = st.store.Stat(ctx, n.Name)
				refused("Stat", err)
				if u, err := st.store.URL(ctx, n.Name); err == nil {
					checkURL(t, n, u)
				} else if !errors.Is(err, storage.ErrSuspiciousName) {
					t.Errorf("%s: URL(%.80q): %.300v, want a URL or a suspicious name", n.What, n.Name, err)
				}
			}
		})
	}
}

// checkURL checks that a URL given for a hostile name is one line, parses,
// and addresses exactly that name: nothing of it became a query, a fragment
// or another host.
func checkURL(t *testing.T, n hostile.Name, raw string) {
	t.Helper()
	if strings.ContainsAny(raw, "\x00\r\n \u202e") {
		t.Errorf("%s: URL %q holds a raw control or space character", n.What, raw)
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Errorf("%s: URL %q does not parse: %v", n.What, raw, err)
		return
	}
	// The SDK adds x-id=GetObject to presigned URLs itself; a second one,
	// or a versionId, would have come from the name.
	if q := u.Query(); u.Fragment != "" || len(q["x-id"]) > 1 || q.Has("versionId") {
		t.Errorf("%s: part of the name became the URL's query or fragment: %.300q", n.What, raw)
	}
	want := strings.TrimLeft(strings.ReplaceAll(n.Name, `\`, "/"), "/")
	if !strings.HasSuffix(u.Path, "/"+want) {
		t.Errorf("%s: URL path %.300q does not end with the name %.80q", n.What, u.Path, want)
	}
}

// The CLI prints one clean URL for a hostile name, or refuses it as a
// usage error saying why; it never fails as if the infrastructure had.
func TestHostileNamesThroughURLCommand(t *testing.T) {
	t.Parallel()
	st := newStack(t, true)
	for _, n := range hostile.Names() {
		if strings.ContainsRune(n.Name, 0) {
			continue // an argument cannot hold a NUL byte
		}
		code, stdout, stderr := cli(t, st.env, "url", n.Name)
		switch code {
		case 0:
			if lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); len(lines) != 1 {
				t.Errorf("%s: enqueue url printed %d lines: %q", n.What, len(lines), stdout)
				continue
			}
			checkURL(t, n, strings.TrimSpace(stdout))
		case 2:
			if !strings.Contains(stderr, "suspicious") && !strings.Contains(stderr, "empty") {
				t.Errorf("%s: enqueue url refused %q without saying why: %q", n.What, n.Name, stderr)
			}
		default:
			t.Errorf("%s: enqueue url %q: exit %d, want 0 or 2 (stderr %q)", n.What, n.Name, code, stderr)
		}
	}
}

// outcome is what became of one hostile item sent through a job.
type outcome struct {
	item   string // what it is
	name   string
	want   hostile.Want
	code   int
	res    jobResult
	stderr string
}

// Every hostile file and name, sent through every job that takes a name by
// the enqueue CLI to a real worker on the S3 test bed, ends at its first
// attempt: cancelled with an error that names the
// file (or, for files a reader may cope with, completed without a trace of
// what the file carried). The worker stays up and ready, its temp folder is empty, and the
// bucket holds nothing but the corpus and the previews of completed jobs.
func TestHostileInputThroughWorker(t *testing.T) {
	t.Parallel()
	st := newStack(t, true)
	files := hostile.Files()
	for _, f := range files {
		st.save(t, f.Name, f.Data)
	}
	st.save(t, hostile.Decoy, hostile.DecoyData())
	stored := st.names(t, hostile.Folder)

	e := st.env.clone()
	e["WORKER_QUEUE_OCR"], e["WORKER_QUEUE_PASSPORT"] = "2", "2"
	w := startWorkerWithKinds(t, e)

	for _, k := range nameKinds {
		t.Run(k.kind, func(t *testing.T) {
			requireKind(t, w, k.kind)
			var items []outcome
			for _, f := range files {
				items = append(items, outcome{item: f.What, name: f.Name, want: f.Want})
			}
			for _, n := range hostile.Names() {
				items = append(items, outcome{item: n.What, name: n.Name, want: hostile.Refuse})
			}
			// Three clients at once, each following its job to the end.
			var wg sync.WaitGroup
			next := make(chan int)
			for range 3 {
				wg.Go(func() {
					for i := range next {
						items[i] = send(t, st, k.command, items[i])
					}
				})
			}
			for i := range items {
				next <- i
			}
			close(next)
			wg.Wait()
			counts := map[string]int{}
			var completed []string
			for _, o := range items {
				if o.res.State == "completed" {
					completed = append(completed, strings.TrimPrefix(o.name, hostile.Folder))
				}
				checkOutcome(t, o)
				switch {
				case o.code == -1:
					counts["refused by Postgres at insert (NUL byte)"]++
				case o.code == 2:
					counts["refused by the CLI"]++
				default:
					counts[string(o.res.State)]++
				}
			}
			if !t.Failed() {
				var tally []string
				for _, what := range slices.Sorted(maps.Keys(counts)) {
					tally = append(tally, fmt.Sprintf("%d %s", counts[what], what))
				}
				done := "none completed"
				if len(completed) > 0 {
					done = "completed (the page's text or none, no payload): " + strings.Join(completed, ", ")
				}
				report(t, "hostile", fmt.Sprintf("%d files and names through %s", len(items), k.kind),
					fmt.Sprintf("%s; all at attempt 1; no panic, temp empty, ready after; %s", strings.Join(tally, ", "), done))
			}
		})
	}

	if files := workerproc.TempFiles(t, e["WORKER_TMPDIR"]); len(files) != 0 {
		t.Errorf("temp files left after the corpus: %v", files)
	}
	if n := w.Logged("job panicked"); n > 0 {
		t.Errorf("%d jobs panicked", n)
	}
	w.WaitReady()

	// Nothing written but previews of the files that completed.
	after := st.names(t, hostile.Folder)
	for _, name := range after {
		if !slices.Contains(stored, name) && !strings.Contains(name, "preview") {
			t.Errorf("the corpus left an object that is not a preview: %s", name)
		}
	}
	w.Stop()
}

// send enqueues one item through the CLI and follows it to its end. A name
// holding a NUL byte cannot be an argument: it goes the way Django's raw
// SQL would send it, and Postgres must refuse it.
func send(t *testing.T, st *stack, command string, o outcome) outcome {
	if strings.ContainsRune(o.name, 0) {
		args, _ := json.Marshal(map[string]string{"name": o.name})
		_, err := st.pool.Exec(context.Background(), `INSERT INTO river_job (args, kind, max_attempts, priority, queue, scheduled_at, state, tags, metadata)
			VALUES ($1::jsonb, $2, 5, 1, $3, now(), 'available', '{}', '{}')`, string(args), map[string]string{"ocr": "ocr_document", "passport": "passport_mrz"}[command], command)
		o.code = -1
		if err != nil {
			o.stderr = err.Error()
		}
		return o
	}
	code, stdout, stderr := cli(t, st.env, command, o.name, "--wait", "--json")
	o.code, o.stderr = code, stderr
	if code == 0 || code == 1 {
		if err := json.Unmarshal([]byte(stdout), &o.res); err != nil {
			o.stderr += fmt.Sprintf(" (stdout is not the job's JSON: %v: %q)", err, stdout)
			o.code = 99
		}
	}
	return o
}

func checkOutcome(t *testing.T, o outcome) {
	t.Helper()
	what := fmt.Sprintf("%s (%.80q)", o.item, o.name)
	switch {
	case o.code == -1:
		if !strings.Contains(o.stderr, "0000") && !strings.Contains(o.stderr, "Unicode") {
			t.Errorf("%s: Django's raw SQL insert was not refused by Postgres: %q", what, o.stderr)
		}
		return
	case o.name == "" || o.name == "." || o.name == "/" || o.name == hostile.Folder:
		// The CLI may refuse a name that names no file before it is a job.
		if o.code == 2 {
			return
		}
	}
	if o.code != 0 && o.code != 1 {
		t.Errorf("%s: enqueue exit %d, want 0 or 1; stderr %q", what, o.code, o.stderr)
		return
	}
	r := o.res
	for _, e := range r.Errors {
		if strings.Contains(e.Error, "panic") || e.Trace != "" {
			t.Errorf("%s: the job panicked: %s", what, e.Error)
		}
	}
	switch r.State {
	case "cancelled":
		// A retry of hostile input is a retry storm in the making; the
		// passport reader's search is bounded by work, so load cannot make
		// it give up and retry either.
		if len(r.Errors) != 1 || r.Errors[0].Attempt != 1 {
			t.Errorf("%s: cancelled after %d errors, want one, at attempt 1: %+v", what, len(r.Errors), r.Errors)
			return
		}
		msg := r.Errors[len(r.Errors)-1].Error
		if strings.ContainsAny(msg, "\r\n") && !strings.ContainsAny(o.name, "\r\n") {
			t.Errorf("%s: the error spans lines: %q", what, msg)
		}
		if strings.ContainsAny(o.name, "\r\n") && strings.ContainsAny(msg, "\r\n") {
			t.Errorf("%s: the error holds the name's raw line breaks (quote it): %q", what, msg)
		}
		// The file's own name, or the part of a long name a person would
		// recognise, is in the message.
		base := o.name[strings.LastIndex(o.name, "/")+1:]
		if len(base) > 40 {
			base = base[:40]
		}
		if base != "" && !strings.Contains(msg, base) && !strings.Contains(msg, strings.Trim(fmt.Sprintf("%q", base), `"`)) {
			t.Errorf("%s: the error does not name the file: %q", what, msg)
		}
	case "completed":
		if o.want == hostile.Refuse {
			t.Errorf("%s: completed, want it refused; output %s", what, r.Output)
		}
		if s := string(r.Output); strings.Contains(s, hostile.Payload) || strings.Contains(s, "root:x:0") {
			t.Errorf("%s: the output carries what the file smuggled: %.300s", what, s)
		}
		// What a repaired or bounded reading returns is the page's own
		// text or nothing: never text from elsewhere.
		var out struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal(r.Output, &out)
		if text := strings.TrimSpace(out.Text); text != "" && !strings.Contains(text, "2026") {
			t.Errorf("%s: completed with text %.200q, want the invoice's or none", what, text)
		}
	default:
		t.Errorf("%s: ended %s, want cancelled (errors %+v)", what, r.State, r.Errors)
	}
}
