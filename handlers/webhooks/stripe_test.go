package webhooks_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/webhooks"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/billing/billingtest"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type fixture struct {
	t   *testing.T
	env *dbtest.Env
	app *fiber.App
	// Two practices paying for themselves.
	a, b         uuid.UUID
	custA, custB string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := dbtest.New(t)
	cfg, _ := billingtest.Config(billingtest.StripeMock(t))
	svc := billing.New(env.DB, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	app := fiber.New(fiber.Config{Immutable: true})
	app.Post(webhooks.StripePath, webhooks.Stripe(svc, slog.New(slog.NewTextHandler(io.Discard, nil))))
	f := &fixture{t: t, env: env, app: app}
	suffix := uuid.Must(uuid.NewV7()).String()[24:]
	f.custA, f.custB = "cus_a"+suffix, "cus_b"+suffix
	for _, p := range []struct {
		id   *uuid.UUID
		cust string
	}{{&f.a, f.custA}, {&f.b, f.custB}} {
		_, tn := env.Tenant(t)
		*p.id = tn.ID
		f.exec(`INSERT INTO billing_accounts (id, payer_id, email, stripe_customer_id, stripe_subscription_id, status)
			VALUES (?, ?, 'accounts@example.nz', ?, ?, 'trialing')`, uuid.Must(uuid.NewV7()), tn.ID, p.cust, "sub_"+p.cust[4:])
		f.exec(`UPDATE tenants SET billing_status = 'trialing' WHERE id = ?`, tn.ID)
	}
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if err := f.env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
		f.t.Fatal(err)
	}
}

// state is what an account and its tenant hold: status, the events
// recorded for it, the tenant's standing.
func (f *fixture) state(practice uuid.UUID) (status string, events int, standing string) {
	f.t.Helper()
	err := f.env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error {
		return tx.Raw(`SELECT a.status, (SELECT count(*) FROM stripe_events e WHERE e.account_id = a.id), t.billing_status
			FROM billing_accounts a JOIN tenants t ON t.id = a.payer_id WHERE a.payer_id = ?`, practice).
			Row().Scan(&status, &events, &standing)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return status, events, standing
}

func (f *fixture) post(body []byte, signature string) (int, string) {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, webhooks.StripePath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	resp, err := f.app.Test(req, 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *fixture) subscriptionEvent(id, customer, status string, at time.Time) []byte {
	return billingtest.Event{ID: id, Type: "customer.subscription.updated", Created: at,
		Object: billingtest.Subscription("sub_"+customer[4:], customer, status, "si_b"+customer[4:], "si_s"+customer[4:], 1, 0)}.Payload()
}

func TestSignedEventApplies(t *testing.T) {
	f := newFixture(t)
	body := f.subscriptionEvent("evt_ok"+f.custA[5:], f.custA, "active", time.Now())
	code, resp := f.post(body, billingtest.Sign(body, billingtest.WebhookSecret, time.Now()))
	if code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	if status, events, standing := f.state(f.a); status != "active" || events != 1 || standing != "active" {
		t.Fatalf("after the event: %s, %d events, standing %s", status, events, standing)
	}
	// Practice B is untouched by A's event.
	if status, events, standing := f.state(f.b); status != "trialing" || events != 0 || standing != "trialing" {
		t.Fatalf("B after A's event: %s, %d events, standing %s", status, events, standing)
	}
}

// Tampered, wrongly signed, stale or unsigned: 400 and nothing changed.
func TestRefusedEventsChangeNothing(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	body := f.subscriptionEvent("evt_bad"+f.custA[5:], f.custA, "canceled", now)
	tampered := bytes.Replace(body, []byte(`"canceled"`), []byte(`"active"`), 1)
	if bytes.Equal(tampered, body) {
		t.Fatal("the tampering changed nothing")
	}
	for name, c := range map[string]struct {
		body []byte
		sig  string
	}{
		"tampered body":       {tampered, billingtest.Sign(body, billingtest.WebhookSecret, now)},
		"wrong secret":        {body, billingtest.Sign(body, "whsec_someone_else", now)},
		"six minutes old":     {body, billingtest.Sign(body, billingtest.WebhookSecret, now.Add(-6*time.Minute))},
		"six minutes ahead":   {body, billingtest.Sign(body, billingtest.WebhookSecret, now.Add(6*time.Minute))},
		"unsigned":            {body, ""},
		"garbage signature":   {body, "t=1,v1=00"},
		"another API version": {bytes.Replace(body, []byte(`"2023-10-16"`), []byte(`"2020-08-27"`), 1), ""},
	} {
		sig := c.sig
		if name == "another API version" {
			sig = billingtest.Sign(c.body, billingtest.WebhookSecret, now)
		}
		code, resp := f.post(c.body, sig)
		if code != 400 {
			t.Errorf("%s: %d %s", name, code, resp)
		}
	}
	if status, events, standing := f.state(f.a); status != "trialing" || events != 0 || standing != "trialing" {
		t.Fatalf("after refused events: %s, %d events, standing %s", status, events, standing)
	}
	// Within the 5 minutes it is taken.
	code, _ := f.post(body, billingtest.Sign(body, billingtest.WebhookSecret, now.Add(-4*time.Minute)))
	if status, _, _ := f.state(f.a); code != 200 || status != "canceled" {
		t.Fatalf("four minutes old: %d, %s", code, status)
	}
}

// The same event delivered 20 times at once: one effect.
func TestConcurrentDeliveriesApplyOnce(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	body := billingtest.Event{ID: "evt_fail" + f.custA[5:], Type: "invoice.payment_failed", Created: now,
		Object: billingtest.Invoice("in_"+f.custA[4:], f.custA, "open", 12000, 0)}.Payload()
	sig := billingtest.Sign(body, billingtest.WebhookSecret, now)
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = f.post(body, sig)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("delivery %d: %d", i, c)
		}
	}
	status, events, standing := f.state(f.a)
	if status != "past_due" || events != 1 || standing != "past_due" {
		t.Fatalf("after 20 deliveries: %s, %d events, standing %s", status, events, standing)
	}
	var invoices int
	var grace time.Time
	if err := f.env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error {
		return tx.Raw(`SELECT (SELECT count(*) FROM billing_invoices i WHERE i.account_id = a.id), a.grace_until
			FROM billing_accounts a WHERE payer_id = ?`, f.a).Row().Scan(&invoices, &grace)
	}); err != nil {
		t.Fatal(err)
	}
	if invoices != 1 || grace.Sub(now.Truncate(time.Second)) != billing.DefaultGrace {
		t.Fatalf("%d invoices, grace until %s", invoices, grace)
	}
}

