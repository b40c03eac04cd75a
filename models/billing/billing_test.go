package billing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/billing/billingtest"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// world is a region with a PHO of two practices and a practice on its own.
type world struct {
	t                 *testing.T
	env               *dbtest.Env
	svc               *billing.Service
	calls             *billingtest.Counter
	pho, a, b, single tenants.Tenant
}

func newWorld(t *testing.T) *world {
	t.Helper()
	env := dbtest.New(t)
	cfg, calls := billingtest.Config(billingtest.StripeMock(t))
	w := &world{t: t, env: env, calls: calls, svc: billing.New(env.DB, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	r := env.Region(t)
	mk := func(kind tenants.Kind, parent uuid.UUID, name string) tenants.Tenant {
		tn := tenants.Tenant{ID: uuid.Must(uuid.NewV7()), Kind: kind, ParentID: parent, RegionID: r.ID,
			Slug: dbtest.Slug(name), Name: name, TimeZone: "Pacific/Auckland", Status: tenants.StatusActive}
		var p any
		if parent != uuid.Nil {
			p = parent
		}
		w.platform(`INSERT INTO tenants (id, kind, parent_id, region_id, slug, name, time_zone, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tn.ID, tn.Kind, p, tn.RegionID, tn.Slug, tn.Name, tn.TimeZone, tn.Status)
		return tn
	}
	w.pho = mk(tenants.KindPHO, uuid.Nil, "pho")
	w.a = mk(tenants.KindPractice, w.pho.ID, "practice-a")
	w.b = mk(tenants.KindPractice, w.pho.ID, "practice-b")
	w.single = mk(tenants.KindPractice, uuid.Nil, "single")
	// The package's tests share a database: start with no sync pending.
	w.platform(`DELETE FROM billing_jobs`)
	w.platform(`DELETE FROM billing_seat_changes`)
	return w
}

func (w *world) platform(q string, args ...any) {
	w.t.Helper()
	if err := w.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(q, args...).Error
	}); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

// member adds a person with role to tenant t.
func (w *world) member(t tenants.Tenant, role string) uuid.UUID {
	w.t.Helper()
	id := uuid.Must(uuid.NewV7())
	w.platform(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`, id, "u-"+id.String()[24:]+"@example.co.nz")
	ctx := tenants.WithTenant(context.Background(), t)
	if err := w.env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`, t.ID, id, role).Error
	}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) account(payer uuid.UUID) billing.Account {
	w.t.Helper()
	a, ok, err := w.svc.AccountOfPayer(context.Background(), payer)
	if err != nil || !ok {
		w.t.Fatalf("account of %s: %v %v", payer, ok, err)
	}
	return a
}

func (w *world) standing(t uuid.UUID) string {
	w.t.Helper()
	var s string
	if err := w.env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error {
		return tx.Raw(`SELECT billing_status FROM tenants WHERE id = ?`, t).Scan(&s).Error
	}); err != nil {
		w.t.Fatal(err)
	}
	return s
}

func (w *world) count(q string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error {
		return tx.Raw(q, args...).Scan(&n).Error
	}); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// event builds a verified-looking event (Apply takes what the webhook
// handler verified) from billingtest's payload.
func event(t *testing.T, e billingtest.Event) stripe.Event {
	t.Helper()
	var ev stripe.Event
	if err := json.Unmarshal(e.Payload(), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// subscribed gives the account of payer a Stripe customer and a live
// subscription with both items, as Checkout and its events would.
func (w *world) subscribed(payer uuid.UUID, customer, sub string, practices, seats int) billing.Account {
	w.t.Helper()
	id := uuid.Must(uuid.NewV7())
	w.platform(`INSERT INTO billing_accounts (id, payer_id, email, stripe_customer_id) VALUES (?, ?, 'accounts@example.co.nz', ?)`,
		id, payer, customer)
	out, err := w.svc.Apply(context.Background(), event(w.t, billingtest.Event{ID: "evt_" + sub + "_start",
		Type: "customer.subscription.created", Created: time.Now().Add(-time.Hour),
		Object: billingtest.Subscription(sub, customer, "active", "si_base"+strings.TrimPrefix(sub, "sub_"),
			"si_seat"+strings.TrimPrefix(sub, "sub_"), practices, seats)}))
	if err != nil || out != billing.OutcomeApplied {
		w.t.Fatalf("subscription created: %q %v", out, err)
	}
	// The worker has nothing to do until something changes.
	w.platform(`DELETE FROM billing_jobs WHERE account_id = ?`, id)
	w.platform(`DELETE FROM billing_seat_changes`)
	return w.account(payer)
}

func TestOpenCheckoutPortal(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.svc.Open(ctx, w.single.ID, "not an address"); !errors.Is(err, fault.Invalid) {
		t.Fatalf("bad e-mail: %v", err)
	}
	if n := w.count(`SELECT count(*) FROM billing_accounts`); n != 0 {
		t.Fatalf("a refused open left %d accounts", n)
	}
	a, err := w.svc.Open(ctx, w.single.ID, " Accounts@Single.example.nz ")
	if err != nil {
		t.Fatal(err)
	}
	if a.StripeCustomerID == "" || a.Email != "accounts@single.example.nz" || a.Status != billing.StatusIncomplete {
		t.Fatalf("opened: %+v", a)
	}
	again, err := w.svc.Open(ctx, w.single.ID, "accounts@single.example.nz")
	if err != nil || again.ID != a.ID {
		t.Fatalf("opened again: %+v %v", again, err)
	}
	if n := len(w.calls.Calls("POST /v1/customers")); n != 1 {
		t.Fatalf("%d customers created, want 1", n)
	}
	if got := w.standing(w.single.ID); got != billing.StatusIncomplete {
		t.Fatalf("standing %q", got)
	}
	// Checkout asks for the seats there are: one HIP and a GP (free).
	w.member(w.single, "hip")
	w.member(w.single, "gp")
	if p, s, err := w.svc.Quantities(ctx, a); err != nil || p != 1 || s != 1 {
		t.Fatalf("quantities %d practices, %d seats, %v", p, s, err)
	}
	url, err := w.svc.Checkout(ctx, a, "https://tuhono.example/t/single/billing?done=1", "https://tuhono.example/t/single/billing")
	if err != nil || url == "" {
		t.Fatalf("checkout: %q %v", url, err)
	}
	if n := len(w.calls.Calls("POST /v1/checkout/sessions")); n != 1 {
		t.Fatalf("%d checkout sessions", n)
	}
	portal, err := w.svc.Portal(ctx, a, "https://tuhono.example/t/single/billing")
	if err != nil || portal == "" {
		t.Fatalf("portal: %q %v", portal, err)
	}

	// A practice its PHO pays for cannot open its own; an exempt one none.
	if _, err := w.svc.Open(ctx, w.pho.ID, "pho@example.nz"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Open(ctx, w.a.ID, "a@example.nz"); !errors.Is(err, fault.Conflict) {
		t.Fatalf("practice under a paying PHO: %v", err)
	}
	if got := w.standing(w.a.ID); got != billing.StatusIncomplete {
		t.Fatalf("PHO-paid practice standing %q", got)
	}
	if err := w.svc.SetExempt(ctx, w.b.ID, uuid.Nil, "Programme-funded pilot"); err == nil {
		t.Fatal("an exemption by nobody was recorded")
	}
	admin := uuid.Must(uuid.NewV7())
	w.platform(`INSERT INTO users (id, email, name) VALUES (?, 'region@example.nz', 'Regional Admin')`, admin)
	if err := w.svc.SetExempt(ctx, w.b.ID, admin, "Programme-funded pilot"); err != nil {
		t.Fatal(err)
	}
	if got := w.standing(w.b.ID); got != billing.StatusExempt {
		t.Fatalf("exempt standing %q", got)
	}
	pho := w.account(w.pho.ID)
	if p, _, _ := w.svc.Quantities(ctx, pho); p != 1 {
		t.Fatalf("the PHO pays for %d practices, want 1 (B is exempt)", p)
	}
}

// The same event delivered 20 times at once has one effect.
func TestApplyOnce(t *testing.T) {
	w := newWorld(t)
	a := w.subscribed(w.single.ID, "cus_single", "sub_single", 1, 0)
	ev := event(t, billingtest.Event{ID: "evt_past_due", Type: "customer.subscription.updated", Created: time.Now(),
		Object: billingtest.Subscription("sub_single", "cus_single", "past_due", "si_basesingle", "si_seatsingle", 1, 0)})
	var wg sync.WaitGroup
	outcomes := make([]string, 20)
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i], errs[i] = w.svc.Apply(context.Background(), ev)
		}()
	}
	wg.Wait()
	applied := 0
	for i := range outcomes {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch outcomes[i] {
		case billing.OutcomeApplied:
			applied++
		case billing.OutcomeDuplicate:
		default:
			t.Fatalf("outcome %q", outcomes[i])
		}
	}
	if applied != 1 {
		t.Fatalf("applied %d times", applied)
	}
	if n := w.count(`SELECT count(*) FROM stripe_events WHERE id = 'evt_past_due'`); n != 1 {
		t.Fatalf("%d event rows", n)
	}
	got := w.account(w.single.ID)
	if got.Status != billing.StatusPastDue || got.GraceUntil == nil || got.PastDueSince == nil ||
		got.GraceUntil.Sub(*got.PastDueSince) != 14*24*time.Hour {
		t.Fatalf("after past_due: %+v", got)
	}
	if w.standing(w.single.ID) != billing.StatusPastDue || got.ID != a.ID {
		t.Fatalf("standing %q", w.standing(w.single.ID))
	}
}

// Events applied out of order end in the state of the newest.
func TestOutOfOrder(t *testing.T) {
	w := newWorld(t)
	w.subscribed(w.single.ID, "cus_o", "sub_o", 1, 0)
	t0 := time.Now().Truncate(time.Second)
	sub := func(status string) any {
		return billingtest.Subscription("sub_o", "cus_o", status, "si_baseo", "si_seato", 1, 0)
	}
	apply := func(id, typ string, at time.Time, obj any, want string) {
		t.Helper()
		out, err := w.svc.Apply(context.Background(), event(t, billingtest.Event{ID: id, Type: typ, Created: at, Object: obj}))
		if err != nil || out != want {
			t.Fatalf("%s: %q %v, want %q", id, out, err, want)
		}
	}
	// Stripe made: trialing (t0), past_due (t0+2), paid (t0+3). We receive
	// past_due, then paid, then the older trialing and an older failure.
	apply("evt_o2", "customer.subscription.updated", t0.Add(2*time.Second), sub("past_due"), billing.OutcomeApplied)
	apply("evt_o3", "invoice.paid", t0.Add(3*time.Second), billingtest.Invoice("in_o1", "cus_o", "paid", 4500, 4500), billing.OutcomeApplied)
	apply("evt_o1", "customer.subscription.updated", t0, sub("trialing"), billing.OutcomeOlder)
	apply("evt_o0", "invoice.payment_failed", t0.Add(time.Second), billingtest.Invoice("in_o1", "cus_o", "open", 4500, 0), billing.OutcomeOlder)
	got := w.account(w.single.ID)
	if got.Status != billing.StatusActive || got.GraceUntil != nil {
		t.Fatalf("final %+v", got)
	}
	invs, err := w.svc.Invoices(context.Background(), got)
	if err != nil || len(invs) != 1 || invs[0].Status != "paid" || invs[0].AmountPaid != 4500 {
		t.Fatalf("invoices %+v %v", invs, err)
	}
	if w.standing(w.single.ID) != billing.StatusActive {
		t.Fatalf("standing %q", w.standing(w.single.ID))
	}
	// A deletion ends it; a new subscription (a fresh Checkout) restores it.
	apply("evt_o4", "customer.subscription.deleted", t0.Add(4*time.Second), sub("canceled"), billing.OutcomeApplied)
	if w.standing(w.single.ID) != billing.StatusCanceled {
		t.Fatalf("after deletion %q", w.standing(w.single.ID))
	}
	apply("evt_o5", "customer.subscription.created", t0.Add(5*time.Second),
		billingtest.Subscription("sub_onew", "cus_o", "active", "si_b2", "si_s2", 1, 0), billing.OutcomeApplied)
	if got := w.account(w.single.ID); got.StripeSubscriptionID != "sub_onew" || got.Status != billing.StatusActive {
		t.Fatalf("renewed %+v", got)
	}
}

// An event for a customer we do not know changes nothing; one for A's
// customer never touches B.
func TestUnknownAndIsolated(t *testing.T) {
	w := newWorld(t)
	w.subscribed(w.pho.ID, "cus_pho", "sub_pho", 1, 0)
	w.subscribed(w.single.ID, "cus_iso", "sub_iso", 1, 0)
	events := w.count(`SELECT count(*) FROM stripe_events`)
	out, err := w.svc.Apply(context.Background(), event(t, billingtest.Event{ID: "evt_stranger", Type: "customer.subscription.updated",
		Created: time.Now(), Object: billingtest.Subscription("sub_x", "cus_stranger", "canceled", "si_1", "si_2", 1, 1)}))
	if err != nil || out != billing.OutcomeUnknown {
		t.Fatalf("unknown customer: %q %v", out, err)
	}
	if n := w.count(`SELECT count(*) FROM stripe_events`); n != events {
		t.Fatalf("an unknown customer's event was recorded (%d → %d)", events, n)
	}
	before := w.account(w.single.ID)
	out, err = w.svc.Apply(context.Background(), event(t, billingtest.Event{ID: "evt_pho_late", Type: "invoice.payment_failed",
		Created: time.Now(), Object: billingtest.Invoice("in_pho", "cus_pho", "open", 9000, 0)}))
	if err != nil || out != billing.OutcomeApplied {
		t.Fatalf("PHO failure: %q %v", out, err)
	}
	for _, id := range []uuid.UUID{w.pho.ID, w.a.ID, w.b.ID} {
		if got := w.standing(id); got != billing.StatusPastDue {
			t.Fatalf("PHO-paid tenant standing %q", got)
		}
	}
	after := w.account(w.single.ID)
	if after.Status != before.Status || w.standing(w.single.ID) != billing.StatusActive ||
		w.count(`SELECT count(*) FROM billing_invoices WHERE account_id = ?`, after.ID) != 0 {
		t.Fatalf("the other payer changed: %+v → %+v", before, after)
	}
}

// A burst of 50 clinicians joining at once is one Stripe update with the
// final count, not 50 racing.
func TestSeatBurstIsOneUpdate(t *testing.T) {
	w := newWorld(t)
	a := w.subscribed(w.single.ID, "cus_burst", "sub_burst", 1, 0)
	users := make([]uuid.UUID, 50)
	for i := range users {
		users[i] = uuid.Must(uuid.NewV7())
		w.platform(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Clinician')`, users[i], fmt.Sprintf("c%d-%s@example.nz", i, users[i].String()[30:]))
	}
	ctx := tenants.WithTenant(context.Background(), w.single)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			role := []string{"hip", "health_coach", "support_worker"}[i%3]
			if err := w.env.DB.InTenant(ctx, func(tx *db.Tx) error {
				return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?, 'gp']::text[])`,
					w.single.ID, u, role).Error
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	w.member(w.single, "nurse") // free
	before := len(w.calls.Calls("POST /v1/subscriptions/"))
	n, err := w.svc.RunOnce(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("synced %d, %v", n, err)
	}
	if got := len(w.calls.Calls("POST /v1/subscriptions/sub_burst")) - before; got != 1 {
		t.Fatalf("%d subscription updates, want 1", got)
	}
	if got := w.account(w.single.ID); got.Seats != 50 || got.Practices != 1 || got.SyncedAt == nil {
		t.Fatalf("after the burst: %+v", got)
	}
	if n, _ := w.svc.RunOnce(context.Background()); n != 0 || w.count(`SELECT count(*) FROM billing_jobs`) != 0 {
		t.Fatalf("a second run synced %d", n)
	}
	// One leaves (membership ended): one more update, 49 seats.
	if err := w.env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE memberships SET status = 'ended', ended_at = now() WHERE tenant_id = ? AND user_id = ?`, w.single.ID, users[0]).Error
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.svc.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after a leaver: %d %v", n, err)
	}
	if got := w.account(w.single.ID); got.Seats != 49 || got.ID != a.ID {
		t.Fatalf("after a leaver: %+v", got)
	}
}

