package passport

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// doc is the truth behind a generated zone.
type doc struct {
	format               Format
	docType              string
	issuing, nationality string
	surname, given       string // '<'-separated parts
	number               string
	withFiller           bool   // long number whose check digit counts the filler
	birth, expiry        string // YYMMDD, '<<' for an unknown part
	birthYear            int
	sex                  byte
	optional             []string // TD3: the personal number; TD1: two fields; others: one
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

func cd(s string) string {
	d, ok := checkDigit(s)
	if !ok {
		panic("bad MRZ characters in generated field " + s)
	}
	return string(d)
}

// lines builds the zone of d, computing every check digit.
func (d doc) lines() []string {
	l := layoutFor(d.format)
	nameField := pad(d.surname+"<<"+d.given, l.names.end-l.names.start)
	head := pad(d.docType, 2) + pad(d.issuing, 3)
	num := pad(d.number, 9)
	numCheck := cd(num)
	overflow := ""
	if len(d.number) > 9 {
		data := d.number
		if d.withFiller {
			data = d.number[:9] + "<" + d.number[9:]
		}
		num, numCheck = d.number[:9], "<"
		overflow = d.number[9:] + cd(data) + "<"
	}
	dates := d.birth + cd(d.birth) + string(d.sex) + d.expiry + cd(d.expiry)
	switch d.format {
	case TD1:
		l1 := head + num + numCheck + pad(overflow+d.optional[0], 15)
		l2 := d.birth + cd(d.birth) + string(d.sex) + d.expiry + cd(d.expiry) + pad(d.nationality, 3) + pad(d.optional[1], 11)
		l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
		return []string{l1, l2, nameField}
	case TD2:
		l2 := num + numCheck + pad(d.nationality, 3) + dates + pad(overflow+d.optional[0], 7)
		return []string{head + nameField, l2 + cd(l2[0:10]+l2[13:20]+l2[21:35])}
	case TD3:
		p := pad(d.optional[0], 14)
		pc := cd(p)
		if d.optional[0] == "" && d.sex == 'X' { // some issuers write '<' over an empty field
			pc = "<"
		}
		l2 := num + numCheck + pad(d.nationality, 3) + dates + p + pc
		return []string{head + nameField, l2 + cd(l2[0:10]+l2[13:20]+l2[21:43])}
	case MRVA:
		return []string{head + nameField, num + numCheck + pad(d.nationality, 3) + dates + pad(d.optional[0], 16)}
	default:
		return []string{head + nameField, num + numCheck + pad(d.nationality, 3) + dates + pad(d.optional[0], 8)}
	}
}

const (
	letters  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits   = "0123456789"
	alphanum = letters + digits
)

func pick(r *rand.Rand, set string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[r.IntN(len(set))]
	}
	return string(b)
}

func randomState(r *rand.Rand) string {
	n := len(stateCodes) / 3
	i := r.IntN(n)
	return strings.TrimRight(stateCodes[3*i:3*i+3], "<")
}

func randomNumber(r *rand.Rand, long bool) string {
	if long {
		return pick(r, letters, 2) + pick(r, digits, 8+r.IntN(4))
	}
	switch r.IntN(4) {
	case 0:
		return pick(r, letters, 1) + pick(r, digits, 8)
	case 1:
		return pick(r, digits, 7+r.IntN(3))
	case 2:
		return pick(r, letters, 2) + pick(r, digits, 7)
	}
	return pick(r, alphanum, 9)
}

func randomName(r *rand.Rand, parts int) string {
	ps := make([]string, parts)
	for i := range ps {
		// Names like "KK" or "CC" do not occur, and read exactly like filler
		// noise, so the generator leaves them out.
		for ps[i] = pick(r, letters, 2+r.IntN(10)); fillerNoise(ps[i]); ps[i] = pick(r, letters, 2+r.IntN(10)) {
		}
	}
	return strings.Join(ps, "<")
}

