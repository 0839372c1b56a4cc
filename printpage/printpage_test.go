package printpage

import (
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/revisbali/worker/passport"
)

func TestTransliterate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Müller":           "MUELLER",
		"Ærøskøbing":       "AEROESKOEBING",
		"Gößling":          "GOESSLING",
		"José María":       "JOSE MARIA",
		"O'Connor":         "OCONNOR",
		"Smith-Jones":      "SMITH JONES",
		"Łukasz Żółć":      "LUKASZ ZOLC",
		"  van der  Berg ": "VAN DER BERG",
	} {
		if got := Transliterate(in); got != want {
			t.Errorf("Transliterate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"12 AUG 1974": "1974-08-12", "12 AUG/AOUT 1974": "1974-08-12", "12.08.1974": "1974-08-12",
		"12/08/1974": "1974-08-12", "1974-08-12": "1974-08-12", "O4 JUN 1938": "1938-06-04",
		"31 FEB 2001": "", "12 AUG": "", "SPECIMEN": "",
	} {
		got, ok := ParseDate(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseDate(%q) = %q, %v, want %q", in, got, ok, want)
		}
	}
}

// dataPage lays out a data page as words: each label above its value, the
// number, nationality and sex side by side, as internal/mrzgen draws it.
func dataPage(surname, given, number, nationality, birth, expiry string, conf float64) []Word {
	var ws []Word
	put := func(s string, x, y int) {
		for _, w := range strings.Fields(s) {
			ws = append(ws, Word{Text: w, Confidence: conf, Box: image.Rect(x, y, x+14*len(w), y+20)})
			x += 14*len(w) + 10
		}
	}
	put("Surname / Nom", 100, 100)
	put(surname, 100, 125)
	put("Given names / Prenoms", 100, 160)
	put(given, 100, 185)
	put("Passport No.", 100, 220)
	put("Nationality", 330, 220)
	put("Sex", 520, 220)
	put(number, 100, 245)
	put(nationality, 330, 245)
	put("F", 520, 245)
	put("Date of birth", 100, 280)
	put("Date of expiry", 330, 280)
	put(birth, 100, 305)
	put(expiry, 330, 305)
	return ws
}

// specimen parses ICAO's specimen passport, its second line replaced by
// line2 when that is not empty.
func specimen(t *testing.T, line2 string) *passport.Result {
	t.Helper()
	if line2 == "" {
		line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	}
	r, err := passport.Parse([]string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", line2}, passport.ParseOptions{})
	if err != nil || !r.Valid {
		t.Fatal(err)
	}
	r.Review(nil)
	return r
}

func TestCompare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		words  []Word
		zone   string // the zone's second line, if not the specimen's
		print  map[string]string
		review []string
		warn   string
	}{
		{name: "agrees", words: dataPage("ERIKSSON", "ANNA MARIA", "L898902C3", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"surname": Agrees, "given_names": Agrees, "document_number": Agrees,
				"nationality": Agrees, "birth_date": Agrees, "expiry_date": Agrees}, review: []string{}},
		// E and F: the kind of misreading no check digit catches.
		{name: "surname differs by a confusable letter", words: dataPage("FRIKSSON", "ANNA MARIA", "L898902C3", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"surname": Differs}, review: []string{"surname"}, warn: `surname: the printed page reads "FRIKSSON"`},
		{name: "unsure print: no warning", words: dataPage("FRIKSSON", "ANNA MARIA", "L898902C3", "UTO", "12 AUG 1974", "15 APR 2012", 60),
			print: map[string]string{"surname": Differs}, review: []string{"surname"}},
		{name: "given names differ", words: dataPage("ERIKSSON", "ANNA MAXIA", "L898902C3", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"given_names": Differs}, review: []string{"given_names"}},
		{name: "number differs", words: dataPage("ERIKSSON", "ANNA MARIA", "L898902C8", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"document_number": Differs}, review: []string{"document_number"}},
		// OCR lost the print's first character: the print says nothing.
		{name: "number's first character unread", words: dataPage("ERIKSSON", "ANNA MARIA", "898902C3", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"document_number": NotFound}, review: []string{}},
		// The zone's filler read as K passes the check digit (K and <
		// weigh the same): the print, without it, differs.
		{name: "zone number longer at its end", words: dataPage("ERIKSSON", "ANNA MARIA", "L898902C", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			zone: "L898902CK3UTO7408122F1204159ZE184226B<<<<<16", print: map[string]string{"document_number": Differs}, review: []string{"document_number"}},
		{name: "number missing a middle character", words: dataPage("ERIKSSON", "ANNA MARIA", "L89892C3", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"document_number": Differs}, review: []string{"document_number"}},
		{name: "nationality differs", words: dataPage("ERIKSSON", "ANNA MARIA", "L898902C3", "UTA", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"nationality": Differs}, review: []string{"nationality"}},
		{name: "nationality spelled out", words: dataPage("ERIKSSON", "ANNA MARIA", "L898902C3", "UTOPIAN", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"nationality": NotFound}, review: []string{}},
		{name: "birth date differs", words: dataPage("ERIKSSON", "ANNA MARIA", "L898902C3", "UTO", "13 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"birth_date": Differs}, review: []string{"birth_date"}},
		// ICAO writes Ä as AE or A: both agree.
		{name: "diacritics", words: dataPage("ERIKSSON", "Änna Maria", "L898902C3", "UTO", "12 AUG 1974", "15 APR 2012", 95),
			print: map[string]string{"given_names": Agrees}, review: []string{}},
		{name: "no page", words: nil, print: map[string]string{"surname": NotFound, "birth_date": NotFound}, review: []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := specimen(t, c.zone)
			Compare(c.words, r)
			for f, want := range c.print {
				if r.Print[f] != want {
					t.Errorf("print[%s] = %q, want %q (all: %v)", f, r.Print[f], want, r.Print)
				}
			}
			if c.name == "agrees" && len(r.Print) != len(Fields) {
				t.Errorf("print %v, want every field of %v", r.Print, Fields)
			}
			if !slices.Equal(r.NeedsReview, c.review) {
				t.Errorf("needs_review %q, want %q", r.NeedsReview, c.review)
			}
			warned := slices.ContainsFunc(r.Warnings, func(w string) bool { return c.warn != "" && strings.HasPrefix(w, c.warn) })
			if warned != (c.warn != "") {
				t.Errorf("warnings %q, want one starting %q", r.Warnings, c.warn)
			}
		})
	}
}

// A name the zone cut to fit agrees with its full print.
func TestCompareTruncatedName(t *testing.T) {
	t.Parallel()
	r, err := passport.Parse([]string{
		"P<UTOVANDERSTEENHOVENBERGMANNSON<<ALEXANDRA<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, passport.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.Review(nil)
	r.NamesTruncated = true
	Compare(dataPage("VANDERSTEENHOVENBERGMANNSON", "ALEXANDRA MARGARETHA", "L898902C3", "UTO", "12 AUG 1974", "15 APR 2012", 95), r)
	if r.Print["given_names"] != Agrees || r.Print["surname"] != Agrees {
		t.Errorf("print %v: a truncated name should agree with its full print", r.Print)
	}
}

// frenchSide lays out the French identity card's printed side as words:
// each value after its label on the label's line, the card's number
// across the top, sex and birth date on one line. glue joins "Sexe :" and
// its value into one word, as OCR reads narrow spaces.
func frenchSide(number, surname, given, sex, birth string, sexConf float64, glue bool) []Word {
	var ws []Word
	put := func(s string, x, y int, conf float64) int {
		for _, w := range strings.Fields(s) {
			ws = append(ws, Word{Text: w, Confidence: conf, Box: image.Rect(x, y, x+14*len(w), y+20)})
			x += 14*len(w) + 10
		}
		return x
	}
	put("REPUBLIQUE FRANCAISE", 40, 20, 95)
	put("CARTE NATIONALE D'IDENTITÉ N° : "+number, 40, 60, 95)
	put("Nationalité Française", 400, 100, 95)
	put("Nom : "+surname, 400, 200, 95)
	put("Prénom(s) : "+given, 400, 250, 95)
	x := 0
	if glue {
		x = put("Sexe:"+sex, 400, 300, sexConf)
	} else {
		x = put("Sexe :", 400, 300, 95)
		x = put(sex, x, 300, sexConf)
	}
	put("Né(e) le : "+birth, x+60, 300, 95)
	put("à : PARIS 1ER (75)", 400, 350, 95)
	put("Taille : 1,60m Signature du titulaire", 400, 400, 95)
	return ws
}

// The French card (FRID) compares its own fields, each read after its
// label on the same line.
func TestCompareFrenchCard(t *testing.T) {
	t.Parallel()
	cd := func(s string) string { d, _ := passport.CheckDigit(s); return string(d) }
	l1 := "IDFRABERTHIER<<<<<<<<<<<<<<<<<750123"
	l2 := "880692310285" + cd("880692310285") + "CORINNE<<MARIE" + "651206" + cd("651206") + "F"
	l2 += cd(l1 + l2)
	zone := func() *passport.Result {
		r, err := passport.Parse([]string{l1, l2}, passport.ParseOptions{})
		if err != nil || !r.Valid || r.Format != passport.FRID {
			t.Fatalf("%q %q: %v %+v", l1, l2, err, r)
		}
		r.Review(nil)
		return r
	}
	all := func(v string) map[string]string {
		return map[string]string{"surname": v, "given_names": v, "document_number": v, "birth_date": v, "sex": v}
	}
	cases := []struct {
		name   string
		words  []Word
		print  map[string]string
		review []string
	}{
		{"agrees", frenchSide("880692310285", "BERTHIER", "Corinne, Marie", "F", "06.12.1965", 95, false), all(Agrees), []string{}},
		{"label and value in one word", frenchSide("880692310285", "BERTHIER", "CORINNE, MARIE", "F", "06.12.1965", 95, true), all(Agrees), []string{}},
		{"surname differs", frenchSide("880692310285", "BERTHIEP", "CORINNE, MARIE", "F", "06.12.1965", 95, false),
			map[string]string{"surname": Differs, "sex": Agrees}, []string{"surname"}},
		{"number differs", frenchSide("880692810285", "BERTHIER", "CORINNE, MARIE", "F", "06.12.1965", 95, false),
			map[string]string{"document_number": Differs}, []string{"document_number"}},
		{"birth date differs", frenchSide("880692310285", "BERTHIER", "CORINNE, MARIE", "F", "06.12.1966", 95, false),
			map[string]string{"birth_date": Differs}, []string{"birth_date"}},
		// A word of one glyph scores low, but M is never read for F.
		{"sex differs, read unsurely", frenchSide("880692310285", "BERTHIER", "CORINNE, MARIE", "M", "06.12.1965", 20, false),
			map[string]string{"sex": Differs}, []string{"sex"}},
		// E is F misread, not another sex.
		{"sex misread", frenchSide("880692310285", "BERTHIER", "CORINNE, MARIE", "E", "06.12.1965", 20, false),
			map[string]string{"sex": NotFound}, []string{}},
		{"no page", nil, all(NotFound), []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := zone()
			Compare(c.words, r)
			for f, want := range c.print {
				if r.Print[f] != want {
					t.Errorf("print[%s] = %q, want %q (all: %v)", f, r.Print[f], want, r.Print)
				}
			}
			if _, ok := r.Print["expiry_date"]; ok || len(r.Print) != len(LayoutOf(passport.FRID).Fields) {
				t.Errorf("print %v, want the French card's fields %v", r.Print, LayoutOf(passport.FRID).Fields)
			}
			if !slices.Equal(r.NeedsReview, c.review) {
				t.Errorf("needs_review %q, want %q", r.NeedsReview, c.review)
			}
		})
	}
}
