package mrzgen

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/revisbali/worker/passport"
)

// The French identity card of 1988-2021 (passport.FRID), as
// docs/passport-evaluation.md describes it: 105 x 74 mm, its number after
// "CARTE NATIONALE D'IDENTITÉ N°" across the top, the photo at the left,
// the fields right of it, each value on its label's line, and a zone of
// two lines of 36 in France's own layout.

var (
	frenchSurnames = []string{"MARTIN", "BERNARD", "DUBOIS", "LEFEBVRE", "DE LA FONTAINE", "MOREAU", "GIRARD",
		"ROUSSEAU", "FOURNIER", "BONNET", "LAMBERT", "MERCIER", "GUERIN", "CHEVALIER", "NGUYEN", "DIALLO",
		"BENALI", "LE GOFF", "PERRIN DUVAL", "HOARAU"}
	// frenchGivens are printed with their accents and hyphens; the zone
	// writes them without (ICAO transliteration).
	frenchGivens = []string{"JEAN-PIERRE", "MARIE", "SOPHIE", "LUC", "ANNE", "THOMAS", "CAMILLE", "NICOLAS",
		"ÉLODIE", "FRANÇOIS", "HÉLÈNE", "YANN", "INÈS", "KARIM", "LÉA", "PAUL", "CHLOÉ", "RÉMI"}
)

