package passport

import "fmt"

// Bounds that keep the repair search small whatever the input: at most
// maxOptionalEdits guesses per field, and at most maxCombinations joint
// readings tried against the composite check digit.
const (
	maxOptionalEdits = 2
	maxCombinations  = 20000
)

// edit replaces the character at p.
type edit struct {
	p        pos
	from, to byte
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
// character cannot stand where it is (a letter in a date), so one of alts must
// replace it; an empty alts with forced set means it cannot be repaired.
// Replacements that no check digit could tell apart (L/1, G/6, K/<) are never
// offered: they could not be confirmed.
func (z *zone) options(p pos) (alts []byte, forced bool) {
	c := z.at(p)
	k := z.cls[p.line][p.col]
	switch k {
	case clsNumeric, clsCheck:
		if fits(k, c) {
			return nil, false
		}
		if d, ok := letterDigit(c); ok {
			return []byte{d}, true
		}
		return nil, true
	case clsAlnum:
		if d, ok := letterDigit(c); ok {
			alts = append(alts, d)
		}
		alts = append(alts, digitLetters(c)...)
		if isFillerLookalike(c) && z.besideFiller(p) {
			alts = append(alts, '<')
		}
		out := alts[:0]
		for _, a := range alts {
			if !checkInvisible(c, a) {
				out = append(out, a)
			}
		}
		return out, false
	}
	return nil, !fits(k, c)
}

// besideFiller reports whether a neighbour of p on its line is '<'.
func (z *zone) besideFiller(p pos) bool {
	line := z.b[p.line]
	return (p.col > 0 && line[p.col-1] == '<') || (p.col+1 < len(line) && line[p.col+1] == '<')
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

// candidates returns every reading of f, within the edit bound, that passes
// f's check. repairable is false when some character has no candidate at all.
func (z *zone) candidates(f checkField) (cands [][]edit, repairable bool) {
	var forcedEdits []edit
	type choice struct {
		p    pos
		alts []byte
	}
	var choices []choice
	for _, p := range fieldPositions(f) {
		alts, forced := z.options(p)
		switch {
		case forced && len(alts) == 0:
			return nil, false
		case forced:
			forcedEdits = append(forcedEdits, edit{p, z.at(p), alts[0]})
		case len(alts) > 0:
			choices = append(choices, choice{p, alts})
		}
	}
	z.apply(forcedEdits)
	defer z.revert(forcedEdits)

	var cur []edit
	var walk func(from, budget int)
	walk = func(from, budget int) {
		if ok, _ := z.passes(f); ok {
			found := append(append([]edit(nil), forcedEdits...), cur...)
			cands = append(cands, found)
		}
		if budget == 0 {
			return
		}
		for i := from; i < len(choices); i++ {
			ch := choices[i]
			for _, a := range ch.alts {
				e := edit{ch.p, z.at(ch.p), a}
				z.set(ch.p, a)
				cur = append(cur, e)
				walk(i+1, budget-1)
				cur = cur[:len(cur)-1]
				z.set(ch.p, e.from)
			}
		}
	}
	walk(0, maxOptionalEdits)
	return cands, true
}

// repairChecks corrects check-digit-covered fields. A reading is accepted
// only when it is the single one, within the search bounds, under which every
// field check and the composite check pass. Fields that already pass are
// never touched; formats without a composite decide field by field.
func (z *zone) repairChecks() []Correction {
	fields := z.checkFields()
	cands := make([][][]edit, len(fields))
	failing, repairable := false, true
	for i, f := range fields {
		if ok, _ := z.passes(f); ok {
			cands[i] = [][]edit{nil}
			continue
		}
		failing = true
		var ok bool
		cands[i], ok = z.candidates(f)
		if !ok {
			repairable = false
		}
	}
	comp := z.l.compositeCheck
	if comp.line < 0 {
		var out []edit
		var keys []string
		for i, c := range cands {
			if len(c) == 1 && len(c[0]) > 0 {
				out = append(out, c[0]...)
				for range c[0] {
					keys = append(keys, fields[i].key)
				}
			}
		}
		return z.accept(out, keys)
	}
	if !failing && z.compositePasses() {
		return nil
	}
	if !repairable {
		return nil
	}
	var compEdit []edit
	if c := z.at(comp); !fits(clsCheck, c) {
		d, ok := letterDigit(c)
		if !ok {
			return nil
		}
		compEdit = []edit{{comp, c, d}}
	}

	// Stage 1: the fields' own candidates against the composite.
	extras := [][]edit{nil}
	winner, n := z.jointSearch(cands, compEdit, extras)
	if n == 0 {
		// Stage 2: also one guess inside the data only the composite covers.
		extras = extras[:0]
		for _, s := range z.compositeOnly() {
			for _, p := range s.positions() {
				alts, _ := z.options(p)
				for _, a := range alts {
					extras = append(extras, []edit{{p, z.at(p), a}})
				}
			}
		}
		winner, n = z.jointSearch(cands, compEdit, extras)
	}
	if n != 1 {
		return nil
	}
	keys := make([]string, 0, len(winner))
	for _, e := range winner {
		keys = append(keys, z.fieldKeyAt(e.p, fields))
	}
	return z.accept(winner, keys)
}

// jointSearch tries every combination of one candidate per field, plus base,
// plus one of extras, and counts those passing the composite check.
func (z *zone) jointSearch(cands [][][]edit, base []edit, extras [][]edit) (winner []edit, n int) {
	total := len(extras)
	for _, c := range cands {
		if len(c) == 0 {
			return nil, 0
		}
		total *= len(c)
		if total > maxCombinations {
			// Too many readings to call any of them the only one.
			return nil, 2
		}
	}
	idx := make([]int, len(cands))
	for {
		for _, x := range extras {
			combo := append([]edit(nil), base...)
			for i, c := range cands {
				combo = append(combo, c[idx[i]]...)
			}
			combo = append(combo, x...)
			z.apply(combo)
			if z.compositePasses() {
				n++
				winner = combo
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
			return winner, n
		}
	}
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

// accept applies es and describes each change.
func (z *zone) accept(es []edit, keys []string) []Correction {
	out := make([]Correction, 0, len(es))
	for i, e := range es {
		z.set(e.p, e.to)
		out = append(out, Correction{
			Line:     e.p.line + 1,
			Position: e.p.col + 1,
			Field:    keys[i],
			From:     string(e.from),
			To:       string(e.to),
			Reason:   editReason(e),
		})
	}
	return out
}

func editReason(e edit) string {
	switch {
	case e.to == '<':
		return fmt.Sprintf("filler '<' read as %q; confirmed by check digits", e.from)
	case e.to >= '0' && e.to <= '9' && e.from >= 'A' && e.from <= 'Z':
		return fmt.Sprintf("digit %c read as letter %c; confirmed by check digits", e.to, e.from)
	default:
		return fmt.Sprintf("letter %c read as %c; confirmed by check digits", e.to, e.from)
	}
}
