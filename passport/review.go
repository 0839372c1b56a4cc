package passport

import (
	"slices"
	"strings"
	"time"
)

// Glyph is what OCR knew of one character it read: its confidence and the
// other characters it weighed there (Tesseract's choice iterator).
type Glyph struct {
	Char       byte
	Confidence float64 // 0-100
	Alts       []Alt   // other characters, any order
}

// Alt is one alternative reading of a glyph.
type Alt struct {
	Char       byte
	Confidence float64 // 0-100
}

// Thresholds of an uncertain glyph, set on the seeded evaluation set of
// internal/mrzgen (docs/passport-evaluation.md; README.md states the
// rules): a clean glyph of the MRZ model has a confidence near 99 and
// alternatives near 0.
const (
	// MinSureConfidence: a glyph read with less is uncertain.
	MinSureConfidence = 90
	// MaxRivalConfidence: an alternative weighed at this or more makes a
	// glyph uncertain.
	MaxRivalConfidence = 10
)

func (g Glyph) uncertain() bool {
	if g.Confidence < MinSureConfidence {
		return true
	}
	for _, a := range g.Alts {
		if a.Char != g.Char && a.Confidence >= MaxRivalConfidence {
			return true
		}
	}
	return false
}

// ReviewFields lists, in output order, the output's fields needs_review
// may name.
var ReviewFields = []string{"document_type", "issuing_country", "surname", "given_names", "document_number",
	"nationality", "birth_date", "sex", "expiry_date", "personal_number", "optional_data"}

// Flag adds field to NeedsReview, keeping ReviewFields' order.
func (r *Result) Flag(field string) {
	if slices.Contains(r.NeedsReview, field) {
		return
	}
	r.NeedsReview = append(r.NeedsReview, field)
	slices.SortFunc(r.NeedsReview, func(a, b string) int {
		return slices.Index(ReviewFields, a) - slices.Index(ReviewFields, b)
	})
}

// Review fills NeedsReview: every field a person must look at before the
// reading is typed into an application. glyphs holds, per line of RawMRZ,
// what OCR knew of each character (nil for a line not read by OCR, such as
// a PDF's text layer). A field is listed when
//   - a check covering it fails;
//   - it was repaired (any character differs from what was read);
//   - it has no check digit and a character of it was uncertain;
//   - it has a check digit and one uncertain character has another
//     reading, one Tesseract weighed or (at low confidence) one OCR
//     confuses it with, that passes every check too (L/1, G/6 and K/<
//     weigh the same in a check digit);
//   - it is the surname, and the document code and issuing state before it
//     on its line are both in doubt;
//   - it is the document code or the surname, and the issuing state on
//     their line is no known code or was repaired into one;
//   - it is a name, and the names hold no "<<" to end the surname (not on
//     the French card, whose given names have a field of their own).
func (r *Result) Review(glyphs [][]Glyph) {
	r.NeedsReview = []string{}
	if len(r.MRZ) == 0 {
		return
	}
	z := newZone(r.Format, r.MRZ)
	fields := z.reviewSpans(r)
	covered := map[string]bool{"document_number": true, "birth_date": true, "expiry_date": true}
	if r.Format == TD3 {
		covered["personal_number"] = true
	}
	if r.Format == TD1 || r.Format == TD2 || r.Format == TD3 {
		covered["personal_number"], covered["optional_data"] = true, true
	}
	fieldAt := func(p pos) []string {
		var out []string
		for _, name := range ReviewFields {
			if slices.Contains(fields[name], p) {
				out = append(out, name)
			}
		}
		return out
	}

	// Failed checks.
	byCheck := map[string][]string{
		"document_number": {"document_number"}, "birth_date": {"birth_date"}, "expiry_date": {"expiry_date"},
		"personal_number": {"personal_number"}, "issuing_country": {"issuing_country"}, "nationality": {"nationality"},
		"sex": {"sex"}, "document_type": {"document_type"},
		"composite": {"document_number", "birth_date", "expiry_date", "personal_number", "optional_data"},
		"confirmed": {"document_number", "birth_date", "expiry_date", "personal_number", "optional_data"},
		"filler":    {"document_number", "personal_number", "optional_data"},
	}
	for k, ok := range r.Checks {
		if !ok {
			for _, f := range byCheck[k] {
				if len(fields[f]) > 0 {
					r.Flag(f)
				}
			}
		}
	}

	stateRepaired := false
	for i := range min(len(r.MRZ), len(r.RawMRZ)) {
		norm, _ := normalise(r.RawMRZ[i], i+1)
		src, altered := alignChars(norm, r.MRZ[i])
		// Repairs.
		for col, a := range altered {
			if a {
				for _, f := range fieldAt(pos{i, col}) {
					r.Flag(f)
					stateRepaired = stateRepaired || f == "issuing_country"
				}
			}
		}
		if i >= len(glyphs) || glyphs[i] == nil {
			continue
		}
		at := glyphsAt(glyphs[i], norm, src)
		for col := range r.MRZ[i] {
			p := pos{i, col}
			names := fieldAt(p)
			if len(names) == 0 {
				continue
			}
			g := at[col]
			for _, f := range names {
				switch {
				case !covered[f]:
					if z.uncertainAt(f, p, g) {
						r.Flag(f)
					}
				case z.otherPassingReading(p, g):
					r.Flag(f)
				}
			}
		}
	}
	// The names follow the document code and issuing state on their line.
	// When both are in doubt, the line's start is: OCR may have gained or
	// lost a character there (a filler '<' read "MK"), moving where the
	// surname begins while every check still passes.
	if z.l.names.line == z.l.issuing.line && slices.Contains(r.NeedsReview, "document_type") &&
		slices.Contains(r.NeedsReview, "issuing_country") && len(fields["surname"]) > 0 {
		r.Flag("surname")
	}
	// An issuing state that is no known code, or was one only once
	// repaired, says the same more strongly: a character lost or gained
	// at the line's start (a 'P' dropped, "PCAZE" read "CAZE") shifts the
	// document code, the state and the surname alike.
	known, checked := r.Checks["issuing_country"]
	if z.l.names.line == z.l.issuing.line && len(fields["surname"]) > 0 && (checked && !known || stateRepaired) {
		r.Flag("document_type")
		r.Flag("surname")
	}
	// A name field without "<<" has no place where the surname ends (even a
	// lone surname is followed by fillers): the "<<" was misread, and the
	// given names, empty or not, were cut from the surname wrongly.
	// The French card's given names have a field of their own.
	if z.l.names.end > 0 && z.l.given.end == 0 && !strings.Contains(z.str(z.l.names), "<<") {
		r.Flag("surname")
		r.Flag("given_names")
	}
}

