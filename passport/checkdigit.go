package passport

// charValue is the ICAO 9303 value of an MRZ character: '<' is 0, digits are
// their value, letters A-Z are 10-35. ok is false for any other byte.
func charValue(c byte) (v int, ok bool) {
	switch {
	case c == '<':
		return 0, true
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// checkDigit computes the ICAO 9303 check digit of s (weights 7, 3, 1
// repeating, sum modulo 10). ok is false when s holds a byte that is not an
// MRZ character.
func checkDigit(s string) (d byte, ok bool) {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		v, ok := charValue(s[i])
		if !ok {
			return 0, false
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), true
}

// CheckDigit returns the ICAO 9303 check digit of s as a character '0'-'9'.
// It reports false when s contains a character outside A-Z, 0-9 and '<'.
func CheckDigit(s string) (byte, bool) { return checkDigit(s) }
