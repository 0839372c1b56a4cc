package passport

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParseText feeds arbitrary text to ParseText: it must never panic,
// must answer either a result or an error wrapping ErrNoMRZ, and a result
// must be a well-formed zone whose Valid agrees with its checks.
//
//	go test -run='^$' -fuzz=FuzzParseText -fuzztime=10s ./passport/
func FuzzParseText(f *testing.F) {
	for _, s := range specimens {
		f.Add(strings.Join(s.lines, "\n"))
	}
	f.Add("P<UTOERIKSSON«ANNA<MARIA««««««««««\n L898902C36UTO 7408122F1204159ZE184226B<<<<< 1O\n")
	f.Add("garbage\nI<UTOD23145890<7349<<<<<<<<<<<\n74O8122F12O4159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n")
	f.Add("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<K<<<<<")
	f.Add(strings.Repeat("<", 44) + "\n" + strings.Repeat("K", 44))
	f.Add(strings.Repeat("OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOO\n", 30))
	f.Add("\x00\xff«‹＜\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := ParseText(text, ParseOptions{Now: refNow})
		if err != nil {
			if !errors.Is(err, ErrNoMRZ) {
				t.Fatalf("error %v does not wrap ErrNoMRZ", err)
			}
			return
		}
		l := layoutFor(r.Format)
		if len(r.MRZ) != l.lines {
			t.Fatalf("%s with %d lines", r.Format, len(r.MRZ))
		}
		for _, line := range r.MRZ {
			if len(line) != l.width {
				t.Fatalf("%s line %q is not %d wide", r.Format, line, l.width)
			}
			for i := 0; i < len(line); i++ {
				if _, ok := charValue(line[i]); !ok {
					t.Fatalf("zone line %q holds %q", line, line[i])
				}
			}
		}
		valid := true
		for _, ok := range r.Checks {
			valid = valid && ok
		}
		if valid != r.Valid {
			t.Fatalf("valid %v but checks %v", r.Valid, r.Checks)
		}
		if r.Confidence < 0 || r.Confidence > 1 {
			t.Fatalf("confidence %v", r.Confidence)
		}
	})
}

// FuzzParseFrenchCard builds a French identity card zone (1988-2021) from
// arbitrary field values with its check digits computed, and reads it
// back: a card whose fields are MRZ characters of the right length, its
// names words of letters as ICAO 9303 writes them (a digit in a name is
// read as a misread letter and repaired), must read valid, as FRID, with those
// fields; and the same two lines with any
// one character changed must still read without panic, as a zone of the
// right shape whose Valid agrees with its checks, or an error wrapping
// ErrNoMRZ.
//
//	go test -run='^$' -fuzz=FuzzParseFrenchCard -fuzztime=10s ./passport/
func FuzzParseFrenchCard(f *testing.F) {
	f.Add("TEST<NAME", "CHE02", "1710GVA12345", "ROBERTA", "911231", byte('F'), uint8(3), byte('7'))
	f.Add("DUPONT<MARTIN", "750123", "880575012345", "JEAN<<PIERRE", "650815", byte('M'), uint8(40), byte('O'))
	f.Add("O", "", "000000000000", "", "000000", byte('<'), uint8(71), byte('<'))
	f.Fuzz(func(t *testing.T, surname, office, number, given, birth string, sex byte, at uint8, to byte) {
		field := func(s string, n int) (string, bool) {
			if len(s) > n {
				return "", false
			}
			for i := 0; i < len(s); i++ {
				if _, ok := charValue(s[i]); !ok {
					return "", false
				}
			}
			return s + strings.Repeat("<", n-len(s)), true
		}
		// Names as issuers write them: words of two letters or more split by
		// '<'. A lone letter followed only by filler is read as a misread
		// '<' by design (doc.go), and a name does not open with filler.
		names := func(s string) bool {
			if strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ<") != "" || strings.HasPrefix(s, "<") {
				return false
			}
			for _, w := range strings.Split(s, "<") {
				if len(w) == 1 {
					return false
				}
			}
			return true
		}
		// The surname field also holds one name: its words split by a
		// single '<' ("<<" would open given names, which this card keeps on
		// line 2), and its last word not one filler look-alike repeated
		// ("DUPONT<KK" before filler is filler misread, by design: names.go).
		surnameOK := func(s string) bool {
			if !names(s) || strings.Contains(s, "<<") {
				return false
			}
			last := s[strings.LastIndexByte(s, '<')+1:]
			return last == "" || !isFillerLookalike(last[0]) || strings.Count(last, last[:1]) != len(last)
		}
		// A number of 12 characters (year, month, office, serial) and a
		// given name, as every card has: a blank number and no given name
		// also make a valid TD2 zone, which the reader may take it for.
		if !surnameOK(surname) || !names(given) || given == "" || len(number) != 12 || strings.Contains(number, "<") {
			return
		}
		sn, ok1 := field(surname, 25)
		of, ok2 := field(office, 6)
		no, ok3 := field(number, 12)
		gv, ok4 := field(given, 14)
		if !ok1 || !ok2 || !ok3 || !ok4 || len(birth) != 6 || strings.Trim(birth, "0123456789") != "" ||
			strings.IndexByte("MF", sex) < 0 || strings.Trim(sn, "<") == "" || strings.Trim(no, "<") == "" {
			return
		}
		if _, err := time.Parse("060102", birth); err != nil {
			return
		}
		digit := func(s string) string { d, _ := checkDigit(s); return string(d) }
		line1 := "IDFRA" + sn + of
		line2 := no + digit(no) + gv + birth + digit(birth) + string(sex)
		line2 += digit(line1 + line2)
		r, err := Parse([]string{line1, line2}, ParseOptions{Now: refNow})
		if err != nil {
			t.Fatalf("%q %q: %v", line1, line2, err)
		}
		if r.Format != FRID || !r.Valid || len(r.Corrections) != 0 {
			t.Fatalf("%q %q read as %s valid %v, corrections %v, checks %v", line1, line2, r.Format, r.Valid, r.Corrections, r.Checks)
		}
		if r.MRZ[0] != line1 || r.MRZ[1] != line2 || r.IssuingCountry != "FRA" || r.Nationality != "FRA" ||
			r.DocumentNumber != strings.TrimRight(no, "<") || r.Sex != string(sex) || r.BirthDateRaw != birth {
			t.Fatalf("%q %q read as %+v", line1, line2, r)
		}

		// One character changed: any shape of answer but a panic or a
		// malformed zone.
		zone := []byte(line1 + line2)
		i := int(at) % len(zone)
		if zone[i] == to {
			return
		}
		zone[i] = to
		m, err := Parse([]string{string(zone[:36]), string(zone[36:])}, ParseOptions{Now: refNow})
		if err != nil {
			if !errors.Is(err, ErrNoMRZ) {
				t.Fatalf("error %v does not wrap ErrNoMRZ", err)
			}
			return
		}
		for _, line := range m.MRZ {
			if len(line) != 36 {
				t.Fatalf("line %q of a changed card is not 36 wide", line)
			}
		}
		valid := true
		for _, ok := range m.Checks {
			valid = valid && ok
		}
		if valid != m.Valid {
			t.Fatalf("valid %v but checks %v", m.Valid, m.Checks)
		}
	})
}
