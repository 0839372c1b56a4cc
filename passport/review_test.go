package passport

import (
	"slices"
	"testing"
)

// glyphsOf makes OCR evidence for lines read cleanly (confidence 99, no
// rival), with the given glyphs overridden by line and column.
func glyphsOf(lines []string, over map[[2]int]Glyph) [][]Glyph {
	out := make([][]Glyph, len(lines))
	for i, l := range lines {
		for j := range len(l) {
			g := Glyph{Char: l[j], Confidence: 99}
			if o, ok := over[[2]int{i, j}]; ok {
				g = o
				g.Char = l[j]
			}
			out[i] = append(out[i], g)
		}
	}
	return out
}

func TestReviewNamesTheFieldsToCheck(t *testing.T) {
	t.Parallel()
	const (
		l1  = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
		l2  = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
		fr1 = "IDFRADUPONT<MARTIN<<<<<<<<<<<<750123"
		fr2 = "8805750123454JEAN<<PIERRE<<6508151M3"
	)
	rival := func(c byte, conf float64) Glyph {
		return Glyph{Confidence: 97, Alts: []Alt{{c, conf}}}
	}
	cases := []struct {
		name   string
		lines  []string
		over   map[[2]int]Glyph
		noOCR  bool // a text layer: no glyphs
		review []string
	}{
		{name: "clean", lines: []string{l1, l2}, review: []string{}},
		{name: "text layer", lines: []string{l1, l2}, noOCR: true, review: []string{}},
		// E read as F, Tesseract weighing E too: no check digit covers names.
		{name: "surname letter with a rival", lines: []string{"P<UTOFRIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", l2},
			over: map[[2]int]Glyph{{0, 5}: rival('E', 30)}, review: []string{"surname"}},
		{name: "given name letter of low confidence", lines: []string{"P<UTOERIKSSON<<ANNA<HARIA<<<<<<<<<<<<<<<<<<<", l2},
			over: map[[2]int]Glyph{{0, 20}: {Confidence: 60}}, review: []string{"given_names"}},
		{name: "filler after the names uncertain", lines: []string{l1, l2},
			over: map[[2]int]Glyph{{0, 26}: rival('K', 40)}, review: []string{"given_names"}},
		{name: "nationality snapped to a known code", lines: []string{l1, "L898902C36UTQ7408122F1204159ZE184226B<<<<<10"},
			review: []string{"nationality"}},
		// AUT weighed against AUS: both are states.
		{name: "issuing state with a rival state", lines: []string{"P<AUTERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", l2},
			over: map[[2]int]Glyph{{0, 4}: rival('S', 30)}, review: []string{"issuing_country"}},
		// The line's start in doubt: a '<' read as a letter with a rival
		// beside a state weighed against another moves where the surname
		// begins, and no check covers it.
		{name: "document code and issuing state both doubted", lines: []string{"PMAUTERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", l2},
			over: map[[2]int]Glyph{{0, 1}: rival('<', 40), {0, 4}: rival('S', 30)}, review: []string{"document_type", "issuing_country", "surname"}},
		// UTO's T doubted, but no confusion of it is a state.
		{name: "issuing state doubted, no other state near", lines: []string{l1, l2},
			over: map[[2]int]Glyph{{0, 3}: {Confidence: 50}}, review: []string{}},
		// A long name whose "<<" was read as one '<' (a thumbnail): every
		// name becomes the surname, the given names empty, all read cleanly.
		{name: "names without their separator", lines: []string{"P<UTOERIKSSON<ANNA<MARIA<ELISABETH<KARINA<LO", l2},
			review: []string{"surname", "given_names"}},
		// The line's 'P' lost and a filler gained at its end ("PCAZE" read
		// "CAZE", a real photo): the state reads "ZEA", no state, and the
		// surname lost its first letter, all read with confidence.
		{name: "issuing state unknown", lines: []string{"CAZEARGEDAS<<CEYLA<<<<<<<<<<<<<<<<<<<<<<<<<<",
			"C051777748AZE7611175F2201133S2SSBW3<<<<<<<26"},
			review: []string{"document_type", "issuing_country", "surname"}},
		{name: "sex uncertain", lines: []string{l1, l2},
			over: map[[2]int]Glyph{{1, 20}: rival('M', 20)}, review: []string{"sex"}},
		// L and 1 weigh the same in a check digit: either reading passes.
		{name: "document number letter with a passing twin", lines: []string{l1, l2},
			over: map[[2]int]Glyph{{1, 0}: rival('1', 30)}, review: []string{"document_number"}},
		// A rival that would fail the check digit is caught by it.
		{name: "date digit with a failing rival", lines: []string{l1, l2},
			over: map[[2]int]Glyph{{1, 14}: rival('9', 60)}, review: []string{}},
		{name: "check digit repaired", lines: []string{l1, "L898902C3GUTO7408122F1204159ZE184226B<<<<<10"},
			review: []string{"document_number"}},
		{name: "check fails", lines: []string{l1, "L898902C36UTO7408122F1204158ZE184226B<<<<<10"},
			review: []string{"birth_date", "document_number", "expiry_date", "personal_number"}},
		// The French card: surname on line 1 (columns 6-30), given names on
		// line 2 (columns 14-27), each a field of its own.
		{name: "French given name letter of low confidence", lines: []string{fr1, fr2},
			over: map[[2]int]Glyph{{1, 13}: {Confidence: 40}}, review: []string{"given_names"}},
		{name: "French surname filler uncertain", lines: []string{fr1, fr2},
			over: map[[2]int]Glyph{{0, 25}: {Confidence: 40}}, review: []string{"surname"}},
		// A surname filling its field has no "<<", and needs none.
		{name: "French surname filling its field", lines: []string{"IDFRADELACOURT<BERNARDIN<LEVAL750123", "8805750123454JEAN<<PIERRE<<6508151M5"},
			review: []string{}},
		// Lines OCR read but whose glyphs were lost: nothing is taken as
		// certain, and each number is judged by every confusion.
		{name: "unknown glyphs", lines: []string{l1, l2}, review: []string{"document_type", "issuing_country", "surname",
			"given_names", "document_number", "nationality", "sex", "personal_number"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := Parse(c.lines, ParseOptions{Now: refNow})
			if err != nil {
				t.Fatal(err)
			}
			var gs [][]Glyph
			switch {
			case c.noOCR:
			case c.name == "unknown glyphs":
				gs = [][]Glyph{{}, {}}
			default:
				gs = glyphsOf(c.lines, c.over)
			}
			r.Review(gs)
			want := slices.Clone(c.review)
			slices.SortFunc(want, func(a, b string) int { return slices.Index(ReviewFields, a) - slices.Index(ReviewFields, b) })
			if !slices.Equal(r.NeedsReview, want) {
				t.Errorf("needs_review %q, want %q (corrections %+v)", r.NeedsReview, want, r.Corrections)
			}
		})
	}
}