// A failed call is retried later with backoff, and nothing is lost.
func TestSyncRetriesWithBackoff(t *testing.T) {
	w := newWorld(t)
	w.subscribed(w.single.ID, "cus_r", "sub_r", 1, 0)
	w.member(w.single, "hip")
	// Point the service at nothing: the call fails.
	cfg, _ := billingtest.Config("http://127.0.0.1:1")
	broken := billing.New(w.env.DB, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if n, err := broken.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("failing run: %d %v", n, err)
	}
	var attempts int
	var due time.Time
	if err := w.env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error {
		return tx.Raw(`SELECT attempts, next_attempt_at FROM billing_jobs`).Row().Scan(&attempts, &due)
	}); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || time.Until(due) < 5*time.Second {
		t.Fatalf("after a failure: attempts %d, next in %s", attempts, time.Until(due))
	}
	// Due again: the working service syncs it.
	w.platform(`UPDATE billing_jobs SET next_attempt_at = now()`)
	if n, err := w.svc.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if got := w.account(w.single.ID); got.Seats != 1 {
		t.Fatalf("after the retry: %+v", got)
	}
}

func TestSuspendedAfterGrace(t *testing.T) {
	now := time.Now()
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	for _, c := range []struct {
		status string
		grace  *time.Time
		want   bool
	}{
		{billing.StatusActive, nil, false}, {billing.StatusTrialing, nil, false}, {billing.StatusExempt, nil, false},
		{billing.StatusPastDue, &future, false}, {billing.StatusPastDue, &past, true},
		{billing.StatusSuspended, nil, true}, {billing.StatusCanceled, nil, true}, {billing.StatusNone, nil, false},
	} {
		if got := billing.Suspended(c.status, c.grace, now); got != c.want {
			t.Errorf("%s (grace %v): suspended %v", c.status, c.grace, got)
		}
	}
}

