// Package printpage cross-checks a machine-readable zone against the
// document's printed data page (ICAO 9303's visual inspection zone): it
// finds each labelled field among the words OCR read there and compares it,
// after ICAO transliteration, with the zone's reading.
package printpage

import (
	"fmt"
	"image"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/revisbali/worker/passport"
)

// The verdicts of one field.
const (
	Agrees   = "agrees"
	Differs  = "differs"
	NotFound = "not found"
)

// Fields are the fields compared on ICAO 9303 data pages, by the zone
// reading's output names.
var Fields = []string{"surname", "given_names", "document_number", "nationality", "birth_date", "expiry_date"}

// Layout is how a document's printed side sets out the fields compared.
type Layout struct {
	// Fields are the fields compared, by the zone reading's output names.
	Fields []string
	// Labels are the words that open each field's label.
	Labels map[string][][]string
	// Beside says that each value follows its label on the label's line
	// ("Nom : MARTIN"); otherwise it is printed under its label.
	Beside bool
	// TextLeft is where the printed text to read starts, as a share of the
	// document's width from its left edge: right of the portrait, which
	// takes about the left quarter of every ICAO data page; the French
	// card's left edge, where its number's line starts.
	TextLeft float64
}

// icaoPage is the layout of ICAO 9303 data pages (TD1, TD2, TD3, visas).
var icaoPage = Layout{Fields: Fields, Labels: labels, TextLeft: 0.25}

// frenchCard is the layout of the French identity card of 1988-2021
// (docs/passport-evaluation.md, "The French identity card"): the card's
// number after "CARTE NATIONALE D'IDENTITÉ N°" across the top, then right
// of the photo "Nom :", "Prénom(s) :", "Sexe :", "Né(e) le :" (a date
// 13.03.1964), "à :", "Taille :", each value on its label's line. It
// prints no expiry date (the card's back holds its validity) and its
// nationality as a word, "Française".
var frenchCard = Layout{
	Fields: []string{"surname", "given_names", "document_number", "birth_date", "sex"},
	Labels: map[string][][]string{
		"surname":         {{"NOM"}},
		"given_names":     {{"PRENOMS"}, {"PRENOM"}},
		"document_number": {{"IDENTITE"}},
		"birth_date":      {{"NEE", "LE"}, {"NE", "LE"}},
		"sex":             {{"SEXE"}},
		// Printed, not compared: their labels end the values before them.
		"birth_place": {{"A"}},
		"height":      {{"TAILLE"}},
	},
	Beside: true,
}

// LayoutOf returns the printed layout of format f.
func LayoutOf(f passport.Format) Layout {
	if f == passport.FRID {
		return frenchCard
	}
	return icaoPage
}

// Word is one word OCR read on the printed page.
type Word struct {
	Text       string
	Confidence float64 // 0-100
	Box        image.Rectangle
}

// MinSureConfidence is the word confidence from which a printed reading
// counts as confident.
const MinSureConfidence = 85

// minReadConfidence is the word confidence under which a printed value
// that differs from the zone counts as unread rather than different.
const minReadConfidence = 50

// labels are the words that open each field's label, in the languages
// data pages commonly pair with English (ICAO 9303 part 4 labels fields in
// English, French or Spanish besides the issuer's language).
var labels = map[string][][]string{
	"surname":         {{"SURNAME"}, {"NOM"}, {"APELLIDOS"}},
	"given_names":     {{"GIVEN"}, {"PRENOMS"}, {"NOMBRES"}, {"FORENAMES"}},
	"document_number": {{"PASSPORT", "NO"}, {"DOCUMENT", "NO"}, {"CARD", "NO"}, {"NO", "DU"}, {"PASSPORT", "NUMBER"}, {"DOCUMENT", "NUMBER"}},
	"nationality":     {{"NATIONALITY"}, {"NATIONALITE"}, {"NACIONALIDAD"}},
	"birth_date":      {{"DATE", "OF", "BIRTH"}, {"BIRTH"}},
	"expiry_date":     {{"DATE", "OF", "EXPIRY"}, {"EXPIRY"}, {"EXPIRATION"}},
	"sex":             {{"SEX"}},
}

