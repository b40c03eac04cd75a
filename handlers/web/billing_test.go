package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/webhooks"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/billing/billingtest"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// billingStack is orgStack with billing against stripe-mock; calls counts
// what reached Stripe.
func billingStack(t *testing.T) (*stack, *billingtest.Counter) {
	t.Helper()
	cfg, calls := billingtest.Config(billingtest.StripeMock(t))
	return orgStack(t, stackOptions{billing: cfg}), calls
}

// stripeSays delivers a signed event to the real webhook handler, as
// Stripe would after Checkout or a payment.
func (s *stack) stripeSays(t *testing.T, e billingtest.Event) {
	t.Helper()
	app := fiber.New()
	app.Post(webhooks.StripePath, webhooks.Stripe(s.billing, dbtest.Quiet))
	body := e.Payload()
	req := httptest.NewRequest(http.MethodPost, webhooks.StripePath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", billingtest.Sign(body, billingtest.WebhookSecret, time.Now()))
	res, err := app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("webhook %s %s: %d", e.Type, e.ID, res.StatusCode)
	}
}

// account is the billing account payer pays with; it must exist.
func (s *stack) account(t *testing.T, payer uuid.UUID) billing.Account {
	t.Helper()
	a, ok, err := s.billing.AccountOfPayer(context.Background(), payer)
	if err != nil || !ok {
		t.Fatalf("account of %s: %v %v", payer, ok, err)
	}
	return a
}

func (s *stack) noAccount(t *testing.T, payer uuid.UUID) {
	t.Helper()
	if _, ok, err := s.billing.AccountOfPayer(context.Background(), payer); err != nil || ok {
		t.Fatalf("an account of %s exists (%v)", payer, err)
	}
}

// subscribe makes Stripe tell us account a's subscription is status, at a
// time: events are applied in the order Stripe made them.
func (s *stack) subscribe(t *testing.T, a billing.Account, status string, at time.Time, practices, seats int) {
	t.Helper()
	id := "sub_" + strings.ReplaceAll(a.ID.String(), "-", "")[:16]
	s.stripeSays(t, billingtest.Event{ID: "evt_" + strings.ReplaceAll(uuid.NewString(), "-", ""), Type: "customer.subscription.updated",
		Created: at, Object: billingtest.Subscription(id, a.StripeCustomerID, status, "si_b"+id[4:], "si_s"+id[4:], practices, seats)})
}

func (s *stack) invoice(t *testing.T, a billing.Account, typ, id, status string, at time.Time, due, paid int64) {
	t.Helper()
	s.stripeSays(t, billingtest.Event{ID: "evt_" + strings.ReplaceAll(uuid.NewString(), "-", ""), Type: typ, Created: at,
		Object: billingtest.Invoice(id, a.StripeCustomerID, status, due, paid)})
}

