package passport

// Format names an ICAO 9303 MRZ layout. Its string value is what the job
// output carries in "format".
type Format string

// The five MRZ layouts of ICAO Doc 9303.
const (
	TD1  Format = "TD1"  // 3 lines of 30: ID and residence cards
	TD2  Format = "TD2"  // 2 lines of 36: older ID cards
	TD3  Format = "TD3"  // 2 lines of 44: passports
	MRVA Format = "MRVA" // 2 lines of 44: full-page visas
	MRVB Format = "MRVB" // 2 lines of 36: smaller visas
	// FRID is the French national identity card of 1988-2021, 2 lines of
	// 36 in France's own layout (not ICAO's): line 1 holds the document
	// code ID, FRA, the surname (25) and the issuing office (6); line 2 the
	// card number (12: year and month of issue, office, serial) and its
	// check digit, the given names (14), the birth date and its check
	// digit, the sex and a composite check digit over both lines. It has
	// no expiry date and no nationality field (the holder is French).
	FRID Format = "FRID"
)

// pos is a character position in the zone, both indexes from 0.
type pos struct{ line, col int }

// span is the half-open run of columns [start, end) on one line.
type span struct{ line, start, end int }

func (s span) positions() []pos {
	ps := make([]pos, 0, s.end-s.start)
	for c := s.start; c < s.end; c++ {
		ps = append(ps, pos{s.line, c})
	}
	return ps
}

// layout places every field of one format. optional holds the fields that no
// check digit of their own covers (TD3's personal number has one, held in
// personalCheck).
type layout struct {
	format         Format
	lines, width   int
	docCode        span
	issuing        span
	names          span
	given          span // FRID only: given names apart from the surname
	docNumber      span
	docCheck       pos
	nationality    span
	birth          span
	birthCheck     pos
	sex            pos
	expiry         span
	expiryCheck    pos
	optional       []span
	personal       span // TD3 only; zero span otherwise
	personalCheck  pos
	composite      []span
	compositeCheck pos
}

// layoutFor returns the layout of f; the returned value is a fresh copy.
func layoutFor(f Format) layout {
	// Line 2 of TD2, TD3, MRV-A and MRV-B shares its first 28 columns.
	l := layout{
		format:      f,
		lines:       2,
		docCode:     span{0, 0, 2},
		issuing:     span{0, 2, 5},
		docNumber:   span{1, 0, 9},
		docCheck:    pos{1, 9},
		nationality: span{1, 10, 13},
		birth:       span{1, 13, 19},
		birthCheck:  pos{1, 19},
		sex:         pos{1, 20},
		expiry:      span{1, 21, 27},
		expiryCheck: pos{1, 27},

		personalCheck:  pos{-1, -1},
		compositeCheck: pos{-1, -1},
	}
	switch f {
	case TD1:
		l.lines, l.width = 3, 30
		l.docNumber, l.docCheck = span{0, 5, 14}, pos{0, 14}
		l.birth, l.birthCheck = span{1, 0, 6}, pos{1, 6}
		l.sex = pos{1, 7}
		l.expiry, l.expiryCheck = span{1, 8, 14}, pos{1, 14}
		l.nationality = span{1, 15, 18}
		l.optional = []span{{0, 15, 30}, {1, 18, 29}}
		l.composite = []span{{0, 5, 30}, {1, 0, 7}, {1, 8, 15}, {1, 18, 29}}
		l.compositeCheck = pos{1, 29}
		l.names = span{2, 0, 30}
	case TD2:
		l.width = 36
		l.names = span{0, 5, 36}
		l.optional = []span{{1, 28, 35}}
		l.composite = []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 35}}
		l.compositeCheck = pos{1, 35}
	case TD3:
		l.width = 44
		l.names = span{0, 5, 44}
		l.personal, l.personalCheck = span{1, 28, 42}, pos{1, 42}
		l.composite = []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 43}}
		l.compositeCheck = pos{1, 43}
	case MRVA:
		l.width = 44
		l.names = span{0, 5, 44}
		l.optional = []span{{1, 28, 44}}
	case MRVB:
		l.width = 36
		l.names = span{0, 5, 36}
		l.optional = []span{{1, 28, 36}}
	case FRID:
		l.width = 36
		l.names = span{0, 5, 30}
		l.optional = []span{{0, 30, 36}}
		l.docNumber, l.docCheck = span{1, 0, 12}, pos{1, 12}
		l.given = span{1, 13, 27}
		l.nationality = span{}
		l.birth, l.birthCheck = span{1, 27, 33}, pos{1, 33}
		l.sex = pos{1, 34}
		l.expiry, l.expiryCheck = span{}, pos{-1, -1}
		l.composite = []span{{0, 0, 36}, {1, 0, 35}}
		l.compositeCheck = pos{1, 35}
	}
	return l
}

// class is what a position may legitimately hold.
type class byte

const (
	clsNone    class = iota // no field: fits nothing (every layout tiles its lines, see tests)
	clsAlpha                // letters and '<': codes, names
	clsNumeric              // digits and '<': dates
	clsCheck                // a check digit ('<' only over an empty field)
	clsAlnum                // letters, digits and '<': document number, optional data
	clsSex                  // M, F, X or '<'
)

// classes returns the class of every position of l.
func (l *layout) classes() [][]class {
	cs := make([][]class, l.lines)
	for i := range cs {
		cs[i] = make([]class, l.width)
	}
	set := func(s span, c class) {
		for col := s.start; col < s.end; col++ {
			cs[s.line][col] = c
		}
	}
	setPos := func(p pos, c class) {
		if p.line >= 0 {
			cs[p.line][p.col] = c
		}
	}
	set(l.docCode, clsAlnum) // "C1" is a real US document code
	set(l.issuing, clsAlpha)
	set(l.names, clsAlpha)
	set(l.given, clsAlpha)
	set(l.nationality, clsAlpha)
	set(l.docNumber, clsAlnum)
	set(l.birth, clsNumeric)
	set(l.expiry, clsNumeric)
	for _, o := range l.optional {
		set(o, clsAlnum)
	}
	if l.personal.end > 0 {
		set(l.personal, clsAlnum)
	}
	setPos(l.docCheck, clsCheck)
	setPos(l.birthCheck, clsCheck)
	setPos(l.expiryCheck, clsCheck)
	setPos(l.personalCheck, clsCheck)
	setPos(l.compositeCheck, clsCheck)
	setPos(l.sex, clsSex)
	return cs
}

// fits reports whether c is a legitimate character for class k.
func fits(k class, c byte) bool {
	isDigit := c >= '0' && c <= '9'
	isLetter := c >= 'A' && c <= 'Z'
	switch k {
	case clsAlpha:
		return isLetter || c == '<'
	case clsNumeric, clsCheck:
		return isDigit || c == '<'
	case clsAlnum:
		return isDigit || isLetter || c == '<'
	case clsSex:
		return c == 'M' || c == 'F' || c == 'X' || c == '<'
	}
	return false
}
