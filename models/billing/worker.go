package billing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Effective is the standing an account's payer and practices have now:
// past due beyond its grace reads as suspended.
func (a Account) Effective(now time.Time) string { return Effective(a.Status, a.GraceUntil, now) }

// lease is how long a claimed job is held before another worker may take
// it (a worker that died mid-call).
const lease = 2 * time.Minute

// backoff is the wait before attempt n+1 of a failed sync: 10 s doubling to
// an hour.
func backoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

type job struct {
	AccountID   uuid.UUID
	RequestedAt time.Time
	Attempts    int
}

// RunOnce turns seat-change marks into jobs, then runs every due job:
// one Stripe update per account carrying the quantities counted after the
// marks were taken, with an idempotency key per request and quantity, so a
// retry after a crash is answered from Stripe's record. It returns how
// many accounts were synced.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	var jobs []job
	err := s.DB.Platform(ctx, "billing: claim quantity syncs", func(tx *db.Tx) error {
		// Marks of exempt practices, or of practices no account pays for,
		// are dropped with the rest: they are counted when an account is.
		if err := tx.Exec(`WITH m AS (DELETE FROM billing_seat_changes RETURNING practice_id)
			INSERT INTO billing_jobs (account_id)
			SELECT DISTINCT a.id FROM m JOIN tenants t ON t.id = m.practice_id
			JOIN billing_accounts a ON a.payer_id IN (t.id, t.parent_id)
			WHERE NOT EXISTS (SELECT 1 FROM billing_exemptions e WHERE e.practice_id = t.id)
			ON CONFLICT (account_id) DO UPDATE SET requested_at = clock_timestamp(),
				next_attempt_at = least(billing_jobs.next_attempt_at, now())`).Error; err != nil {
			return err
		}
		return tx.Raw(`UPDATE billing_jobs j SET next_attempt_at = now() + make_interval(secs => ?)
			FROM (SELECT account_id FROM billing_jobs WHERE next_attempt_at <= now()
			      ORDER BY next_attempt_at LIMIT 50 FOR UPDATE SKIP LOCKED) due
			WHERE j.account_id = due.account_id
			RETURNING j.account_id, j.requested_at, j.attempts`, lease.Seconds()).Scan(&jobs).Error
	})
	if err != nil {
		return 0, fmt.Errorf("billing.RunOnce: %w", err)
	}
	synced := 0
	for _, j := range jobs {
		if err := s.sync(ctx, j); err != nil {
			s.Log.WarnContext(ctx, "billing sync failed", "account", j.AccountID, "attempt", j.Attempts+1, "err", err)
			if ferr := s.failed(ctx, j, err); ferr != nil {
				return synced, fmt.Errorf("billing.RunOnce: %w", ferr)
			}
			continue
		}
		synced++
	}
	return synced, nil
}

func (s *Service) sync(ctx context.Context, j job) error {
	var a Account
	if err := s.DB.Platform(ctx, "billing: read an account to sync", func(tx *db.Tx) error {
		var err error
		a, err = getAccount(tx, `id = ?`, j.AccountID)
		return err
	}); err != nil {
		return err
	}
	practices, seats, err := s.Quantities(ctx, a)
	if err != nil {
		return err
	}
	// Nothing to send yet (no subscription, or Stripe has not told us its
	// items), or nothing to change: done.
	send := s.api != nil && a.StripeSubscriptionID != "" && a.BaseItemID != "" && a.SeatItemID != "" &&
		a.Status != StatusCanceled && (practices != a.Practices || seats != a.Seats)
	if send {
		params := &stripe.SubscriptionParams{
			Items: []*stripe.SubscriptionItemsParams{
				{ID: stripe.String(a.BaseItemID), Quantity: stripe.Int64(int64(practices))},
				{ID: stripe.String(a.SeatItemID), Quantity: stripe.Int64(int64(seats))},
			},
			ProrationBehavior: stripe.String("create_prorations"),
		}
		params.SetIdempotencyKey("quantities-" + a.ID.String() + "-" + strconv.FormatInt(j.RequestedAt.UnixMicro(), 10) +
			"-" + strconv.Itoa(practices) + "-" + strconv.Itoa(seats))
		if _, err := s.api.Subscriptions.Update(a.StripeSubscriptionID, params); err != nil {
			return stripeFault(err)
		}
	}
	return s.DB.Platform(ctx, "billing: record a quantity sync", func(tx *db.Tx) error {
		if send {
			if err := tx.Exec(`UPDATE billing_accounts SET practices = ?, seats = ?, synced_at = now(), updated_at = now()
				WHERE id = ?`, practices, seats, a.ID).Error; err != nil {
				return err
			}
		}
		// Done, unless another change asked since this one was claimed:
		// then it runs again at once with the newer counts.
		res := tx.Exec(`DELETE FROM billing_jobs WHERE account_id = ? AND requested_at = ?`, a.ID, j.RequestedAt)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return tx.Exec(`UPDATE billing_jobs SET next_attempt_at = now(), attempts = 0, last_error = NULL
				WHERE account_id = ?`, a.ID).Error
		}
		return nil
	})
}

func (s *Service) failed(ctx context.Context, j job, cause error) error {
	msg := cause.Error()
	var fe *fault.Error
	if errors.As(cause, &fe) {
		msg = fe.Message
	}
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	return s.DB.Platform(ctx, "billing: record a failed sync", func(tx *db.Tx) error {
		return tx.Exec(`UPDATE billing_jobs SET attempts = attempts + 1, last_error = ?,
			next_attempt_at = now() + make_interval(secs => ?) WHERE account_id = ?`,
			msg, backoff(j.Attempts+1).Seconds(), j.AccountID).Error
	})
}

// Run syncs every few seconds until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "billing worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
