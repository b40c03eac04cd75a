package keys_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/tenants"

	"github.com/google/uuid"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func key(b byte) []byte { return bytes.Repeat([]byte{b}, keys.KeyLen) }

func local(t *testing.T, current []byte, previous ...[]byte) *keys.Local {
	t.Helper()
	l, err := keys.NewLocal(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func sealIn(t *testing.T, d *db.DB, ctx context.Context, k *keys.Keyring, where string, plain []byte) []byte {
	t.Helper()
	var out []byte
	if err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = k.Seal(ctx, tx, where, plain)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func openIn(d *db.DB, ctx context.Context, k *keys.Keyring, where string, sealed []byte) ([]byte, error) {
	var out []byte
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = k.Open(ctx, tx, where, sealed)
		return err
	})
	return out, err
}

func TestSealOpenAndBinding(t *testing.T) {
	env := dbtest.New(t)
	ctxA, _ := env.Tenant(t)
	ctxB, _ := env.Tenant(t)
	k := keys.NewKeyring(local(t, key(1)))
	row := uuid.New()
	where := keys.AAD("notes", row, "body")
	plain := []byte("Kōrero about sleep and whānau; plan: fACT defusion, follow up Thursday.")

	sealed := sealIn(t, env.DB, ctxA, k, where, plain)
	if bytes.Contains(sealed, plain) || bytes.Contains(sealed, []byte("whānau")) {
		t.Fatal("the ciphertext contains the plaintext")
	}
	if again := sealIn(t, env.DB, ctxA, k, where, plain); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce repeats")
	}
	got, err := openIn(env.DB, ctxA, k, where, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %q, %v", got, err)
	}
	// Moved to another row, another field, or another tenant: it does not open.
	for name, try := range map[string]func() error{
		"other row": func() error {
			_, err := openIn(env.DB, ctxA, k, keys.AAD("notes", uuid.New(), "body"), sealed)
			return err
		},
		"other field": func() error { _, err := openIn(env.DB, ctxA, k, keys.AAD("notes", row, "plan"), sealed); return err },
		"other tenant": func() error {
			sealIn(t, env.DB, ctxB, k, where, []byte("B's own key exists"))
			_, err := openIn(env.DB, ctxB, k, where, sealed)
			return err
		},
	} {
		if err := try(); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	// One flipped bit: refused.
	bad := append([]byte(nil), sealed...)
	bad[len(bad)-1] ^= 1
	if _, err := openIn(env.DB, ctxA, k, where, bad); !errors.Is(err, keys.ErrCiphertext) {
		t.Errorf("tampered: %v", err)
	}
	// The stored data key is wrapped, never the raw key.
	var n int64
	env.DB.InTenant(ctxA, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM tenant_keys WHERE length(wrapped) > ?`, keys.KeyLen).Scan(&n).Error
	})
	if n != 1 {
		t.Errorf("tenant A has %d wrapped keys, want 1", n)
	}
}

func TestWrongMasterKeyFailsClosed(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	where := keys.AAD("notes", uuid.New(), "body")
	sealed := sealIn(t, env.DB, ctx, keys.NewKeyring(local(t, key(1))), where, []byte("private"))

	_, err := openIn(env.DB, ctx, keys.NewKeyring(local(t, key(2))), where, sealed)
	if !errors.Is(err, keys.ErrMasterKey) {
		t.Fatalf("wrong master key: %v, want ErrMasterKey", err)
	}
	// And nothing new is written under the wrong key either.
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		_, err := keys.NewKeyring(local(t, key(2))).Seal(ctx, tx, where, []byte("x"))
		return err
	}); !errors.Is(err, keys.ErrMasterKey) {
		t.Fatalf("seal under the wrong master key: %v", err)
	}
}

func TestRotationKeepsEverythingReadable(t *testing.T) {
	env := dbtest.New(t)
	var all []tenants.Tenant
	type stored struct {
		ctx    context.Context
		where  string
		plain  []byte
		sealed []byte
	}
	var values []stored
	old := keys.NewKeyring(local(t, key(1)))
	for i := range 3 {
		ctx, tn := env.Tenant(t)
		all = append(all, tn)
		for j := range 4 {
			where := keys.AAD("notes", uuid.New(), "body")
			plain := []byte{byte('a' + i), byte('0' + j)}
			values = append(values, stored{ctx, where, plain, sealIn(t, env.DB, ctx, old, where, plain)})
		}
	}
	rotating := local(t, key(9), key(1))
	// Readers keep working while rotation runs.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		k := keys.NewKeyring(rotating)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, v := range values {
				if got, err := openIn(env.DB, v.ctx, k, v.where, v.sealed); err != nil || !bytes.Equal(got, v.plain) {
					t.Errorf("read during rotation: %q, %v", got, err)
					return
				}
			}
		}
	}()
	got, err := keys.Rotate(context.Background(), env.DB, rotating, all)
	close(stop)
	wg.Wait()
	if err != nil || got.Keys != 3 || got.Tenants != 3 {
		t.Fatalf("rotate: %+v, %v", got, err)
	}
	again, err := keys.Rotate(context.Background(), env.DB, rotating, all)
	if err != nil || again.Keys != 0 {
		t.Fatalf("second rotation re-wrapped %d keys (%v): want 0", again.Keys, err)
	}
	// The old master key can go: the new one alone reads everything.
	k := keys.NewKeyring(local(t, key(9)))
	for _, v := range values {
		if got, err := openIn(env.DB, v.ctx, k, v.where, v.sealed); err != nil || !bytes.Equal(got, v.plain) {
			t.Fatalf("after rotation: %q, %v", got, err)
		}
	}
	// And the old one alone no longer can.
	if _, err := openIn(env.DB, values[0].ctx, keys.NewKeyring(local(t, key(1))), values[0].where, values[0].sealed); !errors.Is(err, keys.ErrMasterKey) {
		t.Fatalf("old key after rotation: %v", err)
	}
}

func TestParseMasterKeys(t *testing.T) {
	cur, prev, err := keys.ParseMasterKeys("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=, AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil || len(cur) != 32 || len(prev) != 1 {
		t.Fatalf("%d %d %v", len(cur), len(prev), err)
	}
	for _, bad := range []string{"", "short", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,nope"} {
		if _, _, err := keys.ParseMasterKeys(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if keys.KeyID(key(1)) == keys.KeyID(key(2)) || keys.KeyID(key(1)) != keys.KeyID(key(1)) {
		t.Error("key ids are not a function of the key")
	}
}