// Compare finds each of Fields on the page and sets res.Print to its
// verdict. A field that differs is added to res.NeedsReview; when the
// print and the zone differ only by characters OCR confuses and the printed
// reading is confident, a warning says which to believe.
func Compare(words []Word, res *passport.Result) {
	res.Print = map[string]string{}
	lay := LayoutOf(res.Format)
	page := layout(words, lay)

	for _, f := range lay.Fields {
		v, conf, ok := page.value(f)
		if !ok {
			res.Print[f] = NotFound
			continue
		}
		mrz := zoneValue(f, res)
		verdict, printed := compare(f, v, mrz, res)
		if verdict == Differs && conf < minReadConfidence && !unconfusedSex(f, printed) {
			verdict = NotFound // a print read this unsurely says nothing
		}
		res.Print[f] = verdict
		if verdict != Differs {
			continue
		}
		res.Flag(f)
		if conf >= MinSureConfidence && confusedOnly(printed, mrz) {
			res.Warnings = append(res.Warnings, fmt.Sprintf(
				"%s: the printed page reads %q, confidently, where the zone reads %q: they differ only by letters OCR confuses, so either may be misread; check the document",
				f, printed, mrz))
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: the printed page reads %q where the zone reads %q", f, printed, mrz))
		}
	}
}

// unconfusedSex reports whether a printed sex p that differs from the
// zone's says so even when read unsurely: Tesseract scores a word of one
// glyph low however clear it is, and M, F and X are never read one for
// another (a misread M is an H or an N, an F an E or a P: not found).
func unconfusedSex(f, p string) bool {
	return f == "sex" && (p == "M" || p == "F" || p == "X")
}

func zoneValue(f string, res *passport.Result) string {
	switch f {
	case "surname":
		return res.Surname
	case "given_names":
		return res.GivenNames
	case "document_number":
		return res.DocumentNumber
	case "nationality":
		return res.Nationality
	case "birth_date":
		return res.BirthDate
	case "expiry_date":
		return res.ExpiryDate
	case "sex":
		return res.Sex
	}
	return ""
}

// compare judges one printed value v against the zone's mrz, returning
// the verdict and the printed value as compared.
func compare(f, v, mrz string, res *passport.Result) (string, string) {
	switch f {
	case "surname", "given_names":
		p := Transliterate(v)
		if p == mrz || res.NamesTruncated && truncationOf(p, mrz) || alternativeSpelling(v, mrz) {
			return Agrees, p
		}
		return Differs, p
	case "document_number":
		// Data pages print numbers in a sans-serif type whose 0 and O, 1
		// and I look alike; the zone's check digit tells them apart.
		p := alnum(Transliterate(v))
		if fold(p) == fold(mrz) {
			return Agrees, p
		}
		if edgeCut(fold(p), fold(mrz)) {
			return NotFound, p // the print's first characters went unread
		}
		return Differs, p
	case "nationality":
		p := alnum(Transliterate(v))
		if f == "nationality" && p == "D" && mrz == "D" || p == mrz {
			return Agrees, p
		}
		if f == "nationality" && len(p) != 3 {
			return NotFound, p // a nationality spelled out, not a code
		}
		return Differs, p
	case "sex":
		p := alnum(Transliterate(v))
		switch {
		case p == mrz:
			return Agrees, p
		case len(p) != 1 || mrz == "":
			return NotFound, p // a stray mark, or a zone without a sex
		}
		return Differs, p
	case "birth_date", "expiry_date":
		d, ok := ParseDate(v)
		if !ok {
			return NotFound, v
		}
		if d == mrz {
			return Agrees, d
		}
		return Differs, d
	}
	return NotFound, v
}

// truncationOf reports whether mrz is p cut to fit the zone.
func truncationOf(p, mrz string) bool {
	return mrz != "" && strings.HasPrefix(strings.ReplaceAll(p, " ", ""), strings.ReplaceAll(mrz, " ", ""))
}

// edgeCut reports whether p is mrz with its first one or two characters
// missing: OCR losing the letter that opens a printed number beside its
// label, not a number that differs. Such a reading neither confirms nor
// contradicts the zone. A zone number longer at its end is another matter:
// a filler '<' read as K, A or U weighs the same in the check digit, so
// there the print is what catches the zone's misreading, and it differs.
func edgeCut(p, mrz string) bool {
	n := len(mrz) - len(p)
	return p != "" && n >= 1 && n <= 2 && strings.HasSuffix(mrz, p)
}

// alternativeSpelling accepts a printed name whose diacritics the zone
// dropped instead of transliterating (ICAO allows either for some letters:
// Ü as UE or U).
func alternativeSpelling(v, mrz string) bool {
	return plain(v) == mrz
}

// confusedOnly reports whether a and b have the same length and differ only
// in characters OCR confuses.
func confusedOnly(a, b string) bool {
	if len(a) != len(b) || a == b {
		return false
	}
	for i := range len(a) {
		if a[i] != b[i] && !passport.Confusable(a[i], b[i]) {
			return false
		}
	}
	return true
}