// A practice admin opens the practice's account, is sent to Checkout, and
// then follows the subscription on the page: trial, active with an invoice,
// past due with the day bookings stop. The banner shows to admins only.
func TestBillingPracticeAccount(t *testing.T) {
	s, calls := billingStack(t)
	tn := s.tenant(t, "Riccarton Medical")
	admin := s.person(t, "Aroha Admin", &tn, "practice_admin")
	s.person(t, "Hemi Practitioner", &tn, "hip")
	s.person(t, "Gina GP", &tn, "gp")
	a := s.agent(t)
	a.signIn(admin)
	base := "/t/" + tn.Slug + "/billing"

	r := a.get(base)
	want(t, r, 200, "No billing account pays for Riccarton Medical yet", "Open a billing account", `href="`+base+`"`)
	if strings.Contains(r.body, "Set up payment") {
		t.Fatal("payment is offered before there is an account")
	}

	// A mistyped e-mail comes back by its field and opens nothing.
	want(t, a.post(base+"/account", url.Values{"email": {"accounts at riccarton"}}), 422,
		"Enter the e-mail address invoices go to", `value="accounts at riccarton"`)
	s.noAccount(t, tn.ID)
	if n := len(calls.Calls("POST /v1/customers")); n != 0 {
		t.Fatalf("%d Stripe customers for a refused form", n)
	}

	wantRedirect(t, a.post(base+"/account", url.Values{"email": {"Accounts@Riccarton.example.nz"}}), base+"?done=opened")
	acct := s.account(t, tn.ID)
	if acct.StripeCustomerID == "" || acct.Email != "accounts@riccarton.example.nz" {
		t.Fatalf("opened: %+v", acct)
	}
	r = a.get(base + "?done=opened")
	want(t, r, 200, "The billing account is open", "Not set up", "accounts@riccarton.example.nz", "Set up payment",
		`<th scope="row">Clinical seats</th><td data-label="Now">1</td>`, `<th scope="row">Practices</th><td data-label="Now">1</td>`,
		"No invoice yet")
	if strings.Contains(r.body, "Manage payment method") || strings.Contains(r.body, "Open a billing account") {
		t.Fatal("the portal, or a second account, is offered before a subscription")
	}

	// Set up payment: 303 to Stripe Checkout, with this page to come back to.
	r = a.post(base+"/checkout", nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "https://checkout.stripe.com/") {
		t.Fatalf("checkout: %d to %q\n%s", r.status, r.location, r.body)
	}
	if n := len(calls.Calls("POST /v1/checkout/sessions")); n != 1 {
		t.Fatalf("%d checkout sessions, want 1", n)
	}
	want(t, a.get(base+"?done=canceled"), 200, "Payment was not set up")

	// Stripe reports the subscription: a trial, then active with an invoice.
	at := time.Now().Add(-time.Hour)
	s.subscribe(t, acct, "trialing", at, 1, 1)
	r = a.get(base)
	want(t, r, 200, "Trial", "On a free trial", "Manage payment method")
	if strings.Contains(r.body, "Set up payment") {
		t.Fatal("Checkout is offered again to a subscribed account")
	}
	s.subscribe(t, acct, "active", at.Add(time.Minute), 1, 1)
	s.invoice(t, acct, "invoice.paid", "in_riccarton1", "paid", at.Add(2*time.Minute), 1234550, 1234550)
	r = a.get(base)
	want(t, r, 200, "Active", "The subscription is paid up", "TUH-riccarton1", "NZ$12,345.50", "Paid",
		`href="https://invoice.stripe.com/i/in_riccarton1"`)

	// A new Health Coach is counted at once; Stripe follows through the worker.
	s.person(t, "Mere Coach", &tn, "health_coach")
	want(t, a.get(base), 200, `<th scope="row">Clinical seats</th><td data-label="Now">2</td><td data-label="Billed">1</td>`,
		"Stripe is brought up to date within a few minutes")

	// The portal, for the payment method.
	r = a.post(base+"/portal", nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "https://") {
		t.Fatalf("portal: %d to %q\n%s", r.status, r.location, r.body)
	}
	if n := len(calls.Calls("POST /v1/billing_portal/sessions")); n != 1 {
		t.Fatalf("%d portal sessions, want 1", n)
	}
	// Checkout again is refused with the page's reason, not an error page.
	want(t, a.post(base+"/checkout", nil), 409, "This account already has a subscription")

	// A payment fails: past due, with the day bookings stop, on the page
	// and in a banner on every page of the practice's admins.
	s.invoice(t, acct, "invoice.payment_failed", "in_riccarton2", "open", at.Add(3*time.Minute), 990, 0)
	grace := s.account(t, tn.ID).GraceUntil
	if grace == nil {
		t.Fatal("past due without a grace period")
	}
	day := grace.In(tn.Location()).Format("2 Jan 2006")
	want(t, a.get(base), 200, "Past due", "New bookings stop on "+day+" unless it is paid", "NZ$9.90", "Due")
	want(t, a.get("/t/"+tn.Slug+"/"), 200, "Payment is past due.", "New bookings stop on "+day)
	want(t, a.get("/t/"+tn.Slug+"/staff"), 200, "Payment is past due.")

	for _, role := range []string{"gp", "hip"} {
		u := s.person(t, "Another "+role, &tn, role)
		p := s.agent(t)
		p.signIn(u)
		r := p.get("/t/" + tn.Slug + "/")
		want(t, r, 200, "Riccarton Medical")
		if strings.Contains(r.body, "Payment is past due") || strings.Contains(r.body, base) {
			t.Errorf("a %s sees the billing banner or link", role)
		}
	}
}