// glyphsAt returns the glyph each character of a final line was read
// from, nil where it is unknown: gs is what OCR knew of the line read (norm,
// once normalised), src what alignChars gives. Glyphs that do not spell
// norm belong to another reading and are not used.
func glyphsAt(gs []Glyph, norm string, src []int) []*Glyph {
	out := make([]*Glyph, len(src))
	if len(gs) != len(norm) {
		return out
	}
	for k := range gs {
		if gs[k].Char != norm[k] {
			return out
		}
	}
	for col, i := range src {
		if i >= 0 {
			out[col] = &gs[i]
		}
	}
	return out
}

// placedGlyphs returns, per line of r.MRZ, the glyph each character was
// read from (nil: unknown, or inserted by a repair); glyphs as for Review.
func (r *Result) placedGlyphs(glyphs [][]Glyph) [][]*Glyph {
	out := make([][]*Glyph, len(r.MRZ))
	for i := range r.MRZ {
		out[i] = make([]*Glyph, len(r.MRZ[i]))
		if i >= len(r.RawMRZ) || i >= len(glyphs) || glyphs[i] == nil {
			continue
		}
		norm, _ := normalise(r.RawMRZ[i], i+1)
		src, _ := alignChars(norm, r.MRZ[i])
		out[i] = glyphsAt(glyphs[i], norm, src)
	}
	return out
}

// Weights gives, for each character of r.MRZ, the weight this reading's
// OCR gave each character there (0-100): the glyph's confidence to the
// character read, each alternative's to the others. A character whose
// glyph is unknown gets nil. Summed over several readings of one zone,
// they settle what no check digit can (see HasRival).
func (r *Result) Weights(glyphs [][]Glyph) [][]map[byte]float64 {
	placed := r.placedGlyphs(glyphs)
	out := make([][]map[byte]float64, len(placed))
	for i, line := range placed {
		out[i] = make([]map[byte]float64, len(line))
		for col, g := range line {
			if g == nil {
				continue
			}
			m := map[byte]float64{g.Char: g.Confidence}
			for _, a := range g.Alts {
				if a.Char != g.Char {
					m[a.Char] = max(m[a.Char], a.Confidence)
				}
			}
			out[i][col] = m
		}
	}
	return out
}

