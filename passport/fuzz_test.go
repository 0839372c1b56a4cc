package passport

import (
	"errors"
	"strings"
	"testing"
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
