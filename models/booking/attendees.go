package booking

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// Attendees lists the people in a group appointment, in the order they were
// added. It returns ids only: a page that shows names reads each person
// through patient.Get, which audits the read.
func Attendees(ctx context.Context, d *db.DB, id uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT patient_id FROM appointment_attendees WHERE appointment_id = ? ORDER BY added_at, patient_id`,
			id).Scan(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("booking.Attendees: %w", db.Translate(err))
	}
	return out, nil
}