// HasRival reports whether OCR weighed, at some character of the valid
// reading r, another character (at MaxRivalConfidence or more) with which
// every check of the zone still passes: a misreading no check digit can
// catch, such as G for Q or L for 1 (values 10 apart weigh the same) or any
// letter of a name (no check digit covers it). Only other readings of the
// zone can settle it; glyphs as for Review.
func (r *Result) HasRival(glyphs [][]Glyph) bool {
	if !r.Valid || len(r.MRZ) == 0 {
		return false
	}
	z := newZone(r.Format, r.MRZ)
	for i, line := range r.placedGlyphs(glyphs) {
		for col, g := range line {
			if g == nil {
				continue
			}
			p := pos{i, col}
			c := z.at(p)
			for _, a := range g.Alts {
				if a.Char == c || a.Confidence < MaxRivalConfidence || !fits(z.cls[i][col], a.Char) {
					continue
				}
				z.set(p, a.Char)
				ok := z.allChecksPass()
				z.set(p, c)
				if ok {
					return true
				}
			}
		}
	}
	return false
}

// FlagDiffering adds to NeedsReview every field in which lines, another
// reading of the same zone (of r's format and lines' lengths), differs
// from r.MRZ: what one reading settled against another stays for a person
// to look at. A field is listed when a character of it (its check digit
// included) differs, or when its value read from lines differs: a moved
// "<<" changes the given names though only the surname's characters did.
func (r *Result) FlagDiffering(lines []string) {
	if len(lines) != len(r.MRZ) {
		return
	}
	for i := range lines {
		if len(lines[i]) != len(r.MRZ[i]) || strings.Trim(lines[i], Alphabet) != "" {
			return
		}
	}
	z := newZone(r.Format, r.MRZ)
	for f, ps := range z.reviewSpans(r) {
		for _, p := range ps {
			if lines[p.line][p.col] != r.MRZ[p.line][p.col] {
				r.Flag(f)
				break
			}
		}
	}
	// Dates are compared as printed, so the reference time is of no account.
	o := newZone(r.Format, lines).result(time.Time{})
	mine := newZone(r.Format, r.MRZ).result(time.Time{})
	for f, differs := range map[string]bool{
		"document_type":   o.DocumentType != mine.DocumentType,
		"issuing_country": o.IssuingCountry != mine.IssuingCountry,
		"surname":         o.Surname != mine.Surname,
		"given_names":     o.GivenNames != mine.GivenNames,
		"document_number": o.DocumentNumber != mine.DocumentNumber,
		"nationality":     o.Nationality != mine.Nationality,
		"birth_date":      o.BirthDateRaw != mine.BirthDateRaw,
		"sex":             o.Sex != mine.Sex,
		"expiry_date":     o.ExpiryDateRaw != mine.ExpiryDateRaw,
		"personal_number": o.PersonalNumber != mine.PersonalNumber,
		"optional_data":   !slices.Equal(o.OptionalData, mine.OptionalData),
	} {
		if differs {
			r.Flag(f)
		}
	}
}

// reviewSpans places each output field on the final zone; a field's check
// digit belongs to it.
func (z *zone) reviewSpans(r *Result) map[string][]pos {
	l := &z.l
	withCheck := func(s span, check pos) []pos {
		ps := s.positions()
		if check.line >= 0 { // the French card's expiry has none
			ps = append(ps, check)
		}
		return ps
	}
	out := map[string][]pos{
		"document_type":   l.docCode.positions(),
		"issuing_country": l.issuing.positions(),
		"nationality":     l.nationality.positions(),
		"birth_date":      withCheck(l.birth, l.birthCheck),
		"sex":             {l.sex},
		"expiry_date":     withCheck(l.expiry, l.expiryCheck),
	}
	doc := withCheck(l.docNumber, l.docCheck)
	if run, ok := z.overflow(); ok {
		doc = append(doc, run.positions()...)
	}
	out["document_number"] = doc
	// Names: the surname up to and with its "<<", the given names after;
	// on the French card each has a field of its own.
	if l.given.end > 0 {
		out["surname"], out["given_names"] = l.names.positions(), l.given.positions()
	} else {
		names := z.str(l.names)
		sep := strings.Index(names, "<<")
		if sep < 0 {
			sep = len(names) - 2
		}
		for c := l.names.start; c < l.names.end; c++ {
			f := "given_names"
			if c-l.names.start < sep+2 {
				f = "surname"
			}
			out[f] = append(out[f], pos{l.names.line, c})
		}
	}
	if l.personal.end > 0 {
		out["personal_number"] = withCheck(l.personal, l.personalCheck)
	}
	for _, o := range l.optional {
		if run, ok := z.overflow(); ok && o.line == run.line && o.start == run.start-0 {
			o.start = run.end
		}
		if o.start >= o.end {
			continue
		}
		ps := o.positions()
		out["optional_data"] = append(out["optional_data"], ps...)
		if l.personal.end == 0 && r.PersonalNumber != "" && spaced(z.str(o)) == r.PersonalNumber {
			out["personal_number"] = append(out["personal_number"], ps...)
		}
	}
	return out
}

