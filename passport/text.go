package passport

import (
	"fmt"
	"strings"
	"unicode"
)

// Bounds on what ParseText looks at, so hostile input costs little: lines
// longer than maxLineRunes are not zone lines, and only the last
// maxCandidates zone-like lines are tried.
const (
	maxLineRunes  = 120
	maxCandidates = 24
	minZoneLine   = 24 // TD1's 30 minus a generous margin
	maxZoneLine   = 50 // TD3's 44 plus '«' expansions
)

// ParseText finds the machine-readable zone in raw OCR output (any number
// of lines, with text around the zone) and reads it as Parse does. Of all
// runs of two or three consecutive zone-like lines (blank lines skipped, at
// least one filler among them), the best reading wins:
// valid first, then most checks passed, then fewest corrections, then the
// lowest on the page. It returns an error wrapping ErrNoMRZ when no line
// looks like part of a zone.
func ParseText(text string, opts ParseOptions) (*Result, error) {
	type cand struct {
		raw   string
		index int // non-blank line number in text, to keep runs consecutive
	}
	var cands []cand
	row := 0 // counts non-blank lines: OCR may leave blank lines inside the zone
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if zoneLike(line) {
			cands = append(cands, cand{strings.TrimRight(line, "\r"), row})
		}
		row++
	}
	if len(cands) > maxCandidates {
		cands = cands[len(cands)-maxCandidates:]
	}
	var best *Result
	for i := range cands {
		for n := 2; n <= 3 && i+n <= len(cands); n++ {
			if cands[i+n-1].index-cands[i].index != n-1 {
				continue
			}
			lines := make([]string, n)
			filler := false
			for k := range lines {
				lines[k] = cands[i+k].raw
				filler = filler || strings.ContainsAny(lines[k], "<«‹＜≪")
			}
			if !filler { // every zone has fillers, at least in its names
				continue
			}
			r, err := Parse(lines, opts)
			if err != nil {
				continue
			}
			// Later (lower) runs win ties: the zone is at the bottom.
			if best == nil || !best.better(r) {
				best = r
			}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: %d zone-like line(s) in %d lines of text", ErrNoMRZ, len(cands), strings.Count(text, "\n")+1)
	}
	return best, nil
}

// zoneLike reports whether a line of OCR output may be a zone line: of zone
// length once normalised, mostly zone characters, and either holding a
// filler or written as one unbroken run.
func zoneLike(line string) bool {
	if len(line) > 4*maxLineRunes {
		return false
	}
	runes := []rune(line)
	if len(runes) > maxLineRunes {
		return false
	}
	norm, _ := normalise(line, 0)
	if len(norm) < minZoneLine || len(norm) > maxZoneLine {
		return false
	}
	other, spaces := 0, 0
	for _, r := range runes {
		switch {
		case unicode.IsSpace(r):
			spaces++
		case r < unicode.MaxASCII && strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", r), r == '«':
		default:
			other++
		}
	}
	if other*5 > len(norm) {
		return false
	}
	return strings.Contains(norm, "<") || spaces <= 2
}

// normalise turns one line of OCR output into zone characters: spaces
// dropped, '«' (OCR's reading of "<<") widened, lower case raised, anything
// else dropped. Each kind of change is reported once per line.
func normalise(raw string, line int) (string, []Correction) {
	var b strings.Builder
	var spaces, guillemets, lower int
	var dropped []rune
	for _, r := range raw {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '<':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(unicode.ToUpper(r))
			lower++
		case r == '«' || r == '≪':
			b.WriteString("<<")
			guillemets++
		case r == '‹' || r == '＜':
			b.WriteByte('<')
			guillemets++
		case unicode.IsSpace(r):
			spaces++
		default:
			dropped = append(dropped, r)
		}
	}
	var fixes []Correction
	add := func(n int, from, to, reason string) {
		if n > 0 {
			fixes = append(fixes, Correction{Line: line, From: from, To: to, Reason: fmt.Sprintf("%d %s", n, reason)})
		}
	}
	add(spaces, " ", "", "stray space(s) dropped")
	add(guillemets, "«", "<<", "guillemet(s) read for filler")
	add(lower, "a-z", "A-Z", "lower-case letter(s) raised")
	if len(dropped) > 0 {
		add(len(dropped), string(dropped), "", "character(s) outside the MRZ alphabet dropped")
	}
	return b.String(), fixes
}

