package ocr

// #cgo LDFLAGS: -ltesseract
// #include <stdlib.h>
// #include <tesseract/capi.h>
import "C"

import (
	"image"
	"strings"
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
