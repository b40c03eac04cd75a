package patient

import (
	"fmt"
	"strings"
)

// The prioritised ethnic groups (HISO 10001:2017), named as the enrolment
// import names them (models/bulk).
const (
	GroupMaori    = "maori"
	GroupPacific  = "pacific"
	GroupAsian    = "asian"
	GroupMELAA    = "melaa"
	GroupOther    = "other"
	GroupEuropean = "european"
	GroupUnknown  = "unknown"
)

// MaxEthnicities is how many ethnicities HISO 10001 records for a person.
const MaxEthnicities = 6

// level2 holds the HISO 10001:2017 level-2 codes and their names.
var level2 = map[string]string{
	"10": "European nfd", "11": "New Zealand European", "12": "Other European",
	"21": "Māori",
	"30": "Pacific Peoples nfd", "31": "Samoan", "32": "Cook Islands Māori", "33": "Tongan", "34": "Niuean",
	"35": "Tokelauan", "36": "Fijian", "37": "Other Pacific Peoples",
	"40": "Asian nfd", "41": "Southeast Asian", "42": "Chinese", "43": "Indian", "44": "Other Asian",
	"51": "Middle Eastern", "52": "Latin American", "53": "African",
	"61": "Other Ethnicity",
	"94": "Don't Know", "95": "Refused to Answer", "96": "Repeated Value", "97": "Response Unidentifiable",
	"98": "Response Outside Scope", "99": "Not Stated",
}

// byLevel1 maps a code's first digit (its level-1 group) to the prioritised
// group; priority is the order of prioritised.
var byLevel1 = map[byte]string{
	'2': GroupMaori, '3': GroupPacific, '4': GroupAsian, '5': GroupMELAA, '6': GroupOther, '1': GroupEuropean,
	'9': GroupUnknown,
}

var prioritised = []string{GroupMaori, GroupPacific, GroupAsian, GroupMELAA, GroupOther, GroupEuropean, GroupUnknown}

// Level2 returns the level-2 code of a level-2 code or a level-4 (5-digit)
// code whose first two digits are a level-2 code, and whether code is one.
func Level2(code string) (string, bool) {
	if len(code) != 2 && len(code) != 5 {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if !isDigit(code[i]) {
			return "", false
		}
	}
	l2 := code[:2]
	_, ok := level2[l2]
	return l2, ok
}

// EthnicityName is the level-2 name of a level-2 or level-4 code.
func EthnicityName(code string) (string, bool) {
	l2, ok := Level2(code)
	if !ok {
		return "", false
	}
	return level2[l2], true
}

// NormaliseEthnicity trims the codes, drops empty entries and checks there
// are at most six, each a known level-2 or level-4 code, none repeated.
func NormaliseEthnicity(codes []string) ([]string, error) {
	out := make([]string, 0, len(codes))
	seen := make(map[string]bool, len(codes))
	for _, c := range codes {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if _, ok := Level2(c); !ok {
			return nil, fmt.Errorf("%q is not a HISO 10001 level 2 or level 4 ethnicity code", truncate(c, 10))
		}
		if seen[c] {
			return nil, fmt.Errorf("ethnicity %s is given twice", c)
		}
		seen[c] = true
		out = append(out, c)
	}
	if len(out) > MaxEthnicities {
		return nil, fmt.Errorf("at most %d ethnicities", MaxEthnicities)
	}
	return out, nil
}

// PrioritisedGroup is the person's one prioritised ethnic group (Māori >
// Pacific > Asian > MELAA > Other > European, the residual codes 94–99
// last); unknown when no valid code is given.
func PrioritisedGroup(codes []string) string {
	best := len(prioritised) - 1
	for _, c := range codes {
		l2, ok := Level2(strings.TrimSpace(c))
		if !ok {
			continue
		}
		g := byLevel1[l2[0]]
		for i, p := range prioritised[:best] {
			if p == g {
				best = i
				break
			}
		}
	}
	return prioritised[best]
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
