package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/reminder"
)

// A hold keeps a slot for a few minutes while a GP confirms with the person.
const (
	DefaultHoldTTL = 5 * time.Minute
	MaxHoldTTL     = 15 * time.Minute
)

// Hold reserves the time like a booking, as status held, until ttl has passed
// (DefaultHoldTTL when zero). Until then it blocks the practitioner's time as
// any booking does; once expired it blocks nothing (see releaseExpiredHolds).
func Hold(ctx context.Context, d *db.DB, actor uuid.UUID, n NewAppointment, ttl time.Duration) (Appointment, []Warning, error) {
	if ttl == 0 {
		ttl = DefaultHoldTTL
	}
	if ttl < time.Second || ttl > MaxHoldTTL {
		return Appointment{}, nil, fmt.Errorf("booking.Hold: %w", fault.InvalidField("ttl", "hold for up to 15 minutes"))
	}
	a, w, err := create(ctx, d, actor, n, StatusHeld, ttl)
	if err != nil {
		return Appointment{}, nil, fmt.Errorf("booking.Hold: %w", err)
	}
	return a, w, nil
}

// Confirm turns an unexpired hold into a booking. An expired hold is a
// conflict: its time may have gone to someone else.
func Confirm(ctx context.Context, d *db.DB, actor, id uuid.UUID) (Appointment, error) {
	a, err := update(ctx, d, actor, id, func(tx *db.Tx, a Appointment) (string, []any, error) {
		if a.Status != StatusHeld {
			return "", nil, fault.New(fault.KindConflict, "only a held appointment can be confirmed", nil)
		}
		// Confirming books the person: a hold made before the practice
		// was suspended lapses instead.
		if err := notSuspended(tx); err != nil {
			return "", nil, err
		}
		var expired bool
		if err := tx.Raw(`SELECT hold_expires_at <= now() FROM appointments WHERE id = ?`, id).Scan(&expired).Error; err != nil {
			return "", nil, err
		}
		if expired {
			return "", nil, fault.New(fault.KindConflict, "the hold has expired: book the time again", nil)
		}
		if err := reminder.Booked(tx, reminder.Appointment{ID: a.ID, PatientID: a.PatientID, StartsAt: a.StartsAt}); err != nil {
			return "", nil, err
		}
		return `status = 'booked', hold_expires_at = NULL`, nil, nil
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("booking.Confirm: %w", err)
	}
	return a, nil
}

// releaseExpiredHolds cancels the practitioner's expired holds overlapping
// [start, end), so that they stop counting to the exclusion constraint. It
// runs in the transaction of the booking that wants the time: an expired hold
// never blocks, and no sweeper has to run first. A hold being confirmed at the
// same moment holds its row lock; this waits for it and then sees it booked.
func releaseExpiredHolds(tx *db.Tx, practitionerID uuid.UUID, start, end time.Time) error {
	return tx.Exec(releaseHolds, releaseArgs(tx, practitionerID, start, end)...).Error
}

// releaseHolds is releaseExpiredHolds' statement, also run as a CTE of the
// booking's overlap lookup. appointments_holds (migration 00021) holds only
// held rows; starts_at is bounded both ways, as no appointment is longer
// than MaxMinutes.
const releaseHolds = `UPDATE appointments
	SET status = 'cancelled', cancelled_at = now(), cancel_reason = ?, updated_at = now()
	WHERE tenant_id = ? AND practitioner_id = ? AND status = 'held' AND hold_expires_at <= now()
	  AND starts_at > ? AND starts_at < ? AND ends_at > ?`

func releaseArgs(tx *db.Tx, practitionerID uuid.UUID, start, end time.Time) []any {
	return []any{ReasonHoldExpired, tx.Tenant.ID, practitionerID,
		start.Add(-MaxMinutes * time.Minute).UTC(), end.UTC(), start.UTC()}
}
