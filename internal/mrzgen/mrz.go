// Package mrzgen makes test documents with a known machine-readable zone:
// identities in all five ICAO 9303 formats, rendered with the OCR-B font
// (Debian fonts-ocr-b) onto document-like cards (photo, printed labels,
// background texture) and placed on scanner pages or phone-photo scenes,
// rotated, tilted, blurred, noised and JPEG-compressed, at 150-300 DPI.
// Tests and `make bench` measure the reader against its ground truth.
package mrzgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/revisbali/worker/passport"
)

// Truth is what a perfect reader returns for a generated document.
type Truth struct {
	Format         passport.Format `json:"format"`
	DocumentType   string          `json:"document_type"`
	IssuingCountry string          `json:"issuing_country"`
	Surname        string          `json:"surname"`
	GivenNames     string          `json:"given_names"`
	DocumentNumber string          `json:"document_number"`
	Nationality    string          `json:"nationality"`
	BirthDate      string          `json:"birth_date"`
	Sex            string          `json:"sex"`
	ExpiryDate     string          `json:"expiry_date"`
	PersonalNumber string          `json:"personal_number"`
	MRZ            []string        `json:"mrz"`
	// Printed is what the data page prints under each label (PrintedFields),
	// which may differ from the zone when Options.PrintDiffers asks.
	Printed map[string]string `json:"printed,omitempty"`
}

// Fields lists the compared fields of a Truth (or of a reader's result put
// in a Truth), by their JSON names. CoveredFields are those a check digit
// protects.
func (t Truth) Fields() map[string]string {
	return map[string]string{
		"format": string(t.Format), "document_type": t.DocumentType, "issuing_country": t.IssuingCountry,
		"surname": t.Surname, "given_names": t.GivenNames, "document_number": t.DocumentNumber,
		"nationality": t.Nationality, "birth_date": t.BirthDate, "sex": t.Sex,
		"expiry_date": t.ExpiryDate, "personal_number": t.PersonalNumber,
	}
}

// CoveredFields are the fields a check digit protects: a wrong value there
// with every check passing is a silent error the reader must never make.
var CoveredFields = []string{"document_number", "birth_date", "expiry_date"}

// FromResult puts a reader's result in a Truth for comparison.
func FromResult(r *passport.Result) Truth {
	return Truth{
		Format: r.Format, DocumentType: r.DocumentType, IssuingCountry: r.IssuingCountry,
		Surname: r.Surname, GivenNames: r.GivenNames, DocumentNumber: r.DocumentNumber,
		Nationality: r.Nationality, BirthDate: r.BirthDate, Sex: r.Sex, ExpiryDate: r.ExpiryDate,
		PersonalNumber: r.PersonalNumber, MRZ: r.MRZ,
	}
}

