package passport

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoMRZ means the input holds nothing shaped like a machine-readable
// zone. A zone that is found but fails its checks is not an error: it comes
// back as a Result with Valid false.
var ErrNoMRZ = errors.New("no machine-readable zone found")

// ParseOptions tunes Parse and ParseText.
type ParseOptions struct {
	// Now is the reference date for placing two-digit years (a birth is not
	// in the future, an expiry is after the birth). Zero means time.Now().
	Now time.Time
	// Glyphs, when set, returns what OCR knew of each character of a line
	// as it was read (nil: unknown). Only a character OCR was unsure of may
	// be repaired by a letter/digit swap that the check digits alone
	// cannot single out (see onlyPassingGuess).
	Glyphs func(line string) []Glyph
}

func (o ParseOptions) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// Parse reads the lines of one zone, as OCR returned them (stray spaces,
// '«' and a few missing or extra fillers are tolerated), repairs what the
// check digits confirm and returns the fields. It returns an error wrapping
// ErrNoMRZ when the lines cannot be a zone (wrong count or lengths).
func Parse(lines []string, opts ParseOptions) (*Result, error) {
	norm := make([]string, len(lines))
	var fixes []Correction
	for i, l := range lines {
		var f []Correction
		norm[i], f = normalise(l, i+1)
		fixes = append(fixes, f...)
	}
	formats := formatsFor(norm)
	if len(formats) == 0 {
		lens := make([]string, len(norm))
		for i, n := range norm {
			lens[i] = fmt.Sprint(len(n))
		}
		return nil, fmt.Errorf("%w: %d line(s) of %s characters fit no MRZ format", ErrNoMRZ, len(norm), strings.Join(lens, ", "))
	}
	var best *Result
	for _, f := range formats {
		r := read(f, lines, norm, fixes, opts)
		if best == nil || r.better(best) {
			best = r
		}
	}
	return best, nil
}

// formatsFor lists the formats the normalised lines may be, best guess first.
func formatsFor(norm []string) []Format {
	const slack = 5 // keeps TD1's 30 away from TD2's 36
	near := func(w int) bool {
		for _, n := range norm {
			if n == "" || len(n) < w-slack || len(n) > w+slack {
				return false
			}
		}
		return true
	}
	switch len(norm) {
	case 3:
		if near(30) {
			return []Format{TD1}
		}
	case 2:
		total := len(norm[0]) + len(norm[1])
		// The nearer width wins when the lines could be either.
		var td, mrv Format
		switch {
		case near(44) && (!near(36) || total >= 80):
			td, mrv = TD3, MRVA
		case near(36):
			td, mrv = TD2, MRVB
		default:
			return nil
		}
		// The French card of 1988-2021 starts IDFRA and is 36 wide; both
		// readings are tried, the one whose checks pass wins.
		if td == TD2 && frenchCard(norm[0]) {
			return []Format{FRID, td}
		}
		switch norm[0][0] {
		case 'V':
			return []Format{mrv}
		case 'P', 'I', 'A', 'C':
			return []Format{td}
		}
		return []Format{td, mrv}
	}
	return nil
}

// frenchCard reports whether a 36-wide first line may be the French
// card's: "IDFRA", allowing the confusions OCR makes in it (1/I, 0/O/D).
func frenchCard(line string) bool {
	if len(line) < 5 {
		return false
	}
	is := func(c byte, set string) bool { return strings.IndexByte(set, c) >= 0 }
	return is(line[0], "I1L") && is(line[1], "D0O") && is(line[2], "F") && is(line[3], "R") && is(line[4], "A4")
}

// better ranks two readings of the same lines: valid first, then more checks
// passed, then fewer corrections.
func (r *Result) better(o *Result) bool {
	if r.Valid != o.Valid {
		return r.Valid
	}
	rp, op := r.passed(), o.passed()
	if rp != op {
		return rp > op
	}
	return len(r.Corrections) < len(o.Corrections)
}

