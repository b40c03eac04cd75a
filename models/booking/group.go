package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// AddAttendee adds a person to a live group appointment with room left. A
// person already booked elsewhere at that time gets a warning.
func AddAttendee(ctx context.Context, d *db.DB, actor, id, patientID uuid.UUID) ([]Warning, error) {
	var warnings []Warning
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		// A place in a group is a new booking for that person.
		if err := notSuspended(tx); err != nil {
			return err
		}
		a, err := lock(tx, id) // serialises additions: the capacity check cannot race
		if err != nil {
			return err
		}
		if a.Kind != KindGroup {
			return fault.New(fault.KindConflict, "only a group has attendees", nil)
		}
		if !a.Status.Live() {
			return fault.New(fault.KindConflict, "this group is no longer open", nil)
		}
		if err := patientExists(tx, patientID); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM appointment_attendees WHERE appointment_id = ?`, id).Scan(&n).Error; err != nil {
			return err
		}
		if n >= int64(a.Capacity) {
			return fault.New(fault.KindConflict, "the group is full", nil)
		}
		if warnings, err = patientOverlaps(tx, patientID, a.StartsAt, a.EndsAt, id); err != nil {
			return err
		}
		err = tx.Exec(`INSERT INTO appointment_attendees (tenant_id, appointment_id, patient_id, added_by) VALUES (?, ?, ?, ?)`,
			tx.Tenant.ID, id, patientID, actor).Error
		if pgCode(err) == "23505" {
			return fault.New(fault.KindConflict, "this person is already in the group", err)
		}
		if err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: audit.ActionRecordUpdate, ActorUserID: actor, PatientID: patientID,
			Object: "appointment", ObjectID: id.String(), Detail: map[string]string{"attendee": "added"}})
	})
	if err != nil {
		return nil, fmt.Errorf("booking.AddAttendee: %w", err)
	}
	return warnings, nil
}

// FirstVisit reports whether an appointment at the given time would be the
// person's first in the service line: no completed appointment of theirs
// (their own or a group they attended) in that line started before it.
// Otherwise it is a follow-up. Cancelled and missed appointments do not count.
func FirstVisit(ctx context.Context, d *db.DB, patientID uuid.UUID, line ServiceLine, at time.Time) (bool, error) {
	if roleFor(line) == "" {
		return false, fmt.Errorf("booking.FirstVisit: %w", fault.InvalidField("service_line", "choose HIP, Health Coach or Support Worker"))
	}
	var first bool
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT NOT EXISTS (SELECT 1 FROM appointments a
			WHERE a.status = 'completed' AND a.service_line = ? AND a.starts_at < ?
			  AND (a.patient_id = ? OR EXISTS (SELECT 1 FROM appointment_attendees aa
			       WHERE aa.tenant_id = a.tenant_id AND aa.appointment_id = a.id AND aa.patient_id = ?)))`,
			line, at.UTC(), patientID, patientID).Scan(&first).Error
	})
	if err != nil {
		return false, fmt.Errorf("booking.FirstVisit: %w", err)
	}
	return first, nil
}
