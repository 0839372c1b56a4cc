package passport

import (
	"fmt"
	"testing"
)

// TestLayoutsTile checks that each layout's fields cover every position of
// every line exactly once, and that the composite covers what ICAO says.
func TestLayoutsTile(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{TD1, TD2, TD3, MRVA, MRVB, FRID} {
		l := layoutFor(f)
		owner := map[pos]string{}
		claim := func(name string, ps []pos) {
			for _, p := range ps {
				if p.line < 0 || p.line >= l.lines || p.col < 0 || p.col >= l.width {
					t.Errorf("%s %s: %v outside the zone", f, name, p)
				}
				if o, ok := owner[p]; ok {
					t.Errorf("%s: %v claimed by %s and %s", f, p, o, name)
				}
				owner[p] = name
			}
		}
		claim("document code", l.docCode.positions())
		claim("issuing state", l.issuing.positions())
		claim("names", l.names.positions())
		claim("given names", l.given.positions())
		claim("document number", append(l.docNumber.positions(), l.docCheck))
		claim("nationality", l.nationality.positions())
		claim("birth", append(l.birth.positions(), l.birthCheck))
		claim("sex", []pos{l.sex})
		if l.expiryCheck.line >= 0 {
			claim("expiry", append(l.expiry.positions(), l.expiryCheck))
		}
		for i, o := range l.optional {
			claim(fmt.Sprint("optional ", i), o.positions())
		}
		if l.personal.end > 0 {
			claim("personal number", append(l.personal.positions(), l.personalCheck))
		}
		if l.compositeCheck.line >= 0 {
			claim("composite", []pos{l.compositeCheck})
		}
		if len(owner) != l.lines*l.width {
			t.Errorf("%s: fields cover %d of %d positions", f, len(owner), l.lines*l.width)
		}
		for i, row := range l.classes() {
			for c, k := range row {
				if k == clsNone {
					t.Errorf("%s: line %d position %d has no class", f, i+1, c+1)
				}
			}
		}
	}
	// Composite lengths from ICAO 9303: TD1 25+7+7+11, TD2 10+7+14, TD3 10+7+22.
	// The French card's covers line 1 and line 2 but its last character.
	for f, want := range map[Format]int{TD1: 50, TD2: 31, TD3: 39, FRID: 71} {
		n := 0
		for _, s := range layoutFor(f).composite {
			n += s.end - s.start
		}
		if n != want {
			t.Errorf("%s composite covers %d characters, want %d", f, n, want)
		}
	}
}