func randomDoc(r *rand.Rand, now time.Time) doc {
	formats := []Format{TD1, TD2, TD3, MRVA, MRVB}
	d := doc{format: formats[r.IntN(len(formats))]}
	switch d.format {
	case TD3:
		d.docType = []string{"P", "PP", "PD"}[r.IntN(3)]
	case MRVA, MRVB:
		d.docType = []string{"V", "VS"}[r.IntN(2)]
	default:
		d.docType = []string{"I", "ID", "AC", "IR", "C"}[r.IntN(5)]
	}
	d.issuing, d.nationality = randomState(r), randomState(r)
	if r.IntN(2) == 0 {
		d.nationality = d.issuing
	}
	d.surname, d.given = randomName(r, 1+r.IntN(2)), randomName(r, r.IntN(4))
	long := (d.format == TD1 || d.format == TD2) && r.IntN(4) == 0
	d.number = randomNumber(r, long)
	d.withFiller = long && r.IntN(2) == 0
	if d.format == TD2 && long {
		d.number = d.number[:min(len(d.number), 13)] // overflow, check and '<' must fit 7
	}
	birth := now.AddDate(0, 0, -r.IntN(365*99))
	d.birthYear = birth.Year()
	d.birth = birth.Format("060102")
	switch r.IntN(10) {
	case 0:
		d.birth = d.birth[:4] + "<<"
	case 1:
		d.birth = d.birth[:2] + "<<<<"
	}
	expiry := now.AddDate(0, 0, r.IntN(365*30)-365*15)
	if expiry.Year() <= birth.Year() {
		expiry = birth.AddDate(10, 0, 0)
	}
	d.expiry = expiry.Format("060102")
	d.sex = "MFX<"[r.IntN(4)]
	opt := func(n int) string {
		if r.IntN(2) == 0 {
			return ""
		}
		return pick(r, alphanum, 1+r.IntN(n))
	}
	switch d.format {
	case TD1:
		room := 15
		if long {
			room -= len(d.number) - 9 + 2
		}
		d.optional = []string{"", opt(11)}
		if room > 0 {
			d.optional[0] = opt(room)
		}
	case TD2:
		d.optional = []string{""}
		if !long {
			d.optional[0] = opt(7)
		}
	case TD3:
		d.optional = []string{opt(14)}
	case MRVA:
		d.optional = []string{opt(16)}
	default:
		d.optional = []string{opt(8)}
	}
	return d
}

// noise is one kind of OCR damage.
type noise int

const (
	confuseDigits  noise = iota // digit read as its look-alike letter in a date or check digit
	confuseData                 // letter/digit confusion in a document or personal number
	fillerAsLetter              // '<' read as K, X, S, C or E inside a filler run
	confuseCode                 // a state code letter misread
	missingFiller               // one '<' lost from a filler run
	extraFiller                 // one '<' added to a filler run
	guillemet                   // "<<" read as '«'
	straySpace                  // a space inside a line
	noiseKinds
)

func (n noise) String() string {
	return [...]string{"digit read as letter", "letter/digit swap in data", "filler read as letter", "state code misread",
		"missing filler", "extra filler", "guillemet", "stray space"}[n]
}

// substitutes reports whether the noise keeps every line's length.
func (n noise) substitutes() bool { return n <= confuseCode }

// damage applies n to lines in place; it reports false when the zone had no
// place for it.
func damage(r *rand.Rand, d doc, lines []string, n noise) bool {
	l := layoutFor(d.format)
	var spots []pos
	switch n {
	case confuseDigits, confuseData:
		z := newZone(d.format, lines)
		for _, f := range z.checkFields() {
			for _, p := range fieldPositions(f) {
				c := z.at(p)
				numeric := z.cls[p.line][p.col] == clsNumeric || z.cls[p.line][p.col] == clsCheck
				if _, ok := letterDigit(c); (ok || digitLetters(c) != "") && numeric == (n == confuseDigits) {
					spots = append(spots, p)
				}
			}
		}
		if len(spots) == 0 {
			return false
		}
		p := spots[r.IntN(len(spots))]
		c := lines[p.line][p.col]
		twins := digitLetters(c)
		if t, ok := letterDigit(c); ok {
			twins = string(t)
		}
		lines[p.line] = lines[p.line][:p.col] + string(twins[r.IntN(len(twins))]) + lines[p.line][p.col+1:]
		return true
	case fillerAsLetter:
		for i, s := range lines {
			for c := 1; c+1 < len(s); c++ {
				if s[c-1] == '<' && s[c] == '<' && s[c+1] == '<' {
					spots = append(spots, pos{i, c})
				}
			}
		}
		if len(spots) == 0 {
			return false
		}
		// One look-alike, or now and then the same one over a stretch.
		p := spots[r.IntN(len(spots))]
		line, look := lines[p.line], fillerLookalikes[r.IntN(len(fillerLookalikes))]
		n := 1
		if r.IntN(4) == 0 {
			n = 2 + r.IntN(3)
		}
		for c := p.col; c < p.col+n && c+1 < len(line) && line[c] == '<' && line[c+1] == '<'; c++ {
			line = line[:c] + string(look) + line[c+1:]
		}
		lines[p.line] = line
		return true
	case confuseCode:
		for _, s := range []span{l.issuing, l.nationality} {
			for _, p := range s.positions() {
				for _, b := range []byte(letters) {
					if confusable(lines[p.line][p.col], b) {
						spots = append(spots, p)
						break
					}
				}
			}
		}
		if len(spots) == 0 {
			return false
		}
		p := spots[r.IntN(len(spots))]
		var twins []byte
		for _, b := range []byte(letters) {
			if confusable(lines[p.line][p.col], b) {
				twins = append(twins, b)
			}
		}
		lines[p.line] = lines[p.line][:p.col] + string(twins[r.IntN(len(twins))]) + lines[p.line][p.col+1:]
		return true
	case missingFiller, extraFiller, guillemet:
		for i, s := range lines {
			for c := 1; c < len(s); c++ {
				if s[c-1] == '<' && s[c] == '<' {
					spots = append(spots, pos{i, c})
				}
			}
		}
		if len(spots) == 0 {
			return false
		}
		p := spots[r.IntN(len(spots))]
		s := lines[p.line]
		switch n {
		case missingFiller:
			lines[p.line] = s[:p.col] + s[p.col+1:]
		case extraFiller:
			lines[p.line] = s[:p.col] + "<" + s[p.col:]
		default:
			lines[p.line] = s[:p.col-1] + "«" + s[p.col+1:]
		}
		return true
	case straySpace:
		i := r.IntN(len(lines))
		c := r.IntN(len(lines[i]))
		lines[i] = lines[i][:c] + " " + lines[i][c:]
		return true
	}
	return false
}

