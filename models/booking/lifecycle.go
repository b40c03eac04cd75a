package booking

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/reminder"
)

// Get reads one appointment of the tenant in ctx.
func Get(ctx context.Context, d *db.DB, id uuid.UUID) (Appointment, error) {
	var r row
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT `+columns+` FROM appointments WHERE id = ?`, id).Take(&r).Error
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("booking.Get: %w", err)
	}
	return r.appointment(), nil
}

// SetStatus moves a live appointment along its lifecycle (arrived, in
// session, completed, did not attend). Other moves are a conflict; cancelling
// is Cancel, confirming a hold is Confirm.
func SetStatus(ctx context.Context, d *db.DB, actor, id uuid.UUID, to Status) (Appointment, error) {
	a, err := update(ctx, d, actor, id, func(tx *db.Tx, a Appointment) (string, []any, error) {
		if !CanMove(a.Status, to) {
			return "", nil, fault.New(fault.KindConflict,
				fmt.Sprintf("an appointment that is %s cannot become %s", label(a.Status), label(to)), nil)
		}
		if to == StatusInSession {
			// Introduction-to-seen time ends here, on the database's clock.
			return `status = ?, seen_at = now()`, []any{to}, nil
		}
		return `status = ?`, []any{to}, nil
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("booking.SetStatus: %w", err)
	}
	return a, nil
}

// Cancel cancels a live appointment, recording who and why.
func Cancel(ctx context.Context, d *db.DB, actor, id uuid.UUID, reason string) (Appointment, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Appointment{}, fmt.Errorf("booking.Cancel: %w", err)
	}
	a, err := update(ctx, d, actor, id, func(tx *db.Tx, a Appointment) (string, []any, error) {
		if !a.Status.Live() {
			return "", nil, fault.New(fault.KindConflict, "only a live appointment can be cancelled", nil)
		}
		// Only a booking was confirmed to the person; a hold never was.
		if err := reminder.Cancelled(tx, reminder.Appointment{ID: a.ID, PatientID: a.PatientID, StartsAt: a.StartsAt},
			a.Status == StatusBooked); err != nil {
			return "", nil, err
		}
		return `status = 'cancelled', cancelled_by = ?, cancelled_at = now(), cancel_reason = ?`, []any{actor, reason}, nil
	})
	if err != nil {
		return Appointment{}, fmt.Errorf("booking.Cancel: %w", err)
	}
	return a, nil
}

func checkReason(s string) (string, error) {
	s = norm.NFC.String(strings.TrimSpace(s))
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return "", fault.InvalidField("reason", "must be valid text")
	case s == "" || utf8.RuneCountInString(s) > 500:
		return "", fault.InvalidField("reason", "say why, in up to 500 characters")
	}
	return s, nil
}

// update locks one appointment, asks change for the SET clause, applies it and
// records the change in the audit trail.
func update(ctx context.Context, d *db.DB, actor, id uuid.UUID,
	change func(*db.Tx, Appointment) (string, []any, error)) (Appointment, error) {
	var out Appointment
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		a, err := lock(tx, id)
		if err != nil {
			return err
		}
		set, args, err := change(tx, a)
		if err != nil {
			return err
		}
		var r row
		if err := tx.Raw(`UPDATE appointments SET `+set+`, updated_at = now() WHERE id = ? RETURNING `+columns,
			append(args, id)...).Scan(&r).Error; err != nil {
			return err
		}
		out = r.appointment()
		return audit.Record(tx, audit.Event{Action: audit.ActionRecordUpdate, ActorUserID: actor, PatientID: out.PatientID,
			Object: "appointment", ObjectID: id.String(), Detail: map[string]string{"status": string(out.Status)}})
	})
	return out, err
}

func lock(tx *db.Tx, id uuid.UUID) (Appointment, error) {
	var r row
	if err := tx.Raw(`SELECT `+columns+` FROM appointments WHERE id = ? FOR UPDATE`, id).Take(&r).Error; err != nil {
		return Appointment{}, err
	}
	return r.appointment(), nil
}

func label(s Status) string { return strings.ReplaceAll(string(s), "_", " ") }

// Reschedule moves a booked appointment: the old one is cancelled with the
// reason "rescheduled" and a new one, pointing back to it, takes the new time
// (with the group's attendees, if any). The new time may overlap the old.
func Reschedule(ctx context.Context, d *db.DB, actor, id uuid.UUID, startsAt time.Time, minutes int) (Appointment, []Warning, error) {
	var f fault.Fields
	checkTime(&f, startsAt, minutes)
	if err := f.Err(); err != nil {
		return Appointment{}, nil, fmt.Errorf("booking.Reschedule: %w", err)
	}
	var out Appointment
	var warnings []Warning
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		// The new time is a new appointment, refused like any booking
		// while the practice is suspended; the old one is then left as it
		// was (cancelling it alone is Cancel, which is never refused).
		if err := notSuspended(tx); err != nil {
			return err
		}
		old, err := lock(tx, id)
		if err != nil {
			return err
		}
		if old.Status != StatusBooked {
			return fault.New(fault.KindConflict, "only a booked appointment can be rescheduled", nil)
		}
		if err := tx.Exec(`UPDATE appointments SET status = 'cancelled', cancelled_by = ?, cancelled_at = now(),
			cancel_reason = ?, updated_at = now() WHERE id = ?`, actor, ReasonRescheduled, id).Error; err != nil {
			return err
		}
		ends := startsAt.Add(time.Duration(minutes) * time.Minute)
		if err := releaseExpiredHolds(tx, old.PractitionerID, startsAt, ends); err != nil {
			return err
		}
		if old.PatientID != uuid.Nil {
			if warnings, err = patientOverlaps(tx, old.PatientID, startsAt, ends, uuid.Nil); err != nil {
				return err
			}
		}
		n := NewAppointment{PractitionerID: old.PractitionerID, PatientID: old.PatientID, Kind: old.Kind, Mode: old.Mode,
			ServiceLine: old.ServiceLine, StartsAt: startsAt, Minutes: minutes, Capacity: old.Capacity,
			IntroducedBy: old.IntroducedBy, IntroducedAt: old.IntroducedAt}
		if out, err = insert(tx, actor, n, ends, StatusBooked, 0, id); err != nil {
			return err
		}
		if err := reminder.Rescheduled(tx, id, reminder.Appointment{ID: out.ID, PatientID: out.PatientID, StartsAt: out.StartsAt}); err != nil {
			return err
		}
		if old.Kind == KindGroup {
			if err := tx.Exec(`INSERT INTO appointment_attendees (tenant_id, appointment_id, patient_id, added_by)
				SELECT tenant_id, ?, patient_id, ? FROM appointment_attendees WHERE appointment_id = ?`,
				out.ID, actor, id).Error; err != nil {
				return err
			}
		}
		return audit.Record(tx, audit.Event{Action: audit.ActionRecordUpdate, ActorUserID: actor, PatientID: old.PatientID,
			Object: "appointment", ObjectID: id.String(),
			Detail: map[string]string{"status": string(StatusCancelled), "rescheduled_to": out.ID.String()}})
	})
	if err != nil {
		return Appointment{}, nil, fmt.Errorf("booking.Reschedule: %w", err)
	}
	return out, warnings, nil
}