// alignLine brings a normalised line to its format's width by adding or
// removing filler inside runs of '<' (where OCR most often loses or invents
// characters), keeping the alternative that best fits the layout.
func alignLine(l *layout, idx int, s string) (string, []Correction) {
	d := l.width - len(s)
	if d == 0 {
		return s, nil
	}
	type alt struct {
		s          string
		col        int
		score, run int
		what       string
	}
	var alts []alt
	add := func(v string, col, run int, what string) {
		alts = append(alts, alt{v, col, lineScore(l, idx, v), run, what})
	}
	k := -d
	for i := 0; i < len(s); {
		if s[i] != '<' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '<' {
			j++
		}
		n := j - i
		switch {
		case d > 0:
			add(s[:j]+strings.Repeat("<", d)+s[j:], j, n, fmt.Sprintf("%d missing filler(s) inserted", d))
		case n > k:
			add(s[:j-k]+s[j:], j-k, n, fmt.Sprintf("%d extra filler(s) removed", k))
		}
		// A stray look-alike between two filler runs: "<<K<<" one too long.
		if d < 0 && j < len(s) {
			e := j
			for e < len(s) && s[e] != '<' {
				e++
			}
			if e-j == k && e < len(s) && n >= 2 && fillerNoise(s[j:e]) {
				add(s[:j]+s[e:], j, n, fmt.Sprintf("extra %q inside filler removed", s[j:e]))
			}
		}
		i = j
	}
	// Junk at either end of the line: less likely than a filler miscount, so
	// it must win by more than a known code (a passing check digit).
	const cutPenalty = 8
	if d < 0 {
		add(s[:l.width], l.width, 0, fmt.Sprintf("%d trailing character(s) cut", k))
		add(s[k:], 0, 0, fmt.Sprintf("%d leading character(s) cut", k))
		alts[len(alts)-1].score -= cutPenalty
		alts[len(alts)-2].score -= cutPenalty
	} else if len(alts) == 0 {
		add(s+strings.Repeat("<", d), len(s), 0, fmt.Sprintf("line padded with %d filler(s)", d))
	}
	best := alts[0]
	for _, a := range alts[1:] {
		if a.score > best.score || (a.score == best.score && a.run >= best.run) {
			best = a
		}
	}
	return best.s, []Correction{{
		Line: idx + 1, Position: best.col + 1, From: s, To: best.s,
		Reason: fmt.Sprintf("line of %d characters aligned to %d: %s", len(s), l.width, best.what),
	}}
}

// lineScore measures how well line idx fits the layout: passing check
// digits and known codes weigh most, then characters of the right kind.
func lineScore(l *layout, idx int, s string) int {
	lines := make([]string, l.lines)
	for i := range lines {
		lines[i] = strings.Repeat("<", l.width)
	}
	lines[idx] = s
	z := newZone(l.format, lines)
	score := 0
	for c := 0; c < l.width; c++ {
		if fits(z.cls[idx][c], s[c]) {
			score++
		}
	}
	onLine := func(ps []pos) bool {
		for _, p := range ps {
			if p.line != idx {
				return false
			}
		}
		return true
	}
	for _, f := range z.checkFields() {
		if ok, _ := z.passes(f); ok && f.check.line == idx && onLine(fieldPositions(f)) {
			score += 10
		}
	}
	if l.compositeCheck.line == idx && z.compositePasses() {
		compositeOnLine := true
		for _, s := range l.composite {
			compositeOnLine = compositeOnLine && s.line == idx
		}
		if compositeOnLine {
			score += 10
		}
	}
	for _, s := range []span{l.issuing, l.nationality} {
		if s.line == idx && knownState(z.str(s)) {
			score += 5
		}
	}
	if l.docCode.line == idx && strings.IndexByte("PIACV", z.at(pos{idx, 0})) >= 0 {
		score += 3
	}
	if l.sex.line == idx && fits(clsSex, z.at(l.sex)) {
		score += 2
	}
	return score
}
