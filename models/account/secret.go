package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
)

// Token prefixes say what a token is for, so a token pasted in the wrong
// place is refused before any look-up, and one found in a log or a
// repository can be recognised (secret scanners key on such prefixes).
const (
	PrefixSession    = "tus"
	PrefixAPIToken   = "tuk"
	PrefixInvitation = "tui"
	PrefixReset      = "tur"
)

// tokenBytes is the random part of every token: 256 bits, far beyond
// guessing, and enough that storing only an unsalted SHA-256 of the token is
// safe (a salt or a slow hash protects low-entropy secrets, not these).
const tokenBytes = 32

var tokenEncoding = base64.RawURLEncoding

// tokenChars is the length of the encoded random part.
var tokenChars = tokenEncoding.EncodedLen(tokenBytes)

// NewToken returns a fresh opaque token, prefix + "_" + 32 random bytes in
// unpadded base64url, and the SHA-256 of the whole token, which is all the
// database keeps: a leaked table of hashes opens no session. prefix is one
// of the Prefix constants (lower-case ASCII letters).
func NewToken(prefix string) (token string, hash []byte, err error) {
	if !validPrefix(prefix) {
		return "", nil, fmt.Errorf("account.NewToken: invalid prefix %q", prefix)
	}
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("account.NewToken: %w", err)
	}
	token = prefix + "_" + tokenEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken is the SHA-256 of token, the form tokens are stored and looked
// up in.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ParseToken reports whether token is well formed for prefix: the prefix,
// an underscore and exactly the encoding of 32 bytes in the base64url
// alphabet. It is checked before hashing and looking up, so junk from a
// cookie or header never reaches the database.
func ParseToken(token, prefix string) bool {
	rest, ok := strings.CutPrefix(token, prefix+"_")
	if !ok || !validPrefix(prefix) || len(rest) != tokenChars {
		return false
	}
	// Strict refuses non-zero padding bits in the last character, so each
	// token has exactly one spelling.
	b, err := tokenEncoding.Strict().DecodeString(rest)
	return err == nil && len(b) == tokenBytes
}

func validPrefix(p string) bool {
	if p == "" || len(p) > 16 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 'a' || p[i] > 'z' {
			return false
		}
	}
	return true
}

// Recovery codes are what a person writes down when enrolling in MFA, to
// sign in once without their authenticator. They are Crockford base32
// (digits and letters without I, L, O and U, so nothing is misread): 12
// characters, 60 random bits, shown in three groups of four.
const (
	crockford         = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	recoveryCodeChars = 12
	maxRecoveryCodes  = 100
)

// RecoveryCodeCount is how many codes an enrolment hands out.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns n distinct codes formatted like 7KQ4-M2XR-9DPW,
// and beside each the SHA-256 of its normalised form, which is what is
// stored. 60 bits per code needs no slow hash: a code is useless after its
// one use and sign-in attempts are rate limited.
func NewRecoveryCodes(n int) (codes []string, hashes [][]byte, err error) {
	if n < 1 || n > maxRecoveryCodes {
		return nil, nil, fmt.Errorf("account.NewRecoveryCodes: count %d out of range", n)
	}
	seen := make(map[string]bool, n)
	var buf [8]byte
	for len(codes) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return nil, nil, fmt.Errorf("account.NewRecoveryCodes: %w", err)
		}
		v := binary.BigEndian.Uint64(buf[:]) >> 4 // 60 bits
		var raw [recoveryCodeChars]byte
		for i := recoveryCodeChars - 1; i >= 0; i-- {
			raw[i] = crockford[v&31]
			v >>= 5
		}
		code := string(raw[0:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:12])
		if seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code)
		hashes = append(hashes, HashRecoveryCode(code))
	}
	return codes, hashes, nil
}

// NormaliseRecoveryCode puts a code as typed into the form that is hashed:
// upper case, without dashes or white space, and with Crockford's
// look-alikes read as the digits they stand for (I and L are 1, O is 0),
// letters no code contains.
func NormaliseRecoveryCode(s string) string {
	var b strings.Builder
	b.Grow(recoveryCodeChars)
	for _, r := range s {
		if r == '-' || unicode.IsSpace(r) {
			continue
		}
		switch r = unicode.ToUpper(r); r {
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// HashRecoveryCode is the SHA-256 of the normalised code, the form recovery
// codes are stored and looked up in.
func HashRecoveryCode(s string) []byte {
	return HashToken(NormaliseRecoveryCode(s))
}

// ValidRecoveryCode reports whether s, normalised, has the shape of a
// recovery code, so anything else is refused without a look-up.
func ValidRecoveryCode(s string) bool {
	n := NormaliseRecoveryCode(s)
	if len(n) != recoveryCodeChars {
		return false
	}
	for i := 0; i < len(n); i++ {
		if !strings.ContainsRune(crockford, rune(n[i])) {
			return false
		}
	}
	return true
}
