package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// Covers reports whether the template applies on the civil date (midnight
// UTC of a day of the tenant's calendar).
func (t Template) Covers(date time.Time) bool { return t.covers(civil(date)) }

// MaxUpcoming bounds one listing of exceptions: a page shows the next few.
const MaxUpcoming = 50

// Upcoming lists a practitioner's exceptions here that have not ended by
// from, soonest first: the leave and training a schedule page shows.
func Upcoming(ctx context.Context, d *db.DB, practitionerID uuid.UUID, from time.Time) ([]Exception, error) {
	var rows []struct {
		ID             uuid.UUID
		PractitionerID uuid.UUID
		StartsAt       time.Time
		EndsAt         time.Time
		Reason         string
		CreatedBy      uuid.UUID
		CreatedAt      time.Time
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT id, practitioner_id, starts_at, ends_at, reason, created_by, created_at
			FROM schedule_exceptions WHERE practitioner_id = ? AND ends_at > ? ORDER BY starts_at, id LIMIT ?`,
			practitionerID, from.UTC(), MaxUpcoming).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("schedule.Upcoming: %w", db.Translate(err))
	}
	out := make([]Exception, len(rows))
	for i, r := range rows {
		out[i] = Exception{ID: r.ID, PractitionerID: r.PractitionerID, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(),
			Reason: Reason(r.Reason), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
	}
	return out, nil
}
