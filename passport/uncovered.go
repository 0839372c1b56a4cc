package passport

import (
	"fmt"
	"strings"
)

// Repairs of fields no check digit covers. Nothing can confirm them, so
// each is made only when the zone leaves a single possibility, and reported.

// snapCode replaces an unknown state code by the only known code within OCR
// confusion distance, if there is exactly one.
func (z *zone) snapCode(field string, s span) []Correction {
	code := z.str(s)
	if code == "" || knownState(code) {
		return nil
	}
	to, ok := snapState(code)
	if !ok {
		return nil
	}
	for i := range to {
		z.set(pos{s.line, s.start + i}, to[i])
	}
	return []Correction{{
		Line: s.line + 1, Position: s.start + 1, Field: field, From: code, To: to,
		Reason: "unknown state code; the only known code within OCR confusion distance",
	}}
}

// snapChoice replaces the character at p, when it is not one of allowed,
// by the only allowed character it is a known OCR confusion of.
func (z *zone) snapChoice(field string, p pos, allowed string) []Correction {
	c := z.at(p)
	if strings.IndexByte(allowed, c) >= 0 {
		return nil
	}
	var to byte
	for i := 0; i < len(allowed); i++ {
		if confusable(c, allowed[i]) {
			if to != 0 {
				return nil
			}
			to = allowed[i]
		}
	}
	if to == 0 {
		return nil
	}
	z.set(p, to)
	return []Correction{{
		Line: p.line + 1, Position: p.col + 1, Field: field, From: string(c), To: string(to),
		Reason: fmt.Sprintf("%q cannot stand here; %q is the only allowed character it is confused with", c, to),
	}}
}

// repairVisaData clears filler look-alikes from a visa's optional data,
// which no check digit covers, the way repairNames does after the names.
func (z *zone) repairVisaData() []Correction {
	if z.l.format != MRVA && z.l.format != MRVB {
		return nil
	}
	var fixes []Correction
	s := z.l.optional[0]
	for tok, at := strayInFiller(z.str(s)); tok != ""; tok, at = strayInFiller(z.str(s)) {
		for k := range len(tok) {
			p := pos{s.line, s.start + at + k}
			fixes = append(fixes, Correction{
				Line: p.line + 1, Position: p.col + 1, Field: "optional_data",
				From: string(tok[k]), To: "<",
				Reason: fmt.Sprintf("filler '<' read as %q inside the filler", tok[k]),
			})
			z.set(p, '<')
		}
	}
	return fixes
}
