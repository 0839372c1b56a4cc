package passport

import (
	"fmt"
	"strings"
)

// Bounds that keep the repair search small whatever the input.
const (
	maxCombinations = 20000 // joint readings tried against the composite
	maxSuggestions  = 4     // alternative readings listed in a warning
)

// edit replaces the character at p. A guess is a letter/digit swap inside a
// field where the issuer may use either: check digits can confirm it but not
// single it out (a mod-10 sum cannot say which character is wrong), so
// guesses are only used to confirm other edits and to suggest readings,
// and applied only where OCR's doubt singles one out (onlyPassingGuess).
type edit struct {
	p        pos
	from, to byte
	guess    bool
}

func (z *zone) apply(es []edit) {
	for _, e := range es {
		z.set(e.p, e.to)
	}
}

func (z *zone) revert(es []edit) {
	for i := len(es) - 1; i >= 0; i-- {
		z.set(es[i].p, es[i].from)
	}
}

// options lists what the character at p may really be. forced means the
// character cannot stand where it is, so its one alternative replaces it
// whenever its field fails: a letter in a date or check digit (O, D, Q for 0,
// I, L for 1, Z for 2, S for 5, G for 6, T for 7, B for 8), or a filler
// look-alike (X, S, C, E) between two fillers. An empty alts with forced set
// means the character cannot be repaired. Otherwise alts are guesses.
// Replacements no check digit could tell apart (L/1, G/6, K/<) are never
// offered: they could not be confirmed.
func (z *zone) options(p pos) (alts []edit, forced bool) {
	c := z.at(p)
	k := z.cls[p.line][p.col]
	switch k {
	case clsNumeric, clsCheck:
		if fits(k, c) {
			return nil, false
		}
		// A date part is two digits or "<<": a look-alike beside '<' is '<'.
		if partner, ok := z.datePartner(p); ok && partner == '<' && isFillerLookalike(c) {
			return []edit{{p, c, '<', false}}, true
		}
		// The check digit of an unused field may be '<'; K, X, C and E have
		// no digit twin, so after a filler they can only be that '<'.
		// The composite's is never unused.
		if _, twin := letterDigit(c); k == clsCheck && !twin && isFillerLookalike(c) && p.col > 0 && z.b[p.line][p.col-1] == '<' && p != z.l.compositeCheck {
			return []edit{{p, c, '<', false}}, true
		}
		if d, ok := letterDigit(c); ok {
			return []edit{{p, c, d, false}}, true
		}
		// C is an open 0 (OCR reads O for C, and 0 for O); it is no digit's
		// usual twin elsewhere, but where only a digit may stand nothing
		// else is near it.
		if c == 'C' {
			return []edit{{p, c, '0', false}}, true
		}
		return nil, true
	case clsAlnum:
		line := z.b[p.line]
		left, right := byte('<'), byte('<')
		if p.col > 0 {
			left = line[p.col-1]
		}
		if p.col+1 < len(line) {
			right = line[p.col+1]
		}
		if z.fillerNoiseAt(p) {
			if checkInvisible(c, '<') {
				return nil, false
			}
			return []edit{{p, c, '<', false}}, true
		}
		var tos []byte
		if d, ok := letterDigit(c); ok {
			tos = append(tos, d)
		}
		tos = append(tos, digitLetters(c)...)
		if isFillerLookalike(c) && (left == '<' || right == '<') {
			tos = append(tos, '<')
		}
		for _, to := range tos {
			if !checkInvisible(c, to) {
				alts = append(alts, edit{p, c, to, true})
			}
		}
		return alts, false
	}
	return nil, !fits(k, c)
}

// fillerNoiseAt reports whether p lies in a short (or one-letter) run of
// filler look-alikes with '<' before it and '<' or the line's end after it.
func (z *zone) fillerNoiseAt(p pos) bool {
	line := z.b[p.line]
	start, end := p.col, p.col
	for start > 0 && line[start-1] != '<' {
		start--
	}
	for end < len(line) && line[end] != '<' {
		end++
	}
	return start > 0 && fillerNoise(string(line[start:end]))
}

// datePartner returns the other character of p's two-character date part.
func (z *zone) datePartner(p pos) (byte, bool) {
	for _, s := range []span{z.l.birth, z.l.expiry} {
		if p.line == s.line && p.col >= s.start && p.col < s.end {
			return z.b[p.line][s.start+(p.col-s.start)^1], true
		}
	}
	return 0, false
}