// A rival that every check also passes with is one only another reading
// can settle; Weights gives each reading's say at each character.
func TestHasRivalAndWeights(t *testing.T) {
	t.Parallel()
	const (
		l1  = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
		l2  = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
		fr1 = "IDFRADUPONT<MARTIN<<<<<<<<<<<<750123"
		fr2 = "8805750123454JEAN<<PIERRE<<6508151M3"
	)
	rival := func(c byte, conf float64) Glyph {
		return Glyph{Confidence: 95, Alts: []Alt{{c, conf}}}
	}
	cases := []struct {
		name  string
		over  map[[2]int]Glyph
		rival bool
	}{
		{name: "clean", rival: false},
		// L and 1 weigh the same: the check digit cannot tell them apart.
		{name: "document number L weighed against 1", over: map[[2]int]Glyph{{1, 0}: rival('1', 40)}, rival: true},
		{name: "a name's letter weighed against another", over: map[[2]int]Glyph{{0, 6}: rival('P', 30)}, rival: true},
		{name: "a rival under the threshold", over: map[[2]int]Glyph{{1, 0}: rival('1', MaxRivalConfidence-1)}, rival: false},
		// 9 for 8 changes the birth date's check: the check digit decides.
		{name: "a date digit whose rival fails the check", over: map[[2]int]Glyph{{1, 14}: rival('9', 60)}, rival: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := Parse([]string{l1, l2}, ParseOptions{Now: refNow})
			if err != nil || !r.Valid {
				t.Fatalf("parse: %v, %+v", err, r)
			}
			gs := glyphsOf([]string{l1, l2}, c.over)
			if got := r.HasRival(gs); got != c.rival {
				t.Errorf("HasRival %v, want %v", got, c.rival)
			}
			w := r.Weights(gs)
			for k, g := range c.over {
				m := w[k[0]][k[1]]
				if m[r.MRZ[k[0]][k[1]]] != g.Confidence || m[g.Alts[0].Char] != g.Alts[0].Confidence {
					t.Errorf("weights at %v: %v, want %c %v and %c %v", k, m, r.MRZ[k[0]][k[1]], g.Confidence, g.Alts[0].Char, g.Alts[0].Confidence)
				}
			}
			if r.HasRival(nil) || r.Weights(nil)[0][0] != nil {
				t.Error("a text layer (no glyphs) has a rival or weights")
			}
		})
	}
}

