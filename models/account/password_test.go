package account

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/fault"
)

// cheapArgon2 keeps the tests fast; only the timing test and the benchmark
// pay for DefaultArgon2.
var cheapArgon2 = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// knownHash was made by the reference C implementation (libargon2,
// argon2id_hash_encoded with t=2, m=64, p=1, 32-byte hash) from the
// password "Kia ora tātou katoa" (precomposed ā) and the salt
// "tuhono-test-salt", so the round trip is checked against another
// implementation, not only against itself.
const (
	knownPassword = "Kia ora t\u0101tou katoa"
	knownSalt     = "tuhono-test-salt"
	knownHash     = "$argon2id$v=19$m=64,t=2,p=1$dHVob25vLXRlc3Qtc2FsdA$ZtV//72evsqtbZMjhLe08SoKUZg6zR7n8L5gAhxncAk"
)

func TestPasswordKnownAnswer(t *testing.T) {
	p := Argon2Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if got := encodeHash(p, []byte(knownSalt), idKey(knownPassword, []byte(knownSalt), p)); got != knownHash {
		t.Fatalf("encoded\n got %s\nwant %s", got, knownHash)
	}
	for _, tc := range []struct {
		name, pw string
		ok       bool
	}{
		{"precomposed", knownPassword, true},
		{"combining macron", "Kia ora ta\u0304tou katoa", true}, // NFC makes it the same password
		{"without macron", "Kia ora tatou katoa", false},
		{"case differs", "kia ora tātou katoa", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword(knownHash, tc.pw)
			if err != nil || ok != tc.ok {
				t.Fatalf("VerifyPassword = %v, %v, %v; want ok=%v", ok, rehash, err, tc.ok)
			}
			if ok && !rehash {
				t.Error("m=64 t=2 is not DefaultArgon2: want needsRehash")
			}
		})
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	const pw = "a long and unusual pass phrase"
	h1, err := HashPassword(pw, cheapArgon2)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := HashPassword(pw, cheapArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not the PHC form", h1)
	}
	p, salt, key, err := decodeHash(h1)
	if err != nil || p != cheapArgon2 || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("decodeHash = %+v, %d-byte salt, %d-byte key, %v", p, len(salt), len(key), err)
	}
	for _, h := range []string{h1, h2} {
		if ok, rehash, err := VerifyPassword(h, pw); !ok || !rehash || err != nil {
			t.Errorf("right password: %v, %v, %v; want ok, needs rehash (cheap params)", ok, rehash, err)
		}
		if ok, _, err := VerifyPassword(h, pw+" "); ok || err != nil {
			t.Errorf("wrong password: %v, %v; want not ok, no error", ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	const pw = "rehash me when the defaults move"
	h, err := HashPassword(pw, DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := VerifyPassword(h, pw); !ok || rehash || err != nil {
		t.Errorf("DefaultArgon2 hash: %v, %v, %v; want ok and no rehash", ok, rehash, err)
	}
	for _, p := range []Argon2Params{
		{Memory: 64, Time: DefaultArgon2.Time, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: DefaultArgon2.Time + 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
	} {
		h, err := HashPassword(pw, p)
		if err != nil {
			t.Fatal(err)
		}
		if ok, rehash, err := VerifyPassword(h, pw); !ok || !rehash || err != nil {
			t.Errorf("%+v: %v, %v, %v; want ok and needs rehash", p, ok, rehash, err)
		}
		// A wrong password never asks for a rehash: there is nothing to store.
		if ok, rehash, _ := VerifyPassword(h, "wrong"); ok || rehash {
			t.Errorf("%+v wrong password: ok=%v rehash=%v", p, ok, rehash)
		}
	}
}

func TestHashPasswordRefusesBadParams(t *testing.T) {
	for _, p := range []Argon2Params{
		{},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 4, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: maxArgon2Memory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		if h, err := HashPassword("whatever it is", p); err == nil {
			t.Errorf("HashPassword(%+v) = %q, want an error", p, h)
		}
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	const salt, key = "dHVob25vLXRlc3Qtc2FsdA", "ZtV//72evsqtbZMjhLe08SoKUZg6zR7n8L5gAhxncAk"
	for _, tc := range []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=2,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=2,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=64,t=2,p=1$" + salt + "$" + key},
		{"params reordered", "$argon2id$v=19$t=2,m=64,p=1$" + salt + "$" + key},
		{"param missing", "$argon2id$v=19$m=64,t=2$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=64,t=2,p=1,k=1$" + salt + "$" + key},
		{"not a number", "$argon2id$v=19$m=6x4,t=2,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-64,t=2,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=2,p=1$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"zero lanes", "$argon2id$v=19$m=64,t=2,p=0$" + salt + "$" + key},
		{"lanes overflow", "$argon2id$v=19$m=64,t=2,p=256$" + salt + "$" + key},
		{"memory overflow", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key},
		{"memory too large", "$argon2id$v=19$m=8388608,t=2,p=1$" + salt + "$" + key},
		{"time too large", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "==$" + key},
		{"url alphabet", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + strings.ReplaceAll(key, "/", "_")},
		{"short salt", "$argon2id$v=19$m=64,t=2,p=1$c2FsdA$" + key},
		{"short hash", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$c2hvcnQ"},
		{"empty hash", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$"},
		{"trailing field", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key + "$"},
		{"no leading dollar", "argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword(tc.encoded, knownPassword)
			if err == nil || ok || rehash {
				t.Fatalf("VerifyPassword(%q) = %v, %v, %v; want an error", tc.encoded, ok, rehash, err)
			}
		})
	}
	if ok, _, err := VerifyPassword(knownHash, knownPassword); !ok || err != nil {
		t.Fatalf("the well-formed hash the cases are cut from fails: %v, %v", ok, err)
	}
}

// TestDummyVerifyTiming checks that a sign-in for an unknown e-mail
// (DummyVerify) and one with a wrong password (VerifyPassword against a
// DefaultArgon2 hash) cost about the same. Medians of interleaved runs and a
// 2× margin keep it steady on a busy machine; a real difference (no hashing
// at all) would be a factor of thousands.
func TestDummyVerifyTiming(t *testing.T) {
	real, err := HashPassword("the user's real password", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dummyHash, fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$",
		DefaultArgon2.Memory, DefaultArgon2.Time, DefaultArgon2.Threads)) {
		t.Fatalf("dummy hash %q does not carry DefaultArgon2", dummyHash)
	}
	const runs = 5
	var dummy, wrong []time.Duration
	for range runs {
		start := time.Now()
		DummyVerify("a wrong password")
		dummy = append(dummy, time.Since(start))

		start = time.Now()
		ok, _, err := VerifyPassword(real, "a wrong password")
		wrong = append(wrong, time.Since(start))
		if ok || err != nil {
			t.Fatalf("wrong password: %v, %v", ok, err)
		}
	}
	d, w := median(dummy), median(wrong)
	t.Logf("median DummyVerify %v, wrong-password VerifyPassword %v", d, w)
	if d > 2*w || w > 2*d {
		t.Errorf("DummyVerify %v and VerifyPassword %v differ by more than 2×", d, w)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestCheckNewPassword(t *testing.T) {
	const (
		tooShort    = "use at least 12 characters"
		tooLong     = "use at most 128 characters"
		common      = "this password is too common — choose something less guessable"
		commonPlus  = "a common word with numbers or symbols added is easy to guess — choose something less guessable"
		repeated    = "avoid repeated characters or patterns like aaaa or abcabc — choose something less guessable"
		sequential  = "avoid sequences like 123456 or qwerty — choose something less guessable"
		product     = "don't use the name of this service in your password"
		personal    = "don't use your name or e-mail address in your password"
		badChars    = "the password contains characters that can't be used"
		emptyPrompt = "enter a password"
	)
	// A password of n runes that breaks no other rule.
	good := func(n int) string {
		b := make([]byte, n)
		x := uint32(12345)
		for i := range b {
			x = x*1103515245 + 12345               // a fixed pseudo-random walk
			b[i] = '!' + byte((x>>16)%('~'-'!'+1)) // over printable ASCII
		}
		return string(b)
	}
	context := []string{"aroha.ngata@example.org.nz", "Aroha Ngata"}
	for _, tc := range []struct {
		name, pw string
		want     string // "" for accepted
	}{
		{"empty", "", emptyPrompt},
		{"11 characters", good(11), tooShort},
		{"exactly 12", good(12), ""},
		{"exactly 128", good(128), ""},
		{"129 refused, not truncated", good(129), tooLong},
		{"passphrase", "correct pūkeko battery staple", ""},
		{"spaces are characters", "four words  of  mine", ""},
		// 11 runes once normalised, though 12 code points as typed.
		{"combining macron counted after NFC", "Ta\u0304mati1975", tooShort},
		{"precomposed macron, 12 runes", "Tāmati1975!x", ""},
		{"12 runes, 24 bytes", "āēīōūĀĒĪŌŪāē", ""},
		{"NUL", "valid password\x00here", badChars},
		{"control character", "valid password\there", badChars},
		{"invalid UTF-8", "valid password\xffhere", badChars},

		{"common list", "password1234", common},
		{"common list, upper case", "PASSWORD1234", common},
		{"common list, qwerty", "qwertyuiop12", common},
		{"common list, iloveyou", "iloveyou1234", common},
		{"common list, letmein", "letmein12345", common},
		{"common list, NZ", "allblacks123", common},
		{"NZ word plus digits", "AllBlacks1987", commonPlus},
		{"common list, NZ long", "aotearoa1234", common},
		{"common list, kia ora", "KiaOra123456", common},
		{"common list, macron folded", "Aotearoa1234", common},
		{"common list, phrase", "correcthorsebatterystaple", common},
		{"common list, leet", "c0rrecth0r$ebatterystaple", common},
		{"leet word plus digits", "p@ssw0rd1234", commonPlus},
		{"common word plus digits", "sunshine8675", commonPlus},
		{"common word plus symbols", "!!dragon!!2024", commonPlus},
		{"common word leet plus digits", "m0nkey19283746", commonPlus},

		{"one character repeated", "aaaaaaaaaaaa", repeated},
		{"one character repeated, long", strings.Repeat("!", 40), repeated},
		{"unit repeated", "abcabcabcabc", repeated},
		{"digits repeated", "121212121212", repeated},
		{"unit repeated plus digits", "xoxoxo192837", commonPlus},
		{"digit sequence wrapping", "123456789012", sequential},
		{"digit sequence backwards", "987654321098", sequential},
		{"alphabet", "abcdefghijkl", sequential},
		{"alphabet upper", "ABCDEFGHIJKLM", sequential},
		{"keyboard row", "qwertyuiopas", sequential},
		{"keyboard row backwards", "lkjhgfdsapoiuy", sequential},
		{"keyboard columns", "1qaz2wsx3edc", sequential},
		{"sequence plus digits", "asdfghjk9152", commonPlus},

		{"product name plus digits", "tuhono123456", product},
		{"product name with macron", "Tūhono2024!!", product},
		{"product name combining", "Tu\u0304hono202444", product},
		{"product name inside", "I love using TUHONO at work", product},

		{"e-mail local part", "xX aroha.ngata Xx 7", personal},
		{"first name", "Aroha is my name 7", personal},
		{"last name", "ngata-whanau-4-ever", personal},
		{"name with macron folded", "mere ngātā 1999 kia kaha", personal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckNewPassword(tc.pw, context...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckNewPassword(%q) = %v, want accepted", tc.pw, err)
				}
				return
			}
			if !errors.Is(err, fault.Invalid) {
				t.Fatalf("CheckNewPassword(%q) = %v, want fault.Invalid", tc.pw, err)
			}
			fe := fault.As(err)
			if len(fe.Fields) != 1 || fe.Fields[0].Field != "password" || fe.Fields[0].Message != tc.want {
				t.Fatalf("CheckNewPassword(%q) fields = %+v, want password: %q", tc.pw, fe.Fields, tc.want)
			}
		})
	}
}

func TestCheckNewPasswordContext(t *testing.T) {
	const pw = "kiri-te-kanawa sings 1944"
	for _, tc := range []struct {
		name    string
		context []string
		refused bool
	}{
		{"no context", nil, false},
		{"unrelated", []string{"hemi@example.nz", "Hemi Walker"}, false},
		{"short parts ignored", []string{"te", "Te Ao"}, false}, // "te ao" as a whole does not occur
		{"first name", []string{"Kiri"}, true},
		{"e-mail local part", []string{"kanawa@example.nz"}, true},
		{"dotted local part split", []string{"dame.kanawa@example.nz"}, true},
		{"hyphenated whole", []string{"Kiri-Te-Kanawa"}, true},
		{"upper case", []string{"KANAWA"}, true},
		{"empty strings", []string{"", " ", "@"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckNewPassword(pw, tc.context...)
			if refused := err != nil; refused != tc.refused {
				t.Fatalf("CheckNewPassword(%q, %q) = %v, want refused=%v", pw, tc.context, err, tc.refused)
			}
		})
	}
}

func TestCommonPasswordsList(t *testing.T) {
	if n := len(commonPasswords); n < 1000 || n > 2500 {
		t.Fatalf("%d common passwords loaded, want 1,000–2,500", n)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(commonPasswordsTxt)), "\n") {
		if line != strings.ToLower(strings.TrimSpace(line)) || line == "" {
			t.Errorf("list line %q is not trimmed lower case", line)
		}
	}
	for _, pw := range []string{"123456", "password", "qwerty", "iloveyou", "password1234",
		"qwertyuiop12", "iloveyou1234", "123456789012", "letmein12345", "allblacks123", "aotearoa1234",
		"kiaora123456"} {
		if _, ok := commonPasswords[pw]; !ok {
			t.Errorf("%q missing from the list", pw)
		}
	}
	// Every entry long enough to pass the length rule is refused as common.
	for pw := range commonPasswords {
		if len([]rune(pw)) >= MinPasswordRunes && CheckNewPassword(pw) == nil {
			t.Errorf("%q from the list is accepted", pw)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	// DefaultArgon2 first, then the alternatives it was chosen from.
	for _, p := range []Argon2Params{
		DefaultArgon2,
		{Memory: 64 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 46 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 32 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19 * 1024, Time: 4, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		name := fmt.Sprintf("m=%dMiB,t=%d,p=%d", p.Memory/1024, p.Time, p.Threads)
		if p == DefaultArgon2 {
			name = "default," + name
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := HashPassword("correct pūkeko battery staple", p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheckNewPassword(b *testing.B) {
	for b.Loop() {
		_ = CheckNewPassword("a perfectly ordinary pass phrase 42", "someone@example.nz", "Some One")
	}
}
