package handlers_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/billing/billingtest"
	"github.com/tuhono/tuhono/models/db/dbtest"
)

// The server mounts the Stripe webhook through the whole middleware stack
// when billing is configured, and not at all when it is not.
func TestStripeWebhookMounted(t *testing.T) {
	env := dbtest.New(t)
	cfg, _ := billingtest.Config(billingtest.StripeMock(t))
	body := billingtest.Event{ID: "evt_mounted", Type: "customer.created", Created: time.Now(),
		Object: map[string]any{"id": "cus_mounted", "object": "customer"}}.Payload()
	for _, c := range []struct {
		cfg  billing.Config
		want int
	}{{cfg, http.StatusOK}, {billing.Config{}, http.StatusNotFound}} {
		app := newApp(t, handlers.Options{Billing: billing.New(env.DB, c.cfg, dbtest.Quiet)})
		req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", billingtest.Sign(body, billingtest.WebhookSecret, time.Now()))
		resp, err := app.Test(req, 10000)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("billing enabled %v: %d, want %d", c.cfg.Enabled(), resp.StatusCode, c.want)
		}
	}
}