// icao is ICAO 9303 part 3's transliteration of the Latin letters with
// diacritics whose rule is not simply to drop the mark.
var icao = map[rune]string{
	'Ä': "AE", 'Æ': "AE", 'Å': "AA", 'Ö': "OE", 'Ø': "OE", 'Œ': "OE", 'Ü': "UE", 'ß': "SS",
	'Þ': "TH", 'Ð': "D", 'Đ': "D", 'Ł': "L", 'Ħ': "H", 'Ŀ': "L", 'Ŋ': "N", 'Ĳ': "IJ", 'ı': "I",
}

// Transliterate writes a printed name as the zone writes it: upper case,
// ICAO transliteration, other diacritics dropped, hyphens and apostrophes
// as spaces or nothing, anything else outside A-Z dropped.
func Transliterate(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if t, ok := icao[r]; ok {
			b.WriteString(t)
			continue
		}
		b.WriteRune(r)
	}
	return clean(b.String())
}

// plain drops every diacritic without transliterating.
func plain(s string) string { return clean(strings.ToUpper(s)) }

func clean(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == ',':
			b.WriteByte(' ')
		case unicode.Is(unicode.Mn, r), r == '\'':
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func fold(s string) string { return strings.NewReplacer("O", "0", "I", "1").Replace(s) }

func alnum(s string) string { return strings.ReplaceAll(s, " ", "") }

var months = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8,
	"SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

// ParseDate reads a printed date, "12 AUG 1974" (also "12 AUG/AOUT 1974"),
// "12.08.1974", "12/08/1974" or "1974-08-12", into YYYY-MM-DD.
func ParseDate(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '.' || r == '/' || r == '-' })
	num := func(t string) (int, bool) {
		n := 0
		for _, r := range t {
			switch r {
			case 'O', 'D', 'Q':
				r = '0'
			case 'I', 'L':
				r = '1'
			}
			if r < '0' || r > '9' {
				return 0, false
			}
			n = n*10 + int(r-'0')
		}
		return n, t != ""
	}
	var d, m, y int
	switch {
	case len(fields) >= 3 && len(fields[0]) == 4:
		var ok1, ok2, ok3 bool
		y, ok1 = num(fields[0])
		m, ok2 = num(fields[1])
		d, ok3 = num(fields[2])
		if !ok1 || !ok2 || !ok3 {
			return "", false
		}
	case len(fields) >= 3:
		var ok bool
		if d, ok = num(fields[0]); !ok {
			return "", false
		}
		if mm, ok := months[strings.TrimSpace(fields[1])[:min(3, len(fields[1]))]]; ok {
			m = mm
		} else if m, ok = num(fields[1]); !ok {
			return "", false
		}
		yt := fields[len(fields)-1]
		if y, ok = num(yt); !ok || len(yt) != 4 {
			return "", false
		}
	default:
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m || y < 1900 {
		return "", false
	}
	return t.Format(time.DateOnly), true
}

// page is the OCR words with their normalised text.
type page struct {
	lay   Layout
	words []Word
	norm  []string
	label []bool // the word is part of a label
}

func layout(words []Word, lay Layout) page {
	p := page{lay: lay}
	for _, w := range words {
		if strings.TrimSpace(w.Text) == "" {
			continue
		}
		for _, w := range splitColon(w, lay.Beside) {
			p.words = append(p.words, w)
			p.norm = append(p.norm, strings.Trim(plain(w.Text), " "))
		}
	}
	// Words of labels, and the "/" between a label's languages, are never
	// values.
	p.label = make([]bool, len(p.words))
	for i := range p.words {
		if p.norm[i] == "" {
			p.label[i] = true
		}
		for _, seqs := range lay.Labels {
			for _, seq := range seqs {
				if p.matches(i, seq) {
					for k := range seq {
						p.label[i+k] = true
					}
				}
			}
		}
	}
	return p
}

// splitColon cuts a word at a colon inside it when values follow their
// labels: OCR reads "Sexe : M" as one word "Sexe:M" when the spaces are
// narrow. Each part takes its share of the box by characters.
func splitColon(w Word, beside bool) []Word {
	label, val, ok := strings.Cut(w.Text, ":")
	if !beside || !ok || label == "" || val == "" {
		return []Word{w}
	}
	n := utf8.RuneCountInString(w.Text)
	cut := w.Box.Min.X + w.Box.Dx()*utf8.RuneCountInString(label+":")/n
	l, v := w, w
	l.Text, l.Box.Max.X = label, cut
	v.Text, v.Box.Min.X = val, cut
	return []Word{l, v}
}

