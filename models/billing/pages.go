package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Checkout starts Stripe Checkout for account a: a subscription at the
// base price for each practice it pays for and the seat price for each
// clinical seat, with the configured trial, collecting the payment method.
// It returns the page to send the admin to.
func (s *Service) Checkout(ctx context.Context, a Account, successURL, cancelURL string) (string, error) {
	if s.api == nil {
		return "", fmt.Errorf("billing.Checkout: %w", ErrDisabled)
	}
	if a.StripeCustomerID == "" {
		return "", fmt.Errorf("billing.Checkout: %w", fault.New(fault.KindConflict, "the account has no Stripe customer yet: open it again", nil))
	}
	if a.StripeSubscriptionID != "" && a.Status != StatusCanceled && a.Status != StatusIncomplete {
		return "", fmt.Errorf("billing.Checkout: %w", fault.New(fault.KindConflict,
			"this account already has a subscription: manage its payment method in the billing portal", nil))
	}
	practices, seats, err := s.Quantities(ctx, a)
	if err != nil {
		return "", fmt.Errorf("billing.Checkout: %w", err)
	}
	if practices == 0 {
		return "", fmt.Errorf("billing.Checkout: %w", fault.New(fault.KindConflict, "this account pays for no practice yet", nil))
	}
	params := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:          stripe.String(a.StripeCustomerID),
		ClientReferenceID: stripe.String(a.ID.String()),
		SuccessURL:        stripe.String(successURL),
		CancelURL:         stripe.String(cancelURL),
		LineItems: []*stripe.CheckoutSessionLineItemParams{
			{Price: stripe.String(s.Cfg.PriceBase), Quantity: stripe.Int64(int64(practices))},
			{Price: stripe.String(s.Cfg.PriceSeat), Quantity: stripe.Int64(int64(seats))},
		},
		SubscriptionData: &stripe.CheckoutSessionSubscriptionDataParams{Metadata: map[string]string{"tuhono_account": a.ID.String()}},
	}
	if s.Cfg.TrialDays > 0 && a.StripeSubscriptionID == "" {
		params.SubscriptionData.TrialPeriodDays = stripe.Int64(int64(s.Cfg.TrialDays))
	}
	cs, err := s.api.CheckoutSessions.New(params)
	if err != nil {
		return "", fmt.Errorf("billing.Checkout: %w", stripeFault(err))
	}
	return cs.URL, nil
}

// Portal returns a Stripe customer portal page for account a, where its
// admins change the payment method and see Stripe's own invoices.
func (s *Service) Portal(ctx context.Context, a Account, returnURL string) (string, error) {
	if s.api == nil {
		return "", fmt.Errorf("billing.Portal: %w", ErrDisabled)
	}
	if a.StripeCustomerID == "" {
		return "", fmt.Errorf("billing.Portal: %w", fault.New(fault.KindConflict, "the account has no Stripe customer yet", nil))
	}
	ps, err := s.api.BillingPortalSessions.New(&stripe.BillingPortalSessionParams{
		Customer: stripe.String(a.StripeCustomerID), ReturnURL: stripe.String(returnURL)})
	if err != nil {
		return "", fmt.Errorf("billing.Portal: %w", stripeFault(err))
	}
	return ps.URL, nil
}

// Invoice is one invoice of an account, as Stripe's events last told us.
type Invoice struct {
	ID               string
	Number           string
	Status           string
	Currency         string
	AmountDue        int64
	AmountPaid       int64
	HostedInvoiceURL string
	PeriodStart      *time.Time
	PeriodEnd        *time.Time
	Created          time.Time
}

