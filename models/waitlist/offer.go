package waitlist

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Slot is a freed piece of a practitioner's time.
type Slot struct {
	PractitionerID uuid.UUID
	ServiceLine    booking.ServiceLine
	StartsAt       time.Time
	EndsAt         time.Time
}

// TopMatches is how many entries a freed slot is offered to.
const TopMatches = 5

// Matches lists the top open entries for a freed slot, most urgent and oldest
// first: the service line's entries for anyone or for this practitioner,
// whose preferred times fit the slot's start in the practice's zone, and whose
// person has no live appointment overlapping it.
func Matches(ctx context.Context, d *db.DB, s Slot) ([]Entry, error) {
	if s.PractitionerID == uuid.Nil || s.StartsAt.IsZero() || !s.EndsAt.After(s.StartsAt) {
		return nil, fmt.Errorf("waitlist.Matches: %w", fault.InvalidField("slot", "a slot needs a practitioner, a start and a later end"))
	}
	var out []Entry
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = matches(tx, s)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("waitlist.Matches: %w", err)
	}
	return out, nil
}

// matches runs one statement (it may be a ReadInTenant's only one) and
// filters preferences in Go, where the zone's weekday and hour are exact.
func matches(tx *db.Tx, s Slot) ([]Entry, error) {
	var rows []row
	err := tx.Raw(`SELECT `+columns+from+`
		WHERE w.status = 'open' AND w.service_line = ? AND (w.practitioner_id IS NULL OR w.practitioner_id = ?)
		  AND NOT EXISTS (SELECT 1 FROM appointments a
		      WHERE a.tenant_id = w.tenant_id AND a.status IN ('held', 'booked', 'arrived', 'in_session')
		        AND tstzrange(a.starts_at, a.ends_at) && tstzrange(?, ?)
		        AND (a.patient_id = w.patient_id OR EXISTS (SELECT 1 FROM appointment_attendees aa
		             WHERE aa.tenant_id = a.tenant_id AND aa.appointment_id = a.id AND aa.patient_id = w.patient_id)))
		ORDER BY `+order, s.ServiceLine, s.PractitionerID, s.StartsAt.UTC(), s.EndsAt.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	loc := tx.Tenant.Location()
	var out []Entry
	for _, r := range rows {
		e := r.entry()
		if Fits(e.Preferred, s.StartsAt, loc) {
			out = append(out, e)
		}
		if len(out) == TopMatches {
			break
		}
	}
	return out, nil
}

// Offer is what the practice sees after a cancellation: the freed time,
// whether it is still free, and the entries it could go to.
type Offer struct {
	Freed   booking.Appointment // the cancelled appointment
	Slot    Slot
	Free    bool // no live appointment of the practitioner overlaps it now
	Matches []Entry
}

// OffersFor works out the offer for a cancelled appointment. A live
// appointment frees nothing (a conflict); a group's time is not offered one
// person at a time (invalid); a foreign id is not found.
func OffersFor(ctx context.Context, d *db.DB, appointmentID uuid.UUID) (Offer, error) {
	var o Offer
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		o, err = offer(tx, appointmentID)
		return err
	})
	if err != nil {
		return Offer{}, fmt.Errorf("waitlist.OffersFor: %w", err)
	}
	return o, nil
}

func offer(tx *db.Tx, appointmentID uuid.UUID) (Offer, error) {
	a, err := freed(tx, appointmentID)
	if err != nil {
		return Offer{}, err
	}
	o := Offer{Freed: a, Slot: Slot{PractitionerID: a.PractitionerID, ServiceLine: a.ServiceLine, StartsAt: a.StartsAt, EndsAt: a.EndsAt}}
	var taken int64
	if err := tx.Raw(`SELECT count(*) FROM appointments WHERE practitioner_id = ?
		AND status IN ('booked', 'arrived', 'in_session') AND tstzrange(starts_at, ends_at) && tstzrange(?, ?)`,
		a.PractitionerID, a.StartsAt, a.EndsAt).Scan(&taken).Error; err != nil {
		return Offer{}, err
	}
	// An unexpired hold also takes the time, but an expired one is released
	// by the booking itself: count only the live holds.
	var held int64
	if err := tx.Raw(`SELECT count(*) FROM appointments WHERE practitioner_id = ? AND status = 'held'
		AND hold_expires_at > now() AND tstzrange(starts_at, ends_at) && tstzrange(?, ?)`,
		a.PractitionerID, a.StartsAt, a.EndsAt).Scan(&held).Error; err != nil {
		return Offer{}, err
	}
	o.Free = taken+held == 0
	if !o.Free {
		return o, nil
	}
	o.Matches, err = matches(tx, o.Slot)
	return o, err
}

