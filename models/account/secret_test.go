package account

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	shape := regexp.MustCompile(`^(tus|tuk|tui|tur)_[A-Za-z0-9_-]{43}$`)
	seen := map[string]bool{}
	for _, prefix := range []string{PrefixSession, PrefixAPIToken, PrefixInvitation, PrefixReset} {
		for range 50 {
			tok, hash, err := NewToken(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !shape.MatchString(tok) || !strings.HasPrefix(tok, prefix+"_") {
				t.Fatalf("token %q has the wrong shape", tok)
			}
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, prefix+"_"))
			if err != nil || len(raw) != 32 {
				t.Fatalf("token %q: %d random bytes, %v; want 32", tok, len(raw), err)
			}
			want := sha256.Sum256([]byte(tok))
			if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashToken(tok), want[:]) {
				t.Fatalf("hash of %q is not the SHA-256 of the whole token", tok)
			}
			if seen[tok] {
				t.Fatalf("token %q made twice", tok)
			}
			seen[tok] = true
			if !ParseToken(tok, prefix) {
				t.Fatalf("ParseToken refuses a fresh token %q", tok)
			}
		}
	}
	for _, prefix := range []string{"", "TUS", "tu_s", "tūs", "tus1", strings.Repeat("x", 17)} {
		if tok, _, err := NewToken(prefix); err == nil {
			t.Errorf("NewToken(%q) = %q, want an error", prefix, tok)
		}
	}
}

func TestParseToken(t *testing.T) {
	tok, _, err := NewToken(PrefixSession)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(tok, "tus_")
	// 32 bytes leave the last character's two low bits unused: with one
	// set, the lenient decoder reads the same bytes. Only the canonical
	// spelling is accepted, so each token has exactly one.
	last := strings.IndexByte(base64URL, body[42])
	sloppy := body[:42] + string(base64URL[last|1])
	if b, err := base64.RawURLEncoding.DecodeString(sloppy); err != nil || len(b) != 32 {
		t.Fatalf("lenient decoding of %q: %v", sloppy, err)
	}
	for _, tc := range []struct {
		name, token, prefix string
		ok                  bool
	}{
		{"fresh", tok, "tus", true},
		{"other prefix", tok, "tuk", false},
		{"prefix prefix", tok, "tu", false},
		{"empty prefix", "_" + body, "", false},
		{"no underscore", "tus" + body, "tus", false},
		{"empty", "", "tus", false},
		{"prefix only", "tus_", "tus", false},
		{"short", tok[:len(tok)-1], "tus", false},
		{"long", tok + "A", "tus", false},
		{"padded", tok + "=", "tus", false},
		{"standard alphabet", "tus_" + strings.Repeat("+", 43), "tus", false},
		{"slash", "tus_" + strings.Repeat("/", 43), "tus", false},
		{"space", "tus_" + body[:42] + " ", "tus", false},
		{"non-ASCII", "tus_" + body[:41] + "ā", "tus", false},
		{"NUL", "tus_" + body[:42] + "\x00", "tus", false},
		{"upper-case prefix", "TUS_" + body, "tus", false},
		{"non-canonical last character", "tus_" + sloppy, "tus", false},
		{"SQL", "tus_' OR 1=1 --" + strings.Repeat("a", 28), "tus", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseToken(tc.token, tc.prefix); got != tc.ok {
				t.Fatalf("ParseToken(%q, %q) = %v, want %v", tc.token, tc.prefix, got, tc.ok)
			}
		})
	}
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func TestHashTokenKnownAnswer(t *testing.T) {
	// sha256("abc"), FIPS 180-2 appendix B.1.
	const want = "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
	if got := base64.RawURLEncoding.EncodeToString(HashToken("abc")); got != want {
		t.Fatalf("HashToken(abc) = %s, want %s", got, want)
	}
}

func TestNewRecoveryCodes(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
	codes, hashes, err := NewRecoveryCodes(RecoveryCodeCount)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes and %d hashes, want 10 of each", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !shape.MatchString(c) {
			t.Errorf("code %q is not three groups of four Crockford characters", c)
		}
		if strings.ContainsAny(c, "ILOU") {
			t.Errorf("code %q contains a letter Crockford leaves out", c)
		}
		want := sha256.Sum256([]byte(strings.ReplaceAll(c, "-", "")))
		if !bytes.Equal(hashes[i], want[:]) {
			t.Errorf("hash of %q is not the SHA-256 of its normalised form", c)
		}
		if !bytes.Equal(HashRecoveryCode(strings.ToLower(c)), hashes[i]) {
			t.Errorf("code %q typed in lower case hashes differently", c)
		}
		if !ValidRecoveryCode(c) {
			t.Errorf("ValidRecoveryCode(%q) = false", c)
		}
		if seen[c] {
			t.Errorf("code %q repeated", c)
		}
		seen[c] = true
	}

	// Over many codes every one of the 32 characters turns up in every
	// position: the 60 bits are spread over all 12 characters.
	many, _, err := NewRecoveryCodes(100)
	if err != nil {
		t.Fatal(err)
	}
	var used [12]map[byte]bool
	for _, c := range many {
		for i := range 12 {
			if used[i] == nil {
				used[i] = map[byte]bool{}
			}
			used[i][NormaliseRecoveryCode(c)[i]] = true
		}
	}
	for i, u := range used {
		if len(u) < 20 { // expected ≈ 30 of 32 from 100 draws
			t.Errorf("position %d used only %d distinct characters in 100 codes", i, len(u))
		}
	}

	for _, n := range []int{0, -1, 101} {
		if _, _, err := NewRecoveryCodes(n); err == nil {
			t.Errorf("NewRecoveryCodes(%d) succeeded", n)
		}
	}
}

func TestNormaliseRecoveryCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"7KQ4-M2XR-9DPW", "7KQ4M2XR9DPW"},
		{"7kq4-m2xr-9dpw", "7KQ4M2XR9DPW"},
		{" 7KQ4 M2XR 9DPW ", "7KQ4M2XR9DPW"},
		{"7KQ4\tM2XR\n9DPW", "7KQ4M2XR9DPW"},
		{"7KQ4--M2XR--9DPW", "7KQ4M2XR9DPW"},
		{"7KQ4M2XR9DPW", "7KQ4M2XR9DPW"},
		// Crockford: I and L read as 1, O as 0.
		{"IL0O-iloo-ABCD", "1100110" + "0ABCD"},
		{"", ""},
		{"---", ""},
	} {
		if got := NormaliseRecoveryCode(tc.in); got != tc.want {
			t.Errorf("NormaliseRecoveryCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"7KQ4-M2XR-9DPW", true},
		{"7kq4 m2xr 9dpw", true},
		{"7KQ4-M2XR-9DP", false},
		{"7KQ4-M2XR-9DPWX", false},
		{"7KQ4-M2XR-9DPU", false}, // U is not in the alphabet
		{"7KQ4-M2XR-9DP!", false},
		{"7KQ4-M2XR-9DPĀ", false},
		{"", false},
	} {
		if got := ValidRecoveryCode(tc.in); got != tc.ok {
			t.Errorf("ValidRecoveryCode(%q) = %v, want %v", tc.in, got, tc.ok)
		}
	}
}