// fieldPositions lists the positions of f, each once, data first.
func fieldPositions(f checkField) []pos {
	seen := map[pos]bool{}
	var out []pos
	for _, data := range f.data {
		for _, p := range data {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if !seen[f.check] {
		out = append(out, f.check)
	}
	return out
}

// reading is one way to correct a field: its edits and how many are guesses.
type reading struct {
	edits []edit
	cost  int
}

// readings returns the readings of the positions ps, made of every forced
// edit and at most one guess, that pass (nil f: no check of their own, every
// reading passes). repairable is false when a character has no reading.
func (z *zone) readings(f *checkField, ps []pos) (rs []reading, repairable bool) {
	var forced, guesses []edit
	for _, p := range ps {
		alts, must := z.options(p)
		switch {
		case must && len(alts) == 0:
			return nil, false
		case must:
			forced = append(forced, alts[0])
		default:
			guesses = append(guesses, alts...)
		}
	}
	z.apply(forced)
	defer z.revert(forced)
	ok := func() bool {
		if f == nil {
			return true
		}
		pass, _ := z.passes(*f)
		return pass
	}
	if ok() {
		rs = append(rs, reading{forced, 0})
	}
	for _, g := range guesses {
		z.set(g.p, g.to)
		if ok() {
			rs = append(rs, reading{append(append([]edit(nil), forced...), g), 1})
		}
		z.set(g.p, g.from)
	}
	return rs, true
}

// repairChecks corrects check-digit-covered fields with forced edits only.
// A field's forced edits are applied when they make its check pass and, on a
// format with a composite check digit, when every cheapest reading of the
// whole zone that passes all checks (allowing one guess per field) makes
// them too. Fields that already pass are never touched. It returns the
// corrections, and warnings naming readings one guess away for fields still
// failing.
func (z *zone) repairChecks() ([]Correction, []string) {
	fields := z.checkFields()
	cands := make([][]reading, len(fields))
	failing, repairable := false, true
	for i, f := range fields {
		if ok, _ := z.passes(f); ok {
			cands[i] = []reading{{}}
			continue
		}
		failing = true
		var ok bool
		cands[i], ok = z.readings(&fields[i], fieldPositions(f))
		repairable = repairable && ok
	}
	var out []edit
	comp := z.l.compositeCheck
	switch {
	case comp.line < 0:
		for _, rs := range cands {
			if len(rs) > 0 && rs[0].cost == 0 {
				out = append(out, rs[0].edits...)
			}
		}
	case !repairable || (!failing && z.compositePasses()):
	default:
		out = z.confirmByComposite(cands)
	}
	fixes := z.accept(out, fields)
	if e, ok := z.onlyPassingGuess(fields[0]); ok {
		fixes = append(fixes, z.accept([]edit{e}, fields)...)
	}

	var warnings []string
	for _, f := range fields {
		if ok, _ := z.passes(f); ok {
			continue
		}
		rs, _ := z.readings(&f, fieldPositions(f))
		var alts []string
		for _, r := range rs {
			if len(alts) == maxSuggestions {
				alts = append(alts, "...")
				break
			}
			z.apply(r.edits)
			alts = append(alts, z.fieldText(f))
			z.revert(r.edits)
		}
		if len(alts) > 0 {
			warnings = append(warnings, fmt.Sprintf("%s fails its check digit; readings one OCR confusion away that pass: %s",
				f.key, strings.Join(alts, ", ")))
		}
	}
	return fixes, warnings
}

// onlyPassingGuess returns the letter/digit swap that repairs a document
// number failing its check digit (O read as 0 is the commonest), when it is
// the only single OCR confusion in the number that makes every check of
// the zone pass, every other check passes already, and OCR itself was
// unsure of that character (z.unsure; so never on text alone). Two passing
// swaps leave the number failing, with both suggested in Warnings. The check
// digit cannot say which character is wrong, and two misreadings can hide
// behind one wrong swap; OCR's doubt at that very glyph is what singles it
// out. Review flags the number as repaired, so a person still compares it
// with the document.
func (z *zone) onlyPassingGuess(f checkField) (edit, bool) {
	if f.key != "document_number" {
		return edit{}, false
	}
	if ok, _ := z.passes(f); ok {
		return edit{}, false
	}
	if !fits(clsCheck, z.at(f.check)) || z.at(f.check) == '<' {
		return edit{}, false
	}
	for _, o := range z.checkFields() {
		if ok, _ := z.passes(o); !ok && o.key != f.key {
			return edit{}, false
		}
	}
	rs, ok := z.readings(&f, fieldPositions(f))
	if !ok {
		return edit{}, false
	}
	var found []edit
	for _, r := range rs {
		if r.cost != 1 || len(r.edits) != 1 {
			continue
		}
		z.apply(r.edits)
		if z.allChecksPass() {
			found = append(found, r.edits[0])
		}
		z.revert(r.edits)
	}
	if len(found) != 1 || !z.unsure[found[0].p] {
		return edit{}, false
	}
	return found[0], true
}

// confirmByComposite returns the forced edits that every cheapest passing
// reading of the zone agrees on. Optional data that only the composite
// covers gets its forced edits, and if nothing passes, one guess.
func (z *zone) confirmByComposite(cands [][]reading) []edit {
	var base []edit
	if c := z.at(z.l.compositeCheck); !fits(clsCheck, c) {
		alts, _ := z.options(z.l.compositeCheck)
		if len(alts) == 0 {
			return nil
		}
		base = append(base, alts[0])
	}
	// Optional data only the composite covers: read as printed or with its
	// forced edits (neither is preferred), and, if nothing passes, with one
	// guess.
	extras := []reading{{}}
	for _, s := range z.compositeOnly() {
		rs, ok := z.readings(nil, s.positions())
		if !ok {
			return nil
		}
		seg := []reading{{}}
		if len(rs[0].edits) > 0 {
			seg = append(seg, rs[0])
		}
		cands = append(cands, seg)
		for _, r := range rs[1:] {
			extras = append(extras, reading{r.edits[len(rs[0].edits):], 1})
		}
	}
	agreed, n := z.jointSearch(cands, base, extras[:1])
	if n == 0 {
		agreed, _ = z.jointSearch(cands, base, extras[1:])
	}
	var out []edit
	for _, e := range agreed {
		if !e.guess {
			out = append(out, e)
		}
	}
	return out
}

// jointSearch tries every combination of one reading per field, plus base,
// plus one of extras, and keeps those passing the composite check. It
// returns the edits shared by every cheapest passing combination and how
// many such combinations there were.
func (z *zone) jointSearch(cands [][]reading, base []edit, extras []reading) (agreed []edit, n int) {
	total := len(extras)
	for _, c := range cands {
		total *= len(c)
	}
	if total == 0 || total > maxCombinations {
		return nil, 0
	}
	idx := make([]int, len(cands))
	bestCost := -1
	for {
		for _, x := range extras {
			combo := append([]edit(nil), base...)
			cost := x.cost
			for i, c := range cands {
				combo = append(combo, c[idx[i]].edits...)
				cost += c[idx[i]].cost
			}
			combo = append(combo, x.edits...)
			z.apply(combo)
			if z.compositePasses() {
				switch {
				case bestCost < 0 || cost < bestCost:
					bestCost, agreed, n = cost, combo, 1
				case cost == bestCost:
					agreed = intersect(agreed, combo)
					n++
				}
			}
			z.revert(combo)
		}
		i := 0
		for ; i < len(idx); i++ {
			idx[i]++
			if idx[i] < len(cands[i]) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			return agreed, n
		}
	}
}

// intersect keeps the edits of a that b makes too.
func intersect(a, b []edit) []edit {
	out := a[:0:0]
	for _, e := range a {
		for _, f := range b {
			if e == f {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// fieldText is f's data (first variant) as it now reads, fillers trimmed.
func (z *zone) fieldText(f checkField) string {
	b := make([]byte, 0, len(f.data[0]))
	for _, p := range f.data[0] {
		b = append(b, z.at(p))
	}
	return strings.TrimRight(string(b), "<")
}

// accept applies es and describes each change.
func (z *zone) accept(es []edit, fields []checkField) []Correction {
	out := make([]Correction, 0, len(es))
	for _, e := range es {
		z.set(e.p, e.to)
		out = append(out, Correction{
			Line:     e.p.line + 1,
			Position: e.p.col + 1,
			Field:    z.fieldKeyAt(e.p, fields),
			From:     string(e.from),
			To:       string(e.to),
			Reason:   editReason(e),
		})
	}
	return out
}

func (z *zone) fieldKeyAt(p pos, fields []checkField) string {
	for _, f := range fields {
		for _, q := range fieldPositions(f) {
			if q == p {
				return f.key
			}
		}
	}
	if p == z.l.compositeCheck {
		return "composite"
	}
	return "optional_data"
}

func editReason(e edit) string {
	if e.to == '<' {
		return fmt.Sprintf("filler '<' read as %q between fillers; confirmed by check digits", e.from)
	}
	if e.guess {
		return fmt.Sprintf("%q read as %q: OCR was unsure of it, and it is the only such reading one confusion away that passes every check digit", e.to, e.from)
	}
	return fmt.Sprintf("digit %c read as letter %c where only digits belong; confirmed by check digits", e.to, e.from)
}
