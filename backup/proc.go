package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// connInfo is a database URL split so that the password travels in the
// environment (PGPASSWORD) and never on a command line or in an error.
type connInfo struct {
	url      string // without the password
	password string
	dbname   string
}

func parseConn(raw string) (connInfo, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// Do not wrap err: url.Error quotes the URL, password and all.
		return connInfo{}, errors.New("backup: the database URL is not a postgres:// URL")
	}
	c := connInfo{dbname: strings.TrimPrefix(u.Path, "/")}
	if u.User != nil {
		c.password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if p := q.Get("password"); p != "" {
		c.password = p
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	c.url = u.String()
	return c, nil
}

// withDatabase returns the same server and credentials on another database.
func (c connInfo) withDatabase(name string) connInfo {
	u, _ := url.Parse(c.url) // c.url came from url.String
	u.Path = "/" + name
	return connInfo{url: u.String(), password: c.password, dbname: name}
}

// pgxURL is the full URL for pgx, password included. Never log it.
func (c connInfo) pgxURL() string {
	if c.password == "" {
		return c.url
	}
	u, _ := url.Parse(c.url)
	u.User = url.UserPassword(u.User.Username(), c.password)
	return u.String()
}

func (c connInfo) command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tool, append([]string{"--dbname=" + c.url}, args...)...)
	cmd.Env = os.Environ()
	if c.password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+c.password)
	}
	// A tool stuck on a full pipe after a kill must not hang Wait.
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// redact removes the password from a tool's message.
func (c connInfo) redact(s string) string {
	if c.password != "" {
		s = strings.ReplaceAll(s, c.password, "***")
	}
	return s
}

// ToolError is a PostgreSQL tool that failed, with the end of what it
// printed on stderr (passwords removed).
type ToolError struct {
	Tool   string
	Err    error
	Stderr string
}

func (e *ToolError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		return fmt.Sprintf("%s: %v", e.Tool, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Tool, e.Err, msg)
}

func (e *ToolError) Unwrap() error { return e.Err }

// runWriting runs cmd and copies its stdout to w. If w fails, the tool is
// killed rather than left blocked on a full pipe.
func runWriting(cmd *exec.Cmd, conn connInfo, w io.Writer) error {
	stderr := &tail{max: 8 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Args[0], err)
	}
	_, copyErr := io.Copy(w, stdout)
	if copyErr != nil {
		_ = cmd.Process.Kill()
	}
	if err := cmd.Wait(); err != nil && copyErr == nil {
		return &ToolError{Tool: cmd.Args[0], Err: err, Stderr: conn.redact(stderr.String())}
	}
	if copyErr != nil {
		return fmt.Errorf("write %s output: %w", cmd.Args[0], copyErr)
	}
	return nil
}

// runReading runs cmd with r on its stdin. When reading r fails, the tool is
// killed before its stdin is closed: a restore must not commit what a
// truncated or tampered stream delivered so far.
// A failure of r comes back as a *SourceError.
func runReading(cmd *exec.Cmd, conn connInfo, r io.Reader) error {
	stderr := &tail{max: 8 << 10}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Args[0], err)
	}
	src := &readRecorder{r: r}
	_, copyErr := io.Copy(stdin, src)
	if src.err != nil {
		_ = cmd.Process.Kill()
	}
	_ = stdin.Close()
	waitErr := cmd.Wait()
	if src.err != nil {
		return &SourceError{Err: src.err}
	}
	if waitErr != nil {
		return &ToolError{Tool: cmd.Args[0], Err: waitErr, Stderr: conn.redact(stderr.String())}
	}
	if copyErr != nil {
		return fmt.Errorf("feed %s: %w", cmd.Args[0], copyErr)
	}
	return nil
}

// SourceError is a restore stopped because its input could not be read to
// the end; the tool was killed and nothing was committed.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return "read backup: " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// readRecorder remembers the first read error other than EOF, to tell a
// failing source from a failing tool.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// runReadingWithList is runReading with list readable by the tool as
// /dev/fd/3 (pg_restore --use-list), so that no temp file is needed.
func runReadingWithList(cmd *exec.Cmd, conn connInfo, r io.Reader, list []byte) error {
	lr, lw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("%s: list pipe: %w", cmd.Args[0], err)
	}
	// Closing the read end when the tool is done also ends the writer if
	// the tool never read the list.
	defer lr.Close()
	cmd.ExtraFiles = []*os.File{lr}
	go func() {
		_, _ = lw.Write(list)
		lw.Close()
	}()
	return runReading(cmd, conn, r)
}
