package account

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP follows RFC 6238 with the parameters every authenticator app
// understands: HMAC-SHA1, six digits, 30-second steps. Apps that are offered
// SHA-256 or eight digits often ignore them silently and then show wrong
// codes, so the defaults are the safe choice.
const (
	TOTPIssuer = "Tūhono"
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1 // steps either side of now, for clock drift and typing time
	// 160-bit secret, the HMAC-SHA1 key size RFC 4226 recommends.
	totpSecretBytes = 20
)

// NewTOTP makes a new TOTP secret (base32, as authenticator apps take it)
// for account and the otpauth:// URL the enrolment QR code carries. An empty
// issuer means TOTPIssuer.
func NewTOTP(issuer, account string) (secret string, otpauthURL string, err error) {
	if issuer == "" {
		issuer = TOTPIssuer
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  totpSecretBytes,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
		Rand:        rand.Reader,
	})
	if err != nil {
		return "", "", fmt.Errorf("account.NewTOTP: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// ValidateTOTP checks code against secret at now, accepting the step before
// and after the current one. It returns the time step (Unix time / 30) the
// code belongs to: the caller records the last step used per user and
// refuses a step not after it, so a code seen over someone's shoulder or
// replayed from a log cannot be used again (RFC 6238 §5.2). Spaces are
// ignored ("123 456" as apps show it); anything but six digits is refused.
func ValidateTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, code)
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
	}
	current := now.Unix() / totpPeriod
	opts := hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	// Every candidate is computed and compared in constant time, so the
	// time taken says nothing about which step (if any) matched. Should a
	// code match two steps, the later one is returned: refusing more
	// re-use, never less.
	for s := current - totpSkew; s <= current+totpSkew; s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// maxQRSize bounds the image a caller can ask for, in pixels a side.
const maxQRSize = 1024

// QRCodePNG renders the otpauth URL as a size×size PNG QR code, for the
// enrolment page to show as a data: URL (the secret never goes to a
// third-party QR service).
func QRCodePNG(otpauthURL string, size int) ([]byte, error) {
	if size < 1 || size > maxQRSize {
		return nil, fmt.Errorf("account.QRCodePNG: size %d out of range", size)
	}
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return nil, fmt.Errorf("account.QRCodePNG: %w", err)
	}
	// NewKeyFromURL accepts any text; only an otpauth URL with a secret is
	// worth drawing.
	if !strings.HasPrefix(otpauthURL, "otpauth://") || key.Secret() == "" {
		return nil, errors.New("account.QRCodePNG: not an otpauth URL with a secret")
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("account.QRCodePNG: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("account.QRCodePNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SecretKeyLen is the length of the key that seals TOTP secrets: AES-256.
const SecretKeyLen = 32

var errSealed = errors.New("sealed secret cannot be opened")

// SealSecret encrypts a TOTP secret for storage with AES-256-GCM under key
// (32 bytes, from configuration, never from the database it protects): a
// copy of the database alone cannot mint codes. The result is base64url of
// a random 96-bit nonce followed by the ciphertext and tag.
func SealSecret(key []byte, plaintext string) (string, error) {
	aead, err := newGCM(key)
	if err != nil {
		return "", fmt.Errorf("account.SealSecret: %w", err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("account.SealSecret: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenSecret decrypts what SealSecret made. A wrong key, a truncated or
// altered text, or anything not made by SealSecret is an error.
func OpenSecret(key []byte, sealed string) (string, error) {
	aead, err := newGCM(key)
	if err != nil {
		return "", fmt.Errorf("account.OpenSecret: %w", err)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", fmt.Errorf("account.OpenSecret: %w", errSealed)
	}
	nonce, ct := raw[:aead.NonceSize()], raw[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ct, nil)
	if err != nil {
		return "", fmt.Errorf("account.OpenSecret: %w", errSealed)
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != SecretKeyLen {
		return nil, fmt.Errorf("key must be %d bytes, not %d", SecretKeyLen, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
