package passport

import "sort"

//go:generate go run ./internal/gencodes -out codes_table.go

// knownState reports whether code (a 3-character MRZ field, '<'-padded) is an
// ISO 3166-1 alpha-3 code or one of ICAO's own.
func knownState(code string) bool {
	if len(code) != 3 {
		return false
	}
	n := len(stateCodes) / 3
	i := sort.Search(n, func(i int) bool { return stateCodes[3*i:3*i+3] >= code })
	return i < n && stateCodes[3*i:3*i+3] == code
}

// snapState looks for the one known code that code may be an OCR misreading
// of: every differing character must be a known confusion of the one read,
// and at most two may differ. It returns false when no or several codes fit.
func snapState(code string) (string, bool) {
	if len(code) != 3 {
		return "", false
	}
	found := ""
	for i := 0; i < len(stateCodes); i += 3 {
		cand := stateCodes[i : i+3]
		diff := 0
		for j := 0; j < 3 && diff <= 2; j++ {
			switch {
			case cand[j] == code[j]:
			case confusable(code[j], cand[j]):
				diff++
			default:
				diff = 3
			}
		}
		if diff == 0 || diff > 2 {
			continue
		}
		if found != "" {
			return "", false
		}
		found = cand
	}
	return found, found != ""
}
