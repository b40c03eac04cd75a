// Package text checks and normalises free text people type: notes, reasons,
// statements. One rule everywhere, so a value stored by one model reads the
// same to every other.
package text

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clean trims s and normalises it to NFC (so "ā" typed two ways is stored
// one way). It refuses invalid UTF-8, NUL characters and more than max runes,
// returning a message safe to show beside the field; the message is empty
// when s is acceptable.
func Clean(s string, max int) (string, string) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", "must be valid text without NUL characters"
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Sprintf("use up to %d characters (this has %d)", max, n)
	}
	return s, ""
}
