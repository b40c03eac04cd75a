package web

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

var (
	permBillingRead   = httpx.Perm{Object: "billing", Action: "read"}
	permBillingUpdate = httpx.Perm{Object: "billing", Action: "update"}
)

// billingPages: a practice's or PHO's billing (plan, seats, status,
// invoices, Checkout and the Stripe portal) and a region's billing
// standings with programme-funded exemptions.
var billingPages = []page{
	{"GET", "/t/:tenant/billing", member, permBillingRead, (*handler).billing, false},
	{"POST", "/t/:tenant/billing/account", member, permBillingUpdate, (*handler).openBilling, false},
	{"POST", "/t/:tenant/billing/checkout", member, permBillingUpdate, (*handler).billingCheckout, false},
	{"POST", "/t/:tenant/billing/portal", member, permBillingUpdate, (*handler).billingPortal, false},
	{"GET", "/regions/:region/billing", regional, permBillingRead, (*handler).regionBilling, false},
	{"POST", "/regions/:region/billing/exempt", regional, permBillingUpdate, (*handler).exemptPractice, false},
	{"POST", "/regions/:region/billing/:slug/end", regional, permBillingUpdate, (*handler).endExemption, false},
}

const (
	pageBilling       = "billing.html"
	pageRegionBilling = "region_billing.html"
)

func init() { pageFiles = append(pageFiles, pageBilling, pageRegionBilling) }

var billNotices = map[string]string{
	"opened":   "The billing account is open. Set up payment to start the subscription.",
	"checkout": "Thank you: Stripe has the payment method. The status below changes as soon as Stripe confirms the subscription, usually within a minute.",
	"canceled": "Payment was not set up. Nothing was charged; set it up whenever you are ready.",
	"exempt":   "The practice is marked programme-funded: it has no bill, and its payer's quantities follow within a few minutes.",
	"ended":    "The practice is no longer programme-funded: its payer, if it has one, pays for it from now on.",
}

// errBillingOff answers a billing action on a server without Stripe. It is a
// conflict with how this server is set up, not a passing outage: trying
// again changes nothing until an operator configures Stripe.
var errBillingOff = fault.New(fault.KindConflict,
	"billing is not configured on this server, so nothing can be paid or changed here; ask the platform operator", nil)

// billingOn says whether Stripe work can be done here; with a service but no
// Stripe key the pages still show standings and exemptions.
func (h *handler) billingOn() bool { return h.Billing != nil && h.Billing.Cfg.Enabled() }

// standingView is a billing status as people read it.
type standingView struct {
	Label, Class, Detail string
}

// billDate is a day as the billing pages show it, in the tenant's zone.
func billDate(t *time.Time, loc *time.Location) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2 Jan 2006")
}

// billStanding explains status (effective: past due beyond its grace reads
// suspended). The words say what happens to bookings and records, which is
// what an admin needs to know; the buttons beside say what to do.
func billStanding(status string, grace, trialEnd, periodEnd *time.Time, loc *time.Location) standingView {
	switch status {
	case billing.StatusExempt:
		return standingView{"Programme-funded", "status-active", "Programme-funded practices have no bill."}
	case billing.StatusIncomplete:
		return standingView{"Not set up", "status-onboarding", "The account is open but has no subscription yet."}
	case billing.StatusTrialing:
		d := "On a free trial."
		if end := billDate(trialEnd, loc); end != "" {
			d = "On a free trial until " + end + "."
		}
		return standingView{"Trial", "status-onboarding", d}
	case billing.StatusActive:
		d := "The subscription is paid up."
		if end := billDate(periodEnd, loc); end != "" {
			d += " The current period ends on " + end + "."
		}
		return standingView{"Active", "status-active", d}
	case billing.StatusPastDue:
		d := "A payment failed. New bookings stop unless it is paid."
		if g := billDate(grace, loc); g != "" {
			d = "A payment failed. New bookings stop on " + g + " unless it is paid."
		}
		return standingView{"Past due", "status-suspended", d}
	case billing.StatusSuspended:
		return standingView{"Suspended", "status-suspended",
			"Payment is overdue beyond its grace period: new bookings are paused. Every record stays readable and exportable."}
	case billing.StatusCanceled:
		return standingView{"Canceled", "status-ended",
			"The subscription has ended: new bookings are paused. Every record stays readable and exportable."}
	}
	return standingView{"No account", "status-archived", "No billing account pays for Tūhono here yet."}
}