// value finds field f's label and returns the words printed under it: on
// the nearest line below the label, starting within its column (from the
// label's left edge to the next word right of the label on the label's
// line that starts another label, or the page's edge). conf is the lowest
// word confidence of the value.
func (p page) value(f string) (v string, conf float64, ok bool) {
	li, end := p.find(f)
	if li < 0 {
		return "", 0, false
	}
	if p.lay.Beside {
		return p.beside(f, li, end)
	}
	lab := p.words[li]
	lh := max(1, lab.Box.Dy())
	right := 1 << 30
	for k := end; k < len(p.words); k++ {
		w := p.words[k]
		if sameLine(w.Box, lab.Box) && w.Box.Min.X > lab.Box.Min.X && p.startsLabel(k, f) {
			right = w.Box.Min.X - lh/2 // values align with their labels, give or take a pixel
			break
		}
	}
	// The nearest line below: words whose top lies under the label and
	// within four label heights, starting inside the column.
	var below []int
	top := 1 << 30
	for k, w := range p.words {
		if w.Box.Min.Y < lab.Box.Max.Y-lh/3 || w.Box.Min.Y > lab.Box.Max.Y+4*lh {
			continue
		}
		if w.Box.Min.X < lab.Box.Min.X-2*lh || w.Box.Min.X >= right {
			continue
		}
		if p.label[k] {
			continue
		}
		below = append(below, k)
		top = min(top, w.Box.Min.Y)
	}
	var parts []string
	conf = 100
	slices.SortFunc(below, func(a, b int) int { return p.words[a].Box.Min.X - p.words[b].Box.Min.X })
	lastX := -1
	for _, k := range below {
		w := p.words[k]
		if w.Box.Min.Y > top+max(lh, w.Box.Dy())/2 {
			continue // a further line
		}
		if lastX >= 0 && w.Box.Min.X-lastX > 2*lh {
			break // a wide gap: the next column's value
		}
		lastX = w.Box.Max.X
		parts = append(parts, w.Text)
		conf = min(conf, w.Confidence)
	}
	if len(parts) == 0 {
		return "", 0, false
	}
	return strings.Join(parts, " "), conf, true
}

// beside returns the words that follow field f's label (words li to end)
// on its line, up to a wide gap or another label; a number starts at its
// first word holding a digit ("N° : 880692310285"). conf is the lowest
// word confidence of the value.
func (p page) beside(f string, li, end int) (v string, conf float64, ok bool) {
	lab := p.words[li]
	lh := max(1, lab.Box.Dy())
	var after []int
	for k := range p.words {
		w := p.words[k]
		if k >= li && k < end || w.Box.Min.X < p.words[end-1].Box.Max.X-lh/2 {
			continue
		}
		if sameLine(w.Box, lab.Box) || sameLine(lab.Box, w.Box) {
			after = append(after, k)
		}
	}
	slices.SortFunc(after, func(a, b int) int { return p.words[a].Box.Min.X - p.words[b].Box.Min.X })
	var parts []string
	conf = 100
	lastX := p.words[end-1].Box.Max.X
	for _, k := range after {
		w := p.words[k]
		if w.Box.Min.X-lastX > 4*lh || p.startsLabel(k, f) {
			break // the next column, or the next field
		}
		lastX = w.Box.Max.X
		if p.label[k] || f == "document_number" && len(parts) == 0 && !strings.ContainsAny(w.Text, "0123456789") {
			continue
		}
		parts = append(parts, w.Text)
		conf = min(conf, w.Confidence)
	}
	if len(parts) == 0 {
		return "", 0, false
	}
	return strings.Join(parts, " "), conf, true
}

func sameLine(a, b image.Rectangle) bool {
	mid := (a.Min.Y + a.Max.Y) / 2
	return mid >= b.Min.Y && mid <= b.Max.Y
}

// find returns the index of the first word of f's label and the index
// after it, or -1.
func (p page) find(f string) (int, int) {
	for i := range p.words {
		for _, seq := range p.lay.Labels[f] {
			if p.matches(i, seq) {
				return i, i + len(seq)
			}
		}
	}
	return -1, -1
}

func (p page) matches(i int, seq []string) bool {
	if i+len(seq) > len(p.words) {
		return false
	}
	for k, want := range seq {
		if !labelWord(p.norm[i+k], want) {
			return false
		}
		if k > 0 && !sameLine(p.words[i+k].Box, p.words[i].Box) {
			return false
		}
	}
	return true
}

// startsLabel reports whether word k opens the label of a field other
// than except.
func (p page) startsLabel(k int, except string) bool {
	for f, seqs := range p.lay.Labels {
		if f == except {
			continue
		}
		for _, seq := range seqs {
			if p.matches(k, seq) {
				return true
			}
		}
	}
	return false
}

// labelWord reports whether the word OCR read may be the label word want:
// equal, or for longer words within OCR's usual slips ("rn" read as "m").
func labelWord(got, want string) bool {
	switch {
	case got == want:
		return true
	case len(want) >= 7:
		return distance(got, want) <= 2
	case len(want) >= 5:
		return distance(got, want) <= 1
	}
	return false
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
