package outbox_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/outbox"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// quiet settles every message other tests left pending, so a test's
// DeliverOnce sees only its own (tests share one database per process).
func quiet(t *testing.T, env *dbtest.Env) {
	t.Helper()
	err := env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`UPDATE outbox SET delivered_at = now() WHERE delivered_at IS NULL AND failed_at IS NULL`).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func key(prefix string) string { return prefix + ":" + uuid.NewString() }

func email(k string) outbox.Email {
	return outbox.Email{
		To:             "aroha@example.nz",
		Subject:        "Your invitation to Tūhono",
		Text:           "Kia ora,\n\nYou have been invited. Sign in to accept.\n",
		IdempotencyKey: k,
	}
}

// recorder is a Sender that counts what it was given.
type recorder struct {
	mu    sync.Mutex
	sent  map[string]int
	delay time.Duration
	got   chan string
}

func newRecorder() *recorder { return &recorder{sent: map[string]int{}} }

func (r *recorder) Send(ctx context.Context, m outbox.Email) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	r.sent[m.IdempotencyKey]++
	r.mu.Unlock()
	if r.got != nil {
		r.got <- m.IdempotencyKey
	}
	return nil
}

func (r *recorder) count(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent[k]
}

// row is one message's delivery state, read as the platform.
type row struct {
	Count       int
	Attempts    int
	Delivered   bool
	Failed      bool
	LastError   string
	RetryInSecs float64
	Subject     string
	TenantSlug  string
}

func state(t *testing.T, env *dbtest.Env, k string) row {
	t.Helper()
	var r row
	err := env.DB.Platform(context.Background(), "test check", func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) OVER (), attempts, delivered_at IS NOT NULL, failed_at IS NOT NULL,
				coalesce(last_error, ''), extract(epoch FROM next_attempt_at - now())::float8,
				coalesce(subject, ''), coalesce(tenant_slug, '')
			FROM outbox WHERE idempotency_key = ?`, k).Row().
			Scan(&r.Count, &r.Attempts, &r.Delivered, &r.Failed, &r.LastError, &r.RetryInSecs, &r.Subject, &r.TenantSlug)
	})
	if errors.Is(err, fault.NotFound) {
		return row{}
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEnqueueAfterCommitOnly(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	ctx, tn := env.Tenant(t)
	rolled, committed := key("test-rollback"), key("test-commit")

	errBusiness := errors.New("the business change failed")
	err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := outbox.Enqueue(tx, email(rolled)); err != nil {
			return err
		}
		return errBusiness
	})
	if !errors.Is(err, errBusiness) {
		t.Fatalf("rolled-back transaction: %v", err)
	}

	// The same key twice in one transaction and once more in another (a
	// retried request) is one message: the first one.
	err = env.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := outbox.Enqueue(tx, email(committed)); err != nil {
			return err
		}
		return outbox.Enqueue(tx, email(committed))
	})
	if err != nil {
		t.Fatal(err)
	}
	again := email(committed)
	again.Subject = "A second try"
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return outbox.Enqueue(tx, again) }); err != nil {
		t.Fatalf("duplicate key: %v, want a no-op", err)
	}

	// The tenant may add to the outbox but never read it back.
	var visible int
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM outbox`).Scan(&visible).Error
	}); err != nil {
		t.Fatal(err)
	}
	if visible != 0 {
		t.Errorf("a tenant transaction sees %d outbox rows, want 0", visible)
	}

	rec := newRecorder()
	dl := outbox.NewDeliverer(env.DB, rec, dbtest.Quiet)
	n, err := dl.DeliverOnce(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("DeliverOnce = %d, %v; want 1 delivered", n, err)
	}
	if n, err := dl.DeliverOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("second DeliverOnce = %d, %v; want nothing", n, err)
	}
	if got := rec.count(rolled); got != 0 {
		t.Errorf("rolled-back message sent %d times", got)
	}
	if got := rec.count(committed); got != 1 {
		t.Errorf("committed message sent %d times, want 1", got)
	}
	if s := state(t, env, rolled); s.Count != 0 {
		t.Errorf("rolled-back message is in the outbox: %+v", s)
	}
	s := state(t, env, committed)
	if s.Count != 1 || !s.Delivered || s.Attempts != 1 || s.Subject != "Your invitation to Tūhono" {
		t.Errorf("committed message: %+v; want one row, delivered on attempt 1, the first subject", s)
	}
	if s.TenantSlug != tn.Slug {
		t.Errorf("tenant slug %q, want the enqueueing tenant's %q", s.TenantSlug, tn.Slug)
	}

	// The development mailbox lists it.
	msgs, err := outbox.Recent(context.Background(), env.DB, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range msgs {
		if m.Subject == "Your invitation to Tūhono" && m.TenantSlug == tn.Slug && m.DeliveredAt != nil && m.Attempts == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("Recent does not list the delivered message: %+v", msgs)
	}
}

