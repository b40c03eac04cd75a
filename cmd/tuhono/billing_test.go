package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/billing/billingtest"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
)

// mockSubscription is what stripe-mock answers for GET
// /v1/subscriptions/:id: a fixed fixture (stateless), its id reflected.
type mockSubscription struct {
	ID     string
	Status string
	Items  struct {
		Data []struct {
			Quantity int
			Price    struct{ ID string }
		}
	}
}

func fetchSubscription(t *testing.T, mock, id string) mockSubscription {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, mock+"/v1/subscriptions/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("sk_test_123", "")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s mockSubscription
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || res.StatusCode != 200 {
		t.Fatalf("stripe-mock's subscription: %d, %v", res.StatusCode, err)
	}
	return s
}

// runWith runs the binary's command line with env as its whole environment
// and returns its exit status.
func runWith(t *testing.T, env map[string]string, args ...string) int {
	t.Helper()
	saved := getenv
	getenv = func(k string) string { return env[k] }
	defer func() { getenv = saved }()
	return run(args)
}

// TestBillingReconcileCommand drives `tuhono billing reconcile` against
// stripe-mock. Its subscription fixture is fixed, so the test reads it and
// seeds an account that matches it (no drift), then makes ours differ in
// status and seats. Reconcile reads every account of the database: no other
// test of this package opens one.
func TestBillingReconcileCommand(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	mock := billingtest.StripeMock(t)
	subID := "sub_Reconcile" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	fixture := fetchSubscription(t, mock, subID)
	if fixture.ID != subID || len(fixture.Items.Data) != 1 || fixture.Items.Data[0].Quantity != 1 || fixture.Status != "active" {
		t.Fatalf("stripe-mock's fixture changed (want one active item of quantity 1): %+v", fixture)
	}
	// The fixture's one item is our practice price: one practice, no seats.
	bcfg, _ := billingtest.Config(mock)
	bcfg.PriceBase = fixture.Items.Data[0].Price.ID
	cfg := adminConfig(t, env)
	cfg.Billing = bcfg
	vars := map[string]string{"DATABASE_URL": env.AppURL, "SECRET_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"NOTE_MASTER_KEY": testMasterKey, "STRIPE_SECRET_KEY": bcfg.SecretKey, "STRIPE_WEBHOOK_SECRET": bcfg.WebhookSecret,
		"STRIPE_PRICE_BASE": bcfg.PriceBase, "STRIPE_PRICE_SEAT": bcfg.PriceSeat, "STRIPE_API_URL": mock}

	// Usage and configuration are refused before anything is read.
	for _, bad := range [][]string{{"billing"}, {"billing", "frob"}, {"billing", "reconcile", "-x"}, {"billing", "reconcile", "now"}} {
		if code := runWith(t, vars, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	var out bytes.Buffer
	off := adminConfig(t, env)
	err := billingCmd(ctx, off, dbtest.Quiet, []string{"reconcile"}, &out)
	if err == nil || !strings.Contains(err.Error(), "STRIPE_SECRET_KEY") || out.Len() != 0 {
		t.Fatalf("without STRIPE_SECRET_KEY: %v, %q", err, out.String())
	}
	noKey := map[string]string{}
	for k, v := range vars {
		if !strings.HasPrefix(k, "STRIPE_") {
			noKey[k] = v
		}
	}
	if code := runWith(t, noKey, "billing", "reconcile"); code != 1 {
		t.Errorf("without STRIPE_SECRET_KEY: exit %d, want 1", code)
	}

	ctxT, tn := env.Tenant(t)
	account := uuid.Must(uuid.NewV7())
	platform := func(q string, args ...any) {
		t.Helper()
		if err := env.DB.Platform(ctx, "test: billing accounts", func(tx *db.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
			t.Fatal(err)
		}
	}
	platform(`INSERT INTO billing_accounts (id, payer_id, email, stripe_customer_id, stripe_subscription_id, status, practices)
		VALUES (?, ?, 'accounts@practice.example.nz', 'cus_Reconcile1', ?, 'active', 1)`, account, tn.ID, subID)
	platform(`UPDATE tenants SET billing_status = 'active' WHERE id = ?`, tn.ID)
	reconcile := func(args ...string) (string, error) {
		t.Helper()
		out.Reset()
		err := billingCmd(ctx, cfg, dbtest.Quiet, append([]string{"reconcile"}, args...), &out)
		return out.String(), err
	}
	if got, err := reconcile(); err != nil || got != "no drift\n" {
		t.Fatalf("an account matching Stripe: %q, %v", got, err)
	}
	if code := runWith(t, vars, "billing", "reconcile"); code != 0 {
		t.Fatalf("no drift: exit %d, want 0", code)
	}

	// Ours drifts: past due (Stripe says active) and a HIP's seat Stripe
	// has not been told of.
	grace := time.Now().Add(10 * 24 * time.Hour).UTC()
	platform(`UPDATE billing_accounts SET status = 'past_due', past_due_since = now(), grace_until = ? WHERE id = ?`, grace, account)
	platform(`UPDATE tenants SET billing_status = 'past_due', billing_grace_until = ? WHERE id = ?`, grace, tn.ID)
	hip := uuid.Must(uuid.NewV7())
	platform(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Hemi HIP')`, hip, "hip-"+hip.String()[24:]+"@example.co.nz")
	if err := env.DB.InTenant(ctxT, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, '{hip}')`, tn.ID, hip).Error
	}); err != nil {
		t.Fatal(err)
	}
	status := tn.Slug + " status: ours past_due, Stripe's active"
	seats := tn.Slug + " seats: ours 1, Stripe's 0"
	got, err := reconcile()
	if !errors.Is(err, errDriftRemains) || got != status+"\n"+seats+"\n" {
		t.Fatalf("drift reported as %q, %v", got, err)
	}
	if code := runWith(t, vars, "billing", "reconcile"); code != 1 {
		t.Fatalf("unfixed drift: exit %d, want 1", code)
	}
	standing := func() (string, string) {
		t.Helper()
		var r struct{ Account, Tenant string }
		if err := env.DB.Platform(ctx, "test: billing accounts", func(tx *db.Tx) error {
			return tx.Raw(`SELECT a.status AS account, t.billing_status AS tenant FROM billing_accounts a
				JOIN tenants t ON t.id = a.payer_id WHERE a.id = ?`, account).Scan(&r).Error
		}); err != nil {
			t.Fatal(err)
		}
		return r.Account, r.Tenant
	}
	if a, tenant := standing(); a != "past_due" || tenant != "past_due" {
		t.Fatalf("reporting changed the standing: account %s, tenant %s", a, tenant)
	}

	// -fix: the account and its practice take Stripe's status; our seat
	// count is sent on (stripe-mock keeps nothing, so it still differs next
	// time, and only that is reported).
	got, err = reconcile("-fix")
	if err != nil || got != status+" (fixed)\n"+seats+" (fixed)\n" {
		t.Fatalf("-fix: %q, %v", got, err)
	}
	if a, tenant := standing(); a != "active" || tenant != "active" {
		t.Fatalf("after -fix: account %s, tenant %s, want active", a, tenant)
	}
	if got, err = reconcile(); !errors.Is(err, errDriftRemains) || got != seats+"\n" {
		t.Fatalf("after -fix: %q, %v", got, err)
	}
	if code := runWith(t, vars, "billing", "reconcile", "--fix"); code != 0 {
		t.Fatalf("-fix: exit %d, want 0", code)
	}
}