// uncertainAt reports whether the character at p of field f (no check
// digit) may be another one: its glyph is unknown; or it is a name
// character read with low confidence; or Tesseract weighed a rival, or (at
// low confidence) a confusable character, that would also make a valid
// field (a known state code, a sex, a document code).
func (z *zone) uncertainAt(f string, p pos, g *Glyph) bool {
	if g == nil {
		return true
	}
	c := z.at(p)
	var valid func() bool
	switch f {
	case "surname", "given_names":
		if g.Confidence < MinSureConfidence {
			return true
		}
	case "issuing_country":
		valid = func() bool { return knownState(z.str(z.l.issuing)) }
	case "nationality":
		valid = func() bool { return knownState(z.str(z.l.nationality)) }
	case "document_type":
		if p.col == 0 {
			valid = func() bool { return strings.IndexByte("PIACV", z.at(p)) >= 0 }
		}
	}
	var alts []byte
	for _, a := range g.Alts {
		if a.Char != c && a.Confidence >= MaxRivalConfidence {
			alts = append(alts, a.Char)
		}
	}
	if g.Confidence < MinSureConfidence {
		for _, b := range []byte(Alphabet) {
			if b != c && confusable(c, b) {
				alts = append(alts, b)
			}
		}
	}
	k := z.cls[p.line][p.col]
	for _, b := range alts {
		if !fits(k, b) {
			continue
		}
		if valid == nil {
			return true
		}
		z.set(p, b)
		ok := valid()
		z.set(p, c)
		if ok {
			return true
		}
	}
	return false
}

// otherPassingReading reports whether the character at p, read as g (nil:
// unknown), has a confusable alternative with which every check still
// passes: a misreading no check digit would catch.
func (z *zone) otherPassingReading(p pos, g *Glyph) bool {
	c := z.at(p)
	var alts []byte
	if g != nil {
		for _, a := range g.Alts {
			if a.Char != c && a.Confidence >= MaxRivalConfidence {
				alts = append(alts, a.Char)
			}
		}
	}
	if g == nil || g.uncertain() {
		for _, b := range []byte(Alphabet) {
			if b != c && (confusable(c, b) || twins(c, b)) {
				alts = append(alts, b)
			}
		}
	}
	k := z.cls[p.line][p.col]
	for _, b := range alts {
		if !fits(k, b) {
			continue
		}
		z.set(p, b)
		ok := z.allChecksPass()
		z.set(p, c)
		if ok {
			return true
		}
	}
	return false
}

// Alphabet is every character a zone may hold.
const Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

func twins(a, b byte) bool {
	if d, ok := letterDigit(a); ok && d == b {
		return true
	}
	d, ok := letterDigit(b)
	return ok && d == a
}

func (z *zone) allChecksPass() bool {
	for _, f := range z.checkFields() {
		if ok, _ := z.passes(f); !ok {
			return false
		}
	}
	return z.l.compositeCheck.line < 0 || z.compositePasses()
}

// alignChars aligns what was read (norm) with the final line by edit
// distance. src[col] is the index in norm the final character came from, or
// -1 when it was inserted; altered[col] is set where a character was
// replaced, inserted or removed, except filler added to or dropped from a
// run of three or more (padding, which changes no value).
func alignChars(norm, final string) (src []int, altered []bool) {
	n, m := len(norm), len(final)
	d := make([][]int, n+1)
	for i := range d {
		d[i] = make([]int, m+1)
		d[i][0] = i
	}
	for j := range m + 1 {
		d[0][j] = j
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			sub := d[i-1][j-1]
			if norm[i-1] != final[j-1] {
				sub++
			}
			d[i][j] = min(sub, d[i-1][j]+1, d[i][j-1]+1)
		}
	}
	src, altered = make([]int, m), make([]bool, m)
	padding := func(j int) bool { // j inside a filler run of 3+ in final
		if j < 0 || j >= m || final[j] != '<' {
			return j < 0 || j >= m
		}
		a, b := j, j
		for a > 0 && final[a-1] == '<' {
			a--
		}
		for b < m-1 && final[b+1] == '<' {
			b++
		}
		return b-a+1 >= 3
	}
	i, j := n, m
	for i > 0 || j > 0 {
		switch {
		case i > 0 && j > 0 && d[i][j] == d[i-1][j-1]+boolInt(norm[i-1] != final[j-1]):
			src[j-1] = i - 1
			altered[j-1] = norm[i-1] != final[j-1]
			i, j = i-1, j-1
		case j > 0 && d[i][j] == d[i][j-1]+1:
			src[j-1] = -1
			altered[j-1] = !padding(j - 1)
			j--
		default: // a character read was dropped before final[j]
			if norm[i-1] != '<' || !padding(j) && !padding(j-1) {
				if j < m {
					altered[j] = true
				}
				if j > 0 {
					altered[j-1] = true
				}
			}
			i--
		}
	}
	return src, altered
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
