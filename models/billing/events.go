package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Outcomes of Apply.
const (
	OutcomeApplied   = "applied"
	OutcomeDuplicate = "duplicate"        // delivered before: nothing done
	OutcomeOlder     = "older"            // older than the state held: recorded, not applied
	OutcomeUnknown   = "unknown customer" // no account of ours: nothing done
	OutcomeIgnored   = "ignored"          // a type or object we do not act on
)

// Handled are the event types Apply acts on; others are acknowledged and
// ignored.
var Handled = []string{"checkout.session.completed", "customer.subscription.created",
	"customer.subscription.updated", "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed"}

// Apply applies a verified Stripe event once. Its id goes into
// stripe_events under a unique key in the same transaction as its effect,
// so a second delivery, however concurrent, waits for the first and then
// does nothing. An event older than the state the account holds (Stripe
// does not deliver in order) is recorded but changes nothing. An event for
// a customer we do not know changes nothing at all.
func (s *Service) Apply(ctx context.Context, ev stripe.Event) (string, error) {
	if ev.ID == "" || ev.Data == nil {
		return "", fmt.Errorf("billing.Apply: %w", fault.InvalidField("event", "an event without an id or data"))
	}
	var customer, reference string
	var sub *stripe.Subscription
	var inv *stripe.Invoice
	var session *stripe.CheckoutSession
	switch ev.Type {
	case "checkout.session.completed":
		session = &stripe.CheckoutSession{}
		if err := json.Unmarshal(ev.Data.Raw, session); err != nil {
			return "", fmt.Errorf("billing.Apply: %w", fault.InvalidField("event", "not a checkout session"))
		}
		if session.Customer != nil {
			customer = session.Customer.ID
		}
		reference = session.ClientReferenceID
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		sub = &stripe.Subscription{}
		if err := json.Unmarshal(ev.Data.Raw, sub); err != nil || sub.ID == "" {
			return "", fmt.Errorf("billing.Apply: %w", fault.InvalidField("event", "not a subscription"))
		}
		if sub.Customer != nil {
			customer = sub.Customer.ID
		}
	case "invoice.paid", "invoice.payment_failed":
		inv = &stripe.Invoice{}
		if err := json.Unmarshal(ev.Data.Raw, inv); err != nil || inv.ID == "" {
			return "", fmt.Errorf("billing.Apply: %w", fault.InvalidField("event", "not an invoice"))
		}
		if inv.Customer != nil {
			customer = inv.Customer.ID
		}
	default:
		return OutcomeIgnored, nil
	}
	at := time.Unix(ev.Created, 0).UTC()
	outcome := OutcomeUnknown
	err := s.DB.Platform(ctx, "billing: apply a Stripe event", func(tx *db.Tx) error {
		a, err := accountOf(tx, customer, reference)
		if errors.Is(err, fault.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// Lock the account: events of one account apply one at a time.
		if err := tx.Exec(`SELECT 1 FROM billing_accounts WHERE id = ? FOR UPDATE`, a.ID).Error; err != nil {
			return err
		}
		var inserted []string
		if err := tx.Raw(`INSERT INTO stripe_events (id, type, created, account_id, outcome) VALUES (?, ?, ?, ?, 'received')
			ON CONFLICT (id) DO NOTHING RETURNING id`, ev.ID, ev.Type, at, a.ID).Scan(&inserted).Error; err != nil {
			return err
		}
		if len(inserted) == 0 {
			outcome = OutcomeDuplicate
			return nil
		}
		if a, err = getAccount(tx, `id = ?`, a.ID); err != nil {
			return err
		}
		switch {
		case session != nil:
			outcome, err = s.applySession(tx, a, session)
		case sub != nil:
			outcome, err = s.applySubscription(tx, a, sub, string(ev.Type), at)
		default:
			outcome, err = s.applyInvoice(tx, a, inv, string(ev.Type), at)
		}
		if err != nil {
			return err
		}
		return tx.Exec(`UPDATE stripe_events SET outcome = ? WHERE id = ?`, outcome, ev.ID).Error
	})
	if err != nil {
		return "", fmt.Errorf("billing.Apply: %w", err)
	}
	return outcome, nil
}

// accountOf finds the account of a Stripe customer, or of a Checkout
// session's client reference (our account id).
func accountOf(tx *db.Tx, customer, reference string) (Account, error) {
	if customer != "" {
		a, err := getAccount(tx, `stripe_customer_id = ?`, customer)
		if !errors.Is(err, fault.NotFound) {
			return a, err
		}
	}
	if id, err := uuid.Parse(reference); err == nil && reference != "" {
		return getAccount(tx, `id = ?`, id)
	}
	return Account{}, fault.NotFound
}

// applySession: Checkout finished; the subscription it made is ours.
func (s *Service) applySession(tx *db.Tx, a Account, cs *stripe.CheckoutSession) (string, error) {
	if cs.Subscription == nil || cs.Subscription.ID == "" {
		return OutcomeIgnored, nil
	}
	if a.StripeSubscriptionID != "" && a.StripeSubscriptionID != cs.Subscription.ID && a.Status != StatusCanceled {
		return "ignored: the account already has a live subscription", nil
	}
	err := tx.Exec(`UPDATE billing_accounts SET stripe_subscription_id = ?, updated_at = now() WHERE id = ?`,
		cs.Subscription.ID, a.ID).Error
	if err != nil {
		return "", err
	}
	return OutcomeApplied, enqueue(tx, a.ID)
}

// statusOf maps a subscription's status to ours.
func statusOf(st stripe.SubscriptionStatus) string {
	switch st {
	case stripe.SubscriptionStatusTrialing:
		return StatusTrialing
	case stripe.SubscriptionStatusActive:
		return StatusActive
	case stripe.SubscriptionStatusPastDue, stripe.SubscriptionStatusUnpaid:
		return StatusPastDue
	case stripe.SubscriptionStatusPaused:
		return StatusSuspended
	case stripe.SubscriptionStatusCanceled, stripe.SubscriptionStatusIncompleteExpired:
		return StatusCanceled
	}
	return StatusIncomplete
}

func (s *Service) applySubscription(tx *db.Tx, a Account, sub *stripe.Subscription, typ string, at time.Time) (string, error) {
	if a.StripeSubscriptionID != "" && a.StripeSubscriptionID != sub.ID && a.Status != StatusCanceled {
		return "ignored: another subscription of this customer", nil
	}
	if a.StateAt != nil && at.Before(*a.StateAt) {
		return OutcomeOlder, nil
	}
	status := statusOf(sub.Status)
	if typ == "customer.subscription.deleted" {
		status = StatusCanceled
	}
	next := s.transition(a, status, at)
	var base, seat *string
	practices, seats := a.Practices, a.Seats
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			if it == nil || it.Price == nil {
				continue
			}
			switch it.Price.ID {
			case s.Cfg.PriceBase:
				base, practices = stripe.String(it.ID), int(it.Quantity)
			case s.Cfg.PriceSeat:
				seat, seats = stripe.String(it.ID), int(it.Quantity)
			}
		}
	}
	err := tx.Exec(`UPDATE billing_accounts SET stripe_subscription_id = ?, status = ?, stripe_status = ?, state_at = ?,
		past_due_since = ?, grace_until = ?, trial_end = ?, current_period_end = ?,
		base_item_id = coalesce(?, base_item_id), seat_item_id = coalesce(?, seat_item_id),
		practices = ?, seats = ?, updated_at = now() WHERE id = ?`,
		sub.ID, next.Status, string(sub.Status), at, next.PastDueSince, next.GraceUntil, unix(sub.TrialEnd),
		unix(sub.CurrentPeriodEnd), base, seat, practices, seats, a.ID).Error
	if err != nil {
		return "", err
	}
	if a, err = getAccount(tx, `id = ?`, a.ID); err != nil {
		return "", err
	}
	if err := setStandings(tx, a); err != nil {
		return "", err
	}
	// Stripe's quantities may lag ours (a subscription made at Checkout
	// with the counts of that moment): the worker compares and syncs.
	return OutcomeApplied, enqueue(tx, a.ID)
}

