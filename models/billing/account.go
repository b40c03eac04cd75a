package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Statuses of an account and of a tenant's billing standing.
const (
	StatusNone       = "none"       // a tenant no account pays for yet
	StatusExempt     = "exempt"     // a programme-funded practice
	StatusIncomplete = "incomplete" // an account without a subscription yet
	StatusTrialing   = "trialing"
	StatusActive     = "active"
	StatusPastDue    = "past_due"
	StatusSuspended  = "suspended"
	StatusCanceled   = "canceled"
)

// Clinical roles take a paid seat; GPs, nurses and admins are free.
var seatRoles = []string{"hip", "health_coach", "support_worker"}

// ErrDisabled: billing is not configured on this server.
var ErrDisabled = fault.New(fault.KindUnavailable, "billing is not configured on this server (no STRIPE_SECRET_KEY)", nil)

// Service is billing over one database and one Stripe account.
type Service struct {
	DB  *db.DB
	Cfg Config
	Log *slog.Logger
	api *client.API
	now func() time.Time
}

// New returns the billing service; with billing off (no secret key) it
// still answers standings and exemptions, and refuses Stripe work with
// ErrDisabled.
func New(d *db.DB, cfg Config, log *slog.Logger) *Service {
	s := &Service{DB: d, Cfg: cfg, Log: log, now: time.Now}
	if cfg.Enabled() {
		s.api = cfg.api()
	}
	return s
}

// Account is a payer's billing account.
type Account struct {
	ID                   uuid.UUID
	PayerID              uuid.UUID
	Email                string
	StripeCustomerID     string
	StripeSubscriptionID string
	BaseItemID           string
	SeatItemID           string
	Status               string
	StripeStatus         string
	StateAt              *time.Time
	PastDueSince         *time.Time
	GraceUntil           *time.Time
	TrialEnd             *time.Time
	CurrentPeriodEnd     *time.Time
	Practices            int
	Seats                int
	SyncedAt             *time.Time
	CreatedAt            time.Time
}

type accountRow struct {
	ID                   uuid.UUID
	PayerID              uuid.UUID
	Email                string
	StripeCustomerID     *string
	StripeSubscriptionID *string
	BaseItemID           *string
	SeatItemID           *string
	Status               string
	StripeStatus         *string
	StateAt              *time.Time
	PastDueSince         *time.Time
	GraceUntil           *time.Time
	TrialEnd             *time.Time
	CurrentPeriodEnd     *time.Time
	Practices            int
	Seats                int
	SyncedAt             *time.Time
	CreatedAt            time.Time
}

func (r accountRow) account() Account {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return Account{ID: r.ID, PayerID: r.PayerID, Email: r.Email, StripeCustomerID: s(r.StripeCustomerID),
		StripeSubscriptionID: s(r.StripeSubscriptionID), BaseItemID: s(r.BaseItemID), SeatItemID: s(r.SeatItemID),
		Status: r.Status, StripeStatus: s(r.StripeStatus), StateAt: r.StateAt, PastDueSince: r.PastDueSince,
		GraceUntil: r.GraceUntil, TrialEnd: r.TrialEnd, CurrentPeriodEnd: r.CurrentPeriodEnd,
		Practices: r.Practices, Seats: r.Seats, SyncedAt: r.SyncedAt, CreatedAt: r.CreatedAt}
}

const accountCols = `id, payer_id, email, stripe_customer_id, stripe_subscription_id, base_item_id, seat_item_id,
	status, stripe_status, state_at, past_due_since, grace_until, trial_end, current_period_end,
	practices, seats, synced_at, created_at`

func getAccount(tx *db.Tx, where string, args ...any) (Account, error) {
	var rows []accountRow
	if err := tx.Raw(`SELECT `+accountCols+` FROM billing_accounts WHERE `+where, args...).Scan(&rows).Error; err != nil {
		return Account{}, err
	}
	if len(rows) == 0 {
		return Account{}, fault.NotFound
	}
	return rows[0].account(), nil
}

// Payer is who pays for a tenant: the tenant itself, its PHO, or nobody
// (exempt, or no account yet).
type Payer struct {
	TenantID uuid.UUID
	Kind     string // pho or practice
	ParentID uuid.UUID
	Exempt   bool
	Reason   string // why it is programme-funded
	// Account is the account that pays for the tenant, when one does.
	Account *Account
}

