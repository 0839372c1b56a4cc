package passport

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// refNow fixes "today" so the century rules are deterministic.
var refNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// fields is what a reader of the job output cares about.
type fields struct {
	Valid                                   bool
	Format                                  Format
	DocType, Issuing, Surname, Given        string
	Number, Nationality, Birth, Sex, Expiry string
	Personal                                string
	Truncated                               bool
	Long                                    string
	Failed                                  string // checks expected false, sorted, comma-separated
}

func fieldsOf(r *Result) fields {
	f := fields{
		Valid: r.Valid, Format: r.Format, DocType: r.DocumentType, Issuing: r.IssuingCountry,
		Surname: r.Surname, Given: r.GivenNames, Number: r.DocumentNumber, Nationality: r.Nationality,
		Birth: r.BirthDate, Sex: r.Sex, Expiry: r.ExpiryDate, Personal: r.PersonalNumber,
		Truncated: r.NamesTruncated, Long: r.LongDocumentNumber,
	}
	var failed []string
	for k, ok := range r.Checks {
		if !ok {
			failed = append(failed, k)
		}
	}
	slices.Sort(failed)
	f.Failed = strings.Join(failed, ",")
	return f
}

// The ICAO 9303 specimens and hand-made documents; every check digit below
// was computed independently of this package.
var specimens = []struct {
	name  string
	lines []string
	want  fields
}{
	{"TD3 specimen", []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}, fields{Valid: true, Format: TD3, DocType: "P", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L898902C3", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15", Personal: "ZE184226B"}},
	{"TD1 specimen", []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}, fields{Valid: true, Format: TD1, DocType: "I", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "D23145890", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15"}},
	{"TD2 specimen", []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"D231458907UTO7408122F1204159<<<<<<<6",
	}, fields{Valid: true, Format: TD2, DocType: "I", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "D23145890", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15"}},
	{"MRV-A specimen", []string{
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
	}, fields{Valid: true, Format: MRVA, DocType: "V", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L8988901C", Nationality: "XXX", Birth: "1940-09-07", Sex: "F", Expiry: "1996-12-10", Personal: "6ZE184226B"}},
	// The French card of 1988-2021: the example of cheminfo/mrz's tests
	// (MIT), and one made here with a Python check-digit script.
	{"French card, cheminfo example", []string{
		"IDFRATEST<NAME<<<<<<<<<<<<<<<<0CHE02",
		"1710GVA123451ROBERTA<<<<<<<9112311F2",
	}, fields{Valid: true, Format: FRID, DocType: "ID", Issuing: "FRA", Surname: "TEST NAME", Given: "ROBERTA",
		Number: "1710GVA12345", Nationality: "FRA", Birth: "1991-12-31", Sex: "F"}},
	{"French card, two given names", []string{
		"IDFRADUPONT<MARTIN<<<<<<<<<<<<750123",
		"8805750123454JEAN<<PIERRE<<6508151M3",
	}, fields{Valid: true, Format: FRID, DocType: "ID", Issuing: "FRA", Surname: "DUPONT MARTIN", Given: "JEAN PIERRE",
		Number: "880575012345", Nationality: "FRA", Birth: "1965-08-15", Sex: "M"}},
	{"MRV-B specimen", []string{
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"L8988901C4XXX4009078F9612109<<<<<<<<",
	}, fields{Valid: true, Format: MRVB, DocType: "V", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L8988901C", Nationality: "XXX", Birth: "1940-09-07", Sex: "F", Expiry: "1996-12-10"}},
	{"German D<< with '<' personal check digit", []string{
		"P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
		"C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4",
	}, fields{Valid: true, Format: TD3, DocType: "P", Issuing: "D", Surname: "MUSTERMANN", Given: "ERIKA",
		Number: "C01X00T47", Nationality: "D", Birth: "1964-08-12", Sex: "F", Expiry: "2027-02-28"}},
	{"German D<< with '0' personal check digit", []string{
		"P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
		"C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<04",
	}, fields{Valid: true, Format: TD3, DocType: "P", Issuing: "D", Surname: "MUSTERMANN", Given: "ERIKA",
		Number: "C01X00T47", Nationality: "D", Birth: "1964-08-12", Sex: "F", Expiry: "2027-02-28"}},
	{"sex X and unknown birth day", []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408<<7X3204153ZE184226B<<<<<16",
	}, fields{Valid: true, Format: TD3, DocType: "P", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L898902C3", Nationality: "UTO", Birth: "1974-08", Sex: "X", Expiry: "2032-04-15", Personal: "ZE184226B"}},
	{"refugee, stateless, unknown birth day, sex unspecified", []string{
		"P<XXBDOE<<JANE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
		"R123456783XXA8001<<3<3001019<<<<<<<<<<<<<<06",
	}, fields{Valid: true, Format: TD3, DocType: "P", Issuing: "XXB", Surname: "DOE", Given: "JANE",
		Number: "R12345678", Nationality: "XXA", Birth: "1980-01", Sex: "", Expiry: "2030-01-01"}},
	{"TD1 long document number (ICAO overflow)", []string{
		"I<UTOD23145890<7349<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}, fields{Valid: true, Format: TD1, DocType: "I", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "D23145890734", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15", Long: "standard"}},
	{"TD1 long number, check digit without the filler", []string{
		"I<PRTPT1234567<89ZZ45<<<<<<<<<",
		"8501019M3101012PRT<<<<<<<<<<<4",
		"SILVA<<JOAO<<<<<<<<<<<<<<<<<<<",
	}, fields{Valid: true, Format: TD1, DocType: "I", Issuing: "PRT", Surname: "SILVA", Given: "JOAO",
		Number: "PT123456789ZZ4", Nationality: "PRT", Birth: "1985-01-01", Sex: "M", Expiry: "2031-01-01", Long: "standard"}},
	{"TD1 long number, check digit counting the filler", []string{
		"I<PRTPT1234567<89ZZ47<<<<<<<<<",
		"8501019M3101012PRT<<<<<<<<<<<8",
		"SILVA<<JOAO<<<<<<<<<<<<<<<<<<<",
	}, fields{Valid: true, Format: TD1, DocType: "I", Issuing: "PRT", Surname: "SILVA", Given: "JOAO",
		Number: "PT123456789ZZ4", Nationality: "PRT", Birth: "1985-01-01", Sex: "M", Expiry: "2031-01-01", Long: "with_filler"}},
	{"TD2 long document number", []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"D23145890<UTO7408122F12041597349<<<2",
	}, fields{Valid: true, Format: TD2, DocType: "I", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "D23145890734", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15", Long: "standard"}},
	{"Dutch TD1 with personal number in optional data", []string{
		"I<NLDSPECI20212999999990<<<<<<",
		"6503101F3108022NLD<<<<<<<<<<<2",
		"DE<BRUIJN<<WILLEKE<LISELOTTE<<",
	}, fields{Valid: true, Format: TD1, DocType: "I", Issuing: "NLD", Surname: "DE BRUIJN", Given: "WILLEKE LISELOTTE",
		Number: "SPECI2021", Nationality: "NLD", Birth: "1965-03-10", Sex: "F", Expiry: "2031-08-02", Personal: "999999990"}},
	{"truncated names", []string{
		"P<UTOHOLLINGSWORTH<FITZGERALD<PEMBERTON<<ALE",
		"L898902C36GBR9001011M3001019<<<<<<<<<<<<<<04",
	}, fields{Valid: true, Format: TD3, DocType: "P", Issuing: "UTO", Surname: "HOLLINGSWORTH FITZGERALD PEMBERTON",
		Given: "ALE", Truncated: true, Number: "L898902C3", Nationality: "GBR", Birth: "1990-01-01", Sex: "M", Expiry: "2030-01-01"}},

	// Invalid check digits are reported, never silently fixed.
	{"wrong document number check digit", []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C37UTO7408122F1204159ZE184226B<<<<<10",
	}, fields{Format: TD3, DocType: "P", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L898902C3", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15", Personal: "ZE184226B",
		Failed: "composite,document_number"}},
	{"wrong composite only", []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<11",
	}, fields{Format: TD3, DocType: "P", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L898902C3", Nationality: "UTO", Birth: "1974-08-12", Sex: "F", Expiry: "2012-04-15", Personal: "ZE184226B",
		Failed: "composite"}},
	{"impossible date with matching check digit", []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7402304F1204159ZE184226B<<<<<16",
	}, fields{Format: TD3, DocType: "P", Issuing: "UTO", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L898902C3", Nationality: "UTO", Birth: "1974-02-30", Sex: "F", Expiry: "2012-04-15", Personal: "ZE184226B",
		Failed: "birth_date"}},
	{"unknown sex letter and unknown state", []string{
		"P<QQQERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122W1204159ZE184226B<<<<<10",
	}, fields{Format: TD3, DocType: "P", Issuing: "QQQ", Surname: "ERIKSSON", Given: "ANNA MARIA",
		Number: "L898902C3", Nationality: "UTO", Birth: "1974-08-12", Sex: "W", Expiry: "2012-04-15", Personal: "ZE184226B",
		Failed: "issuing_country,sex"}},
}

func TestParseSpecimens(t *testing.T) {
	t.Parallel()
	for _, tt := range specimens {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Parse(tt.lines, ParseOptions{Now: refNow})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := fieldsOf(r); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if !slices.Equal(r.MRZ, tt.lines) || !slices.Equal(r.RawMRZ, tt.lines) {
				t.Errorf("zone changed: %q", r.MRZ)
			}
			if len(r.Corrections) != 0 {
				t.Errorf("clean zone corrected: %+v", r.Corrections)
			}
		})
	}
}