// Out of order: the newer state stands.
func TestOutOfOrderDeliveries(t *testing.T) {
	f := newFixture(t)
	t0 := time.Now().Truncate(time.Second)
	newer := f.subscriptionEvent("evt_new"+f.custA[5:], f.custA, "active", t0)
	older := f.subscriptionEvent("evt_old"+f.custA[5:], f.custA, "past_due", t0.Add(-time.Minute))
	for _, body := range [][]byte{newer, older} {
		if code, resp := f.post(body, billingtest.Sign(body, billingtest.WebhookSecret, time.Now())); code != 200 {
			t.Fatalf("%d %s", code, resp)
		}
	}
	if status, events, _ := f.state(f.a); status != "active" || events != 2 {
		t.Fatalf("after newer then older: %s, %d events", status, events)
	}
}

// A customer we do not know: 200 (Stripe must not retry), nothing changed.
func TestUnknownCustomer(t *testing.T) {
	f := newFixture(t)
	body := f.subscriptionEvent("evt_who"+f.custA[5:], "cus_nobody"+f.custA[5:], "canceled", time.Now())
	code, resp := f.post(body, billingtest.Sign(body, billingtest.WebhookSecret, time.Now()))
	if code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	var n int
	if err := f.env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM stripe_events WHERE id = ?`, "evt_who"+f.custA[5:]).Scan(&n).Error
	}); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("the unknown customer's event was recorded")
	}
	for _, p := range []uuid.UUID{f.a, f.b} {
		if status, events, _ := f.state(p); status != "trialing" || events != 0 {
			t.Fatalf("a practice changed: %s, %d", status, events)
		}
	}
}