// PayerOf finds who pays for tenant t.
func (s *Service) PayerOf(ctx context.Context, t uuid.UUID) (Payer, error) {
	var p Payer
	err := s.DB.Platform(ctx, "billing: who pays for a tenant", func(tx *db.Tx) error {
		var err error
		p, err = payerOf(tx, t)
		return err
	})
	if err != nil {
		return Payer{}, fmt.Errorf("billing.PayerOf: %w", err)
	}
	return p, nil
}

func payerOf(tx *db.Tx, t uuid.UUID) (Payer, error) {
	var rows []struct {
		Kind     string
		ParentID *uuid.UUID
		Reason   *string
	}
	if err := tx.Raw(`SELECT kind, parent_id, (SELECT reason FROM billing_exemptions e WHERE e.practice_id = t.id) AS reason
		FROM tenants t WHERE id = ?`, t).Scan(&rows).Error; err != nil {
		return Payer{}, err
	}
	if len(rows) == 0 {
		return Payer{}, fault.NotFound
	}
	p := Payer{TenantID: t, Kind: rows[0].Kind, Exempt: rows[0].Reason != nil}
	if p.Exempt {
		p.Reason = *rows[0].Reason
	}
	if rows[0].ParentID != nil {
		p.ParentID = *rows[0].ParentID
	}
	if p.Exempt {
		return p, nil
	}
	for _, id := range []uuid.UUID{t, p.ParentID} {
		if id == uuid.Nil {
			continue
		}
		a, err := getAccount(tx, `payer_id = ?`, id)
		if errors.Is(err, fault.NotFound) {
			continue
		}
		if err != nil {
			return Payer{}, err
		}
		p.Account = &a
		break
	}
	return p, nil
}

// Open makes the billing account of payer (a PHO, for all its practices,
// or a practice under no paying PHO) with its billing e-mail, and the
// Stripe customer behind it. Opening again returns the same account; a
// customer is created once (idempotency key per account).
func (s *Service) Open(ctx context.Context, payer uuid.UUID, email string) (Account, error) {
	if s.api == nil {
		return Account{}, fmt.Errorf("billing.Open: %w", ErrDisabled)
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return Account{}, fmt.Errorf("billing.Open: %w", fault.InvalidField("email", "enter the e-mail address invoices go to, like accounts@practice.nz"))
	}
	var a Account
	var name string
	err := s.DB.Platform(ctx, "billing: open an account", func(tx *db.Tx) error {
		p, err := payerOf(tx, payer)
		if err != nil {
			return err
		}
		if p.Exempt {
			return fault.New(fault.KindConflict, "this practice is programme-funded: it has no bill", nil)
		}
		if p.Account != nil && p.Account.PayerID != payer {
			return fault.New(fault.KindConflict, "this practice's PHO pays for it", nil)
		}
		if err := tx.Raw(`SELECT name FROM tenants WHERE id = ?`, payer).Scan(&name).Error; err != nil {
			return err
		}
		id := uuid.Must(uuid.NewV7())
		if err := tx.Exec(`INSERT INTO billing_accounts (id, payer_id, email) VALUES (?, ?, ?)
			ON CONFLICT (payer_id) DO NOTHING`, id, payer, email).Error; err != nil {
			return err
		}
		if a, err = getAccount(tx, `payer_id = ?`, payer); err != nil {
			return err
		}
		return setStandings(tx, a)
	})
	if err != nil {
		return Account{}, fmt.Errorf("billing.Open: %w", err)
	}
	if a.StripeCustomerID != "" {
		return a, nil
	}
	params := &stripe.CustomerParams{Email: stripe.String(a.Email), Name: stripe.String(name)}
	params.AddMetadata("tuhono_account", a.ID.String())
	params.SetIdempotencyKey("customer-" + a.ID.String())
	c, err := s.api.Customers.New(params)
	if err != nil {
		return Account{}, fmt.Errorf("billing.Open: %w", stripeFault(err))
	}
	err = s.DB.Platform(ctx, "billing: record the Stripe customer", func(tx *db.Tx) error {
		if err := tx.Exec(`UPDATE billing_accounts SET stripe_customer_id = ?, updated_at = now()
			WHERE id = ? AND stripe_customer_id IS NULL`, c.ID, a.ID).Error; err != nil {
			return err
		}
		a, err = getAccount(tx, `id = ?`, a.ID)
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("billing.Open: %w", err)
	}
	return a, nil
}

// stripeFault turns a Stripe error into one for people: the details stay
// in the log, never on a page.
func stripeFault(err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 && se.HTTPStatusCode != 429 {
		return fault.New(fault.KindConflict, "Stripe refused the request: "+string(se.Code), err)
	}
	return fault.New(fault.KindUnavailable, "Stripe could not be reached; try again in a minute", err)
}

// covered lists the practices an account pays for: a PHO's practices that
// are not exempt, or the paying practice itself.
func covered(tx *db.Tx, a Account) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.Raw(`SELECT t.id FROM tenants t
		WHERE t.kind = 'practice' AND (t.id = ? OR t.parent_id = ?) AND t.status <> 'archived'
		  AND NOT EXISTS (SELECT 1 FROM billing_exemptions e WHERE e.practice_id = t.id)
		ORDER BY t.id`, a.PayerID, a.PayerID).Scan(&ids).Error
	return ids, err
}

