package web

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/billing/billingtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
	"github.com/tuhono/tuhono/tenants"
)

// serveBillingSite is serveSite with billing against stripe-mock.
func serveBillingSite(t *testing.T) (*stack, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg, _ := billingtest.Config(billingtest.StripeMock(t))
	s := newStack(t, base, stackOptions{billing: cfg})
	go func() { _ = s.app.Listener(ln) }()
	t.Cleanup(func() { _ = s.app.ShutdownWithTimeout(2 * time.Second) })
	return s, base
}

// TestBrowserBilling walks billing in a real Chromium: a PHO admin whose
// payment failed sees the banner on their home page, follows it to the
// billing page (status with the day bookings stop, seats, invoices, the
// portal button), and a regional admin marks one of the PHO's practices
// programme-funded. Screenshots at 390 and 1280 pixels wide go to
// $TUHONO_SCREENSHOTS when it is set.
func TestBrowserBilling(t *testing.T) {
	browser := launchBrowser(t)
	s, base := serveBillingSite(t)
	ctx := context.Background()
	region := s.region(t, "Te Tai Tokerau")
	pho := s.org(t, region, tenants.KindPHO, uuid.Nil, "Mahitahi Hauora PHO")
	kaitaia := s.org(t, region, tenants.KindPractice, pho.ID, "Kaitāia Medical Centre")
	s.org(t, region, tenants.KindPractice, pho.ID, "Whangaroa Health Services")
	for _, tn := range []tenants.Tenant{pho, kaitaia} {
		if err := onboarding.SetStatus(ctx, s.env.DB, tn.ID, tenants.StatusActive); err != nil {
			t.Fatal(err)
		}
	}
	admin := s.person(t, "Pania Herewini", &pho, "pho_admin")
	for _, role := range []string{"hip", "health_coach", "gp"} {
		s.person(t, "Kaimahi "+role, &kaitaia, role)
	}
	acct, err := s.billing.Open(ctx, pho.ID, "accounts@mahitahi.example.nz")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-2 * time.Hour)
	s.subscribe(t, acct, "active", at, 2, 1)
	s.invoice(t, acct, "invoice.paid", "in_mahitahi0001", "paid", at.Add(time.Minute), 48500, 48500)
	s.invoice(t, acct, "invoice.payment_failed", "in_mahitahi0002", "open", at.Add(2*time.Minute), 51250, 0)

	page, err := browser.Page(proto.TargetCreateTarget{})
	if err != nil {
		t.Fatal(err)
	}
	dir := screenshotDir(t)
	b := &tab{t: t, page: page, probs: watch(t, page), base: base, dir: dir}
	home := "/t/" + pho.Slug + "/"
	billingPath := home + "billing"
	signIn := func(email, landing string, width int) {
		t.Helper()
		b.resize(width, 900)
		open(t, page, base+"/signin", width, 900)
		b.fill("#f-email", email)
		b.fill("#f-password", testPassword)
		b.click(`main form[action="/signin"] button[type="submit"]`)
		b.at(landing, "")
	}

	signIn(admin.Email, home, 390)
	b.at(home, "billing-banner-390.png", "Payment is past due.", "New bookings stop on")
	b.click(`.billing-banner a[href="` + billingPath + `"]`)
	b.at(billingPath, "billing-pho-390.png", "Past due", "Mahitahi Hauora PHO pays for all its practices", "accounts@mahitahi.example.nz",
		"NZ$512.50", "NZ$485.00", "TUH-mahitahi0002", "Manage payment method")
	var seats struct{ Practices, Seats string }
	evalJSON(t, page, `() => { const cells = [...document.querySelectorAll("main table.data tbody tr")].slice(0, 2)
		.map(r => r.querySelector("td").textContent.trim()); return {practices: cells[0], seats: cells[1]}; }`, &seats)
	if seats.Practices != "2" || seats.Seats != "2" {
		t.Errorf("counted now: %+v, want 2 practices and 2 clinical seats (the HIP and the Health Coach)", seats)
	}
	b.resize(1280, 900)
	open(t, page, base+billingPath, 1280, 900)
	b.at(billingPath, "billing-pho-1280.png", "Past due")
	// The banner's link is the billing page's own nav item, marked current.
	if cur := b.text(`.tenant-nav a[aria-current="page"]`); cur != "Billing" {
		t.Errorf("current nav item %q, want Billing", cur)
	}
	b.click(`header form.signout button`)
	b.at("/signin", "", "You have signed out")

	// The regional admin marks Kaitāia programme-funded.
	ra := s.person(t, "Hemi Walker", nil)
	if err := s.accounts.GrantOrg(ctx, uuid.Nil, ra.ID, "regional_admin", policy.RegionDomain(region.ID)); err != nil {
		t.Fatal(err)
	}
	regionPath := "/regions/" + region.Slug
	signIn(ra.Email, "/tenants", 1280)
	b.click(`main a[href="` + regionPath + `"]`)
	b.click(`main a[href="` + regionPath + `/billing"]`)
	b.at(regionPath+"/billing", "", "Mahitahi Hauora PHO", "Pays for its practices", "Paid by Mahitahi Hauora PHO", "Past due")
	b.click(`main form[action="` + regionPath + `/billing/exempt"] button[type="submit"]`)
	b.allow = "422"
	b.at(regionPath+"/billing/exempt", "", "There is a problem", "Choose a practice of this region", "Say why the practice is programme-funded")
	if err := b.element("#f-practice").Select([]string{"Kaitāia Medical Centre"}, true, rod.SelectorTypeText); err != nil {
		t.Fatal(err)
	}
	b.fill("#f-reason", "Access and Choice rural pilot until June 2027")
	b.click(`main form[action="` + regionPath + `/billing/exempt"] button[type="submit"]`)
	b.at(regionPath+"/billing", "region-billing-1280.png", "The practice is marked programme-funded",
		"Programme-funded: Access and Choice rural pilot until June 2027", "End programme funding")
	b.resize(390, 844)
	open(t, page, base+regionPath+"/billing", 390, 844)
	b.at(regionPath+"/billing", "region-billing-390.png", "Programme-funded")
	if p, err := s.billing.PayerOf(ctx, kaitaia.ID); err != nil || !p.Exempt {
		t.Fatalf("Kaitāia is not exempt: %+v %v", p, err)
	}
	if !strings.Contains(b.text("main"), "Whangaroa Health Services") {
		t.Error("the PHO's other practice is missing")
	}
	t.Logf("screenshots in %s", dir)
}
