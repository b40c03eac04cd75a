package patient_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tuhono/tuhono/models/patient"
)

// The examples of DOMAIN.md (HISO 10046:2023).
var (
	validNHIs   = []string{"JBX3656", "ZZZ0016", "ZZZ0024", "ZAC5361", "WLD9413", "ZBN77VL", "ZZZ00AC", "ZSC21TN", "ZVB97XQ", "ZYX61YS"}
	invalidNHIs = []string{"ZZZ0044", "ZZZ0017", "JBX3650", "ZZZ00AA", "ZZZ00AY", "ZZZ00AX", "ZVU27KY", "IBX3656"}
)

func TestNHIExamples(t *testing.T) {
	for _, s := range validNHIs {
		if !patient.ValidNHI(s) {
			t.Errorf("ValidNHI(%q) = false, want true", s)
		}
		for _, in := range []string{s, strings.ToLower(s), "  " + s + "\t", strings.ToLower(s[:3]) + s[3:]} {
			got, err := patient.NormaliseNHI(in)
			if err != nil || got != s {
				t.Errorf("NormaliseNHI(%q) = %q, %v; want %q", in, got, err, s)
			}
		}
	}
	for _, s := range invalidNHIs {
		if patient.ValidNHI(s) || patient.ValidNHI(strings.ToLower(s)) {
			t.Errorf("ValidNHI(%q) = true, want false", s)
		}
		if _, err := patient.NormaliseNHI(s); err == nil {
			t.Errorf("NormaliseNHI(%q) succeeded, want an error", s)
		}
	}
}

func TestNHIShapes(t *testing.T) {
	for _, s := range []string{
		"", "JBX365", "JBX36566", "JBX 3656", "OBX3656", "JB13656", "JBX36X6", "JBXA656",
		"JBX365A", // old-format body with a letter check
		"ZZZ00A1", // new-format body with a digit check
		"JBX3656\x00", "ſBX3656", "JBX365６", "ＪBX3656",
	} {
		if patient.ValidNHI(s) {
			t.Errorf("ValidNHI(%q) = true, want false", s)
		}
	}
}

// FuzzNHI: the validator never panics, normalising is idempotent, and a
// single-character change of a valid NHI gives an invalid NHI or a different
// normalised one. A change of letter case is not a change of the NHI (NHIs
// are case-insensitive), so it is the one change that keeps the value.
func FuzzNHI(f *testing.F) {
	for i, s := range validNHIs {
		f.Add(s, uint(i), 'A')
		f.Add(strings.ToLower(s), uint(i+3), '7')
	}
	for i, s := range invalidNHIs {
		f.Add(s, uint(i), 'Z')
	}
	f.Fuzz(func(t *testing.T, s string, pos uint, r rune) {
		n, err := patient.NormaliseNHI(s)
		if (err == nil) != patient.ValidNHI(s) {
			t.Fatalf("NormaliseNHI and ValidNHI disagree on %q", s)
		}
		base := validNHIs[pos%uint(len(validNHIs))]
		if err == nil {
			if again, err := patient.NormaliseNHI(n); err != nil || again != n {
				t.Fatalf("NormaliseNHI(%q) = %q, not idempotent: %q, %v", s, n, again, err)
			}
			base = n
		}
		if !utf8.ValidRune(r) {
			return
		}
		i := int(pos % 7)
		old := rune(base[i])
		if r == old || (r < utf8.RuneSelf && strings.EqualFold(string(r), string(old))) {
			return // no change, or a change of case only
		}
		changed := base[:i] + string(r) + base[i+1:]
		if got, err := patient.NormaliseNHI(changed); err == nil && got == base {
			t.Fatalf("changing %q to %q gives %q, still the valid NHI %q", base, changed, got, base)
		}
	})
}
