package passport

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestCenturies(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		birth, expiry   string
		wantB, wantE    string
		birthYearWanted int
	}{
		{"740812", "120415", "1974-08-12", "2012-04-15", 1974},
		{"261128", "361127", "2026-11-28", "2036-11-27", 2026}, // born today
		{"261129", "361127", "1926-11-29", "2036-11-27", 1926}, // tomorrow's date is last century
		{"400907", "961210", "1940-09-07", "1996-12-10", 1940}, // an expired visa
		{"990101", "981231", "1999-01-01", "2098-12-31", 1999}, // expiry after birth wins over 50 years
		{"05<<<<", "7601<<", "2005", "2076-01", 2005},          // unknown parts; 2076 is within 50 years
		{"<<<<<<", "770101", "", "1977-01-01", 0},              // 2077 is more than 50 years ahead
		{"0002<<", "300230", "2000-02", "", 2000},              // 30 February is no date
		{"000229", "040229", "2000-02-29", "2004-02-29", 2000}, // leap days
	}
	for _, tt := range tests {
		var birth int
		var gotB, gotE string
		if d, ok := parseDate(tt.birth); ok && d.yy >= 0 {
			birth = birthYear(d, now)
			gotB = d.format(birth)
		}
		if d, ok := parseDate(tt.expiry); ok && d.yy >= 0 {
			y := expiryYear(d, birth, now)
			if d.validIn(y) {
				gotE = d.format(y)
			}
		}
		if gotB != tt.wantB || gotE != tt.wantE || birth != tt.birthYearWanted {
			t.Errorf("%s/%s: got %q %q (%d), want %q %q (%d)", tt.birth, tt.expiry, gotB, gotE, birth, tt.wantB, tt.wantE, tt.birthYearWanted)
		}
	}
	for _, bad := range []string{"7408", "74O812", "741312", "740800", "7<0812", "74<<12x"} {
		if _, ok := parseDate(bad); ok {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}

// TestResultJSON pins the field names of the passport_mrz job output.
func TestResultJSON(t *testing.T) {
	t.Parallel()
	r, err := Parse(specimens[0].lines, ParseOptions{Now: refNow})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "valid", "format", "document_type", "issuing_country", "surname", "given_names",
		"document_number", "nationality", "birth_date", "sex", "expiry_date", "personal_number", "mrz", "checks",
		"corrections", "confidence"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if got["format"] != "TD3" || got["birth_date"] != "1974-08-12" || got["valid"] != true {
		t.Errorf("JSON values: %s", b)
	}
	if c, ok := got["corrections"].([]any); !ok || len(c) != 0 {
		t.Errorf("corrections should be an empty list: %s", b)
	}
	checks, _ := got["checks"].(map[string]any)
	var keys []string
	for k := range checks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"birth_date", "composite", "document_number", "document_type", "expiry_date", "filler",
		"issuing_country", "nationality", "personal_number", "sex"}
	if !slices.Equal(keys, want) {
		t.Errorf("checks %q, want %q", keys, want)
	}
}