// Quantities counts what account a pays for now: its practices, and the
// active clinical memberships (HIP, Health Coach, Support Worker) across
// them, one seat per person per practice.
func (s *Service) Quantities(ctx context.Context, a Account) (practices, seats int, err error) {
	var ids []uuid.UUID
	if err := s.DB.Platform(ctx, "billing: practices an account pays for", func(tx *db.Tx) error {
		var err error
		ids, err = covered(tx, a)
		return err
	}); err != nil {
		return 0, 0, fmt.Errorf("billing.Quantities: %w", err)
	}
	if len(ids) == 0 {
		return 0, 0, nil
	}
	var n int
	err = s.DB.AcrossTenants(ctx, ids, "billing: clinical seats of an account", func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM memberships WHERE tenant_id = ANY(?) AND status = 'active' AND roles && ?`,
			pq.Array(ids), pq.Array(seatRoles)).Scan(&n).Error
	})
	if err != nil {
		return 0, 0, fmt.Errorf("billing.Quantities: %w", err)
	}
	return len(ids), n, nil
}

// setStandings writes account a's effective status onto the payer and the
// practices it covers (tenants.billing_status), where their own
// transactions read it.
func setStandings(tx *db.Tx, a Account) error {
	ids, err := covered(tx, a)
	if err != nil {
		return err
	}
	ids = append(ids, a.PayerID)
	return tx.Exec(`UPDATE tenants SET billing_status = ?, billing_grace_until = ?
		WHERE id = ANY(?) AND (billing_status, billing_grace_until) IS DISTINCT FROM (?, ?)`,
		a.Status, a.GraceUntil, pq.Array(ids), a.Status, a.GraceUntil).Error
}

// Suspended reports whether a tenant with this standing takes no new
// bookings: suspended, or past due beyond its grace.
func Suspended(status string, graceUntil *time.Time, now time.Time) bool {
	switch status {
	case StatusSuspended, StatusCanceled:
		return true
	case StatusPastDue:
		return graceUntil != nil && now.After(*graceUntil)
	}
	return false
}

// Effective is the standing a status and grace date amount to now: past
// due beyond its grace reads as suspended.
func Effective(status string, graceUntil *time.Time, now time.Time) string {
	if status == StatusPastDue && Suspended(status, graceUntil, now) {
		return StatusSuspended
	}
	return status
}

// ErrSuspended is what a booking gets while its practice is suspended.
var ErrSuspended = fault.New(fault.KindConflict,
	"New bookings are paused: this practice's Tūhono subscription is suspended. Every record can still be read and exported; "+
		"an admin can restore bookings from the Billing page by updating the payment method.", nil)

// CheckBookable refuses new bookings for the tenant of tx while its billing
// standing is suspended. It reads the tenant's own row, inside its wall.
func CheckBookable(tx *db.Tx, now time.Time) error {
	var rows []struct {
		BillingStatus     string
		BillingGraceUntil *time.Time
	}
	if err := tx.Raw(`SELECT billing_status, billing_grace_until FROM tenants WHERE id = ?`, tx.Tenant.ID).
		Scan(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 1 && Suspended(rows[0].BillingStatus, rows[0].BillingGraceUntil, now) {
		return ErrSuspended
	}
	return nil
}