func (r *Result) passed() int {
	n := 0
	for _, ok := range r.Checks {
		if ok {
			n++
		}
	}
	return n
}

// read aligns, repairs and reads the lines as format f.
func read(f Format, raw, norm []string, fixes []Correction, opts ParseOptions) *Result {
	l := layoutFor(f)
	aligned := make([]string, len(norm))
	corrections := append([]Correction{}, fixes...)
	for i, n := range norm {
		var c []Correction
		aligned[i], c = alignLine(&l, i, n)
		corrections = append(corrections, c...)
	}
	z := newZone(f, aligned)
	if opts.Glyphs != nil {
		z.unsure = unsurePositions(raw, norm, aligned, opts.Glyphs)
	}
	checkFixes, warnings := z.repairChecks()
	corrections = append(corrections, checkFixes...)
	corrections = append(corrections, z.snapCode("issuing_country", z.l.issuing)...)
	corrections = append(corrections, z.snapCode("nationality", z.l.nationality)...)
	corrections = append(corrections, z.snapChoice("document_type", pos{0, 0}, "PIACV")...)
	corrections = append(corrections, z.snapChoice("sex", z.l.sex, "MFX<")...)
	corrections = append(corrections, z.repairVisaData()...)
	nameFixes, nameWarnings := z.repairNames()
	corrections = append(corrections, nameFixes...)
	warnings = append(warnings, nameWarnings...)

	r := z.result(opts.now())
	r.RawMRZ = append([]string(nil), raw...)
	r.Corrections = corrections
	r.Warnings = append(r.Warnings, warnings...)
	r.Confidence = r.confidence()
	r.Review(nil)
	return r
}

// unsurePositions marks the zone positions whose character OCR was unsure
// of (Glyph.uncertain), mapping each raw line's glyphs through its
// normalised form onto the aligned line.
func unsurePositions(raw, norm, aligned []string, glyphs func(string) []Glyph) map[pos]bool {
	out := map[pos]bool{}
	for i := range min(len(raw), len(norm), len(aligned)) {
		gs := glyphs(strings.Join(strings.Fields(raw[i]), ""))
		if len(gs) != len(norm[i]) {
			continue
		}
		known := true
		for k := range gs {
			known = known && gs[k].Char == norm[i][k]
		}
		if !known {
			continue
		}
		src, _ := alignChars(norm[i], aligned[i])
		for col, k := range src {
			if k >= 0 && gs[k].uncertain() {
				out[pos{i, col}] = true
			}
		}
	}
	return out
}

