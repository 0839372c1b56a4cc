package passport

import "strings"

// OCR confusions seen on OCR-B text, as unordered pairs. They snap state
// codes and fillers, which no check digit covers, and name the other
// readings of an uncertain glyph that needs_review weighs; check-digit
// repair has its own letter/digit table (letterDigit). C is an open 0 (see
// options): a small or blurred C reads 0, and a state code read "0AN" is
// CAN.
const confusionPairs = "0O 0D 0Q 0C OD OQ DQ OC OU CG G6 1I 1L IL IJ IT 2Z 5S 8B 7T " +
	"NH NM HM UV VY VW EF FP PR BR BE KX K< X< S< C< E<"

// Confusable reports whether OCR is known to confuse a and b (on OCR-B
// and on the sans-serif type of data pages alike).
func Confusable(a, b byte) bool { return confusable(a, b) }

// confusable reports whether a and b are a known OCR confusion pair.
func confusable(a, b byte) bool {
	for i := 0; i+1 < len(confusionPairs); i += 3 {
		x, y := confusionPairs[i], confusionPairs[i+1]
		if (a == x && b == y) || (a == y && b == x) {
			return true
		}
	}
	return false
}

// letterDigit is the digit a letter stands for when read where a digit
// belongs, and ok false when the letter has no usual digit twin.
func letterDigit(c byte) (byte, bool) {
	switch c {
	case 'O', 'D', 'Q':
		return '0', true
	case 'I', 'L':
		return '1', true
	case 'Z':
		return '2', true
	case 'S':
		return '5', true
	case 'G':
		return '6', true
	case 'T':
		return '7', true
	case 'B':
		return '8', true
	}
	return 0, false
}

// digitLetters lists the letters a digit may have been misread from.
func digitLetters(c byte) string {
	switch c {
	case '0':
		return "ODQ"
	case '1':
		return "IL"
	case '2':
		return "Z"
	case '5':
		return "S"
	case '6':
		return "G"
	case '7':
		return "T"
	case '8':
		return "B"
	}
	return ""
}

// fillerLookalikes are the letters OCR reads in place of the filler '<'.
const fillerLookalikes = "KXSCE"

func isFillerLookalike(c byte) bool { return strings.IndexByte(fillerLookalikes, c) >= 0 }

// checkInvisible reports whether replacing a by b leaves every check digit
// unchanged (their values differ by a multiple of 10, e.g. L/1, G/6, K/<):
// such a repair can never be confirmed, so it is never proposed.
func checkInvisible(a, b byte) bool {
	va, _ := charValue(a)
	vb, _ := charValue(b)
	return (va-vb)%10 == 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
