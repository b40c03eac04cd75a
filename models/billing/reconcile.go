package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/tuhono/tuhono/models/db"
)

// Drift is one difference between Stripe and us for an account.
type Drift struct {
	AccountID uuid.UUID
	Payer     string // the paying tenant's slug
	What      string // "status", "practices", "seats", "subscription"
	Ours      string
	Stripes   string
	Fixed     bool
}

func (d Drift) String() string {
	fixed := ""
	if d.Fixed {
		fixed = " (fixed)"
	}
	return fmt.Sprintf("%s %s: ours %s, Stripe's %s%s", d.Payer, d.What, d.Ours, d.Stripes, fixed)
}

// Reconcile compares every account's subscription at Stripe (its status
// and item quantities) with ours (the status we hold and the quantities we
// count now). With fix, it takes Stripe's status (Stripe is the record of
// payment) and queues a quantity sync where the counts differ (we are the
// record of seats), then runs the worker once.
func (s *Service) Reconcile(ctx context.Context, fix bool) ([]Drift, error) {
	if s.api == nil {
		return nil, fmt.Errorf("billing.Reconcile: %w", ErrDisabled)
	}
	type payer struct {
		Account
		Slug string
	}
	var accounts []payer
	err := s.DB.Platform(ctx, "billing: reconcile with Stripe", func(tx *db.Tx) error {
		var rows []struct {
			ID   uuid.UUID
			Slug string
		}
		if err := tx.Raw(`SELECT a.id, t.slug FROM billing_accounts a JOIN tenants t ON t.id = a.payer_id
			WHERE a.stripe_subscription_id IS NOT NULL ORDER BY t.slug`).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			a, err := getAccount(tx, `id = ?`, r.ID)
			if err != nil {
				return err
			}
			accounts = append(accounts, payer{a, r.Slug})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("billing.Reconcile: %w", err)
	}
	var drifts []Drift
	for _, a := range accounts {
		sub, err := s.api.Subscriptions.Get(a.StripeSubscriptionID, nil)
		if err != nil {
			return drifts, fmt.Errorf("billing.Reconcile: %s: %w", a.Slug, stripeFault(err))
		}
		practices, seats, err := s.Quantities(ctx, a.Account)
		if err != nil {
			return drifts, fmt.Errorf("billing.Reconcile: %w", err)
		}
		theirs := map[string]int64{}
		if sub.Items != nil {
			for _, it := range sub.Items.Data {
				if it != nil && it.Price != nil {
					theirs[it.Price.ID] += it.Quantity
				}
			}
		}
		var found []Drift
		status := statusOf(sub.Status)
		if status != a.Status {
			found = append(found, Drift{AccountID: a.ID, Payer: a.Slug, What: "status", Ours: a.Status, Stripes: string(sub.Status)})
		}
		if int64(practices) != theirs[s.Cfg.PriceBase] {
			found = append(found, Drift{AccountID: a.ID, Payer: a.Slug, What: "practices",
				Ours: fmt.Sprint(practices), Stripes: fmt.Sprint(theirs[s.Cfg.PriceBase])})
		}
		if int64(seats) != theirs[s.Cfg.PriceSeat] {
			found = append(found, Drift{AccountID: a.ID, Payer: a.Slug, What: "seats",
				Ours: fmt.Sprint(seats), Stripes: fmt.Sprint(theirs[s.Cfg.PriceSeat])})
		}
		if fix && len(found) > 0 {
			if err := s.fix(ctx, a.Account, sub); err != nil {
				return drifts, fmt.Errorf("billing.Reconcile: %s: %w", a.Slug, err)
			}
			for i := range found {
				found[i].Fixed = true
			}
		}
		drifts = append(drifts, found...)
	}
	if fix {
		if _, err := s.RunOnce(ctx); err != nil {
			return drifts, fmt.Errorf("billing.Reconcile: %w", err)
		}
	}
	return drifts, nil
}

// fix takes Stripe's status and items, and queues a sync of quantities.
func (s *Service) fix(ctx context.Context, a Account, sub *stripe.Subscription) error {
	return s.DB.Platform(ctx, "billing: fix drift from Stripe", func(tx *db.Tx) error {
		now := s.now().UTC().Truncate(time.Second)
		if _, err := s.applySubscription(tx, a, sub, "reconcile", now); err != nil {
			return err
		}
		return enqueue(tx, a.ID)
	})
}
