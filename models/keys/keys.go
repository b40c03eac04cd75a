package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// KeyLen is the length of master and data keys: AES-256.
const KeyLen = 32

// Provider wraps and unwraps data keys with master keys it holds.
type Provider interface {
	// CurrentID names the master key new wraps use.
	CurrentID() string
	// Wrap seals a data key under the current master key, bound to aad.
	Wrap(ctx context.Context, dataKey, aad []byte) (wrapped []byte, keyID string, err error)
	// Unwrap opens a data key wrapped under the master key keyID.
	Unwrap(ctx context.Context, keyID string, wrapped, aad []byte) ([]byte, error)
}

// ErrMasterKey is the failure to unwrap a data key: the configured master key
// is not the one that wrapped it (or the wrapped key was altered). Nothing
// is decrypted, and the message says what to check.
var ErrMasterKey = fault.New(fault.KindUnavailable,
	"clinical records cannot be decrypted: the configured master key (NOTE_MASTER_KEY) is not the one that wrapped this practice's data key", nil)

// ErrNoKeyring is the refusal of a server started without a master key:
// clinical content is neither written nor read, never written in clear.
var ErrNoKeyring = fault.New(fault.KindUnavailable, "clinical records are unavailable: no master key is configured (NOTE_MASTER_KEY)", nil)

// ErrCiphertext is a stored value that does not open under its key: altered,
// truncated, or moved from another row.
var ErrCiphertext = errors.New("keys: ciphertext does not open (altered, or not from this row)")

// Local is a Provider over master keys from configuration: the current key
// and any previous ones kept until `tuhono keys rotate` has re-wrapped
// everything. A key's id is derived from the key itself, so the same key
// always has the same id and a wrong key can never claim a right id.
type Local struct {
	current string
	keys    map[string]cipher.AEAD
}

// NewLocal makes a Local from the current master key and any previous ones.
func NewLocal(current []byte, previous ...[]byte) (*Local, error) {
	l := &Local{keys: map[string]cipher.AEAD{}}
	for i, k := range append([][]byte{current}, previous...) {
		if len(k) != KeyLen {
			return nil, fmt.Errorf("keys: master key %d is %d bytes, want %d", i, len(k), KeyLen)
		}
		a, err := newAEAD(k)
		if err != nil {
			return nil, err
		}
		id := KeyID(k)
		if i == 0 {
			l.current = id
		}
		l.keys[id] = a
	}
	return l, nil
}

// ParseMasterKeys reads NOTE_MASTER_KEY-style values: base64 keys separated
// by commas, the current one first.
func ParseMasterKeys(s string) (current []byte, previous [][]byte, err error) {
	for i, part := range strings.Split(s, ",") {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
		if err != nil || len(k) != KeyLen {
			return nil, nil, fmt.Errorf("master key %d: use 32 random bytes in base64 (openssl rand -base64 32)", i+1)
		}
		if i == 0 {
			current = k
		} else {
			previous = append(previous, k)
		}
	}
	return current, previous, nil
}

// KeyID names a master key without revealing it: "local:" and the first 16
// hex digits of SHA-256 over a domain tag and the key.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("tuhono master key id\x00"), key...))
	return "local:" + hex.EncodeToString(h[:8])
}

// CurrentID implements Provider.
func (l *Local) CurrentID() string { return l.current }

// Wrap implements Provider.
func (l *Local) Wrap(_ context.Context, dataKey, aad []byte) ([]byte, string, error) {
	return seal(l.keys[l.current], dataKey, aad), l.current, nil
}

// Unwrap implements Provider.
func (l *Local) Unwrap(_ context.Context, keyID string, wrapped, aad []byte) ([]byte, error) {
	a, ok := l.keys[keyID]
	if !ok {
		return nil, ErrMasterKey
	}
	k, err := open(a, wrapped, aad)
	if err != nil {
		return nil, ErrMasterKey
	}
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// seal is nonce ‖ AES-GCM(plaintext), with a random 96-bit nonce.
func seal(a cipher.AEAD, plaintext, aad []byte) []byte {
	out := make([]byte, a.NonceSize(), a.NonceSize()+len(plaintext)+a.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("keys: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return a.Seal(out, out, plaintext, aad)
}

func open(a cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, ErrCiphertext
	}
	p, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], aad)
	if err != nil {
		return nil, ErrCiphertext
	}
	return p, nil
}

// Keyring seals and opens values with the tenant's data key, inside the
// tenant's transaction. Unwrapped data keys are cached in memory for a few
// minutes, so a read costs no key round trip after the first.
type Keyring struct {
	p   Provider
	ttl time.Duration

	mu    sync.Mutex
	cache map[cacheKey]cached
}

type cacheKey struct {
	tenant  uuid.UUID
	version int
}

type cached struct {
	aead    cipher.AEAD
	expires time.Time
}