// Invoices lists account a's invoices, newest first.
func (s *Service) Invoices(ctx context.Context, a Account) ([]Invoice, error) {
	var rows []struct {
		ID               string
		Number           *string
		Status           string
		Currency         string
		AmountDue        int64
		AmountPaid       int64
		HostedInvoiceURL *string
		PeriodStart      *time.Time
		PeriodEnd        *time.Time
		Created          time.Time
	}
	err := s.DB.Platform(ctx, "billing: list an account's invoices", func(tx *db.Tx) error {
		return tx.Raw(`SELECT id, number, status, currency, amount_due, amount_paid, hosted_invoice_url,
			period_start, period_end, created FROM billing_invoices WHERE account_id = ? ORDER BY created DESC, id LIMIT 100`,
			a.ID).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("billing.Invoices: %w", err)
	}
	out := make([]Invoice, len(rows))
	for i, r := range rows {
		out[i] = Invoice{ID: r.ID, Status: r.Status, Currency: r.Currency, AmountDue: r.AmountDue, AmountPaid: r.AmountPaid,
			PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd, Created: r.Created}
		if r.Number != nil {
			out[i].Number = *r.Number
		}
		if r.HostedInvoiceURL != nil {
			out[i].HostedInvoiceURL = *r.HostedInvoiceURL
		}
	}
	return out, nil
}

// SetExempt marks practice as programme-funded (reason given) or, with an
// empty reason, no longer. The account that paid or will pay for it is
// asked to sync its quantities.
func (s *Service) SetExempt(ctx context.Context, practice, by uuid.UUID, reason string) error {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 500 {
		return fmt.Errorf("billing.SetExempt: %w", fault.InvalidField("reason", "at most 500 characters"))
	}
	err := s.DB.Platform(ctx, "billing: programme funding of a practice", func(tx *db.Tx) error {
		var kind string
		if err := tx.Raw(`SELECT kind FROM tenants WHERE id = ?`, practice).Scan(&kind).Error; err != nil {
			return err
		}
		if kind != "practice" {
			return fault.InvalidField("practice", "only a practice can be programme-funded")
		}
		if reason == "" {
			if err := tx.Exec(`DELETE FROM billing_exemptions WHERE practice_id = ?`, practice).Error; err != nil {
				return err
			}
		} else if err := tx.Exec(`INSERT INTO billing_exemptions (practice_id, reason, set_by) VALUES (?, ?, ?)
			ON CONFLICT (practice_id) DO UPDATE SET reason = EXCLUDED.reason, set_by = EXCLUDED.set_by, set_at = now()`,
			practice, reason, by).Error; err != nil {
			return err
		}
		// The practice's standing follows; its payer's quantities change.
		var payers []uuid.UUID
		if err := tx.Raw(`SELECT a.id FROM billing_accounts a JOIN tenants t ON a.payer_id IN (t.id, t.parent_id)
			WHERE t.id = ?`, practice).Scan(&payers).Error; err != nil {
			return err
		}
		// Exempt; or, no longer, the standing of the account that pays
		// for it now (grace included), or none.
		standing, grace := StatusNone, (*time.Time)(nil)
		if reason != "" {
			standing = StatusExempt
		}
		for _, id := range payers {
			a, err := getAccount(tx, `id = ?`, id)
			if err != nil {
				return err
			}
			if reason == "" {
				standing, grace = a.Status, a.GraceUntil
			}
			if err := enqueue(tx, id); err != nil {
				return err
			}
		}
		return tx.Exec(`UPDATE tenants SET billing_status = ?, billing_grace_until = ? WHERE id = ?`, standing, grace, practice).Error
	})
	if err != nil {
		return fmt.Errorf("billing.SetExempt: %w", err)
	}
	return nil
}

// Standing is one tenant's billing standing, for a region's overview.
type Standing struct {
	TenantID   uuid.UUID
	Slug, Name string
	Kind       string
	Status     string // effective: past due beyond grace reads suspended
	GraceUntil *time.Time
	PaidBy     string // the payer's name, when another tenant pays
	Reason     string // why exempt
	Seats      int    // the paying account's seats, on its payer's row
}

// RegionStandings lists every PHO and practice of a region with its
// billing standing.
func (s *Service) RegionStandings(ctx context.Context, region uuid.UUID) ([]Standing, error) {
	var rows []struct {
		ID                uuid.UUID
		Slug, Name, Kind  string
		BillingStatus     string
		BillingGraceUntil *time.Time
		PayerName         *string
		PayerID           *uuid.UUID
		Reason            *string
		Seats             *int
	}
	err := s.DB.Platform(ctx, "billing: a region's standings", func(tx *db.Tx) error {
		return tx.Raw(`SELECT t.id, t.slug, t.name, t.kind, t.billing_status, t.billing_grace_until,
			p.name AS payer_name, a.payer_id, e.reason, CASE WHEN a.payer_id = t.id THEN a.seats END AS seats
			FROM tenants t
			LEFT JOIN billing_exemptions e ON e.practice_id = t.id
			LEFT JOIN billing_accounts a ON e.practice_id IS NULL AND a.payer_id IN (t.id, t.parent_id)
			LEFT JOIN tenants p ON p.id = a.payer_id
			WHERE t.region_id = ? AND t.status <> 'archived'
			ORDER BY coalesce(t.parent_id, t.id), CASE t.kind WHEN 'pho' THEN 0 ELSE 1 END, t.name`, region).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("billing.RegionStandings: %w", err)
	}
	now := s.now()
	out := make([]Standing, len(rows))
	for i, r := range rows {
		st := Standing{TenantID: r.ID, Slug: r.Slug, Name: r.Name, Kind: r.Kind,
			Status: Effective(r.BillingStatus, r.BillingGraceUntil, now), GraceUntil: r.BillingGraceUntil}
		if r.PayerName != nil && r.PayerID != nil && *r.PayerID != r.ID {
			st.PaidBy = *r.PayerName
		}
		if r.Reason != nil {
			st.Reason = *r.Reason
		}
		if r.Seats != nil {
			st.Seats = *r.Seats
		}
		out[i] = st
	}
	return out, nil
}

// AccountOfPayer returns the account tenant t pays with, if it has one.
func (s *Service) AccountOfPayer(ctx context.Context, t uuid.UUID) (Account, bool, error) {
	var a Account
	err := s.DB.Platform(ctx, "billing: a payer's account", func(tx *db.Tx) error {
		var err error
		a, err = getAccount(tx, `payer_id = ?`, t)
		return err
	})
	if errors.Is(err, fault.NotFound) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("billing.AccountOfPayer: %w", err)
	}
	return a, true, nil
}