// frenchIdentity builds a random, valid French card: a 12-character number
// (year and month of issue, office, serial), given names that fit the
// zone's 14 characters (each separated by "<<" in the zone, by ", " on the
// card), sex M or F. Its Printed is set: the card prints given names as
// the holder's, which the zone cannot show.
func frenchIdentity(rng *rand.Rand, now time.Time) Truth {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	t := Truth{Format: passport.FRID, DocumentType: "ID", IssuingCountry: "FRA", Nationality: "FRA"}
	t.Surname = pick(frenchSurnames)
	var given []string
	for n := 1 + rng.IntN(3); len(given) < n; {
		g := pick(frenchGivens)
		if len(zoneGiven(append(given, g))) > 14 {
			break
		}
		given = append(given, g)
	}
	t.Sex = []string{"M", "F"}[rng.IntN(2)]
	birth := now.AddDate(-16-rng.IntN(70), -rng.IntN(12), -rng.IntN(28))
	t.BirthDate = birth.Format(time.DateOnly)
	// Issued between the 16th birthday (or 1995) and 2021.
	from := max(birth.Year()+16, 1995)
	issued := time.Date(from+rng.IntN(max(1, 2021-from+1)), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
	office := fmt.Sprintf("%02d%01d", 1+rng.IntN(95), rng.IntN(10))
	t.DocumentNumber = issued.Format("0601") + office + fmt.Sprintf("%05d", rng.IntN(100000))
	l1 := "IDFRA" + field(t.Surname, 25) + field(office+fmt.Sprintf("%03d", rng.IntN(1000)), 6)
	l2 := t.DocumentNumber + cd(t.DocumentNumber) + field(zoneGiven(given), 14) + date(t.BirthDate) + cd(date(t.BirthDate)) + t.Sex
	l2 += cd(l1 + l2)
	t.MRZ = []string{l1, l2}
	r, err := passport.Parse(t.MRZ, passport.ParseOptions{Now: now})
	if err != nil || !r.Valid || r.Format != passport.FRID || r.DocumentNumber != t.DocumentNumber || r.BirthDate != t.BirthDate {
		panic(fmt.Sprintf("mrzgen: generated French zone %q does not read back (%v): %+v", t.MRZ, err, r))
	}
	t.Surname, t.GivenNames, t.ExpiryDate, t.PersonalNumber = r.Surname, r.GivenNames, r.ExpiryDate, r.PersonalNumber
	t.Printed = map[string]string{
		"surname": t.Surname, "given_names": strings.Join(given, ", "), "document_number": t.DocumentNumber,
		"birth_date": birth.Format("02.01.2006"), "sex": t.Sex,
	}
	return t
}

// zoneGiven writes given names as the French card's zone does: without
// accents, a hyphen as '<', names apart by "<<".
func zoneGiven(given []string) string {
	plain := strings.NewReplacer("É", "E", "È", "E", "Ç", "C", "-", "<")
	out := make([]string, len(given))
	for i, g := range given {
		out[i] = plain.Replace(g)
	}
	return strings.Join(out, "<<")
}

// frenchDiffers changes the French card's printed field k by one
// character as a misprinted or altered card would: a date keeps a real
// date (its year's last digit), the sex swaps M and F, anything else as
// differByOneLetter.
func frenchDiffers(rng *rand.Rand, k, v string) string {
	switch k {
	case "birth_date":
		b := []byte(v)
		last := len(b) - 1
		b[last] = '0' + (b[last]-'0'+1+byte(rng.IntN(9)))%10
		return string(b)
	case "sex":
		return map[string]string{"M": "F", "F": "M"}[v]
	}
	return differByOneLetter(rng, v)
}

// renderFrench draws the French card holding t's zone (with t nil, a
// specimen's front without one) at dpi.
func (fs *Fonts) renderFrench(rng *rand.Rand, t *Truth, dpi float64, blankPhoto bool) (*image.RGBA, image.Rectangle, error) {
	size := docSize[passport.FRID]
	mm := dpi / 25.4
	w, h := int(size[0]*mm), int(size[1]*mm)
	img := securityPaper(rng, w, h, mm)
	zoneTop := h - int(mm*(4+4.2*2))
	photo := photoBox(rng, passport.FRID, mm, zoneTop)
	drawPortrait(rng, img, photo, blankPhoto)
	label, err := face(fs.sans, 6.5, dpi)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	defer label.Close()
	value, err := face(fs.bold, 8, dpi)
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	defer value.Close()
	dark := image.NewUniform(color.RGBA{30, 30, 50, 255})
	printed := map[string]string{"surname": "SPECIMEN", "given_names": "MARIE", "document_number": "000000000000",
		"birth_date": "01.01.1980", "sex": "F"}
	if t != nil {
		printed = t.Printed
	}
	// A label, then its value on the same line, after a space.
	put := func(l, v string, x, y int) int {
		x = textEnd(img, label, dark, l+" : ", x, y)
		return textEnd(img, value, dark, v, x, y)
	}
	textEnd(img, label, dark, "RÉPUBLIQUE FRANÇAISE", int(4*mm), int(5*mm))
	put("CARTE NATIONALE D'IDENTITÉ N°", printed["document_number"], int(4*mm), int(10*mm))
	x := photo.Max.X + int(4*mm)
	textEnd(img, label, dark, "Nationalité Française", x, int(15*mm))
	// Rows from the photo's top to the zone: names, sex and birth date,
	// place of birth, height and the signature.
	top, bottom := photo.Min.Y+int(3*mm), zoneTop-int(2*mm)
	step := (bottom - top) / 5
	put("Nom", printed["surname"], x, top)
	put("Prénom(s)", printed["given_names"], x, top+step)
	end := put("Sexe", printed["sex"], x, top+2*step)
	put("Né(e) le", printed["birth_date"], end+int(5*mm), top+2*step)
	put("à", []string{"PARIS 14E (75)", "LYON 3E (69)", "BREST (29)", "SAINT-DENIS (974)"}[rng.IntN(4)], x, top+3*step)
	end = put("Taille", fmt.Sprintf("1,%02dm", 50+rng.IntN(45)), x, top+4*step)
	sig := end + int(6*mm)
	textEnd(img, label, dark, "Signature du titulaire", sig, top+4*step)
	// The holder's signature: a scrawl under its label.
	amp, period := (0.8+rng.Float64())*mm, (2+rng.Float64()*2)*mm
	for px := range int(22 * mm) {
		y := float64(top+4*step) + 2.5*mm + amp*math.Sin(float64(px)/period*2*math.Pi)
		if yy, xx := int(y), sig+px; xx < w && yy < zoneTop {
			img.SetRGBA(xx, yy, color.RGBA{20, 30, 90, 255})
			img.SetRGBA(xx, yy+1, color.RGBA{20, 30, 90, 255})
		}
	}
	if t == nil {
		return img, photo, nil
	}
	if err := fs.drawZone(rng, img, t, dpi); err != nil {
		return nil, image.Rectangle{}, err
	}
	return img, photo, nil
}
