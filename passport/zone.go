package passport

// zone is a machine-readable zone aligned to one layout: every line has the
// layout's width, so every field sits at its fixed position.
type zone struct {
	l   layout
	cls [][]class
	b   [][]byte
	// unsure holds the positions whose character OCR was unsure of; nil
	// when OCR's glyphs are unknown (text given to ParseText).
	unsure map[pos]bool
}

func newZone(f Format, lines []string) *zone {
	z := &zone{l: layoutFor(f)}
	z.cls = z.l.classes()
	z.b = make([][]byte, len(lines))
	for i, s := range lines {
		z.b[i] = []byte(s)
	}
	return z
}

func (z *zone) at(p pos) byte     { return z.b[p.line][p.col] }
func (z *zone) set(p pos, c byte) { z.b[p.line][p.col] = c }
func (z *zone) str(s span) string { return string(z.b[s.line][s.start:s.end]) }

func (z *zone) lines() []string {
	out := make([]string, len(z.b))
	for i, b := range z.b {
		out[i] = string(b)
	}
	return out
}

// checkField is a run of data protected by one check digit. A long TD1/TD2
// document number has two readings of its data (issuers disagree on whether
// the filler before the overflow counts), so data holds one or two variants.
type checkField struct {
	key   string
	data  [][]pos
	check pos
}

// overflow finds a long TD1/TD2 document number: the check-digit position
// holds '<' and the number continues, with its check digit last, at the start
// of the optional field. run covers the continuation including that digit.
func (z *zone) overflow() (run span, ok bool) {
	if z.l.format != TD1 && z.l.format != TD2 {
		return span{}, false
	}
	opt := z.l.optional[0]
	if z.at(z.l.docCheck) != '<' || z.b[opt.line][opt.start] == '<' {
		return span{}, false
	}
	end := opt.start
	for end < opt.end && z.b[opt.line][end] != '<' {
		end++
	}
	if end-opt.start < 2 {
		return span{}, false
	}
	return span{opt.line, opt.start, end}, true
}

// checkFields lists the fields with their own check digit, as the zone now
// reads (the long-number layout depends on the characters).
func (z *zone) checkFields() []checkField {
	l := &z.l
	doc := checkField{key: "document_number", data: [][]pos{l.docNumber.positions()}, check: l.docCheck}
	if run, ok := z.overflow(); ok {
		rest := span{run.line, run.start, run.end - 1}.positions()
		std := append(l.docNumber.positions(), rest...)
		withFiller := append(append(l.docNumber.positions(), l.docCheck), rest...)
		doc = checkField{key: "document_number", data: [][]pos{std, withFiller}, check: pos{run.line, run.end - 1}}
	}
	fields := []checkField{
		doc,
		{key: "birth_date", data: [][]pos{l.birth.positions()}, check: l.birthCheck},
	}
	if l.expiryCheck.line >= 0 {
		fields = append(fields, checkField{key: "expiry_date", data: [][]pos{l.expiry.positions()}, check: l.expiryCheck})
	}
	if l.personalCheck.line >= 0 {
		fields = append(fields, checkField{key: "personal_number", data: [][]pos{l.personal.positions()}, check: l.personalCheck})
	}
	return fields
}

// compositeOnly lists the optional data that only the composite check digit
// covers.
func (z *zone) compositeOnly() []span {
	if z.l.compositeCheck.line < 0 {
		return nil
	}
	var out []span
	for i, o := range z.l.optional {
		if run, ok := z.overflow(); ok && i == 0 {
			o.start = run.end
		}
		if o.start < o.end {
			out = append(out, o)
		}
	}
	return out
}

// passes reports whether f holds legitimate characters and its check digit
// matches, and which data variant matched.
func (z *zone) passes(f checkField) (ok bool, variant int) {
	check := z.at(f.check)
	for v, data := range f.data {
		buf := make([]byte, 0, len(data))
		clean, empty := true, true
		for _, p := range data {
			c := z.at(p)
			if !fits(z.cls[p.line][p.col], c) {
				clean = false
			}
			if c != '<' {
				empty = false
			}
			buf = append(buf, c)
		}
		if !clean {
			return false, 0
		}
		// An unused field may carry '<' as its check digit.
		if check == '<' && empty {
			return true, v
		}
		if d, ok := checkDigit(string(buf)); ok && d == check {
			return true, v
		}
	}
	return false, 0
}

// compositePasses reports whether the composite check digit matches; formats
// without one pass.
func (z *zone) compositePasses() bool {
	if z.l.compositeCheck.line < 0 {
		return true
	}
	var buf []byte
	for _, s := range z.l.composite {
		buf = append(buf, z.b[s.line][s.start:s.end]...)
	}
	d, ok := checkDigit(string(buf))
	return ok && d == z.at(z.l.compositeCheck)
}