// billMoney shows an amount in cents: NZ$1,234.50. Tūhono bills in New
// Zealand dollars; another currency shows its code, with two decimals.
func billMoney(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "−", -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	amount := whole + "." + strconv.FormatInt(100+cents%100, 10)[1:]
	if currency == "" || strings.EqualFold(currency, "nzd") {
		return sign + "NZ$" + amount
	}
	return sign + strings.ToUpper(currency) + " " + amount
}

var invoiceWords = map[string]string{"draft": "Draft", "open": "Due", "paid": "Paid", "uncollectible": "Uncollectible", "void": "Void"}

// ---- A practice's or PHO's billing ----

type countView struct {
	Now, Stripe int
	Differ      bool
}

type invoiceView struct {
	Number, Period, Amount, Status, StatusClass, URL string
}

type billAccountView struct {
	Email     string
	Practices countView
	Seats     countView
	Synced    timeView
	Invoices  []invoiceView
}

type billingPage struct {
	layout
	Notice  string
	CSRF    string
	Missing bool // no billing service at all: nothing to show
	Off     bool // no Stripe: standings only
	Kind    string
	Name    string
	// Who pays: exempt (with why), another tenant (its PHO), or this one.
	Exempt       bool
	ExemptReason string
	PaidBy       string
	Standing     standingView
	Account      *billAccountView
	CanUpdate    bool
	Open         *form
	Email        inputView
	OpenURL      string
	UnderPHO     bool
	CheckoutURL  string
	PortalURL    string
	Action       *form // a Checkout or portal request that came back
}

// renderBilling shows who pays for the tenant in ctx and, when it pays for
// itself, its account; open is the open-an-account form sent back, action a
// refused Checkout, portal or open request.
func (h *handler) renderBilling(c *fiber.Ctx, status int, open, action *form) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	p := billingPage{layout: h.tenantPage(c, "Billing", "/billing"), Notice: billNotices[c.Query("done")],
		CSRF: httpx.CSRFToken(c), Kind: orgKindWords[t.Kind], Name: t.Name, CanUpdate: h.can(ctx, permBillingUpdate), Action: action}
	if h.Billing == nil {
		p.Missing, p.Off = true, true
		return h.render(c, status, pageBilling, p)
	}
	p.Off = !h.Billing.Cfg.Enabled()
	payer, err := h.Billing.PayerOf(ctx, t.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	switch {
	case payer.Exempt:
		p.Exempt = true
		p.Standing = billStanding(billing.StatusExempt, nil, nil, nil, loc)
		p.ExemptReason = payer.Reason
		return h.render(c, status, pageBilling, p)
	case payer.Account != nil && payer.Account.PayerID != t.ID:
		a := payer.Account
		p.PaidBy = "its PHO"
		if h.TenantByID != nil {
			if pho, err := h.TenantByID(ctx, a.PayerID); err == nil {
				p.PaidBy = pho.Name
			}
		}
		p.Standing = billStanding(a.Effective(now), a.GraceUntil, a.TrialEnd, a.CurrentPeriodEnd, loc)
		return h.render(c, status, pageBilling, p)
	case payer.Account == nil:
		p.Standing = billStanding(billing.StatusNone, nil, nil, nil, loc)
		p.UnderPHO = t.ParentID != uuid.Nil
		if p.CanUpdate && !p.Off {
			h.billOpenForm(c, &p, open, "")
		}
		return h.render(c, status, pageBilling, p)
	}
	a := *payer.Account
	p.Standing = billStanding(a.Effective(now), a.GraceUntil, a.TrialEnd, a.CurrentPeriodEnd, loc)
	if p.Account, err = h.billAccount(ctx, a, loc); err != nil {
		return err
	}
	if !p.CanUpdate || p.Off {
		return h.render(c, status, pageBilling, p)
	}
	if a.StripeCustomerID == "" {
		// The account row is there but Stripe never answered for its
		// customer: opening again creates it (once, by idempotency key).
		h.billOpenForm(c, &p, open, a.Email)
		return h.render(c, status, pageBilling, p)
	}
	if a.StripeSubscriptionID == "" || a.Status == billing.StatusIncomplete || a.Status == billing.StatusCanceled {
		p.CheckoutURL = tenantPath(t.Slug, "/billing/checkout")
	}
	if a.StripeSubscriptionID != "" {
		p.PortalURL = tenantPath(t.Slug, "/billing/portal")
	}
	return h.render(c, status, pageBilling, p)
}