// Past its grace the practice is suspended: the banner says bookings are
// paused and records stay readable.
func TestBillingBannerSuspended(t *testing.T) {
	s, _ := billingStack(t)
	tn := s.tenant(t, "Papanui Health")
	admin := s.person(t, "Pita Admin", &tn, "practice_admin")
	a := s.agent(t)
	a.signIn(admin)
	base := "/t/" + tn.Slug + "/billing"
	wantRedirect(t, a.post(base+"/account", url.Values{"email": {"pay@papanui.example.nz"}}), base+"?done=opened")
	acct := s.account(t, tn.ID)
	at := time.Now().Add(-time.Hour)
	s.subscribe(t, acct, "active", at, 1, 0)
	want(t, a.get("/t/"+tn.Slug+"/"), 200)
	if r := a.get("/t/" + tn.Slug + "/"); strings.Contains(r.body, "Payment is past due") || strings.Contains(r.body, "bookings are paused") {
		t.Fatal("a banner while the subscription is active")
	}
	s.subscribe(t, acct, "paused", at.Add(time.Minute), 1, 0)
	want(t, a.get("/t/"+tn.Slug+"/"), 200, "New bookings are paused:", "Every record can still be read and exported")
	want(t, a.get(base), 200, "Suspended", "Every record stays readable and exportable", "Manage payment method")
}

// Who may see billing: a GP is refused, another practice's admin finds
// nothing, a practice its PHO pays for sees the standing but no buttons.
func TestBillingAccess(t *testing.T) {
	s, calls := billingStack(t)
	ctx := context.Background()
	region := s.region(t, "Waitaha")
	pho := s.org(t, region, tenants.KindPHO, uuid.Nil, "Pegasus PHO")
	practice := s.org(t, region, tenants.KindPractice, pho.ID, "Linwood Surgery")
	for _, tn := range []tenants.Tenant{pho, practice} {
		if err := onboarding.SetStatus(ctx, s.env.DB, tn.ID, tenants.StatusActive); err != nil {
			t.Fatal(err)
		}
	}
	base := "/t/" + practice.Slug + "/billing"

	gp := s.agent(t)
	gp.signIn(s.person(t, "Gina GP", &practice, "gp"))
	want(t, gp.get(base), 403)
	want(t, gp.post(base+"/account", url.Values{"email": {"gp@linwood.example.nz"}}), 403)
	want(t, gp.post(base+"/checkout", nil), 403)
	want(t, gp.post(base+"/portal", nil), 403)
	s.noAccount(t, practice.ID)

	other := s.tenant(t, "Other Practice")
	stranger := s.agent(t)
	stranger.signIn(s.person(t, "Other Admin", &other, "practice_admin"))
	for _, r := range []answer{stranger.get(base), stranger.post(base+"/account", url.Values{"email": {"evil@example.nz"}}),
		stranger.post(base+"/checkout", nil), stranger.post(base+"/portal", nil)} {
		want(t, r, 404)
		if strings.Contains(r.body, "Linwood Surgery") {
			t.Fatal("a refusal names the practice")
		}
	}
	s.noAccount(t, practice.ID)

	// The PHO admin opens the PHO's account: it covers the practice.
	phoAdmin := s.agent(t)
	phoAdmin.signIn(s.person(t, "Pania PHO", &pho, "pho_admin"))
	phoBase := "/t/" + pho.Slug + "/billing"
	want(t, phoAdmin.get(phoBase), 200, "Open a billing account", "for all its practices that are not programme-funded")
	wantRedirect(t, phoAdmin.post(phoBase+"/account", url.Values{"email": {"accounts@pegasus.example.nz"}}), phoBase+"?done=opened")
	want(t, phoAdmin.get(phoBase), 200, "Pegasus PHO pays for all its practices", "Set up payment",
		`<th scope="row">Practices</th><td data-label="Now">1</td>`)

	admin := s.agent(t)
	admin.signIn(s.person(t, "Lena Admin", &practice, "practice_admin"))
	r := admin.get(base)
	want(t, r, 200, "Paid by Pegasus PHO", "Not set up")
	for _, offer := range []string{"Set up payment", "Manage payment method", "Open a billing account", "accounts@pegasus.example.nz"} {
		if strings.Contains(r.body, offer) {
			t.Errorf("a practice its PHO pays for is shown %q", offer)
		}
	}
	before := len(calls.Calls("POST /v1/checkout/sessions"))
	want(t, admin.post(base+"/checkout", nil), 409, "This practice&#39;s PHO pays for it")
	want(t, admin.post(base+"/portal", nil), 409, "This practice&#39;s PHO pays for it")
	want(t, admin.post(base+"/account", url.Values{"email": {"own@linwood.example.nz"}}), 409, "This practice&#39;s PHO pays for it")
	if n := len(calls.Calls("POST /v1/checkout/sessions")); n != before {
		t.Fatal("a refused checkout reached Stripe")
	}
	s.noAccount(t, practice.ID)
}