// The fields in which an outvoted reading differs are listed, and only
// they: by a character (its check digit included) or by a value (a moved
// "<<" changes the given names, though only the surname's characters did).
func TestFlagDiffering(t *testing.T) {
	t.Parallel()
	const (
		l1  = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
		l2  = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
		fr1 = "IDFRADUPONT<MARTIN<<<<<<<<<<<<750123"
		fr2 = "8805750123454JEAN<<PIERRE<<6508151M3"
	)
	cases := []struct {
		name             string
		winner, outvoted []string
		review           []string
	}{
		{name: "same reading", winner: []string{l1, l2}, outvoted: []string{l1, l2}, review: []string{}},
		{name: "document number", winner: []string{l1, l2},
			outvoted: []string{l1, "1898902C36UTO7408122F1204159ZE184226B<<<<<10"}, review: []string{"document_number"}},
		{name: "another shape: ignored", winner: []string{l1, l2}, outvoted: []string{l1}, review: []string{}},
		{name: "surname separator moved", winner: []string{l1, l2},
			outvoted: []string{"P<UTOERIKSSON<KANNA<MARIA<<<<<<<<<<<<<<<<<<<", l2}, review: []string{"surname", "given_names"}},
		// The French card has no expiry date, so no expiry check digit.
		{name: "French document number", winner: []string{fr1, fr2},
			outvoted: []string{fr1, "8805750L23454JEAN<<PIERRE<<6508151M3"}, review: []string{"document_number"}},
		{name: "French given names", winner: []string{fr1, fr2},
			outvoted: []string{fr1, "8805750123454JEAN<<PIERPE<<6508151M3"}, review: []string{"given_names"}},
		{name: "French surname", winner: []string{fr1, fr2},
			outvoted: []string{"IDFRADUPONT<MARTIM<<<<<<<<<<<<750123", fr2}, review: []string{"surname"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := Parse(c.winner, ParseOptions{Now: refNow})
			if err != nil || !r.Valid {
				t.Fatalf("%+v %v", r, err)
			}
			r.Review(glyphsOf(c.winner, nil))
			r.FlagDiffering(c.outvoted)
			if !slices.Equal(r.NeedsReview, c.review) {
				t.Errorf("needs_review %q, want %q", r.NeedsReview, c.review)
			}
		})
	}
}