// zonePasses reports whether same-width lines pass every check digit as
// they stand: damage that leaves this true cannot be detected by any reader.
func zonePasses(f Format, lines []string) bool {
	l := layoutFor(f)
	for _, s := range lines {
		if len(s) != l.width {
			return false
		}
	}
	z := newZone(f, lines)
	for _, cf := range z.checkFields() {
		if ok, _ := z.passes(cf); !ok {
			return false
		}
	}
	return z.compositePasses()
}

type tally struct {
	cases, notFound, correct, flagged, silent, undetectable int
	uncoveredWrong, namesWrong, codesWrong                  int
}

func (t tally) String() string {
	pct := func(n int) float64 { return 100 * float64(n) / float64(max(t.cases, 1)) }
	return fmt.Sprintf("%5d cases: %5.1f%% valid+right, %5.1f%% flagged invalid, %d not found, %d silent, %d check-invisible; valid but wrong: %d names, %d codes, %d other uncovered",
		t.cases, pct(t.correct), pct(t.flagged), t.notFound, t.silent, t.undetectable, t.namesWrong, t.codesWrong, t.uncoveredWrong)
}

// TestGeneratedNoise builds valid zones from random fields, damages them the
// way OCR does, and checks the one promise that matters: a result marked
// valid never carries a wrong check-digit-covered field, unless the damage
// itself left every check digit passing (L/1, G/6 and K/< swaps are
// invisible to ICAO check digits; those are counted, not hidden).
func TestGeneratedNoise(t *testing.T) {
	t.Parallel()
	n := 4000
	if testing.Short() {
		n = 500
	}
	r := rand.New(rand.NewPCG(9303, 2026))
	var all tally
	byEvents := map[int]*tally{1: {}, 2: {}, 3: {}}
	byKind := make([]tally, noiseKinds)
	for range n {
		d := randomDoc(r, refNow)
		truth := d.lines()
		if res, err := Parse(truth, ParseOptions{Now: refNow}); err != nil || !res.Valid || len(res.Corrections) > 0 {
			t.Fatalf("generated zone %q does not read back clean: %v %+v", truth, err, res)
		}
		events := []int{1, 1, 1, 1, 2, 2, 3}[r.IntN(7)]
		var kinds []noise
		for range events {
			kinds = append(kinds, noise(r.IntN(int(noiseKinds))))
		}
		slices.Sort(kinds) // substitutions first, while columns still line up
		lines := slices.Clone(truth)
		var applied []noise
		var substituted []string
		for _, k := range kinds {
			if !k.substitutes() && substituted == nil {
				substituted = slices.Clone(lines)
			}
			if damage(r, d, lines, k) {
				applied = append(applied, k)
			}
		}
		if substituted == nil {
			substituted = slices.Clone(lines)
		}
		if len(applied) == 0 {
			continue
		}
		text := strings.Join(lines, "\n")
		if r.IntN(2) == 0 {
			text = "REPUBLIC OF " + d.issuing + "\nSignature of bearer\n" + text + "\n\n"
		}
		res, err := ParseText(text, ParseOptions{Now: refNow})

		c := tally{cases: 1}
		switch {
		case err != nil:
			c.notFound = 1
		default:
			covered := res.DocumentNumber == strings.TrimRight(d.number, "<") &&
				res.BirthDateRaw == d.birth && res.ExpiryDateRaw == d.expiry &&
				coveredOptional(d, res)
			l := layoutFor(d.format)
			names := splitNames(newZone(d.format, truth).str(l.names)) // as printed, truncation included
			namesOK := res.Surname == names.surname && res.GivenNames == names.given
			codesOK := res.IssuingCountry == d.issuing && res.Nationality == d.nationality
			otherOK := res.DocumentType == strings.TrimRight(d.docType, "<") && res.Sex == strings.TrimRight(string(d.sex), "<")
			uncovered := namesOK && codesOK && otherOK
			if res.Valid && !namesOK {
				c.namesWrong = 1
			}
			if res.Valid && !codesOK {
				c.codesWrong = 1
			}
			switch {
			case !res.Valid:
				c.flagged = 1

			case covered && uncovered:
				c.correct = 1
			case !covered:
				// Damage made only of pairs no check digit can tell apart.
				// Or damage that left every check passing (two swaps that
				// cancel out): what was read is what any reader would report.
				if invisibleOnly(d.format, truth, substituted, res.MRZ) || zonePasses(d.format, substituted) {
					c.undetectable = 1
				} else {
					c.silent = 1
					t.Errorf("silent error: truth %q, read %q, result %q %s %s %s %q (%v)",
						truth, lines, res.DocumentNumber, res.BirthDateRaw, res.ExpiryDateRaw, res.PersonalNumber, res.OptionalData, applied)
				}
			case !otherOK:
				c.uncoveredWrong = 1
			}
		}
		all.add(c)
		byEvents[len(applied)].add(c)
		for _, k := range applied {
			if len(applied) == 1 {
				byKind[k].add(c)
			}
		}
	}
	t.Logf("all      %v", all)
	for e := 1; e <= 3; e++ {
		t.Logf("%d event(s) %v", e, byEvents[e])
	}
	for k := range noiseKinds {
		t.Logf("only %-26s %v", k, byKind[k])
	}
	if all.silent > 0 {
		t.Errorf("%d silent errors", all.silent)
	}
	// Damage that only moves or respells fillers is always undone.
	for _, k := range []noise{confuseDigits, extraFiller, guillemet, straySpace} {
		if got := byKind[k]; got.correct != got.cases {
			t.Errorf("only %v: %v; want every case valid and right", k, got)
		}
	}
	if got := byKind[missingFiller]; got.flagged+got.notFound > 0 {
		t.Errorf("only %v: %v; want every zone re-aligned (a lost name separator is not detectable)", missingFiller, got)
	}
}

