package ocr

// #cgo LDFLAGS: -ltesseract
// #include <stdlib.h>
// #include <tesseract/capi.h>
import "C"

import (
	"fmt"
	"image"
	"strconv"
	"strings"
	"unsafe"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
)

// engine is one Tesseract instance driven through its C API. Pixels are
// handed over as they lie in Go memory: an encoded image (a PGM that
// Leptonica parsed again, byte by byte) cost 0.2 s of CPU per 300 DPI page.
type engine struct {
	key     string
	api     *C.TessBaseAPI
	symbols bool // engines for Request.Symbols keep LSTM alternatives
}

func newEngine(key, dir string, langs []string, symbols bool) (*engine, error) {
	if err := checkLanguages(dir, langs); err != nil {
		return nil, fault.BadInput("%v", err)
	}
	api := C.TessBaseAPICreate()
	cdir, clang := C.CString(dir), C.CString(strings.Join(langs, "+"))
	defer C.free(unsafe.Pointer(cdir))
	defer C.free(unsafe.Pointer(clang))
	if C.TessBaseAPIInit3(api, cdir, clang) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, fmt.Errorf("start Tesseract with %s from %s: initialisation failed", strings.Join(langs, "+"), dir)
	}
	e := &engine{key: key, api: api, symbols: symbols}
	// Progress notes ("Estimating resolution as 300") would go to stderr
	// for every page. LSTM choices (mode 2: alternatives per character)
	// are what Symbol.Choices holds.
	vars := [][2]string{{"debug_file", "/dev/null"}}
	if symbols {
		vars = append(vars, [2]string{"lstm_choice_mode", "2"})
	}
	for _, v := range vars {
		if err := e.set(v[0], v[1]); err != nil {
			e.close()
			return nil, err
		}
	}
	// One blank pixel, recognised now, sets up what the first page would.
	if _, err := e.recognize(image.NewGray(image.Rect(0, 0, 1, 1)), Request{}); err != nil {
		e.close()
		return nil, fmt.Errorf("start Tesseract with %s from %s: %w", strings.Join(langs, "+"), dir, err)
	}
	return e, nil
}

func (e *engine) set(name, value string) error {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	if C.TessBaseAPISetVariable(e.api, cn, cv) == 0 {
		return fmt.Errorf("tesseract: cannot set %s", name)
	}
	return nil
}

func (e *engine) close() {
	C.TessBaseAPIEnd(e.api)
	C.TessBaseAPIDelete(e.api)
}

// wordBox is one word as the result iterator gives it.
type wordBox struct {
	Word                      string
	Box                       image.Rectangle
	Confidence                float64
	BlockNum, ParNum, LineNum int
}

// recognize reads img, which goes to Tesseract as 8-bit gray with no
// resolution of its own (so Tesseract estimates it, as the CLI does for an
// image without one) unless req.DPI says.
func (e *engine) recognize(img image.Image, req Request) (Recognition, error) {
	psm := req.PageSegMode
	if psm == 0 {
		psm = SegAuto
	}
	C.TessBaseAPISetPageSegMode(e.api, C.TessPageSegMode(psm))
	if err := e.set("tessedit_char_whitelist", req.Whitelist); err != nil {
		return Recognition{}, err
	}
	if err := e.set("user_defined_dpi", strconv.Itoa(req.DPI)); err != nil {
		return Recognition{}, err
	}
	g := imgutil.Gray(img)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w == 0 || h == 0 {
		return Recognition{}, nil
	}
	// Tesseract copies the pixels before SetImage returns, so Go memory
	// (which holds no pointers) may be lent for the call.
	C.TessBaseAPISetImage(e.api, (*C.uchar)(unsafe.Pointer(&g.Pix[0])), C.int(w), C.int(h), 1, C.int(g.Stride))
	// Clear frees the page's copies and results while the engine idles.
	defer C.TessBaseAPIClear(e.api)
	if C.TessBaseAPIRecognize(e.api, nil) != 0 {
		return Recognition{}, fmt.Errorf("tesseract: recognition failed")
	}
	ri := C.TessBaseAPIGetIterator(e.api)
	if ri == nil {
		return Recognition{}, nil // nothing on the page
	}
	defer C.TessResultIteratorDelete(ri)
	pi := C.TessResultIteratorGetPageIterator(ri)

	// Symbol engines step symbol by symbol, the others word by word.
	step := C.TessPageIteratorLevel(C.RIL_WORD)
	if e.symbols {
		step = C.RIL_SYMBOL
	}
	var boxes []wordBox
	var syms []Symbol
	block, par, line := 0, 0, 0
	for {
		if C.TessPageIteratorIsAtBeginningOf(pi, C.RIL_BLOCK) != 0 {
			block++
		}
		if C.TessPageIteratorIsAtBeginningOf(pi, C.RIL_PARA) != 0 {
			par++
		}
		if C.TessPageIteratorIsAtBeginningOf(pi, C.RIL_TEXTLINE) != 0 {
			line++
		}
		if C.TessPageIteratorIsAtBeginningOf(pi, C.RIL_WORD) != 0 {
			if text := iterText(ri, C.RIL_WORD); text != "" {
				boxes = append(boxes, wordBox{
					Word: text, Box: iterBox(pi, C.RIL_WORD),
					Confidence: float64(C.TessResultIteratorConfidence(ri, C.RIL_WORD)),
					BlockNum:   block, ParNum: par, LineNum: line,
				})
			}
		}
		if e.symbols {
			if text := iterText(ri, C.RIL_SYMBOL); text != "" {
				syms = append(syms, Symbol{
					Text:       text,
					Confidence: float64(C.TessResultIteratorConfidence(ri, C.RIL_SYMBOL)),
					Box:        iterBox(pi, C.RIL_SYMBOL),
					Choices:    choices(ri),
					Line:       len(boxes), // the word's index for now; see below
				})
			}
		}
		if C.TessResultIteratorNext(ri, step) == 0 {
			break
		}
	}
	r := assemble(boxes)
	// Symbols take the line numbers assemble gave their words.
	for i := range syms {
		if k := syms[i].Line - 1; k >= 0 && k < len(r.Words) {
			syms[i].Line = r.Words[k].Line
		}
	}
	r.Symbols = syms
	return r, nil
}