// NewKeyring makes a Keyring over p.
func NewKeyring(p Provider) *Keyring {
	return &Keyring{p: p, ttl: 5 * time.Minute, cache: map[cacheKey]cached{}}
}

// format is the first byte of every ciphertext, so the layout can change.
const format byte = 1

// Seal encrypts plaintext with the tenant's current data key (made on first
// use), bound to the tenant and to where (table, row, field: see AAD).
func (k *Keyring) Seal(ctx context.Context, tx *db.Tx, where string, plaintext []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKeyring
	}
	version, a, err := k.current(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 5, 5+len(plaintext)+64)
	out[0] = format
	binary.BigEndian.PutUint32(out[1:5], uint32(version))
	return append(out, seal(a, plaintext, aad(tx.Tenant.ID, where))...), nil
}

// Open decrypts what Seal made for the same tenant and where.
func (k *Keyring) Open(ctx context.Context, tx *db.Tx, where string, ciphertext []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKeyring
	}
	if len(ciphertext) < 5 || ciphertext[0] != format {
		return nil, ErrCiphertext
	}
	version := int(binary.BigEndian.Uint32(ciphertext[1:5]))
	a, err := k.version(ctx, tx, version)
	if err != nil {
		return nil, err
	}
	return open(a, ciphertext[5:], aad(tx.Tenant.ID, where))
}

// AAD names where a value lives: table, row id and field.
func AAD(table string, row uuid.UUID, field string) string {
	return table + "/" + row.String() + "/" + field
}

func aad(tenant uuid.UUID, where string) []byte {
	return []byte("tuhono\x00" + tenant.String() + "\x00" + where)
}

// keyAAD binds a wrapped data key to its tenant and version.
func keyAAD(tenant uuid.UUID, version int) []byte {
	return []byte(fmt.Sprintf("tuhono data key\x00%s\x00%d", tenant, version))
}

type keyRow struct {
	Version     int
	MasterKeyID string
	Wrapped     []byte
}

// current returns the tenant's newest data key, making version 1 if there is
// none. Two first writers at once both insert; the primary key keeps one and
// both then read it.
func (k *Keyring) current(ctx context.Context, tx *db.Tx) (int, cipher.AEAD, error) {
	var rows []keyRow
	if err := tx.Raw(`SELECT version, master_key_id, wrapped FROM tenant_keys
		WHERE tenant_id = ? ORDER BY version DESC LIMIT 1`, tx.Tenant.ID).Scan(&rows).Error; err != nil {
		return 0, nil, err
	}
	if len(rows) == 0 {
		if err := k.create(ctx, tx, 1); err != nil {
			return 0, nil, err
		}
		a, err := k.version(ctx, tx, 1)
		return 1, a, err
	}
	a, err := k.unwrapRow(ctx, tx.Tenant.ID, rows[0])
	return rows[0].Version, a, err
}

func (k *Keyring) create(ctx context.Context, tx *db.Tx, version int) error {
	dk := make([]byte, KeyLen)
	if _, err := rand.Read(dk); err != nil {
		return err
	}
	wrapped, id, err := k.p.Wrap(ctx, dk, keyAAD(tx.Tenant.ID, version))
	if err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO tenant_keys (tenant_id, version, master_key_id, wrapped) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, version) DO NOTHING`, tx.Tenant.ID, version, id, wrapped).Error
}

func (k *Keyring) version(ctx context.Context, tx *db.Tx, version int) (cipher.AEAD, error) {
	if a, ok := k.cached(tx.Tenant.ID, version); ok {
		return a, nil
	}
	var rows []keyRow
	if err := tx.Raw(`SELECT version, master_key_id, wrapped FROM tenant_keys WHERE tenant_id = ? AND version = ?`,
		tx.Tenant.ID, version).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrCiphertext
	}
	return k.unwrapRow(ctx, tx.Tenant.ID, rows[0])
}

func (k *Keyring) cached(tenant uuid.UUID, version int) (cipher.AEAD, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := k.cache[cacheKey{tenant, version}]
	if !ok || time.Now().After(c.expires) {
		return nil, false
	}
	return c.aead, true
}

func (k *Keyring) unwrapRow(ctx context.Context, tenant uuid.UUID, r keyRow) (cipher.AEAD, error) {
	if a, ok := k.cached(tenant, r.Version); ok {
		return a, nil
	}
	dk, err := k.p.Unwrap(ctx, r.MasterKeyID, r.Wrapped, keyAAD(tenant, r.Version))
	if err != nil {
		return nil, err
	}
	a, err := newAEAD(dk)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) > 10000 { // a bound, not a policy: a full cache starts again
		clear(k.cache)
	}
	k.cache[cacheKey{tenant, r.Version}] = cached{aead: a, expires: time.Now().Add(k.ttl)}
	return a, nil
}
