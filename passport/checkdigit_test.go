package passport

import "testing"

func TestCheckDigit(t *testing.T) {
	t.Parallel()
	// Values from the ICAO 9303 specimens, recomputed by hand.
	tests := []struct {
		in   string
		want byte
	}{
		{"L898902C3", '6'},
		{"740812", '2'},
		{"120415", '9'},
		{"ZE184226B<<<<<", '1'},
		{"L898902C3674081221204159ZE184226B<<<<<1", '0'},
		{"D23145890", '7'},
		{"D23145890734", '9'},
		{"L8988901C", '4'},
		{"400907", '8'},
		{"961210", '9'},
		{"<<<<<<<<<", '0'},
		{"", '0'},
	}
	for _, tt := range tests {
		got, ok := CheckDigit(tt.in)
		if !ok || got != tt.want {
			t.Errorf("CheckDigit(%q) = %c, %v; want %c", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"l898902C3", "L898 902C3", "«", "Ä"} {
		if _, ok := CheckDigit(bad); ok {
			t.Errorf("CheckDigit(%q) accepted a character outside the MRZ alphabet", bad)
		}
	}
}

// TestInvisibleConfusions pins the pairs that no check digit can tell apart,
// which the repair must never propose.
func TestInvisibleConfusions(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"L1", "G6", "K<"} {
		if !checkInvisible(p[0], p[1]) {
			t.Errorf("%c/%c should be invisible to check digits", p[0], p[1])
		}
	}
	for _, p := range []string{"O0", "D0", "Q0", "I1", "Z2", "S5", "B8", "T7", "X<", "S<", "C<", "E<"} {
		if checkInvisible(p[0], p[1]) {
			t.Errorf("%c/%c should change a check digit", p[0], p[1])
		}
	}
}
