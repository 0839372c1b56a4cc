package passport

import (
	"fmt"
	"strings"
)

// names is the name field read apart: primary identifier, secondary
// identifiers, and where the filler after them begins.
type names struct {
	surname, given string
	fillerFrom     int // index in the field where only filler should follow
	truncated      bool
}

// splitNames reads a name field: surname, "<<", given names separated by
// '<', then filler. A field that ends in a letter is full, so the name may
// have been cut to fit (ICAO truncation).
func splitNames(field string) names {
	n := names{fillerFrom: len(field), truncated: len(field) > 0 && field[len(field)-1] != '<'}
	sep := strings.Index(field, "<<")
	if sep < 0 {
		n.surname = spaced(field)
		return n
	}
	n.surname = spaced(field[:sep])
	start := sep + 2
	for start < len(field) && field[start] == '<' {
		start++
	}
	end := start + strings.Index(field[start:]+"<<", "<<")
	given := field[start:min(end, len(field))]
	// "SURNAME<<<K<<<": more filler than a separator, then a stray look-alike:
	// no given names, and the look-alike sits in the filler.
	if start > sep+2 && fillerNoise(given) {
		n.fillerFrom = sep + 2
		return n
	}
	n.given = spaced(given)
	n.fillerFrom = min(end, len(field))
	return n
}

// fillerNoise reports whether tok is made only of letters OCR reads for
// '<' and is short or one letter repeated ("KKKK"). Other runs are left
// alone: they could be a real name ("ESSEX").
func fillerNoise(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if !isFillerLookalike(tok[i]) || (len(tok) > 2 && tok[i] != tok[0]) {
			return false
		}
	}
	return true
}

// spaced turns '<' separators into single spaces.
func spaced(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '<' }), " ")
}

// repairNames clears filler look-alikes that follow the names, reports them,
// and returns warnings about what it saw but left alone. Check digits do not
// cover names, so only short look-alike runs inside the trailing filler are
// touched.
func (z *zone) repairNames() (fixes []Correction, warnings []string) {
	s := z.l.names
	// Names hold no digits: those with a single letter twin are that letter.
	for _, p := range s.positions() {
		c := z.at(p)
		if !isDigit(c) {
			continue
		}
		switch twins := digitLetters(c); len(twins) {
		case 0:
			warnings = append(warnings, fmt.Sprintf("digit %c in the names at line %d, position %d", c, p.line+1, p.col+1))
		case 1:
			fixes = append(fixes, Correction{
				Line: p.line + 1, Position: p.col + 1, Field: "names", From: string(c), To: twins,
				Reason: fmt.Sprintf("digit %c in a name: letter %s read as a digit", c, twins),
			})
			z.set(p, twins[0])
		default:
			warnings = append(warnings, fmt.Sprintf("digit %c in the names at line %d, position %d could be any of %s", c, p.line+1, p.col+1, twins))
		}
	}
	field := []byte(z.str(s))
	n := splitNames(string(field))
	for i := n.fillerFrom; i < len(field); {
		if field[i] == '<' {
			i++
			continue
		}
		j := i
		for j < len(field) && field[j] != '<' {
			j++
		}
		tok := string(field[i:j])
		if fillerNoise(tok) {
			for k := i; k < j; k++ {
				p := pos{s.line, s.start + k}
				fixes = append(fixes, Correction{
					Line: p.line + 1, Position: p.col + 1, Field: "names",
					From: string(field[k]), To: "<",
					Reason: fmt.Sprintf("filler '<' read as %q after the names", field[k]),
				})
				z.set(p, '<')
			}
		} else {
			warnings = append(warnings, fmt.Sprintf("unexpected %q in the filler after the names", tok))
		}
		i = j
	}
	// "MARIA<K<<<<<<" or "MARIA<KKK<<<<": a look-alike, alone or repeated,
	// ending the names with filler after it to the end of the field. ICAO
	// writes names in full unless the field is too short, and then no filler
	// follows, so this is filler misread.
	f := z.str(s)
	end := strings.TrimRight(f, "<")
	last := end[strings.LastIndexByte(end, '<')+1:]
	if len(f)-len(end) >= 3 && len(last) < len(end) && isFillerLookalike(last[0]) && strings.Count(last, last[:1]) == len(last) {
		for k := range len(last) {
			p := pos{s.line, s.start + len(end) - len(last) + k}
			fixes = append(fixes, Correction{
				Line: p.line + 1, Position: p.col + 1, Field: "names",
				From: last[k : k+1], To: "<",
				Reason: fmt.Sprintf("filler '<' read as %q: a lone look-alike followed only by filler", last[k]),
			})
			z.set(p, '<')
		}
	}
	if n := splitNames(z.str(s)); z.l.given.end == 0 && n.given == "" && strings.Contains(n.surname, " ") {
		warnings = append(warnings, "no '<<' between surname and given names: if the holder has given names, a filler was lost")
	}
	return fixes, warnings
}
