package passport

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var tdSpecimen = fields{Valid: true, Format: TD3, DocType: "P", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
	Number: "L898902C3", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15", Personal: "ZE184226B"}

func with(f fields, change func(*fields)) fields {
	change(&f)
	return f
}

// Hand-made OCR damage on the specimens: what is repaired, what is only
// reported, and which corrections say so.
func TestParseTextNoisy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		want  fields
		fixed []string // Field of each check-confirmed or name correction, in order
		warn  string   // a warning expected among the result's
	}{
		{
			name: "letter O for digit 0 in dates and composite repaired",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO74O8122F12O4159ZE184226B<<<<<1O\n",
			want: tdSpecimen, fixed: []string{"composite", "birth_date", "expiry_date"},
		},
		{
			name: "letter C for digit 0 in a date and the composite check digit repaired",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F12C4159ZE184226B<<<<<1C\n",
			want: tdSpecimen, fixed: []string{"composite", "expiry_date"},
		},
		{
			name:  "letter C for digit 0 in the composite check digit after fillers repaired",
			text:  "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898942C30UTO7408122F1204159<<<<<<<<<<<<<<<C\n",
			want:  with(tdSpecimen, func(f *fields) { f.Number, f.Personal = "L898942C3", "" }),
			fixed: []string{"composite"},
		},
		{
			name: "O in the document number is only suggested: the issuer may use either",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8989O2C36UTO74O8122F1204159ZE184226B<<<<<10\n",
			want: with(tdSpecimen, func(f *fields) {
				f.Valid, f.Number, f.Failed = false, "L8989O2C3", "composite,document_number"
			}),
			fixed: []string{"birth_date"},
			warn:  "document_number fails its check digit; readings one OCR confusion away that pass: L898902C3",
		},
		{
			name: "Z, O, I, S in dates repaired; a number with two equally likely fixes left as read",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nLB98902C36UTO74081Z2F12O4IS9ZE184226B<<<<<10",
			want: with(tdSpecimen, func(f *fields) {
				f.Valid, f.Number, f.Failed = false, "LB98902C3", "composite,document_number"
			}),
			fixed: []string{"birth_date", "expiry_date", "expiry_date", "expiry_date"},
		},
		{
			name: "guillemets, stray spaces, CRLF, blank line and garbage around the zone",
			text: "UTOPIA PASSPORT\nSurname / Nom  ERIKSSON\n\nP<UTOERIKSSON«ANNA<MARIA««««««««««\r\n\n L898902C36UTO 7408122F1204159ZE184226B<<<<< 10\n  signature ~~\n",
			want: tdSpecimen,
		},
		{
			name: "missing and extra filler inside runs",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<10",
			want: tdSpecimen,
		},
		{
			name: "filler read as K and X after the names",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<KK<<<<<X<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
			want: tdSpecimen, fixed: []string{"names", "names", "names"},
		},
		{
			name: "filler read as X in the personal number",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<X<<10",
			want: tdSpecimen, fixed: []string{"personal_number"},
		},
		{
			name: "nationality NLD read as HLO snapped to the table",
			text: "I<NLDSPECI20212999999990<<<<<<\n6503101F3108022HLO<<<<<<<<<<<2\nDE<BRUIJN<<WILLEKE<LISELOTTE<<",
			want: fields{Valid: true, Format: TD1, DocType: "I", Issuing: "NLD", Surname: "DE BRUIJN", Given: "WILLEKE LISELOTTE",
				Number: "SPECI2021", Nationality: "NLD", Birth: "1965-03-10", Sex: "F", Expiry: "2031-08-02", Personal: "999999990"},
			fixed: []string{"nationality"},
		},
		{
			name: "German D<< read as D<K",
			text: "P<D<KMUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<\nC01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4",
			want: fields{Valid: true, Format: TD3, DocType: "P", Issuing: "D", Surname: "MUSTERMANN", Given: "ERIKA",
				Number: "C01X00T47", Nationality: "D", Birth: "1964-08-12", Sex: "F", Expiry: "2027-02-28"},
			fixed: []string{"issuing_country"},
		},
		{
			name: "TD1 long number with O in the dates and lower case",
			text: "i<utoD23145890<7349<<<<<<<<<<<\n74O8122F12O4159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
			want: fields{Valid: true, Format: TD1, DocType: "I", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
				Number: "D23145890734", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15", Long: "standard"},
			fixed: []string{"birth_date", "expiry_date"},
		},
		{
			name: "a field no reading can fix blocks every repair the composite would confirm",
			text: "I<UTOD23145890<734M<<<<<<<<<<<\n74O8122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
			want: fields{Format: TD1, DocType: "I", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
				Number: "D23145890734", Nationality: "UTO", Sex: "F", Expiry: "2012-04-15", Long: "standard",
				Failed: "birth_date,composite,document_number"},
			fixed: []string{},
		},
		{
			name: "filler check digit of an empty personal number read as K",
			text: "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<\nC01X00T478D<<6408125F2702283<<<<<<<<<<<<<<K4",
			want: fields{Valid: true, Format: TD3, DocType: "P", Issuing: "D", Surname: "MUSTERMANN", Given: "ERIKA",
				Number: "C01X00T47", Nationality: "D", Birth: "1964-08-12", Sex: "F", Expiry: "2027-02-28"},
			fixed: []string{"personal_number"},
		},
		{
			name:  "document code F for P, sex H for M, digit 5 for S in a name",
			text:  "F<UTOERIK5SON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122H1204159ZE184226B<<<<<10",
			want:  with(tdSpecimen, func(f *fields) { f.Sex = "M" }),
			fixed: []string{"document_type", "sex", "names"},
		},
		{
			name:  "sex E could be F or '<': reported, not guessed",
			text:  "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122E1204159ZE184226B<<<<<10",
			want:  with(tdSpecimen, func(f *fields) { f.Valid, f.Sex, f.Failed = false, "E", "sex" }),
			fixed: []string{},
		},
		{
			name:  "digit 0 in a name could be O, D or Q: warned, kept",
			text:  "P<UTOERIKSS0N<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
			want:  with(tdSpecimen, func(f *fields) { f.Surname = "ERIKSS0N" }),
			fixed: []string{},
			warn:  "digit 0 in the names at line 1, position 12 could be any of ODQ",
		},
		{
			name: "TD2 with O in dates",
			text: "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO74O8122F12O4159<<<<<<<6",
			want: fields{Valid: true, Format: TD2, DocType: "I", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
				Number: "D23145890", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15"},
			fixed: []string{"birth_date", "expiry_date"},
		},
		{
			name: "MRV-B: forced date repair without a composite, X in the uncovered optional data",
			text: "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4OO9078F9612109<<<X<<<<",
			want: fields{Valid: true, Format: MRVB, DocType: "V", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
				Number: "L8988901C", Nationality: "XXX", Birth: "1940-09-07", Sex: "F", Expiry: "1996-12-10"},
			fixed: []string{"birth_date", "birth_date", "optional_data"},
		},
		{
			name: "a whole run of filler read as K after the names",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<KKKKKK<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
			want: tdSpecimen, fixed: []string{"names", "names", "names", "names", "names", "names"},
		},
		{
			name: "a run of filler read as X inside the personal number",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<XXX<10",
			want: tdSpecimen, fixed: []string{"personal_number", "personal_number", "personal_number"},
		},
		{
			name:  "a run of filler read as K inside the personal number: invisible to check digits, so flagged",
			text:  "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<KKK<10",
			want:  with(tdSpecimen, func(f *fields) { f.Valid, f.Personal, f.Failed = false, "ZE184226B KKK", "filler" }),
			fixed: []string{},
			warn:  `"KKK" stands alone in the filler at line 2, position 39: most likely '<' misread, which the check digits cannot catch`,
		},
		{
			name:  "a given name made of look-alike letters is a name",
			text:  "P<UTOERIKSSON<<ESSEX<<<<<<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
			want:  with(tdSpecimen, func(f *fields) { f.Given = "ESSEX" }),
			fixed: []string{},
		},
		{
			name: "MRV-B optional data, which no check digit covers: a run of K after a filler is filler",
			text: "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<KKK<<<<",
			want: fields{Valid: true, Format: MRVB, DocType: "V", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
				Number: "L8988901C", Nationality: "XXX", Birth: "1940-09-07", Sex: "F", Expiry: "1996-12-10"},
			fixed: []string{"optional_data", "optional_data", "optional_data"},
		},
		{
			name: "letter with no digit twin in a date is reported, not guessed",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO74M8122F1204159ZE184226B<<<<<10",
			want: with(tdSpecimen, func(f *fields) { f.Valid, f.Birth, f.Failed = false, "", "birth_date,composite" }),
		},
		{
			name: "a field that validates is never rewritten, even when the composite fails",
			text: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<13",
			want: with(tdSpecimen, func(f *fields) { f.Valid, f.Failed = false, "composite" }),
		},
		{
			name: "lone K after the given names, filler after it, is filler",
			text: "P<UTOERIKSSON<<ANNA<MARIA<K<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
			want: tdSpecimen, fixed: []string{"names"},
		},
		{
			name:  "initial K filling the field is kept: the name was truncated",
			text:  "P<UTOERIKSSON<<ANNA<MARIA<BEATRIX<JOHANNAS<K\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
			want:  with(tdSpecimen, func(f *fields) { f.Given, f.Truncated = "ANNA MARIA BEATRIX JOHANNAS K", true }),
			fixed: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseText(tt.text, ParseOptions{Now: refNow})
			if err != nil {
				t.Fatalf("ParseText: %v", err)
			}
			if got := fieldsOf(r); got != tt.want {
				t.Errorf("got  %+v\nwant %+v\ncorrections %+v", got, tt.want, r.Corrections)
			}
			var fixed []string
			for _, c := range r.Corrections {
				if c.Field != "" {
					fixed = append(fixed, c.Field)
				}
				if c.From == c.To {
					t.Errorf("empty correction %+v", c)
				}
			}
			if tt.fixed != nil && !slices.Equal(fixed, tt.fixed) {
				t.Errorf("corrected fields %q, want %q\n%+v", fixed, tt.fixed, r.Corrections)
			}
			if tt.warn != "" && !slices.Contains(r.Warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", r.Warnings, tt.warn)
			}
			if len(r.RawMRZ) != len(r.MRZ) {
				t.Errorf("raw lines %q vs zone %q", r.RawMRZ, r.MRZ)
			}
		})
	}
}

func TestNoMRZ(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"",
		"UTOPIA\nPASSPORT\nThis is an ordinary page of text with no zone in it at all.\n",
		strings.Repeat("<", 5000),
		strings.Repeat("OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOO\n", 30), // zone-shaped, but no filler anywhere
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n",
	} {
		if r, err := ParseText(text, ParseOptions{Now: refNow}); !errors.Is(err, ErrNoMRZ) {
			t.Errorf("ParseText(%.40q) = %v, %v; want ErrNoMRZ", text, r, err)
		}
	}
	for _, lines := range [][]string{
		nil,
		{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"},
		{"SHORT", "LINES"},
		{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10", "EXTRA", "LINES"},
	} {
		_, err := Parse(lines, ParseOptions{Now: refNow})
		if !errors.Is(err, ErrNoMRZ) {
			t.Errorf("Parse(%q) error = %v; want ErrNoMRZ", lines, err)
		}
	}
}