func (t *tally) add(o tally) {
	t.cases += o.cases
	t.notFound += o.notFound
	t.correct += o.correct
	t.flagged += o.flagged
	t.silent += o.silent
	t.undetectable += o.undetectable
	t.uncoveredWrong += o.uncoveredWrong
	t.namesWrong += o.namesWrong
	t.codesWrong += o.codesWrong
}

// invisibleOnly reports whether the check-digit-covered characters of the
// result zone differ from the truth only where the damage swapped a
// character for one with the same check value (L/1, G/6, K/<): no check
// digit can catch that.
func invisibleOnly(f Format, truth, damaged, result []string) bool {
	z := newZone(f, truth)
	var covered []pos
	for _, cf := range z.checkFields() {
		covered = append(covered, fieldPositions(cf)...)
	}
	for _, s := range z.l.composite {
		covered = append(covered, s.positions()...)
	}
	for _, p := range covered {
		if len(damaged[p.line]) != len(truth[p.line]) || len(result[p.line]) != len(truth[p.line]) {
			return false
		}
		t, r := truth[p.line][p.col], result[p.line][p.col]
		if t != r && (damaged[p.line][p.col] != r || !checkInvisible(t, r)) {
			return false
		}
	}
	return true
}

func coveredOptional(d doc, r *Result) bool {
	switch d.format {
	case TD3:
		return r.PersonalNumber == spaced(d.optional[0])
	case MRVA, MRVB:
		return true // no check digit covers a visa's optional data
	}
	want := []string{}
	for _, o := range d.optional {
		want = append(want, spaced(o))
	}
	return slices.Equal(r.OptionalData, want)
}
