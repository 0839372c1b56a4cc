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

// alt is a character that may really stand where another was read, and
// how unlikely that misreading is (0: the only possible reading).
type alt struct {
	to   byte
	cost int
}

// options lists what the character at p may really be. forced means the
// character cannot stand where it is (a letter in a date, a look-alike
// between two fillers), so one of alts must replace it; an empty alts with
// forced set means it cannot be repaired. Other misreadings cost 1 when the
// neighbours make them plausible (a letter among digits read for a digit) and
// 2 otherwise. Replacements no check digit could tell apart (L/1, G/6, K/<)
// are never offered: they could not be confirmed.
func (z *zone) options(p pos) (alts []alt, forced bool) {
	c := z.at(p)
	k := z.cls[p.line][p.col]
	switch k {
	case clsNumeric, clsCheck:
		if fits(k, c) {
			return nil, false
		}
		if d, ok := letterDigit(c); ok {
			return []alt{{d, 0}}, true
		}
		return nil, true
	case clsAlnum:
		line := z.b[p.line]
		var left, right byte
		if p.col > 0 {
			left = line[p.col-1]
		}
		if p.col+1 < len(line) {
			right = line[p.col+1]
		}
		if isFillerLookalike(c) && left == '<' && (right == '<' || right == 0) {
			if checkInvisible(c, '<') {
				return nil, false
			}
			return []alt{{'<', 0}}, true
		}
		near := func(ok func(byte) bool) int {
			if ok(left) || ok(right) {
				return 1
			}
			return 2
		}
		if d, ok := letterDigit(c); ok {
			alts = append(alts, alt{d, near(isDigit)})
		}
		for _, l := range []byte(digitLetters(c)) {
			alts = append(alts, alt{l, near(isLetter)})
		}
		if isFillerLookalike(c) && (left == '<' || right == '<') {
			alts = append(alts, alt{'<', 1})
		}
		out := alts[:0]
		for _, a := range alts {
			if !checkInvisible(c, a.to) {
				out = append(out, a)
			}
		}
		return out, false
	}
	return nil, !fits(k, c)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

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

// reading is one way to correct a field: its edits, and how many of them
// are guesses (forced edits, such as a letter in a date, cost nothing).
type reading struct {
	edits []edit
	cost  int
}

// candidates returns every reading of f, within the edit bound, that passes
// f's check. repairable is false when some character has no candidate at all.
func (z *zone) candidates(f checkField) (cands []reading, repairable bool) {
	var forcedEdits []edit
	type choice struct {
		p    pos
		alts []alt
	}
	var choices []choice
	for _, p := range fieldPositions(f) {
		alts, forced := z.options(p)
		switch {
		case forced && len(alts) == 0:
			return nil, false
		case forced:
			forcedEdits = append(forcedEdits, edit{p, z.at(p), alts[0].to})
		case len(alts) > 0:
			choices = append(choices, choice{p, alts})
		}
	}
	z.apply(forcedEdits)
	defer z.revert(forcedEdits)

	var cur []edit
	cost := 0
	var walk func(from, budget int)
	walk = func(from, budget int) {
		if ok, _ := z.passes(f); ok {
			found := append(append([]edit(nil), forcedEdits...), cur...)
			cands = append(cands, reading{found, cost})
		}
		if budget == 0 {
			return
		}
		for i := from; i < len(choices); i++ {
			ch := choices[i]
			for _, a := range ch.alts {
				e := edit{ch.p, z.at(ch.p), a.to}
				z.set(ch.p, a.to)
				cur = append(cur, e)
				cost += a.cost
				walk(i+1, budget-1)
				cost -= a.cost
				cur = cur[:len(cur)-1]
				z.set(ch.p, e.from)
			}
		}
	}
	walk(0, maxOptionalEdits)
	return cands, true
}

// repairChecks corrects check-digit-covered fields. Among the readings that
// make every field check and the composite check pass, the one with fewest
// guessed characters is accepted, and only when no other reading needs as
// few. Fields that already pass are never touched; formats without a
// composite decide field by field.
func (z *zone) repairChecks() []Correction {
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
			if best, n := cheapest(c); n == 1 && len(best.edits) > 0 {
				out = append(out, best.edits...)
				for range best.edits {
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
	extras := []reading{{}}
	winner, n := z.jointSearch(cands, compEdit, extras)
	if n == 0 {
		// Stage 2: also one guess inside the data only the composite covers.
		extras = extras[:0]
		for _, s := range z.compositeOnly() {
			for _, p := range s.positions() {
				alts, _ := z.options(p)
				for _, a := range alts {
					extras = append(extras, reading{[]edit{{p, z.at(p), a.to}}, a.cost})
				}
			}
		}
		winner, n = z.jointSearch(cands, compEdit, extras)
	}
	if n == 0 {
		return nil
	}
	keys := make([]string, 0, len(winner))
	for _, e := range winner {
		keys = append(keys, z.fieldKeyAt(e.p, fields))
	}
	return z.accept(winner, keys)
}

// cheapest returns the reading with fewest guesses and how many readings
// share that count.
func cheapest(rs []reading) (best reading, n int) {
	for _, r := range rs {
		switch {
		case n == 0 || r.cost < best.cost:
			best, n = r, 1
		case r.cost == best.cost:
			n++
		}
	}
	return best, n
}

// jointSearch tries every combination of one reading per field, plus base,
// plus one of extras, and keeps those passing the composite check. It
// returns the edits shared by every cheapest passing combination (so a
// field whose correction all of them agree on is corrected even when another
// field stays ambiguous) and how many such combinations there were.
func (z *zone) jointSearch(cands [][]reading, base []edit, extras []reading) (agreed []edit, n int) {
	total := len(extras)
	for _, c := range cands {
		if len(c) == 0 {
			return nil, 0
		}
		total *= len(c)
		if total > maxCombinations {
			// Too many readings to call any of them the only one.
			return nil, 0
		}
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
