package passport

import "testing"

func TestStateCodes(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"DEU", "NLD", "UTO", "D<<", "GBD", "UNO", "XXA", "XXB", "XXC", "XXX", "EUE", "XPO", "XOM", "RKS", "ZWE", "ABW"} {
		if !knownState(c) {
			t.Errorf("%q should be known", c)
		}
	}
	for _, c := range []string{"D", "DE<", "HLO", "OAN", "<<<", "ZZZ", "AB", "ABWX", "", "XXD"} {
		if knownState(c) {
			t.Errorf("%q should be unknown", c)
		}
	}
	if n := len(stateCodes) / 3; n < 270 || len(stateCodes)%3 != 0 {
		t.Errorf("table holds %d codes (%d characters)", n, len(stateCodes))
	}
	for i := 3; i < len(stateCodes); i += 3 {
		if stateCodes[i-3:i] >= stateCodes[i:i+3] {
			t.Fatalf("table not sorted at %q", stateCodes[i:i+3])
		}
	}
}

func TestSnapState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		read, want string
		ok         bool
	}{
		{"HLO", "NLD", true}, // N/H and D/O: the notes' example of a misread
		{"OAN", "CAN", true}, // O for C: the notes' other example
		{"0AN", "CAN", true}, // 0 for a small C (a hand-held photo's 9 px glyphs)
		{"D<K", "D<<", true}, // filler read as K
		{"5WE", "SWE", true}, // digit 5 for S
		{"SDM", "", false},   // SDN and SOM both fit: no guess
		{"QQQ", "", false},   // nothing near
		{"JRN", "", false},   // JPN and IRN both fit
	}
	for _, tt := range tests {
		got, ok := snapState(tt.read)
		if got != tt.want || ok != tt.ok {
			t.Errorf("snapState(%q) = %q, %v; want %q, %v", tt.read, got, ok, tt.want, tt.ok)
		}
	}
}