// billAccount is account a as its payer's admins read it: the quantities
// counted now beside those Stripe last accepted, and its invoices.
func (h *handler) billAccount(ctx context.Context, a billing.Account, loc *time.Location) (*billAccountView, error) {
	practices, seats, err := h.Billing.Quantities(ctx, a)
	if err != nil {
		return nil, err
	}
	invoices, err := h.Billing.Invoices(ctx, a)
	if err != nil {
		return nil, err
	}
	subscribed := a.StripeSubscriptionID != ""
	v := &billAccountView{Email: a.Email,
		Practices: countView{Now: practices, Stripe: a.Practices, Differ: subscribed && practices != a.Practices},
		Seats:     countView{Now: seats, Stripe: a.Seats, Differ: subscribed && seats != a.Seats}}
	if a.SyncedAt != nil {
		v.Synced = showTime(*a.SyncedAt, loc)
	}
	for _, in := range invoices {
		iv := invoiceView{Number: cmp.Or(in.Number, "Draft"), Amount: billMoney(in.AmountDue, in.Currency),
			Status: cmp.Or(invoiceWords[in.Status], in.Status), StatusClass: "status-onboarding", URL: in.HostedInvoiceURL}
		switch in.Status {
		case "paid":
			iv.StatusClass = "status-active"
		case "open", "uncollectible":
			iv.StatusClass = "status-suspended"
		case "void":
			iv.StatusClass = "status-archived"
		}
		if from, to := billDate(in.PeriodStart, loc), billDate(in.PeriodEnd, loc); from != "" && to != "" {
			iv.Period = from + " to " + to
		}
		v.Invoices = append(v.Invoices, iv)
	}
	return v, nil
}

func (h *handler) billOpenForm(c *fiber.Ctx, p *billingPage, f *form, email string) {
	if f == nil {
		f = newForm(c)
		f.Set("email", email)
	}
	t, _ := tenants.FromContext(httpx.Context(c))
	p.Open, p.OpenURL = f, tenantPath(t.Slug, "/billing/account")
	p.Email = f.Input("email", "Billing e-mail", "email", "email", "hint=Where Stripe sends invoices and receipts, like accounts@practice.nz.")
}

func (h *handler) billing(c *fiber.Ctx) error { return h.renderBilling(c, fiber.StatusOK, nil, nil) }

// billActionFailed re-renders the page with a refused or failed billing
// action's message: a mistyped e-mail by its field, anything else (already
// subscribed, paid by the PHO, Stripe out of reach) at the top. The cause of
// an outage goes to the log, never to the page.
func (h *handler) billActionFailed(c *fiber.Ctx, open *form, err error) error {
	fe := fault.As(err)
	switch fe.Kind {
	case fault.KindConflict, fault.KindUnavailable, fault.KindInvalid:
	default:
		return err
	}
	if fe.Kind == fault.KindUnavailable && h.Frame != nil && h.Frame.Log != nil {
		h.Frame.Log.WarnContext(httpx.Context(c), "billing: Stripe request failed", "id", httpx.RequestID(c), "err", db.LogSafe(err))
	}
	if open != nil && fe.Kind == fault.KindInvalid {
		open.Adopt(err, map[string]string{"email": "email"})
		return h.renderBilling(c, httpx.Status(err), open, nil)
	}
	return h.renderBilling(c, httpx.Status(err), open, billRefused(c, fe.Message))
}