var (
	surnames = []string{"ERIKSSON", "MUSTERMANN", "NGUYEN", "DE LA CRUZ", "OKONKWO", "SANTOSO", "MARTIN",
		"VAN DER BERG", "KOWALSKA", "WIJAYA", "GARCIA LOPEZ", "SMITH", "MOHAMMED", "TANAKA", "PURNAMASARI",
		"OCONNOR", "SCHMIDT", "LEE", "ABDULRAHMAN", "KUSUMAWARDHANI", "XU", "BROWN"}
	givens = []string{"ANNA MARIA", "ERIKA", "JOHN", "MUHAMMAD RIZKY", "LUCAS", "PUTU AYU", "SOPHIE", "KARL HEINZ",
		"WAYAN", "MARIE CLAIRE", "JAMES", "SITI NURHALIZA", "KENJI", "OLIVIA", "JEAN PIERRE", "NI MADE", "X", "AIKO"}
	states = []string{"UTO", "D", "NLD", "FRA", "GBR", "IDN", "AUS", "USA", "CAN", "ITA", "ESP", "POL", "JPN",
		"KOR", "SGP", "SWE", "BEL", "AUT", "CHE", "IRL", "NZL", "RUS", "CHN", "IND", "BRA", "GBD", "XXA", "UNO"}
	alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// Identity builds a random, valid zone of the given format. now places
// birth and expiry dates (births 1-90 years back, expiries up to 10 years
// ahead, some already expired). A French card (FRID) comes with its
// Printed set.
func Identity(rng *rand.Rand, f passport.Format, now time.Time) Truth {
	if f == passport.FRID {
		return frenchIdentity(rng, now)
	}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	t := Truth{Format: f}
	t.IssuingCountry = pick(states)
	t.Nationality = t.IssuingCountry
	if rng.IntN(4) == 0 {
		t.Nationality = pick(states)
	}
	t.Surname = pick(surnames)
	t.GivenNames = pick(givens)
	if rng.IntN(3) == 0 {
		t.GivenNames += " " + pick(givens)
	}
	t.Sex = []string{"M", "F", "F", "M", "X", ""}[rng.IntN(6)]
	birth := now.AddDate(-1-rng.IntN(89), -rng.IntN(12), -rng.IntN(28))
	expiry := now.AddDate(rng.IntN(11)-1, rng.IntN(12), rng.IntN(28))
	t.BirthDate, t.ExpiryDate = birth.Format(time.DateOnly), expiry.Format(time.DateOnly)

	code := map[passport.Format][]string{
		passport.TD3: {"P<", "P<", "PA", "PD"}, passport.TD1: {"I<", "ID", "AC", "IR", "C<"},
		passport.TD2: {"I<", "ID", "AC"}, passport.MRVA: {"V<"}, passport.MRVB: {"V<", "VB"},
	}[f]
	t.DocumentType = strings.TrimRight(pick(code), "<")
	docLen := 8 + rng.IntN(2)
	if (f == passport.TD1 || f == passport.TD2) && rng.IntN(4) == 0 {
		docLen = 10 + rng.IntN(3) // long document numbers overflow into the optional field
	}
	var b strings.Builder
	for i := range docLen {
		if i < 2 && rng.IntN(2) == 0 {
			b.WriteByte(alnum[rng.IntN(26)])
		} else {
			b.WriteByte(alnum[26+rng.IntN(10)])
		}
	}
	t.DocumentNumber = b.String()
	if rng.IntN(2) == 0 {
		b.Reset()
		for range 4 + rng.IntN(8) {
			b.WriteByte(alnum[26+rng.IntN(10)])
		}
		t.PersonalNumber = b.String()
	}
	t.MRZ = lines(t)
	// Names cut to fit, and which optional field holds the personal number,
	// are read back the way the zone states them.
	r, err := passport.Parse(t.MRZ, passport.ParseOptions{Now: now})
	if err != nil || !r.Valid || r.DocumentNumber != t.DocumentNumber || r.BirthDate != t.BirthDate || r.ExpiryDate != t.ExpiryDate {
		panic(fmt.Sprintf("mrzgen: generated zone %q does not read back (%v): %+v", t.MRZ, err, r))
	}
	t.Surname, t.GivenNames, t.PersonalNumber = r.Surname, r.GivenNames, r.PersonalNumber
	return t
}

func cd(s string) string {
	d, ok := passport.CheckDigit(s)
	if !ok {
		panic("mrzgen: not MRZ characters: " + s)
	}
	return string(d)
}

func field(s string, n int) string {
	s = strings.ReplaceAll(s, " ", "<")
	if len(s) > n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

func date(iso string) string { return iso[2:4] + iso[5:7] + iso[8:10] }

// lines writes the zone of t, truncating names to fit as ICAO does and
// setting t's names to what the zone holds.
func lines(t Truth) []string {
	code := field(t.DocumentType, 2)
	sex := t.Sex
	if sex == "" {
		sex = "<"
	}
	names := func(n int) string { return field(t.Surname+"<<"+t.GivenNames, n) }
	birth, expiry := date(t.BirthDate), date(t.ExpiryDate)
	doc9, docCheck, overflow := t.DocumentNumber, "", ""
	if len(doc9) > 9 {
		// ICAO 9303 part 5: '<' in the check position, the rest of the
		// number and its check digit open the optional field.
		doc9, docCheck, overflow = t.DocumentNumber[:9], "<", t.DocumentNumber[9:]+cd(t.DocumentNumber)
	} else {
		doc9 = field(doc9, 9)
		docCheck = cd(doc9)
	}
	switch t.Format {
	case passport.TD3:
		l1 := code + field(t.IssuingCountry, 3) + names(39)
		pn := field(t.PersonalNumber, 14)
		pnc := cd(pn)
		if t.PersonalNumber == "" && pnc == "0" {
			pnc = "<"
		}
		l2 := doc9 + docCheck + field(t.Nationality, 3) + birth + cd(birth) + sex + expiry + cd(expiry) + pn + pnc
		l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
		return []string{l1, l2}
	case passport.TD1:
		l1 := code + field(t.IssuingCountry, 3) + doc9 + docCheck + field(overflow+"<"+t.PersonalNumber, 15)
		if overflow == "" {
			l1 = code + field(t.IssuingCountry, 3) + doc9 + docCheck + field(t.PersonalNumber, 15)
		}
		l2 := birth + cd(birth) + sex + expiry + cd(expiry) + field(t.Nationality, 3) + field("", 11)
		l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
		return []string{l1, l2, names(30)}
	case passport.TD2:
		l1 := code + field(t.IssuingCountry, 3) + names(31)
		opt := field(t.PersonalNumber, 7)
		if overflow != "" {
			opt = field(overflow+"<", 7)
		}
		l2 := doc9 + docCheck + field(t.Nationality, 3) + birth + cd(birth) + sex + expiry + cd(expiry) + opt
		l2 += cd(l2[0:10] + l2[13:20] + l2[21:35])
		return []string{l1, l2}
	case passport.MRVA, passport.MRVB:
		w := 44
		if t.Format == passport.MRVB {
			w = 36
		}
		l1 := code + field(t.IssuingCountry, 3) + names(w-5)
		l2 := doc9 + docCheck + field(t.Nationality, 3) + birth + cd(birth) + sex + expiry + cd(expiry)
		l2 += field(t.PersonalNumber, w-len(l2))
		return []string{l1, l2}
	}
	panic(fmt.Sprintf("mrzgen: unknown format %q", t.Format))
}
