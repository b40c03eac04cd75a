package idempotency_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/idempotency"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// caller makes a tenant with one member and returns its context and user.
func caller(t *testing.T, env *dbtest.Env) (context.Context, uuid.UUID) {
	t.Helper()
	ctx, _ := env.Tenant(t)
	id := uuid.Must(uuid.NewV7())
	if err := env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`, id, "i-"+id.String()[24:]+"@example.co.nz").Error
	}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, '{gp}')`, tx.Tenant.ID, id).Error
	}); err != nil {
		t.Fatal(err)
	}
	return ctx, id
}

func TestBeginFinishReplay(t *testing.T) {
	env := dbtest.New(t)
	ctx, user := caller(t, env)
	r := idempotency.Request{UserID: user, Key: "key-" + uuid.NewString(), Operation: "book-appointment",
		Hash: idempotency.Hash("POST", "/x", []byte(`{"a":1}`))}

	if _, replay, err := idempotency.Begin(ctx, env.DB, r); err != nil || replay {
		t.Fatalf("first claim: replay %v, err %v", replay, err)
	}
	// A retry while the first is running: a conflict with a retry hint.
	_, _, err := idempotency.Begin(ctx, env.DB, r)
	if !errors.Is(err, fault.Conflict) || fault.As(err).RetryAfter == 0 {
		t.Fatalf("in flight: got %v, want a conflict with Retry-After", err)
	}
	want := idempotency.Response{Status: 201, ContentType: "application/json", Location: "/a/1", Body: []byte(`{"id":"1"}`)}
	if err := idempotency.Finish(ctx, env.DB, r, want); err != nil {
		t.Fatal(err)
	}
	got, replay, err := idempotency.Begin(ctx, env.DB, r)
	if err != nil || !replay || got.Status != 201 || string(got.Body) != string(want.Body) ||
		got.ContentType != want.ContentType || got.Location != want.Location {
		t.Fatalf("replay: %+v %v %v", got, replay, err)
	}
	// The same key with another body, or for another operation: refused.
	other := r
	other.Hash = idempotency.Hash("POST", "/x", []byte(`{"a":2}`))
	if _, _, err := idempotency.Begin(ctx, env.DB, other); !errors.Is(err, fault.Invalid) {
		t.Fatalf("other body: got %v, want invalid", err)
	}
	other = r
	other.Operation = "create-patient"
	if _, _, err := idempotency.Begin(ctx, env.DB, other); !errors.Is(err, fault.Invalid) {
		t.Fatalf("other operation: got %v, want invalid", err)
	}
}

func TestAbandonLetsARetrySucceed(t *testing.T) {
	env := dbtest.New(t)
	ctx, user := caller(t, env)
	r := idempotency.Request{UserID: user, Key: "k", Operation: "op", Hash: idempotency.Hash("POST", "/p", nil)}
	if _, _, err := idempotency.Begin(ctx, env.DB, r); err != nil {
		t.Fatal(err)
	}
	if err := idempotency.Abandon(ctx, env.DB, r); err != nil {
		t.Fatal(err)
	}
	if _, replay, err := idempotency.Begin(ctx, env.DB, r); err != nil || replay {
		t.Fatalf("after abandon: replay %v err %v", replay, err)
	}
	if err := idempotency.Finish(ctx, env.DB, r, idempotency.Response{Status: 500}); !errors.Is(err, fault.Invalid) {
		t.Fatalf("storing a 500: got %v", err)
	}
}

func TestKeysStayInTheirTenant(t *testing.T) {
	env := dbtest.New(t)
	ctxA, userA := caller(t, env)
	ctxB, userB := caller(t, env)
	r := idempotency.Request{UserID: userA, Key: "shared", Operation: "op", Hash: idempotency.Hash("POST", "/p", nil)}
	if _, _, err := idempotency.Begin(ctxA, env.DB, r); err != nil {
		t.Fatal(err)
	}
	if err := idempotency.Finish(ctxA, env.DB, r, idempotency.Response{Status: 201, Body: []byte("A")}); err != nil {
		t.Fatal(err)
	}
	// B's caller with the same key starts afresh; A's answer never reaches B.
	rb := r
	rb.UserID = userB
	if _, replay, err := idempotency.Begin(ctxB, env.DB, rb); err != nil || replay {
		t.Fatalf("B: replay %v err %v", replay, err)
	}
	// A's user id used inside B's wall: not a member there, refused by the foreign key.
	if _, _, err := idempotency.Begin(ctxB, env.DB, r); err == nil {
		t.Fatal("A's user claimed a key in B")
	}
}

func TestConcurrentClaimsOneWins(t *testing.T) {
	env := dbtest.New(t)
	ctx, user := caller(t, env)
	r := idempotency.Request{UserID: user, Key: "race", Operation: "op", Hash: idempotency.Hash("POST", "/p", nil)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, busy := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := idempotency.Begin(ctx, env.DB, r)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, idempotency.ErrInFlight):
				busy++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || busy != 19 {
		t.Fatalf("won %d, busy %d; want 1 and 19", won, busy)
	}
}

func TestBadKeys(t *testing.T) {
	env := dbtest.New(t)
	ctx, user := caller(t, env)
	for _, k := range []string{"", "has space", "é", string(make([]byte, 201))} {
		r := idempotency.Request{UserID: user, Key: k, Operation: "op"}
		if _, _, err := idempotency.Begin(ctx, env.DB, r); !errors.Is(err, fault.Invalid) {
			t.Errorf("key %q: got %v, want invalid", k, err)
		}
	}
}

func TestKeysExpireAfterADay(t *testing.T) {
	env := dbtest.New(t)
	ctx, user := caller(t, env)
	r := idempotency.Request{UserID: user, Key: "old", Operation: "op", Hash: idempotency.Hash("POST", "/p", []byte("1"))}
	if _, _, err := idempotency.Begin(ctx, env.DB, r); err != nil {
		t.Fatal(err)
	}
	if err := idempotency.Finish(ctx, env.DB, r, idempotency.Response{Status: 201, Body: []byte("first")}); err != nil {
		t.Fatal(err)
	}
	age := func(d string) {
		t.Helper()
		if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
			return tx.Exec(`UPDATE idempotency_keys SET created_at = now() - ?::interval WHERE key = 'old'`, d).Error
		}); err != nil {
			t.Fatal(err)
		}
	}
	age("23 hours")
	if _, replay, err := idempotency.Begin(ctx, env.DB, r); err != nil || !replay {
		t.Fatalf("at 23 h: replay %v err %v", replay, err)
	}
	age("25 hours")
	// Expired: the key starts afresh, even for another request.
	other := r
	other.Hash = idempotency.Hash("POST", "/p", []byte("2"))
	if _, replay, err := idempotency.Begin(ctx, env.DB, other); err != nil || replay {
		t.Fatalf("at 25 h: replay %v err %v", replay, err)
	}
	if n, err := idempotency.Sweep(ctx, env.DB); err != nil || n != 0 {
		t.Fatalf("sweep removed %d (%v); the key was just renewed", n, err)
	}
	age("25 hours")
	if n, err := idempotency.Sweep(ctx, env.DB); err != nil || n != 1 {
		t.Fatalf("sweep removed %d (%v), want 1", n, err)
	}
}