func TestReconcileReportsAndFixesDrift(t *testing.T) {
	w := newWorld(t)
	w.subscribed(w.single.ID, "cus_d", "sub_d", 1, 0)
	w.member(w.single, "hip")
	all, err := w.svc.Reconcile(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	a := w.account(w.single.ID)
	var drifts []billing.Drift
	for _, d := range all {
		if d.AccountID == a.ID {
			drifts = append(drifts, d)
		}
	}
	// stripe-mock's subscription fixture has one item of another price:
	// our practice and our seat differ from it.
	whats := map[string]bool{}
	for _, d := range drifts {
		whats[d.What] = true
		if d.Fixed {
			t.Fatalf("reported without -fix as fixed: %v", d)
		}
	}
	if !whats["practices"] || !whats["seats"] {
		t.Fatalf("drifts %v", drifts)
	}
	if _, err := w.svc.Reconcile(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if n := len(w.calls.Calls("POST /v1/subscriptions/sub_d")); n == 0 {
		t.Fatal("fixing sent no quantity update")
	}
}

// A practice joining the paying PHO is one more at the base price.
func TestNewPracticeUnderPayingPHO(t *testing.T) {
	w := newWorld(t)
	w.subscribed(w.pho.ID, "cus_grow"+w.pho.ID.String()[24:], "sub_grow"+w.pho.ID.String()[24:], 2, 0)
	id := uuid.Must(uuid.NewV7())
	w.platform(`INSERT INTO tenants (id, kind, parent_id, region_id, slug, name, time_zone, status)
		VALUES (?, 'practice', ?, ?, ?, 'New practice', 'Pacific/Auckland', 'active')`, id, w.pho.ID, w.pho.RegionID, dbtest.Slug("new"))
	if n, err := w.svc.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("synced %d, %v", n, err)
	}
	if got := w.account(w.pho.ID); got.Practices != 3 {
		t.Fatalf("the PHO pays for %d practices, want 3", got.Practices)
	}
	// It leaves for another PHO: the first pays for two again.
	other := uuid.Must(uuid.NewV7())
	w.platform(`INSERT INTO tenants (id, kind, region_id, slug, name, time_zone, status)
		VALUES (?, 'pho', ?, ?, 'Other PHO', 'Pacific/Auckland', 'active')`, other, w.pho.RegionID, dbtest.Slug("other"))
	w.platform(`UPDATE tenants SET parent_id = ? WHERE id = ?`, other, id)
	if _, err := w.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.account(w.pho.ID); got.Practices != 2 {
		t.Fatalf("after it left, the PHO pays for %d practices, want 2", got.Practices)
	}
}
