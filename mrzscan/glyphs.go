package mrzscan

import (
	"strings"

	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
)

// keep records the glyphs of each line of one recognition.
func (s *session) keep(syms []ocr.Symbol) {
	if s.glyphs == nil {
		s.glyphs = map[string][]passport.Glyph{}
	}
	flush := func(line []passport.Glyph) {
		if len(line) == 0 {
			return
		}
		b := make([]byte, len(line))
		for i, g := range line {
			b[i] = g.Char
		}
		s.glyphs[string(b)] = line
	}
	var line []passport.Glyph
	for i, sym := range syms {
		if i > 0 && sym.Line != syms[i-1].Line {
			flush(line)
			line = nil
		}
		g := passport.Glyph{Confidence: sym.Confidence}
		if len(sym.Text) == 1 {
			g.Char = sym.Text[0]
		}
		for _, c := range sym.Choices {
			if len(c.Text) == 1 && c.Text[0] != g.Char {
				g.Alts = append(g.Alts, passport.Alt{Char: c.Text[0], Confidence: c.Confidence})
			}
		}
		line = append(line, g)
	}
	flush(line)
}

// glyphsOf returns the glyphs of each raw zone line. A line whose glyphs
// are unknown gets an empty list, which Review takes as every character
// uncertain, never as certain.
//
// Glyphs of tiny print (under minTrustedGlyph pixels high) count as
// unknown too: at that size Tesseract misreads letters with full confidence (G as
// B), so no character of a field without a check digit is taken as read.
func (s *session) glyphsOf(raw []string) [][]passport.Glyph {
	out := make([][]passport.Glyph, len(raw))
	for i, l := range raw {
		if s.bestTiny {
			out[i] = []passport.Glyph{}
			continue
		}
		out[i] = s.glyphs[strings.Join(strings.Fields(l), "")]
		if out[i] == nil {
			out[i] = []passport.Glyph{}
		}
	}
	return out
}

// parseOptions lets the parser see what OCR knew of each line this session
// read (keep).
func (s *session) parseOptions() passport.ParseOptions {
	o := s.r.parseOptions()
	o.Glyphs = func(line string) []passport.Glyph { return s.glyphs[line] }
	return o
}
