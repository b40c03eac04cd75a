package account

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

func TestNewTOTP(t *testing.T) {
	secret, u, err := NewTOTP(TOTPIssuer, "aroha@example.nz")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %q: %d bytes, %v; want 20 bytes of base32", secret, len(raw), err)
	}
	key, err := otp.NewKeyFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	if key.Type() != "totp" || key.Issuer() != "Tūhono" || key.AccountName() != "aroha@example.nz" ||
		key.Secret() != secret || key.Period() != 30 || key.Digits() != otp.DigitsSix ||
		key.Algorithm() != otp.AlgorithmSHA1 {
		t.Fatalf("otpauth URL %s carries %s %q %q period %d digits %d %v", u, key.Type(), key.Issuer(),
			key.AccountName(), key.Period(), key.Digits(), key.Algorithm())
	}
	parsed, _ := url.Parse(u)
	if parsed.Scheme != "otpauth" || parsed.Query().Get("issuer") != "Tūhono" {
		t.Errorf("URL %s", u)
	}

	other, _, err := NewTOTP("", "aroha@example.nz")
	if err != nil || other == secret {
		t.Fatalf("second secret %q, %v: want a fresh one", other, err)
	}
	if _, u, _ := NewTOTP("", "x@example.nz"); !strings.Contains(u, "issuer=T%C5%ABhono") {
		t.Errorf("empty issuer did not default to Tūhono: %s", u)
	}
	if _, _, err := NewTOTP(TOTPIssuer, ""); err == nil {
		t.Error("NewTOTP with no account succeeded")
	}
}

func TestValidateTOTP(t *testing.T) {
	// A fixed secret (20 bytes, as NewTOTP makes) and a fixed clock keep
	// the codes the same on every run; the clock is 10 s into a step, so ±30 s
	// stays one step away.
	const secret = "KRUWKIDQOVVWK23POJXSA2LTEBUGK4TF"
	now := time.Date(2025, 6, 3, 8, 30, 10, 0, time.UTC)
	step := now.Unix() / 30
	opts := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	codeAt := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(secret, at, opts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cur, prev, next := codeAt(now), codeAt(now.Add(-30*time.Second)), codeAt(now.Add(30*time.Second))
	for _, tc := range []struct {
		name, code string
		ok         bool
		step       int64
	}{
		{"now", cur, true, step},
		{"previous step", prev, true, step - 1},
		{"next step", next, true, step + 1},
		{"90 s ago", codeAt(now.Add(-90 * time.Second)), false, 0},
		{"60 s ago", codeAt(now.Add(-60 * time.Second)), false, 0},
		{"60 s ahead", codeAt(now.Add(60 * time.Second)), false, 0},
		{"spaced as apps show it", cur[:3] + " " + cur[3:], true, step},
		{"surrounding spaces", "  " + cur + "\t", true, step},
		{"five digits", cur[:5], false, 0},
		{"seven digits", cur + "0", false, 0},
		{"letters", "abcdef", false, 0},
		{"full-width digits", strings.Map(func(r rune) rune { return r - '0' + '０' }, cur), false, 0},
		{"sign", "+" + cur[1:], false, 0},
		{"empty", "", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ValidateTOTP(secret, tc.code, now)
			if ok != tc.ok || got != tc.step {
				t.Fatalf("ValidateTOTP(%q) = %d, %v; want %d, %v", tc.code, got, ok, tc.step, tc.ok)
			}
		})
	}
	// Same code, later clock: one step on it is the previous step, two on
	// it is refused.
	if got, ok := ValidateTOTP(secret, cur, now.Add(30*time.Second)); !ok || got != step {
		t.Errorf("one step later: %d, %v; want %d, true", got, ok, step)
	}
	if got, ok := ValidateTOTP(secret, cur, now.Add(60*time.Second)); ok {
		t.Errorf("two steps later: %d accepted", got)
	}
	if _, ok := ValidateTOTP("not base32!", cur, now); ok {
		t.Error("a malformed secret validated")
	}
}

// TestValidateTOTPKnownAnswer uses RFC 6238 appendix B's SHA-1 vectors (the
// eight-digit codes, whose last six digits are the six-digit code).
func TestValidateTOTPKnownAnswer(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		got, ok := ValidateTOTP(secret, tc.code[2:], time.Unix(tc.unix, 0))
		if !ok || got != tc.unix/30 {
			t.Errorf("T=%d code %s: step %d, %v; want %d", tc.unix, tc.code[2:], got, ok, tc.unix/30)
		}
	}
}

func TestQRCodePNG(t *testing.T) {
	_, u, err := NewTOTP(TOTPIssuer, "mere@example.nz")
	if err != nil {
		t.Fatal(err)
	}
	b, err := QRCodePNG(u, 220)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != 220 || r.Dy() != 220 {
		t.Errorf("image is %v, want 220×220", r)
	}
	for _, tc := range []struct {
		url  string
		size int
	}{
		{u, 0},
		{u, -1},
		{u, 5000},
		{u, 10}, // too small for the code's modules
		{"not a url", 200},
		{"", 200},
		{"https://example.nz/?secret=JBSWY3DPEHPK3PXP", 200},
		{"otpauth://totp/Tuhono:x?issuer=Tuhono", 200},
	} {
		if _, err := QRCodePNG(tc.url, tc.size); err == nil {
			t.Errorf("QRCodePNG(%q, %d) succeeded", tc.url, tc.size)
		}
	}
}

func TestSealSecret(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	sealed, err := SealSecret(key, secret)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, secret) || strings.ContainsAny(sealed, "+/=") {
		t.Fatalf("sealed %q shows the secret or is not unpadded base64url", sealed)
	}
	again, _ := SealSecret(key, secret)
	if again == sealed {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}
	for _, s := range []string{sealed, again} {
		if got, err := OpenSecret(key, s); err != nil || got != secret {
			t.Fatalf("OpenSecret = %q, %v; want %q", got, err, secret)
		}
	}
	if got, err := OpenSecret(key, mustSeal(t, key, "")); err != nil || got != "" {
		t.Errorf("empty secret round trip: %q, %v", got, err)
	}

	otherKey := make([]byte, 32)
	rand.Read(otherKey)
	raw := []byte(sealed)
	flip := func(i int) string {
		b := []byte(sealed)
		// Swap for another base64url character, changing the decoded bytes.
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for _, tc := range []struct {
		name   string
		key    []byte
		sealed string
	}{
		{"wrong key", otherKey, sealed},
		{"nonce altered", key, flip(0)},
		{"ciphertext altered", key, flip(len(raw) / 2)},
		{"tag altered", key, flip(len(raw) - 2)},
		{"truncated", key, sealed[:len(sealed)-4]},
		{"too short for nonce and tag", key, sealed[:20]},
		{"extended", key, sealed + "AAAA"},
		{"empty", key, ""},
		{"not base64url", key, "!!!" + sealed[3:]},
		{"padded", key, sealed + "="},
		{"short key", key[:16], sealed},
		{"nil key", nil, sealed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := OpenSecret(tc.key, tc.sealed); err == nil {
				t.Fatalf("OpenSecret = %q, want an error", got)
			}
		})
	}
	for _, k := range [][]byte{nil, key[:16], key[:24], append(key, 0)} {
		if _, err := SealSecret(k, secret); err == nil {
			t.Errorf("SealSecret with a %d-byte key succeeded", len(k))
		}
	}
}

func mustSeal(t *testing.T, key []byte, s string) string {
	t.Helper()
	sealed, err := SealSecret(key, s)
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}