// A regional admin marks a practice programme-funded with a reason, which
// its admins then read, and ends it; bad input changes nothing, and another
// region's admin reaches none of it.
func TestRegionBilling(t *testing.T) {
	s, _ := billingStack(t)
	ctx := context.Background()
	region, elsewhere := s.region(t, "Te Tai Tokerau"), s.region(t, "Elsewhere")
	pho := s.org(t, region, tenants.KindPHO, uuid.Nil, "Mahitahi PHO")
	practice := s.org(t, region, tenants.KindPractice, pho.ID, "Kaitāia Medical")
	alone := s.org(t, region, tenants.KindPractice, uuid.Nil, "Hokianga Health")
	far := s.org(t, elsewhere, tenants.KindPractice, uuid.Nil, "Far Away Practice")
	if err := onboarding.SetStatus(ctx, s.env.DB, practice.ID, tenants.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := s.billing.Open(ctx, pho.ID, "accounts@mahitahi.example.nz"); err != nil {
		t.Fatal(err)
	}
	ra := s.regionalAdmin(t, region)
	base := "/regions/" + region.Slug + "/billing"

	want(t, ra.get("/regions/"+region.Slug), 200, `href="/regions/`+region.Slug+`/billing"`)
	r := ra.get(base)
	want(t, r, 200, "Mahitahi PHO", "Pays for its practices", "Kaitāia Medical", "Paid by Mahitahi PHO",
		"Hokianga Health", "No account yet", "Mark a practice programme-funded")
	if strings.Contains(r.body, "Far Away Practice") {
		t.Fatal("another region's practice is listed")
	}

	exempt := func(v url.Values) answer { return ra.post(base+"/exempt", v) }
	want(t, exempt(url.Values{"practice": {practice.Slug}, "reason": {"  "}}), 422, "Say why the practice is programme-funded")
	want(t, exempt(url.Values{"practice": {far.Slug}, "reason": {"Pilot"}}), 422, "Choose a practice of this region")
	want(t, exempt(url.Values{"practice": {pho.Slug}, "reason": {"Pilot"}}), 422, "Choose a practice of this region")
	want(t, exempt(url.Values{"practice": {practice.Slug}, "reason": {strings.Repeat("a", 501)}}), 422, "At most 500 characters")
	for _, id := range []uuid.UUID{practice.ID, far.ID, pho.ID} {
		if p, err := s.billing.PayerOf(ctx, id); err != nil || p.Exempt {
			t.Fatalf("a refused form exempted %s: %v", id, err)
		}
	}

	reason := "Access and Choice rural pilot until June 2027"
	wantRedirect(t, exempt(url.Values{"practice": {practice.Slug}, "reason": {reason}}), base+"?done=exempt")
	want(t, ra.get(base+"?done=exempt"), 200, "The practice is marked programme-funded", "Programme-funded: "+reason,
		"End programme funding")

	admin := s.agent(t)
	admin.signIn(s.person(t, "Kiri Admin", &practice, "practice_admin"))
	r = admin.get("/t/" + practice.Slug + "/billing")
	want(t, r, 200, "This practice is programme-funded ("+reason+")", "Programme-funded")
	if strings.Contains(r.body, "Mahitahi PHO") || strings.Contains(r.body, "Set up payment") {
		t.Fatal("a programme-funded practice is shown a payer or payment")
	}

	// Another region's admin: every billing route of this region is not found.
	other := s.regionalAdmin(t, elsewhere)
	want(t, other.get(base), 404)
	want(t, other.post(base+"/exempt", url.Values{"practice": {alone.Slug}, "reason": {"Taken over"}}), 404)
	want(t, other.post(base+"/"+practice.Slug+"/end", nil), 404)
	want(t, other.post("/regions/"+elsewhere.Slug+"/billing/"+practice.Slug+"/end", nil), 404)
	if p, _ := s.billing.PayerOf(ctx, practice.ID); !p.Exempt {
		t.Fatal("another region's admin ended the funding")
	}
	if p, _ := s.billing.PayerOf(ctx, alone.ID); p.Exempt {
		t.Fatal("another region's admin exempted a practice")
	}

	wantRedirect(t, ra.post(base+"/"+practice.Slug+"/end", nil), base+"?done=ended")
	want(t, ra.post(base+"/"+practice.Slug+"/end", nil), 409, "Kaitāia Medical is not programme-funded")
	want(t, ra.post(base+"/"+pho.Slug+"/end", nil), 404)
	want(t, admin.get("/t/"+practice.Slug+"/billing"), 200, "Paid by Mahitahi PHO")
}

// Without Stripe configured the pages say so, still show who pays, and
// every payment action is refused with that message, changing nothing.
func TestBillingNotConfigured(t *testing.T) {
	s := orgStack(t)
	tn := s.tenant(t, "Halswell Family Doctors")
	a := s.agent(t)
	a.signIn(s.person(t, "Hana Admin", &tn, "practice_admin"))
	base := "/t/" + tn.Slug + "/billing"
	r := a.get(base)
	want(t, r, 200, "Billing is not configured on this server", "No billing account pays for Halswell Family Doctors yet")
	if strings.Contains(r.body, "Open a billing account") {
		t.Fatal("an account is offered without Stripe")
	}
	for _, path := range []string{"/account", "/checkout", "/portal"} {
		want(t, a.post(base+path, url.Values{"email": {"pay@halswell.example.nz"}}), 409,
			"Billing is not configured on this server, so nothing can be paid or changed here")
	}
	s.noAccount(t, tn.ID)

	// Programme funding needs no Stripe.
	region := s.region(t, "Waitaha")
	practice := s.org(t, region, tenants.KindPractice, uuid.Nil, "Lincoln Rural")
	ra := s.regionalAdmin(t, region)
	rb := "/regions/" + region.Slug + "/billing"
	want(t, ra.get(rb), 200, "Billing is not configured on this server", "Lincoln Rural")
	wantRedirect(t, ra.post(rb+"/exempt", url.Values{"practice": {practice.Slug}, "reason": {"Kaupapa Māori pilot"}}), rb+"?done=exempt")
	want(t, ra.get(rb), 200, "Programme-funded: Kaupapa Māori pilot")
}

func TestBillMoney(t *testing.T) {
	for _, c := range []struct {
		cents    int64
		currency string
		want     string
	}{
		{0, "nzd", "NZ$0.00"}, {5, "nzd", "NZ$0.05"}, {990, "NZD", "NZ$9.90"}, {123456789, "nzd", "NZ$1,234,567.89"},
		{100000, "", "NZ$1,000.00"}, {-2500, "nzd", "−NZ$25.00"}, {1999, "aud", "AUD 19.99"},
	} {
		if got := billMoney(c.cents, c.currency); got != c.want {
			t.Errorf("billMoney(%d, %q) = %q, want %q", c.cents, c.currency, got, c.want)
		}
	}
}