// result reads every field of the (repaired) zone.
func (z *zone) result(now time.Time) *Result {
	l := &z.l
	r := &Result{
		Format:         l.format,
		DocumentType:   strings.TrimRight(z.str(l.docCode), "<"),
		IssuingCountry: strings.TrimRight(z.str(l.issuing), "<"),
		Nationality:    strings.TrimRight(z.str(l.nationality), "<"),
		MRZ:            z.lines(),
		Checks:         map[string]bool{},
		Corrections:    []Correction{},
	}
	n := splitNames(z.str(l.names))
	r.Surname, r.GivenNames, r.NamesTruncated = n.surname, n.given, n.truncated
	if l.given.end > 0 {
		// Surname and given names have fields of their own.
		given := z.str(l.given)
		r.Surname = spaced(z.str(l.names))
		r.GivenNames = spaced(given)
		r.NamesTruncated = n.truncated || (given != "" && given[len(given)-1] != '<')
	}

	for _, f := range z.checkFields() {
		ok, variant := z.passes(f)
		r.Checks[f.key] = ok
		if f.key == "document_number" {
			var b []byte
			for _, p := range f.data[0] {
				b = append(b, z.at(p))
			}
			r.DocumentNumber = strings.TrimRight(string(b), "<")
			if len(f.data) > 1 {
				r.LongDocumentNumber = "standard"
				if ok && variant == 1 {
					r.LongDocumentNumber = "with_filler"
				}
			}
		}
	}
	if l.compositeCheck.line >= 0 {
		r.Checks["composite"] = z.compositePasses()
	}

	r.BirthDateRaw, r.ExpiryDateRaw = z.str(l.birth), z.str(l.expiry)
	birth := 0
	if d, ok := parseDate(r.BirthDateRaw); ok && d.yy >= 0 {
		birth = birthYear(d, now)
		r.BirthDate = d.format(birth)
		r.Checks["birth_date"] = r.Checks["birth_date"] && d.validIn(birth)
	} else if !ok {
		r.Checks["birth_date"] = false
	}
	if d, ok := parseDate(r.ExpiryDateRaw); ok && d.yy >= 0 {
		y := expiryYear(d, birth, now)
		r.ExpiryDate = d.format(y)
		r.Checks["expiry_date"] = r.Checks["expiry_date"] && d.validIn(y)
	} else if !ok {
		r.Checks["expiry_date"] = false
	}

	sex := z.at(l.sex)
	r.Checks["sex"] = fits(clsSex, sex)
	if sex != '<' {
		r.Sex = string(sex)
	}
	r.Checks["document_type"] = strings.IndexByte("PIACV", z.at(pos{l.docCode.line, l.docCode.start})) >= 0
	r.Checks["filler"] = true
	for _, s := range z.dataSpans() {
		if tok, at := strayInFiller(z.str(s)); tok != "" {
			r.Checks["filler"] = false
			r.Warnings = append(r.Warnings, fmt.Sprintf("%q stands alone in the filler at line %d, position %d: most likely '<' misread, which the check digits cannot catch",
				tok, s.line+1, s.start+at+1))
		}
	}
	r.Checks["issuing_country"] = knownState(z.str(l.issuing))
	if l.nationality.end > 0 {
		r.Checks["nationality"] = knownState(z.str(l.nationality))
	} else {
		// Only French citizens hold the French card.
		r.Nationality = r.IssuingCountry
	}
	if l.expiryCheck.line < 0 {
		delete(r.Checks, "expiry_date")
	}

	if l.personal.end > 0 {
		r.PersonalNumber = spaced(z.str(l.personal))
	}
	opts := l.optional
	for i, o := range opts {
		if run, ok := z.overflow(); ok && i == 0 {
			o.start = run.end
		}
		v := ""
		if o.start < o.end {
			v = spaced(z.str(o))
		}
		r.OptionalData = append(r.OptionalData, v)
		// The French card's optional field is its issuing office.
		if r.PersonalNumber == "" && l.format != FRID {
			r.PersonalNumber = v
		}
	}

	r.Valid = true
	for _, ok := range r.Checks {
		r.Valid = r.Valid && ok
	}
	return r
}

// dataSpans lists the document number and optional data fields.
func (z *zone) dataSpans() []span {
	out := []span{z.l.docNumber}
	if z.l.personal.end > 0 {
		out = append(out, z.l.personal)
	}
	return append(out, z.l.optional...)
}

// strayInFiller finds a run of filler look-alikes inside a data field that
// follows two or more fillers, or is one letter repeated after a filler:
// filler misread, most often as K, which no check digit can catch. It
// returns the run and its index in s, or "" and -1.
func strayInFiller(s string) (string, int) {
	for i := 1; i < len(s); i++ {
		if s[i] == '<' || s[i-1] != '<' {
			continue
		}
		j := i
		for j < len(s) && s[j] != '<' {
			j++
		}
		if tok := s[i:j]; fillerNoise(tok) && ((i >= 2 && s[i-2] == '<') || len(tok) >= 3) {
			return tok, i
		}
		i = j
	}
	return "", -1
}

// confidence scores a reading: each failed check halves it, each correction
// and warning takes a little off.
func (r *Result) confidence() float64 {
	c := 1.0
	for _, ok := range r.Checks {
		if !ok {
			c *= 0.5
		}
	}
	for range r.Corrections {
		c *= 0.95
	}
	for range r.Warnings {
		c *= 0.9
	}
	return float64(int(c*1000+0.5)) / 1000
}
