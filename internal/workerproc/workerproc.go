// Package workerproc runs the worker as a process for tests: it starts a
// binary, keeps every line the process writes (the JSON log lines parsed),
// and lets a test wait for a log message, the HTTP endpoint, readiness or
// the exit. cmd/worker's tests run their own test binary as the daemon and
// internal/chaos runs the built binary; both go through this one harness.
package workerproc

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// patience bounds every wait: a worker on a loaded machine may take long
// to start or stop, and a wait that ran out fails the test saying which.
const patience = 2 * time.Minute

// Options say what to run and how.
type Options struct {
	Bin  string   // the executable
	Args []string // its arguments ("migrate", "health"; none for the daemon)
	Dir  string   // working directory; "" for the test's
	Env  []string // the whole environment of the process
	// Name names the process in failure logs; "worker" when empty.
	Name string
	// Output, when set, sees every line the process writes (stdout and
	// stderr), e.g. for a scan for secrets after the tests.
	Output func(line string)
}

// Proc is a worker process run by a test. It is killed, if still running,
// when the test ends, and its last log lines are shown if the test failed.
type Proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	done chan struct{}
	code int
	// HTTP is the base URL of the worker's HTTP endpoint, set by
	// WaitStarted.
	HTTP string

	mu    sync.Mutex
	lines []map[string]any
	raw   []string
	cond  *sync.Cond
}

// Start runs the process; stdout and stderr both feed its log.
func Start(t testing.TB, o Options) *Proc {
	t.Helper()
	cmd := exec.Command(o.Bin, o.Args...)
	cmd.Dir = o.Dir
	cmd.Env = o.Env
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	name := o.Name
	if name == "" {
		name = "worker"
	}
	p := &Proc{t: t, name: name, cmd: cmd, done: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.read(out, o.Output)
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s log (last 60 lines):\n%s", p.name, strings.Join(Last(p.Log(), 60), "\n"))
		}
	})
	return p
}

// read collects the output until the process exits, then records its exit
// code: minus the signal's number when a signal ended it.
func (p *Proc) read(out io.Reader, output func(string)) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if output != nil {
			output(sc.Text())
		}
		var line map[string]any
		_ = json.Unmarshal(sc.Bytes(), &line)
		p.mu.Lock()
		p.raw = append(p.raw, sc.Text())
		if line != nil {
			p.lines = append(p.lines, line)
		}
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	_ = p.cmd.Wait()
	p.mu.Lock()
	p.code = p.cmd.ProcessState.ExitCode()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		p.code = -int(ws.Signal())
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	close(p.done)
}

// Pid is the process's id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Last is the last n of lines.
func Last(lines []string, n int) []string {
	return lines[max(0, len(lines)-n):]
}

// Log is every line the process has written so far.
func (p *Proc) Log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.raw)
}

// Logged counts the log lines with this message.
func (p *Proc) Logged(msg string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if l["msg"] == msg {
			n++
		}
	}
	return n
}

// HasLog reports whether some line the process wrote contains s.
func (p *Proc) HasLog(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.raw {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// AwaitLog waits for a log line with this message; it reports false if the
// process exits first.
func (p *Proc) AwaitLog(msg string) (map[string]any, bool) {
	p.t.Helper()
	wake := time.AfterFunc(patience, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	defer wake.Stop()
	start := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; ; {
		for ; i < len(p.lines); i++ {
			if p.lines[i]["msg"] == msg {
				return p.lines[i], true
			}
		}
		select {
		case <-p.done:
			return nil, false
		default:
		}
		if time.Since(start) >= patience {
			p.t.Fatalf("no %q in the %s's log after %v", msg, p.name, patience)
		}
		p.cond.Wait()
	}
}

// WaitLog waits for a log line with this message and fails the test if the
// process exits first.
func (p *Proc) WaitLog(msg string) map[string]any {
	p.t.Helper()
	line, ok := p.AwaitLog(msg)
	if !ok {
		p.t.Fatalf("%s exited (code %d) before logging %q; last lines:\n%s", p.name, p.Code(), msg, strings.Join(Last(p.Log(), 20), "\n"))
	}
	return line
}

// WaitStarted waits for the daemon's "worker started" line and sets HTTP
// from it.
func (p *Proc) WaitStarted() {
	p.t.Helper()
	p.started(p.WaitLog("worker started"))
}

func (p *Proc) started(line map[string]any) {
	p.t.Helper()
	addr, ok := line["http"].(string)
	if !ok {
		p.t.Fatalf("%s's start line names no http address: %v", p.name, line)
	}
	p.HTTP = "http://" + addr
}

// AwaitStarted is WaitStarted that reports false, instead of failing, when
// the process exits before it has started.
func (p *Proc) AwaitStarted() bool {
	p.t.Helper()
	line, ok := p.AwaitLog("worker started")
	if ok {
		p.started(line)
	}
	return ok
}

// Kinds are the job kinds the daemon said it works.
func (p *Proc) Kinds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if l["msg"] == "worker started" {
			var out []string
			for _, k := range l["kinds"].([]any) {
				out = append(out, k.(string))
			}
			return out
		}
	}
	return nil
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// Wait waits for the process to exit and returns its exit code (minus the
// signal's number when a signal ended it).
func (p *Proc) Wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.Code()
	case <-time.After(patience):
		p.t.Fatalf("%s did not exit within %v", p.name, patience)
		return 0
	}
}

// Code is the exit code once the process has exited (see Wait).
func (p *Proc) Code() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code
}

// Stop sends SIGTERM and checks that the process exits 0.
func (p *Proc) Stop() {
	p.t.Helper()
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != 0 {
		p.t.Errorf("%s exited %d after SIGTERM, want 0", p.name, code)
	}
}

// WaitReady polls /readyz until it answers 200.
func (p *Proc) WaitReady() {
	p.t.Helper()
	deadline := time.Now().Add(patience)
	var last string
	for time.Now().Before(deadline) {
		code, body, err := Get(p.HTTP + "/readyz")
		if code == http.StatusOK {
			return
		}
		last = fmt.Sprintf("%d %s %v", code, strings.TrimSpace(body), err)
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("/readyz not 200 within %v; last answer: %s", patience, last)
}

// Get fetches url and returns the status code and body.
func Get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// TempFiles lists the files in a worker's temp folder, but for the lock
// files that mark a live worker's own folder.
func TempFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != ".lock" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}
