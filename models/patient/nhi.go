package patient

import (
	"errors"
	"strings"
)

// nhiAlphabet is the NHI letter set: A–Z without I and O, valued A=1 … Z=24
// (HISO 10046:2023).
const nhiAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// ErrNHI is returned by NormaliseNHI for text that is not a valid NHI.
var ErrNHI = errors.New("not a valid NHI number")

// ValidNHI reports whether s is a valid NHI number in either format, in any
// case, with surrounding spaces ignored.
func ValidNHI(s string) bool {
	_, err := NormaliseNHI(s)
	return err == nil
}

// NormaliseNHI trims s, upper-cases it and checks it by HISO 10046:2023:
//
//   - old format AAANNNC: the weighted sum (7,6,5,4,3,2) of the first six
//     characters mod 11 must not be 0; the check digit is (11 − r) mod 10;
//   - new format AAANNAX: the check letter's value is 23 − (sum mod 23).
//
// Only ASCII letters are folded to upper case, so no other character (the
// long s 'ſ', the Kelvin sign) can pass for a letter. NHIs starting with Z
// are test numbers; their syntax is valid.
func NormaliseNHI(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 7 {
		return "", ErrNHI
	}
	var b [7]byte
	for i := 0; i < 7; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
	sum := 0
	for i := 0; i < 6; i++ {
		v, ok := nhiValue(b[i], i)
		if !ok {
			return "", ErrNHI
		}
		sum += v * (7 - i)
	}
	if isDigit(b[5]) {
		// Old format AAANNNC.
		r := sum % 11
		if r == 0 || !isDigit(b[6]) || int(b[6]-'0') != (11-r)%10 {
			return "", ErrNHI
		}
	} else {
		// New format AAANNAX.
		want := 23 - sum%23 // 1…23
		if letterValue(b[6]) != want {
			return "", ErrNHI
		}
	}
	return string(b[:]), nil
}

// nhiValue is the value of the character at position i of an NHI: letters at
// 0–2, digits at 3–4, a digit (old format) or a letter (new format) at 5.
func nhiValue(c byte, i int) (int, bool) {
	switch {
	case i < 3:
		v := letterValue(c)
		return v, v > 0
	case i < 5:
		return int(c - '0'), isDigit(c)
	default:
		if isDigit(c) {
			return int(c - '0'), true
		}
		v := letterValue(c)
		return v, v > 0
	}
}

// letterValue is A=1 … Z=24 without I and O; 0 for anything else.
func letterValue(c byte) int {
	return strings.IndexByte(nhiAlphabet, c) + 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
