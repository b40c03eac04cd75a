package account

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/fault"
)

// Argon2Params are the cost parameters of an argon2id hash (RFC 9106).
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2 is what new hashes use, and what VerifyPassword compares a
// stored hash against to say it needs re-hashing.
//
// OWASP's Password Storage Cheat Sheet gives equivalent argon2id minimums
// from m=46 MiB t=1 to m=7 MiB t=5, all p=1; we go one pass beyond its
// highest-memory setting. p=1 because the server has 2 cores and each
// sign-in should hold one: more lanes only make concurrent sign-ins fight for
// the same cores. Measured with BenchmarkHashPassword on the 2-core
// development machine (Xeon, Go 1.26, one hash):
//
//	m=46 MiB t=2 p=1   ≈ 56 ms   <- chosen
//	m=64 MiB t=1 p=1   ≈ 45 ms
//	m=19 MiB t=4 p=1   ≈ 39 ms
//	m=32 MiB t=2 p=1   ≈ 37 ms
//	m=46 MiB t=1 p=1   ≈ 29 ms   (OWASP minimum)
//	m=19 MiB t=2 p=1   ≈ 20 ms   (OWASP minimum)
//
// The OWASP minimums take 30 ms or less here. A sign-in can spend 30–80 ms
// unnoticed and every millisecond of it multiplies an offline attacker's
// cost, so we take the middle. (On a busy machine the same hash takes 70 ms
// and more.) Memory per hash in flight is bounded by hashSlots.
var DefaultArgon2 = Argon2Params{Memory: 46 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters read back from a stored hash, so that a corrupt or
// hostile row cannot make a sign-in allocate gigabytes or spin for minutes.
const (
	maxArgon2Memory = 1 << 20 // 1 GiB in KiB
	maxArgon2Time   = 64
	minSaltLen      = 8
	maxSaltLen      = 64
	minKeyLen       = 16
	maxKeyLen       = 128
)

// Password length is counted in runes after NFC normalisation. NIST SP
// 800-63B-4 §3.1.1.2 asks for at least 15 characters when a password is the
// only factor and 8 beside a second factor; Tūhono asks for 12 whatever the
// second factor, and never truncates: a longer password is refused whole.
const (
	MinPasswordRunes = 12
	MaxPasswordRunes = 128
)

// productName is folded (lower-case, no macrons) like the password it is
// compared with.
const productName = "tuhono"

var errMalformedHash = errors.New("malformed argon2id hash")

// hashSlots lets only as many argon2 runs proceed at once as there are
// CPUs. More in flight finish no sooner (each is CPU-bound) but each holds
// its memory (46 MiB) from the start, so a burst of sign-ins at 8:30 would
// otherwise multiply the process's memory by the burst's size. With it the
// memory is bounded by GOMAXPROCS × Memory.
var hashSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// idKey is argon2.IDKey of the NFC-normalised password, taking a slot.
func idKey(pw string, salt []byte, p Argon2Params) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(norm.NFC.String(pw)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// HashPassword returns pw hashed with argon2id as a PHC string:
// $argon2id$v=19$m=47104,t=2,p=1$<salt>$<hash>, unpadded standard base64.
// The password is NFC-normalised first, so the same password typed with a
// combining macron or a precomposed ā hashes alike.
func HashPassword(pw string, p Argon2Params) (string, error) {
	if err := p.valid(); err != nil {
		return "", fmt.Errorf("account.HashPassword: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("account.HashPassword: %w", err)
	}
	return encodeHash(p, salt, idKey(pw, salt, p)), nil
}

// VerifyPassword reports whether pw matches the encoded hash, comparing in
// constant time. needsRehash is true when the hash was made with parameters
// other than DefaultArgon2: the caller, holding the plain password after a
// successful sign-in, should store a fresh HashPassword then. A hash that
// cannot be parsed is an error (and never ok).
func VerifyPassword(encoded, pw string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, fmt.Errorf("account.VerifyPassword: %w", err)
	}
	got := idKey(pw, salt, p)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != DefaultArgon2, nil
}

// dummyHash has DefaultArgon2's parameters and a random salt and key, so it
// costs exactly what a real verification costs and matches no password. It
// needs no argon2 run to make: the cost is in verifying, not in the string.
var dummyHash = func() string {
	salt := make([]byte, DefaultArgon2.SaltLen)
	key := make([]byte, DefaultArgon2.KeyLen)
	rand.Read(salt) // never fails (Go 1.24+: it aborts the program instead)
	rand.Read(key)
	return encodeHash(DefaultArgon2, salt, key)
}()

// DummyVerify spends the time of one VerifyPassword against a DefaultArgon2
// hash and throws the answer away. Sign-in calls it when there is no user
// (or no password) for the e-mail given, so "no such user" and "wrong
// password" take the same time and the e-mail addresses registered here
// cannot be enumerated by timing.
func DummyVerify(pw string) {
	_, _, _ = VerifyPassword(dummyHash, pw)
}

func (p Argon2Params) valid() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgon2Memory:
		return fmt.Errorf("argon2 memory %d KiB out of range", p.Memory)
	case p.Time < 1 || p.Time > maxArgon2Time:
		return fmt.Errorf("argon2 time %d out of range", p.Time)
	case p.Threads < 1:
		return errors.New("argon2 threads must be at least 1")
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2 salt length %d out of range", p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2 key length %d out of range", p.KeyLen)
	}
	return nil
}

func encodeHash(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// decodeHash parses exactly the form encodeHash writes: anything else
// (another algorithm, another version, padding, extra fields, parameters in
// another order or out of bounds) is refused rather than guessed at.
func decodeHash(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", errMalformedHash, parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return p, nil, nil, errMalformedHash
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(params[i], name)
		if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
			return p, nil, nil, errMalformedHash
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return p, nil, nil, errMalformedHash
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return p, nil, nil, errMalformedHash
	}
	salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, errMalformedHash
	}
	key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, errMalformedHash
	}
	p = Argon2Params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2]),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := p.valid(); err != nil {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: %w", errMalformedHash, err)
	}
	return p, salt, key, nil
}