// ownAccount is the account the tenant in ctx pays with: none yet, or its
// PHO paying, is a conflict with a message for the page.
func (h *handler) ownAccount(c *fiber.Ctx) (billing.Account, error) {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	if !h.billingOn() {
		return billing.Account{}, errBillingOff
	}
	p, err := h.Billing.PayerOf(ctx, t.ID)
	switch {
	case err != nil:
		return billing.Account{}, err
	case p.Exempt:
		return billing.Account{}, fault.New(fault.KindConflict, "this practice is programme-funded: it has no bill", nil)
	case p.Account == nil:
		return billing.Account{}, fault.New(fault.KindConflict, "open a billing account first, with the e-mail invoices go to", nil)
	case p.Account.PayerID != t.ID:
		return billing.Account{}, fault.New(fault.KindConflict, "this practice's PHO pays for it: its PHO admins manage payment", nil)
	}
	return *p.Account, nil
}

func (h *handler) openBilling(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	f := newForm(c)
	f.Set("email", strings.TrimSpace(formValue(c, "email")))
	if !h.billingOn() {
		return h.billActionFailed(c, f, errBillingOff)
	}
	if _, err := h.Billing.Open(ctx, t.ID, f.Values["email"]); err != nil {
		return h.billActionFailed(c, f, err)
	}
	return redirect(c, tenantPath(t.Slug, "/billing?done=opened"))
}

// billingCheckout sends the admin to Stripe Checkout; Stripe sends them
// back to the billing page either way.
func (h *handler) billingCheckout(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	a, err := h.ownAccount(c)
	if err != nil {
		return h.billActionFailed(c, nil, err)
	}
	back := h.calAbsolute(c, tenantPath(t.Slug, "/billing"))
	url, err := h.Billing.Checkout(ctx, a, back+"?done=checkout", back+"?done=canceled")
	if err != nil {
		return h.billActionFailed(c, nil, err)
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

// billingPortal sends the admin to Stripe's customer portal: the payment
// method, Stripe's own invoices, cancelling.
func (h *handler) billingPortal(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	a, err := h.ownAccount(c)
	if err != nil {
		return h.billActionFailed(c, nil, err)
	}
	url, err := h.Billing.Portal(ctx, a, h.calAbsolute(c, tenantPath(t.Slug, "/billing")))
	if err != nil {
		return h.billActionFailed(c, nil, err)
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

// ---- The banner on an admin's tenant pages ----

// billingBanner tells admins their tenant's payment is past due or that
// bookings are paused, on every page, until it is sorted.
type billingBanner struct {
	Paused bool   // new bookings are paused (suspended, canceled, past due beyond grace)
	Grace  string // past due: the day bookings stop
	URL    string // the billing page
}

// billingBannerFor reads the tenant's own standing inside its wall (one
// statement, one round trip). A failure to read it costs the banner, never
// the page: it is logged.
func (h *handler) billingBannerFor(ctx context.Context, t tenants.Tenant) *billingBanner {
	if h.DB == nil {
		return nil
	}
	var rows []struct {
		BillingStatus     string
		BillingGraceUntil *time.Time
	}
	err := h.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT billing_status, billing_grace_until FROM tenants WHERE id = ?`, t.ID).Scan(&rows).Error
	})
	if err != nil {
		if h.Frame != nil && h.Frame.Log != nil {
			h.Frame.Log.WarnContext(ctx, "billing banner: reading the standing failed", "err", db.LogSafe(err))
		}
		return nil
	}
	if len(rows) != 1 {
		return nil
	}
	r := rows[0]
	b := &billingBanner{URL: tenantPath(t.Slug, "/billing")}
	switch {
	case billing.Suspended(r.BillingStatus, r.BillingGraceUntil, time.Now()):
		b.Paused = true
	case r.BillingStatus == billing.StatusPastDue:
		b.Grace = billDate(r.BillingGraceUntil, t.Location())
	default:
		return nil
	}
	return b
}