func TestEnqueueRefusesBadInput(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	long := strings.Repeat("ā", 201)
	cases := []struct {
		name  string
		edit  func(*outbox.Email)
		field string
	}{
		{"CRLF in To adds a Bcc", func(m *outbox.Email) { m.To = "aroha@example.nz\r\nBcc: everyone@example.nz" }, "to"},
		{"bare LF in To", func(m *outbox.Email) { m.To = "aroha@example.nz\n" }, "to"},
		{"CRLF in Subject adds a Bcc", func(m *outbox.Email) { m.Subject = "Hello\r\nBcc: everyone@example.nz" }, "subject"},
		{"trailing CR in Subject", func(m *outbox.Email) { m.Subject = "Hello\r" }, "subject"},
		{"two recipients", func(m *outbox.Email) { m.To = "a@example.nz, b@example.nz" }, "to"},
		{"not an address", func(m *outbox.Email) { m.To = "aroha" }, "to"},
		{"no recipient", func(m *outbox.Email) { m.To = "" }, "to"},
		{"no subject", func(m *outbox.Email) { m.Subject = "  " }, "subject"},
		{"subject too long", func(m *outbox.Email) { m.Subject = long }, "subject"},
		{"control character in subject", func(m *outbox.Email) { m.Subject = "Hi\x1b[31m" }, "subject"},
		{"no body", func(m *outbox.Email) { m.Text = "\n" }, "text"},
		{"NUL in body", func(m *outbox.Email) { m.Text = "a\x00b" }, "text"},
		{"invalid UTF-8 in body", func(m *outbox.Email) { m.Text = "a\xffb" }, "text"},
		{"body too long", func(m *outbox.Email) { m.Text = strings.Repeat("x", 100_001) }, "text"},
		{"no key", func(m *outbox.Email) { m.IdempotencyKey = "" }, "idempotency_key"},
		{"key with a space", func(m *outbox.Email) { m.IdempotencyKey = "invite 1" }, "idempotency_key"},
		{"key too long", func(m *outbox.Email) { m.IdempotencyKey = strings.Repeat("k", 201) }, "idempotency_key"},
		{"bad tenant slug", func(m *outbox.Email) { m.TenantSlug = "Not A Slug" }, "tenant_slug"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := email(key("test-invalid"))
			k := m.IdempotencyKey
			c.edit(&m)
			var enqueueErr error
			// The caller's transaction commits: only Enqueue's refusal
			// keeps the message out.
			err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
				enqueueErr = outbox.Enqueue(tx, m)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var f *fault.Error
			if !errors.As(enqueueErr, &f) || f.Kind != fault.KindInvalid {
				t.Fatalf("got %v, want invalid", enqueueErr)
			}
			named := false
			for _, fe := range f.Fields {
				named = named || fe.Field == c.field
			}
			if !named {
				t.Errorf("no message for %s: %v", c.field, f.Fields)
			}
			if k != "" && len(k) <= 200 {
				if s := state(t, env, k); s.Count != 0 {
					t.Errorf("refused message was queued: %+v", s)
				}
			}
		})
	}

	// A display name and surrounding spaces are fine; the stored recipient
	// is canonical.
	m := email(key("test-name"))
	m.To = "  Aroha Ngata <aroha@example.nz> "
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return outbox.Enqueue(tx, m) }); err != nil {
		t.Fatal(err)
	}
	quiet(t, env)
}

func TestEnqueueFromPlatformScope(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	k := key("test-platform")
	err := env.DB.Platform(context.Background(), "test: platform mail", func(tx *db.Tx) error {
		return outbox.Enqueue(tx, email(k))
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := state(t, env, k); s.Count != 1 || s.TenantSlug != "" {
		t.Fatalf("platform-scope message: %+v", s)
	}
	quiet(t, env)
}
