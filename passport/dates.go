package passport

import (
	"fmt"
	"time"
)

// mrzDate is a YYMMDD field; a part written as "<<" is unknown (-1).
type mrzDate struct {
	yy, mm, dd int
}

// parseDate reads a YYMMDD field. Each two-character part is either two
// digits or "<<"; anything else is not a date.
func parseDate(raw string) (mrzDate, bool) {
	if len(raw) != 6 {
		return mrzDate{}, false
	}
	var parts [3]int
	for i := range parts {
		a, b := raw[2*i], raw[2*i+1]
		switch {
		case a == '<' && b == '<':
			parts[i] = -1
		case a >= '0' && a <= '9' && b >= '0' && b <= '9':
			parts[i] = int(a-'0')*10 + int(b-'0')
		default:
			return mrzDate{}, false
		}
	}
	d := mrzDate{parts[0], parts[1], parts[2]}
	if d.mm == 0 || d.mm > 12 || d.dd == 0 || d.dd > 31 {
		return mrzDate{}, false
	}
	return d, true
}

// valid reports whether the known parts make a real calendar date in year.
func (d mrzDate) validIn(year int) bool {
	if d.mm < 0 || d.dd < 0 {
		return true
	}
	t := time.Date(year, time.Month(d.mm), d.dd, 0, 0, 0, 0, time.UTC)
	return t.Month() == time.Month(d.mm) && t.Day() == d.dd
}

// before reports whether d, placed in year, is on or before now, using only
// its known parts.
func (d mrzDate) notAfter(year int, now time.Time) bool {
	if year != now.Year() {
		return year < now.Year()
	}
	if d.mm < 0 || int(now.Month()) != d.mm {
		return d.mm < 0 || d.mm < int(now.Month())
	}
	return d.dd < 0 || d.dd <= now.Day()
}

// birthYear places a two-digit birth year in the latest century that does
// not put the birth after now.
func birthYear(d mrzDate, now time.Time) int {
	century := now.Year() / 100 * 100
	for y := century + d.yy; ; y -= 100 {
		if d.notAfter(y, now) {
			return y
		}
	}
}

// expiryYear places a two-digit expiry year: after the birth year, and
// preferably no more than 50 years past now (the latest such century);
// otherwise the first century after birth.
func expiryYear(d mrzDate, birth int, now time.Time) int {
	limit := now.Year() + 50
	century := now.Year()/100*100 - 100
	best, first := 0, 0
	for y := century + d.yy; y <= century+d.yy+200; y += 100 {
		if birth > 0 && y < birth {
			continue
		}
		if first == 0 {
			first = y
		}
		if y <= limit {
			best = y
		}
	}
	if best == 0 {
		return first
	}
	return best
}

// format writes the known parts as YYYY-MM-DD, YYYY-MM or YYYY; an unknown
// year leaves nothing to write.
func (d mrzDate) format(year int) string {
	switch {
	case d.yy < 0:
		return ""
	case d.mm < 0:
		return fmt.Sprintf("%04d", year)
	case d.dd < 0:
		return fmt.Sprintf("%04d-%02d", year, d.mm)
	}
	return fmt.Sprintf("%04d-%02d-%02d", year, d.mm, d.dd)
}
