// Package billingtest runs billing against stripe-mock (a real HTTP peer
// speaking Stripe's API, stateless) and builds signed webhook events with
// stripe-go's own helpers, for tests.
package billingtest

import (
	"encoding/json"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tuhono/tuhono/models/billing"
)

// Test configuration values: stripe-mock accepts any well-formed id.
const (
	WebhookSecret = "whsec_test_tuhono"
	PriceBase     = "price_base_test"
	PriceSeat     = "price_seat_test"
)

var (
	mockOnce sync.Once
	mockURL  string
	mockErr  error
)

// StripeMock returns the URL of a stripe-mock started for this test binary
// (once; killed when the test process ends). A missing stripe-mock fails the
// test with what to install: it is never skipped.
func StripeMock(t testing.TB) string {
	t.Helper()
	mockOnce.Do(func() { mockURL, mockErr = start() })
	if mockErr != nil {
		t.Fatalf("billingtest: %v", mockErr)
	}
	return mockURL
}

func start() (string, error) {
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			gopath = build.Default.GOPATH
		}
		bin = filepath.Join(gopath, "bin", "stripe-mock")
		if _, serr := os.Stat(bin); serr != nil {
			return "", fmt.Errorf("stripe-mock is not installed: go install github.com/stripe/stripe-mock@v0.203.0")
		}
	}
	// stripe-mock also serves HTTPS, on 12112 unless told otherwise: give
	// both free ports, so parallel test binaries do not collide.
	free := func() (string, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer l.Close()
		return l.Addr().String(), nil
	}
	addr, err := free()
	if err != nil {
		return "", err
	}
	tls, err := free()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", tls)
	cmd.Stdout, cmd.Stderr = nil, nil
	// Dies with the test binary (Linux): it would otherwise outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting stripe-mock: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	url := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return url, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return "", fmt.Errorf("stripe-mock did not listen on %s within 15 s", addr)
}

// Counter counts the calls a billing.Config's HTTP client makes, by
// method and path ("POST /v1/subscriptions/sub_123").
type Counter struct {
	mu    sync.Mutex
	calls []string
	n     atomic.Int64
	base  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.calls = append(c.calls, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// Calls returns the calls so far whose "METHOD path" starts with prefix.
func (c *Counter) Calls(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.calls {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// Config is a billing configuration against stripe-mock at url, with a
// call counter.
func Config(url string) (billing.Config, *Counter) {
	c := &Counter{base: http.DefaultTransport}
	return billing.Config{SecretKey: "sk_test_123", WebhookSecret: WebhookSecret, PriceBase: PriceBase,
		PriceSeat: PriceSeat, APIURL: url, TrialDays: 30, Grace: 14 * 24 * time.Hour,
		HTTPClient: &http.Client{Transport: c, Timeout: 10 * time.Second}}, c
}

// Event is a webhook event as Stripe sends it.
type Event struct {
	ID      string
	Type    string
	Created time.Time
	Object  any // marshalled as data.object
}

// Payload is e's JSON body, pinned to stripe-go's API version.
func (e Event) Payload() []byte {
	obj, err := json.Marshal(e.Object)
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(map[string]any{"id": e.ID, "object": "event", "api_version": stripe.APIVersion,
		"created": e.Created.Unix(), "type": e.Type, "livemode": false, "pending_webhooks": 1,
		"data": map[string]json.RawMessage{"object": obj}})
	if err != nil {
		panic(err)
	}
	return b
}

// Sign returns payload with a Stripe-Signature header signed with secret
// at time at, as stripe-go's test helper makes it.
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// Subscription is a subscription object of customer with the two items.
func Subscription(id, customer, status string, baseItem, seatItem string, practices, seats int) map[string]any {
	return map[string]any{"id": id, "object": "subscription", "customer": customer, "status": status,
		"current_period_end": time.Now().Add(30 * 24 * time.Hour).Unix(),
		"items": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": baseItem, "object": "subscription_item", "quantity": practices,
				"price": map[string]any{"id": PriceBase, "object": "price"}},
			map[string]any{"id": seatItem, "object": "subscription_item", "quantity": seats,
				"price": map[string]any{"id": PriceSeat, "object": "price"}},
		}}}
}

// Invoice is an invoice object of customer.
func Invoice(id, customer, status string, due, paid int64) map[string]any {
	return map[string]any{"id": id, "object": "invoice", "customer": customer, "status": status, "currency": "nzd",
		"amount_due": due, "amount_paid": paid, "number": "TUH-" + strings.TrimPrefix(id, "in_"),
		"hosted_invoice_url": "https://invoice.stripe.com/i/" + id, "created": time.Now().Unix(),
		"period_start": time.Now().Add(-30 * 24 * time.Hour).Unix(), "period_end": time.Now().Unix()}
}
