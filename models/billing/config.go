package billing

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// Config is billing's part of the process configuration.
type Config struct {
	SecretKey     string // sk_…; empty turns billing off
	WebhookSecret string // whsec_…, for /webhooks/stripe
	PriceBase     string // price_…: per practice
	PriceSeat     string // price_…: per clinical seat
	// APIURL points the client at another Stripe (stripe-mock in tests);
	// empty is Stripe itself.
	APIURL    string
	TrialDays int           // a new subscription's trial; 0: none
	Grace     time.Duration // how long past_due lasts before suspension
	// HTTPClient carries the calls (tests count them); nil: a client with
	// a 20-second timeout.
	HTTPClient *http.Client
}

// DefaultGrace is how long an account stays past due, with a banner to its
// admins, before new bookings stop.
const DefaultGrace = 14 * 24 * time.Hour

// Enabled reports whether billing is configured.
func (c Config) Enabled() bool { return c.SecretKey != "" }

// Check refuses a half-made configuration at start-up.
func (c Config) Check() error {
	if !c.Enabled() {
		return nil
	}
	var missing []string
	if c.WebhookSecret == "" {
		missing = append(missing, "STRIPE_WEBHOOK_SECRET")
	}
	if !strings.HasPrefix(c.PriceBase, "price_") {
		missing = append(missing, "STRIPE_PRICE_BASE (price_…)")
	}
	if !strings.HasPrefix(c.PriceSeat, "price_") {
		missing = append(missing, "STRIPE_PRICE_SEAT (price_…)")
	}
	if len(missing) > 0 {
		return errors.New("billing: STRIPE_SECRET_KEY is set but these are not: " + strings.Join(missing, ", "))
	}
	if c.TrialDays < 0 || c.TrialDays > 730 {
		return errors.New("billing: the trial must be 0–730 days")
	}
	return nil
}

func (c Config) grace() time.Duration {
	if c.Grace <= 0 {
		return DefaultGrace
	}
	return c.Grace
}

// api is a Stripe client speaking API version 2023-10-16 (stripe-go v76).
func (c Config) api() *client.API {
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	retries := int64(2)
	quiet := &stripe.LeveledLogger{Level: stripe.LevelNull}
	cfg := &stripe.BackendConfig{HTTPClient: hc, MaxNetworkRetries: &retries, LeveledLogger: quiet}
	if c.APIURL != "" {
		cfg.URL = stripe.String(c.APIURL)
	}
	return client.New(c.SecretKey, stripe.NewBackendsWithConfig(cfg))
}