// commonPasswords is a list of the most used and most breached passwords
// (from the public rockyou and SecLists tallies, with New Zealand favourites
// added), lower-case, one a line.
//
//go:embed common_passwords.txt
var commonPasswordsTxt []byte

var commonPasswords = func() map[string]struct{} {
	m := make(map[string]struct{}, 2048)
	s := bufio.NewScanner(bytes.NewReader(commonPasswordsTxt))
	for s.Scan() {
		if w := strings.TrimSpace(s.Text()); w != "" {
			m[foldPassword(w)] = struct{}{}
		}
	}
	return m
}()

// CheckNewPassword applies the rules for a password being set (sign-up,
// reset, change), following NIST SP 800-63B: a length window and a refusal
// of passwords known to attackers, and no composition rules ("one upper-case
// letter, one symbol…"), which only push people to Password1!. context holds
// words about the person that an attacker would try first: the local part of
// their e-mail, their names. Each of four or more characters is refused
// inside the password. The error is fault.InvalidField("password", …) with a
// message for the person choosing it.
func CheckNewPassword(pw string, context ...string) error {
	invalid := func(msg string) error { return fault.InvalidField("password", msg) }
	if pw == "" {
		return invalid("enter a password")
	}
	if !utf8.ValidString(pw) {
		return invalid("the password contains characters that can't be used")
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return invalid("the password contains characters that can't be used")
		}
	}
	pw = norm.NFC.String(pw)
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordRunes:
		return invalid(fmt.Sprintf("use at least %d characters", MinPasswordRunes))
	case n > MaxPasswordRunes:
		return invalid(fmt.Sprintf("use at most %d characters", MaxPasswordRunes))
	}

	f := foldPassword(pw)
	if strings.Contains(f, productName) {
		return invalid("don't use the name of this service in your password")
	}
	for _, w := range contextWords(context) {
		if strings.Contains(f, w) {
			return invalid("don't use your name or e-mail address in your password")
		}
	}
	if isRepeated(f) {
		return invalid("avoid repeated characters or patterns like aaaa or abcabc — choose something less guessable")
	}
	if isSequence(f) {
		return invalid("avoid sequences like 123456 or qwerty — choose something less guessable")
	}
	if isCommon(f) {
		return invalid("this password is too common — choose something less guessable")
	}
	// Attackers try every common word with digits and symbols before and
	// after it ("sunshine2024!", "!!dragon123") long before anything else.
	if core := strings.TrimFunc(f, notLetter); core != f && utf8.RuneCountInString(core) >= 4 {
		if isCommon(core) || isRepeated(core) || isSequence(core) {
			return invalid("a common word with numbers or symbols added is easy to guess — choose something less guessable")
		}
	}
	return nil
}

// foldPassword puts s in the form passwords are compared in: lower case without
// diacritics, so Tūhono, TUHONO and tuhono are one word.
func foldPassword(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// contextWords folds each context string, keeps only the local part of an
// e-mail address, and returns it whole and split at punctuation
// (john.smith is also john and smith), keeping the words of four or more
// characters: shorter ones (Li, Ana) occur by chance in good passwords.
func contextWords(context []string) []string {
	var words []string
	add := func(w string) {
		if utf8.RuneCountInString(w) >= 4 {
			words = append(words, w)
		}
	}
	for _, c := range context {
		c = foldPassword(c)
		if local, _, ok := strings.Cut(c, "@"); ok {
			c = local
		}
		c = strings.TrimSpace(c)
		add(c)
		parts := strings.FieldsFunc(c, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if len(parts) > 1 {
			for _, p := range parts {
				add(p)
			}
		}
	}
	return words
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// isCommon looks s up as typed and with the usual character swaps undone
// (p@ssw0rd is password).
func isCommon(s string) bool {
	if _, ok := commonPasswords[s]; ok {
		return true
	}
	_, ok := commonPasswords[unleet.Replace(s)]
	return ok
}

var unleet = strings.NewReplacer("@", "a", "4", "a", "8", "b", "3", "e", "1", "i", "!", "i", "0", "o",
	"$", "s", "5", "s", "7", "t", "+", "t")

// isRepeated reports whether s is one unit of up to four characters repeated:
// aaaaaaaaaaaa, abababababab, 123412341234.
func isRepeated(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		if len(r) < 3*unit {
			continue
		}
		ok := true
		for i := unit; i < len(r); i++ {
			if r[i] != r[i%unit] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// sequences are runs people type instead of choosing: the alphabet, the
// digits (wrapping, so 123456789012 is one run) and keyboard rows.
var sequences = []string{
	"abcdefghijklmnopqrstuvwxyz",
	"0123456789",
	"qwertyuiopasdfghjklzxcvbnm",
	"qwertyuiop", "asdfghjkl", "zxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"qazwsxedcrfvtgbyhnujmikolp",
	"zaq1xsw2cde3vfr4bgt5nhy6mju7",
	"azertyuiopqsdfghjklmwxcvbn",
	"qwertzuiopasdfghjklyxcvbnm",
}

// isSequence reports whether s is one run along a sequence, forwards or
// backwards, wrapping at its end.
func isSequence(s string) bool {
	for _, seq := range sequences {
		cyc := strings.Repeat(seq, 1+len(s)/len(seq)+1)
		if strings.Contains(cyc, s) || strings.Contains(cyc, reverseRunes(s)) {
			return true
		}
	}
	return false
}

func reverseRunes(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
