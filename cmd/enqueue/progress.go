package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/jobs"
)

// progress shows a followed job: a redrawn bar on a terminal, one line per
// change otherwise (logs, CI, pipes).
type progress interface {
	job(job *rivertype.JobRow, elapsed time.Duration)
	batches(p jobs.PlanProgress, elapsed time.Duration)
	done()
}

func newProgress(s *streams) progress {
	if s.tty {
		return &bar{w: s.stderr}
	}
	return &lines{w: s.stderr}
}

func describe(job *rivertype.JobRow) string {
	d := string(job.State)
	if job.Attempt > 0 {
		d += fmt.Sprintf(", attempt %d/%d", job.Attempt, job.MaxAttempts)
	}
	if n := len(job.Errors); n > 0 && !finalizedOK(job.State) {
		d += ", last error: " + firstLine(jobs.ErrorText(job.Errors[n-1].Error))
	}
	return d
}

func finalizedOK(s rivertype.JobState) bool { return s == rivertype.JobStateCompleted }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return oneLine(s)
}

// lines prints a line whenever what it would say changes.
type lines struct {
	w    io.Writer
	last string
}

func (l *lines) say(msg string) {
	if msg != l.last {
		fmt.Fprintln(l.w, msg)
		l.last = msg
	}
}

func (l *lines) job(job *rivertype.JobRow, _ time.Duration) {
	l.say(fmt.Sprintf("job %d %s: %s", job.ID, job.Kind, describe(job)))
}

func (l *lines) batches(p jobs.PlanProgress, _ time.Duration) {
	l.say(fmt.Sprintf("batches: %d of %d done", p.Batches-p.Unfinished, p.Batches))
}

func (l *lines) done() {}

// bar redraws one line in place.
type bar struct {
	w     io.Writer
	drawn bool
}

const barWidth = 24

func (b *bar) draw(fill string, msg string, elapsed time.Duration) {
	fmt.Fprintf(b.w, "\r\033[K[%s] %s %s", fill, msg, elapsed.Truncate(time.Second))
	b.drawn = true
}

// job draws an indeterminate bar (a block sweeping back and forth) while
// the job waits or runs, and a full one when it ends.
func (b *bar) job(job *rivertype.JobRow, elapsed time.Duration) {
	fill := strings.Repeat(" ", barWidth)
	if jobs.Finalized(job.State) {
		fill = strings.Repeat("=", barWidth)
	} else {
		const block = 4
		span := barWidth - block
		pos := int(elapsed/(100*time.Millisecond)) % (2 * span)
		if pos > span {
			pos = 2*span - pos
		}
		fill = fill[:pos] + strings.Repeat("=", block) + fill[pos+block:]
	}
	b.draw(fill, fmt.Sprintf("job %d %s: %s", job.ID, job.Kind, describe(job)), elapsed)
}

func (b *bar) batches(p jobs.PlanProgress, elapsed time.Duration) {
	n := barWidth
	if p.Batches > 0 {
		n = barWidth * (p.Batches - p.Unfinished) / p.Batches
	}
	fill := strings.Repeat("=", n) + strings.Repeat(" ", barWidth-n)
	b.draw(fill, fmt.Sprintf("batches %d/%d", p.Batches-p.Unfinished, p.Batches), elapsed)
}

func (b *bar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
