// Package ocr reads the text of scanned documents: a pool of Tesseract
// engines (its C API), one per concurrent page and reused across jobs, and
// Document, which reads PDFs (text layer directly, other pages rendered with
// MuPDF and recognised in parallel) and images.
package ocr

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// PageSegMode tells Tesseract what layout to expect.
type PageSegMode int

// The page segmentation modes callers use; Tesseract has more.
const (
	SegAuto        PageSegMode = 3 // a page of any layout; the default
	SegSingleBlock PageSegMode = 6 // one uniform block of text
	SegSingleLine  PageSegMode = 7 // one line, e.g. a machine-readable zone line
)

// PoolConfig configures a Pool.
type PoolConfig struct {
	// Size is how many engines run at once; 0 means runtime.NumCPU().
	Size int
	// Languages are used when a request names none; checked by NewPool.
	Languages []string
	// TessdataDir holds the models; see TessdataDir for the default.
	TessdataDir string
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
}

// Request is what one recognition asks of an engine. Zero fields take the
// pool's defaults. Engines are reused for requests with the same languages
// and folder; changing those loads another model (a fraction of a second),
// changing the rest costs nothing.
type Request struct {
	Languages   []string
	TessdataDir string
	PageSegMode PageSegMode // 0 means SegAuto
	Whitelist   string      // only these characters are recognised; "" means all
	DPI         int         // the image's resolution when known; 0 lets Tesseract estimate
	// Symbols asks for Recognition.Symbols: each character's confidence
	// and alternatives. Such requests get engines of their own.
	Symbols bool
}

// Pool hands out Tesseract engines, at most Size at once. It is safe for
// concurrent use.
type Pool struct {
	size      int
	languages []string
	dir       string
	slots     chan struct{}

	mu     sync.Mutex
	idle   []*engine // most recently used last
	alive  int
	closed bool
}

// NewPool checks that the default languages are installed and starts the
// engines, so that a missing or broken model stops the worker at start.
func NewPool(cfg PoolConfig) (*Pool, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	warnThreadLimit(log)
	dir, err := TessdataDir(cfg.TessdataDir)
	if err != nil {
		return nil, err
	}
	if len(cfg.Languages) == 0 {
		cfg.Languages = []string{"eng"}
	}
	if err := checkLanguages(dir, cfg.Languages); err != nil {
		return nil, err
	}
	size := cfg.Size
	if size <= 0 {
		size = runtime.NumCPU()
	}
	p := &Pool{size: size, languages: slices.Clone(cfg.Languages), dir: dir, slots: make(chan struct{}, size)}
	// Every engine is started now, not on the first pages: a model loads
	// in about a quarter of a second of CPU, which would otherwise land on
	// the first job.
	engines := make([]*engine, 0, size)
	for range size {
		e, err := p.acquire(context.Background(), Request{})
		if err != nil {
			for _, e := range engines {
				p.release(e)
			}
			p.Close()
			return nil, err
		}
		engines = append(engines, e)
	}
	for _, e := range engines {
		p.release(e)
	}
	return p, nil
}

// Size is the number of engines that can run at once.
func (p *Pool) Size() int { return p.size }

// Languages are the pool's default languages.
func (p *Pool) Languages() []string { return slices.Clone(p.languages) }

// Close frees the idle engines; engines in use are freed when released.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, e := range p.idle {
		e.close()
		p.alive--
	}
	p.idle = nil
	return nil
}

func (p *Pool) resolve(req Request) (langs []string, dir string) {
	langs, dir = req.Languages, req.TessdataDir
	if len(langs) == 0 {
		langs = p.languages
	}
	if dir == "" {
		dir = p.dir
	}
	return langs, dir
}

// acquire waits for a free slot and returns an engine loaded for req's
// languages: an idle one if it matches, else a new one (freeing the least
// recently used idle engine if the pool is full).
func (p *Pool) acquire(ctx context.Context, req Request) (*engine, error) {
	langs, dir := p.resolve(req)
	key := dir + "\x00" + strings.Join(langs, "+")
	if req.Symbols {
		key += "\x00symbols"
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, fmt.Errorf("ocr: pool closed")
	}
	for i := len(p.idle) - 1; i >= 0; i-- {
		if e := p.idle[i]; e.key == key {
			p.idle = slices.Delete(p.idle, i, i+1)
			p.mu.Unlock()
			return e, nil
		}
	}
	var evict *engine
	if p.alive == p.size && len(p.idle) > 0 {
		evict = p.idle[0]
		p.idle = p.idle[1:]
		p.alive--
	}
	p.alive++
	p.mu.Unlock()
	if evict != nil {
		evict.close()
	}

	e, err := newEngine(key, dir, langs, req.Symbols)
	if err != nil {
		p.mu.Lock()
		p.alive--
		p.mu.Unlock()
		<-p.slots
		return nil, err
	}
	return e, nil
}

func (p *Pool) release(e *engine) {
	p.mu.Lock()
	if p.closed {
		p.alive--
		p.mu.Unlock()
		e.close()
	} else {
		p.idle = append(p.idle, e)
		p.mu.Unlock()
	}
	<-p.slots
}

// Word is one recognised word.
type Word struct {
	Text       string          `json:"text"`
	Confidence float64         `json:"confidence"` // 0-100
	Box        image.Rectangle `json:"box"`
	Line       int             `json:"line"` // counts lines from 1 across the page
}

// Recognition is the text Tesseract read on one image.
type Recognition struct {
	Text       string  // lines joined by \n, paragraphs separated by a blank line
	Confidence float64 // mean word confidence weighted by length, 0-100; 0 when no text
	Words      []Word
	Symbols    []Symbol // only when Request.Symbols
}

// Recognize waits for an engine and reads img with it. The image is
// handed to Tesseract as 8-bit gray. A recognition in progress cannot be
// interrupted; ctx is honoured while waiting for an engine.
func (p *Pool) Recognize(ctx context.Context, img image.Image, req Request) (Recognition, error) {
	e, err := p.acquire(ctx, req)
	if err != nil {
		return Recognition{}, err
	}
	defer p.release(e)
	return e.recognize(img, req)
}

// assemble lays words out as Tesseract's own text output does: words of a
// line joined by a space, lines by a newline, paragraphs by a blank line.
func assemble(boxes []wordBox) Recognition {
	var r Recognition
	var b strings.Builder
	var weighted, chars float64
	var prev wordBox
	line := 0
	for _, w := range boxes {
		text := strings.TrimSpace(w.Word)
		if text == "" {
			continue
		}
		switch {
		case line == 0:
			line = 1
		case w.BlockNum != prev.BlockNum || w.ParNum != prev.ParNum:
			b.WriteString("\n\n")
			line++
		case w.LineNum != prev.LineNum:
			b.WriteString("\n")
			line++
		default:
			b.WriteString(" ")
		}
		prev = w
		b.WriteString(text)
		n := float64(len([]rune(text)))
		weighted += w.Confidence * n
		chars += n
		r.Words = append(r.Words, Word{Text: text, Confidence: w.Confidence, Box: w.Box, Line: line})
	}
	r.Text = b.String()
	if chars > 0 {
		r.Confidence = weighted / chars
	}
	return r
}