// freed reads a cancelled, one-person appointment.
func freed(tx *db.Tx, id uuid.UUID) (booking.Appointment, error) {
	var r struct {
		ID             uuid.UUID
		PractitionerID uuid.UUID
		Kind           string
		Mode           string
		ServiceLine    string
		StartsAt       time.Time
		EndsAt         time.Time
		Status         string
		CancelReason   *string
	}
	if err := tx.Raw(`SELECT id, practitioner_id, kind, mode, service_line, starts_at, ends_at, status, cancel_reason
		FROM appointments WHERE id = ?`, id).Take(&r).Error; err != nil {
		return booking.Appointment{}, err
	}
	if booking.Status(r.Status) != booking.StatusCancelled {
		return booking.Appointment{}, fault.New(fault.KindConflict, "this appointment is not cancelled: its time is not free", nil)
	}
	if booking.Kind(r.Kind) == booking.KindGroup {
		return booking.Appointment{}, fault.InvalidField("appointment_id", "a group's time is not offered from the waitlist")
	}
	a := booking.Appointment{ID: r.ID, PractitionerID: r.PractitionerID, Kind: booking.Kind(r.Kind), Mode: booking.Mode(r.Mode),
		ServiceLine: booking.ServiceLine(r.ServiceLine), StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), Status: booking.StatusCancelled}
	if r.CancelReason != nil {
		a.CancelReason = *r.CancelReason
	}
	return a, nil
}

// ErrTaken: the freed time was booked by someone else meanwhile.
var ErrTaken = fault.New(fault.KindConflict, "that time has been taken meanwhile: choose another entry or time", nil)

// BookFromWaitlist books an entry's person into the time a cancelled
// appointment freed, with the same practitioner, service line, mode and
// length, and takes the entry off the list.
//
// booking.Book owns its transaction, so this is two steps made to act as
// one: book first (the exclusion constraint decides a race for the time:
// ErrTaken), then close the entry only if it is still open; if it was booked
// or withdrawn meanwhile, the new appointment is cancelled again and the
// caller gets a conflict. A crash between the steps leaves the person booked
// and still listed, which the practice sees, never listed as booked without
// an appointment.
func BookFromWaitlist(ctx context.Context, d *db.DB, actor, entryID, appointmentID uuid.UUID) (booking.Appointment, []booking.Warning, error) {
	a, w, err := bookFromWaitlist(ctx, d, actor, entryID, appointmentID, time.Now())
	if err != nil {
		return booking.Appointment{}, nil, fmt.Errorf("waitlist.BookFromWaitlist: %w", err)
	}
	return a, w, nil
}

func bookFromWaitlist(ctx context.Context, d *db.DB, actor, entryID, appointmentID uuid.UUID, now time.Time) (booking.Appointment, []booking.Warning, error) {
	var e Entry
	var old booking.Appointment
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		if e, err = load(tx, entryID, false); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return booking.Appointment{}, nil, err
	}
	err = d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		old, err = freed(tx, appointmentID)
		return err
	})
	if err != nil {
		return booking.Appointment{}, nil, err
	}
	switch {
	case e.Status != StatusOpen:
		return booking.Appointment{}, nil, fault.New(fault.KindConflict, "this entry is no longer on the waitlist", nil)
	case e.ServiceLine != old.ServiceLine:
		return booking.Appointment{}, nil, fault.InvalidField("entry_id", "this person is waiting for another service")
	case e.PractitionerID != uuid.Nil && e.PractitionerID != old.PractitionerID:
		return booking.Appointment{}, nil, fault.InvalidField("entry_id", "this person is waiting for another practitioner")
	case !old.StartsAt.After(now):
		return booking.Appointment{}, nil, fault.New(fault.KindConflict, "that time has passed", nil)
	}
	a, w, err := booking.Book(ctx, d, actor, booking.NewAppointment{PractitionerID: old.PractitionerID, PatientID: e.PatientID,
		Kind: booking.KindBooked, Mode: old.Mode, ServiceLine: old.ServiceLine, StartsAt: old.StartsAt, Minutes: old.Minutes()})
	// A suspended practice's refusal keeps its own words: the time is not
	// taken, new bookings are paused (and the entry stays on the list).
	if errors.Is(err, fault.Conflict) && !errors.Is(err, billing.ErrSuspended) {
		return booking.Appointment{}, nil, ErrTaken
	}
	if err != nil {
		return booking.Appointment{}, nil, err
	}
	closed := false
	err = d.InTenant(ctx, func(tx *db.Tx) error {
		res := tx.Exec(`UPDATE waitlist_entries SET status = 'booked', appointment_id = ?, closed_by = ?, closed_at = now(),
			updated_at = now() WHERE id = ? AND status = 'open'`, a.ID, actor, entryID)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		closed = true
		e, err := load(tx, entryID, false)
		if err != nil {
			return err
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordUpdate, actor, e, "booked from the waitlist"))
	})
	if err == nil && closed {
		return a, w, nil
	}
	if _, cerr := booking.Cancel(ctx, d, actor, a.ID, "waitlist entry closed meanwhile"); cerr != nil {
		return booking.Appointment{}, nil, errors.Join(err, cerr)
	}
	if err != nil {
		return booking.Appointment{}, nil, err
	}
	return booking.Appointment{}, nil, fault.New(fault.KindConflict, "this entry was booked or withdrawn meanwhile", nil)
}
