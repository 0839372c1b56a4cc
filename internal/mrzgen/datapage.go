package mrzgen

import (
	"image"
	"image/draw"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/image/font"

	"github.com/revisbali/worker/passport"
)

// PrintedFields are the fields a data page prints under a label, by the
// reader's output names.
var PrintedFields = []string{"surname", "given_names", "document_number", "nationality", "birth_date", "sex", "expiry_date"}

// PrintedOf is what the visual inspection zone prints for t: names and
// numbers as in the zone (a real page may spell out what the zone
// truncated), dates as "12 AUG 1974".
func PrintedOf(t *Truth) map[string]string {
	sex := t.Sex
	if sex == "" {
		sex = "-"
	}
	return map[string]string{
		"surname": t.Surname, "given_names": t.GivenNames, "document_number": t.DocumentNumber,
		"nationality": t.Nationality, "birth_date": printedDate(t.BirthDate), "sex": sex,
		"expiry_date": printedDate(t.ExpiryDate),
	}
}

func printedDate(iso string) string {
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return strings.ToUpper(d.Format("02 Jan 2006"))
}

// differByOneLetter changes one character of v to a different one of the
// same kind (letter for letter, digit for digit), never a space.
func differByOneLetter(rng *rand.Rand, v string) string {
	b := []byte(v)
	var idx []int
	for i, c := range b {
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return v
	}
	i := idx[rng.IntN(len(idx))]
	c := b[i]
	for b[i] == c {
		if c >= 'A' && c <= 'Z' {
			b[i] = byte('A' + rng.IntN(26))
		} else {
			b[i] = byte('0' + rng.IntN(10))
		}
	}
	return string(b)
}

// dataPage draws the labelled fields of a data page in the box r: the
// names across the full width, then the number, nationality and sex, then
// the dates, each label in small type above its value.
func dataPage(dst draw.Image, label, value font.Face, ink image.Image, f passport.Format, printed map[string]string, r image.Rectangle) {
	number := "Document No. / No. du document"
	if f == passport.TD3 {
		number = "Passport No. / No. du passeport"
	}
	labels := map[string]string{
		"surname": "Surname / Nom", "given_names": "Given names / Prenoms", "document_number": number,
		"nationality": "Nationality / Nationalite", "birth_date": "Date of birth / Date de naissance",
		"sex": "Sex / Sexe", "expiry_date": "Date of expiry / Date d'expiration",
	}
	rows := [][]string{{"surname"}, {"given_names"}, {"document_number", "nationality", "sex"}, {"birth_date", "expiry_date"}}
	step := r.Dy() / len(rows)
	labelH := label.Metrics().Ascent.Ceil()
	valueH := value.Metrics().Ascent.Ceil()
	for i, row := range rows {
		y := r.Min.Y + i*step + labelH
		cols := []float64{0, 0.5}
		if len(row) == 3 {
			cols = []float64{0, 0.56, 0.86} // number, nationality, sex
		}
		for j, k := range row {
			x := r.Min.X + int(cols[j]*float64(r.Dx()))
			l := labels[k]
			if len(row) > 1 {
				l, _, _ = strings.Cut(l, " / ")
			}
			text(dst, label, ink, l, x, y)
			text(dst, value, ink, printed[k], x, y+valueH+labelH/3)
		}
	}
}
