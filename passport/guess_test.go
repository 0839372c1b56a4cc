package passport

import (
	"slices"
	"strings"
	"testing"
)

// A document number whose letter O was read as 0 fails its check digit;
// the swap back is taken only where OCR was unsure of that character, and
// the number is then flagged for review.
func TestDocumentNumberSwapNeedsOCRDoubt(t *testing.T) {
	digit := func(s string) string { d, _ := checkDigit(s); return string(d) }
	td3 := func(number string) []string {
		l2 := number + digit(number) + "UTO" + "740812" + digit("740812") + "F" + "120415" + digit("120415") +
			"ZE184226B<<<<<" + digit("ZE184226B<<<<<")
		l2 += digit(l2[0:10] + l2[13:20] + l2[21:43])
		return []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", l2}
	}
	glyphs := func(read []string, unsureCol int) func(string) []Glyph {
		return func(line string) []Glyph {
			gs := make([]Glyph, len(line))
			for i := range line {
				gs[i] = Glyph{Char: line[i], Confidence: 99}
				if line == read[1] && i == unsureCol {
					gs[i].Confidence = 60
					gs[i].Alts = []Alt{{'O', 30}}
				}
			}
			return gs
		}
	}
	for _, tc := range []struct {
		name   string
		number string // as printed; its O is read as 0
		unsure int    // the column OCR was unsure of; -1 none, -2 no glyphs
		fixed  bool
	}{
		{"text alone: suggested, not applied", "L8O8912C3", -2, false},
		{"OCR sure of every character: not applied", "L8O8912C3", -1, false},
		{"OCR unsure of another character: not applied", "L8O8912C3", 5, false},
		{"OCR unsure of that character: applied and flagged", "L8O8912C3", 2, true},
		// 0 to O at column 6 weighs the same in the check digit.
		{"another swap passes too: not applied", "L8O8902C3", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			truth := td3(tc.number)
			read := []string{truth[0], strings.Replace(truth[1], "O", "0", 1)}
			opts := ParseOptions{Now: refNow}
			if tc.unsure > -2 {
				opts.Glyphs = glyphs(read, tc.unsure)
			}
			r, err := Parse(read, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.fixed {
				asRead := strings.Replace(tc.number, "O", "0", 1)
				if r.Valid || r.DocumentNumber != asRead || !slices.Contains(r.NeedsReview, "document_number") {
					t.Fatalf("valid %v number %q review %v: want the number as read, invalid, for review", r.Valid, r.DocumentNumber, r.NeedsReview)
				}
				if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, tc.number) }) {
					t.Fatalf("warnings %q do not suggest %s", r.Warnings, tc.number)
				}
				return
			}
			if !r.Valid || r.DocumentNumber != tc.number || !slices.Equal(r.MRZ, truth) {
				t.Fatalf("valid %v number %q mrz %q: want %q", r.Valid, r.DocumentNumber, r.MRZ, truth)
			}
			if !slices.Contains(r.NeedsReview, "document_number") {
				t.Fatalf("needs_review %v lacks document_number", r.NeedsReview)
			}
			want := Correction{Line: 2, Position: 3, Field: "document_number", From: "0", To: "O"}
			if !slices.ContainsFunc(r.Corrections, func(c Correction) bool { c.Reason = ""; return c == want }) {
				t.Fatalf("corrections %+v lack %+v", r.Corrections, want)
			}
		})
	}
}