func (s *Service) applyInvoice(tx *db.Tx, a Account, inv *stripe.Invoice, typ string, at time.Time) (string, error) {
	var url any
	if inv.HostedInvoiceURL != "" {
		url = inv.HostedInvoiceURL
	}
	status := string(inv.Status)
	switch {
	case typ == "invoice.paid":
		status = "paid"
	case status == "":
		status = "open"
	}
	err := tx.Exec(`INSERT INTO billing_invoices (id, account_id, number, status, currency, amount_due, amount_paid,
			hosted_invoice_url, period_start, period_end, created, state_at)
		VALUES (?, ?, nullif(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number, status = EXCLUDED.status,
			amount_due = EXCLUDED.amount_due, amount_paid = EXCLUDED.amount_paid,
			hosted_invoice_url = EXCLUDED.hosted_invoice_url, state_at = EXCLUDED.state_at
		WHERE billing_invoices.state_at <= EXCLUDED.state_at`,
		inv.ID, a.ID, inv.Number, status, cmpOr(string(inv.Currency), "nzd"), inv.AmountDue, inv.AmountPaid, url,
		unix(inv.PeriodStart), unix(inv.PeriodEnd), time.Unix(inv.Created, 0).UTC(), at).Error
	if err != nil {
		return "", err
	}
	if a.StateAt != nil && at.Before(*a.StateAt) {
		return OutcomeOlder, nil
	}
	status = a.Status
	switch {
	case typ == "invoice.payment_failed" && (a.Status == StatusActive || a.Status == StatusTrialing):
		status = StatusPastDue
	case typ == "invoice.paid" && (a.Status == StatusPastDue || a.Status == StatusSuspended):
		status = StatusActive
	default:
		return OutcomeApplied, nil
	}
	next := s.transition(a, status, at)
	if err := tx.Exec(`UPDATE billing_accounts SET status = ?, state_at = ?, past_due_since = ?, grace_until = ?,
		updated_at = now() WHERE id = ?`, next.Status, at, next.PastDueSince, next.GraceUntil, a.ID).Error; err != nil {
		return "", err
	}
	a.Status, a.GraceUntil = next.Status, next.GraceUntil
	return OutcomeApplied, setStandings(tx, a)
}

// transition moves a to status at time at: entering past_due starts the
// grace period (kept while it stays past due); leaving it ends it.
func (s *Service) transition(a Account, status string, at time.Time) Account {
	a.Status = status
	if status != StatusPastDue {
		a.PastDueSince, a.GraceUntil = nil, nil
		return a
	}
	if a.PastDueSince == nil {
		since := at
		a.PastDueSince = &since
	}
	until := a.PastDueSince.Add(s.Cfg.grace())
	a.GraceUntil = &until
	return a
}

func unix(sec int64) *time.Time {
	if sec == 0 {
		return nil
	}
	t := time.Unix(sec, 0).UTC()
	return &t
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// enqueue asks the worker to bring Stripe's quantities for account id in
// step with ours: one pending job per account; a newer request moves
// requested_at so a sync already under way runs again.
func enqueue(tx *db.Tx, id uuid.UUID) error {
	return tx.Exec(`INSERT INTO billing_jobs (account_id) VALUES (?)
		ON CONFLICT (account_id) DO UPDATE SET requested_at = clock_timestamp(),
			next_attempt_at = least(billing_jobs.next_attempt_at, now())`, id).Error
}
