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

	"github.com/otiai10/gosseract/v2"

	"github.com/revisbali/worker/imgutil"
)

// Symbol is one recognised character: Tesseract's confidence in it and the
// other characters it considered there, from its ChoiceIterator. A caller
// that must know which characters are uncertain (a name no check digit
// covers) asks for them with Request.Symbols.
type Symbol struct {
	Text       string          `json:"text"`
	Confidence float64         `json:"confidence"` // 0-100
	Box        image.Rectangle `json:"box"`
	Line       int             `json:"line"` // as Word.Line
	// Choices are the alternatives Tesseract weighed, best first; the
	// first is normally Text itself.
	Choices []Choice `json:"choices,omitempty"`
}

// Choice is one alternative reading of a symbol.
type Choice struct {
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"` // 0-100
}

// symbolEngine drives Tesseract through its C API, which gosseract does not
// expose beyond words: the result and choice iterators give each symbol's
// confidence and alternatives.
type symbolEngine struct {
	api *C.TessBaseAPI
}

func newSymbolEngine(dir string, langs []string) (*symbolEngine, error) {
	api := C.TessBaseAPICreate()
	cdir, clang := C.CString(dir), C.CString(strings.Join(langs, "+"))
	defer C.free(unsafe.Pointer(cdir))
	defer C.free(unsafe.Pointer(clang))
	if C.TessBaseAPIInit3(api, cdir, clang) != 0 {
		C.TessBaseAPIDelete(api)
		return nil, fmt.Errorf("start Tesseract with %s from %s: initialisation failed", strings.Join(langs, "+"), dir)
	}
	e := &symbolEngine{api: api}
	// Progress notes would go to stderr for every image; LSTM choices
	// (mode 2: alternatives per character) are what Symbol.Choices holds.
	for k, v := range map[string]string{"debug_file": "/dev/null", "lstm_choice_mode": "2"} {
		if err := e.set(k, v); err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

func (e *symbolEngine) set(name, value string) error {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	if C.TessBaseAPISetVariable(e.api, cn, cv) == 0 {
		return fmt.Errorf("tesseract: cannot set %s", name)
	}
	return nil
}

func (e *symbolEngine) close() {
	C.TessBaseAPIEnd(e.api)
	C.TessBaseAPIDelete(e.api)
}

func (e *symbolEngine) recognize(img image.Image, req Request) (Recognition, error) {
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
	pix := C.CBytes(g.Pix[:(h-1)*g.Stride+w])
	defer C.free(pix)
	C.TessBaseAPISetImage(e.api, (*C.uchar)(pix), C.int(w), C.int(h), 1, C.int(g.Stride))
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

	var boxes []gosseract.BoundingBox
	var syms []Symbol
	block, par, line, word := 0, 0, 0, 0
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
			word++
			if text := iterText(ri, C.RIL_WORD); text != "" {
				boxes = append(boxes, gosseract.BoundingBox{
					Box: iterBox(pi, C.RIL_WORD), Word: text,
					Confidence: float64(C.TessResultIteratorConfidence(ri, C.RIL_WORD)),
					BlockNum:   block, ParNum: par, LineNum: line, WordNum: word,
				})
			}
		}
		if text := iterText(ri, C.RIL_SYMBOL); text != "" {
			syms = append(syms, Symbol{
				Text:       text,
				Confidence: float64(C.TessResultIteratorConfidence(ri, C.RIL_SYMBOL)),
				Box:        iterBox(pi, C.RIL_SYMBOL),
				Choices:    choices(ri),
				Line:       len(boxes), // the word's index for now; see below
			})
		}
		if C.TessResultIteratorNext(ri, C.RIL_SYMBOL) == 0 {
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

func iterText(ri *C.TessResultIterator, level C.TessPageIteratorLevel) string {
	p := C.TessResultIteratorGetUTF8Text(ri, level)
	if p == nil {
		return ""
	}
	defer C.TessDeleteText(p)
	return strings.TrimSpace(C.GoString(p))
}

func iterBox(pi *C.TessPageIterator, level C.TessPageIteratorLevel) image.Rectangle {
	var l, t, r, b C.int
	if C.TessPageIteratorBoundingBox(pi, level, &l, &t, &r, &b) == 0 {
		return image.Rectangle{}
	}
	return image.Rect(int(l), int(t), int(r), int(b))
}

func choices(ri *C.TessResultIterator) []Choice {
	ci := C.TessResultIteratorGetChoiceIterator(ri)
	if ci == nil {
		return nil
	}
	defer C.TessChoiceIteratorDelete(ci)
	var out []Choice
	for {
		if p := C.TessChoiceIteratorGetUTF8Text(ci); p != nil {
			out = append(out, Choice{Text: C.GoString(p), Confidence: float64(C.TessChoiceIteratorConfidence(ci))})
		}
		if C.TessChoiceIteratorNext(ci) == 0 {
			return out
		}
	}
}
