package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Reason is why time is taken out of a schedule.
type Reason string

const (
	ReasonLeave    Reason = "leave"
	ReasonTraining Reason = "training"
	ReasonSick     Reason = "sick"
	ReasonOther    Reason = "other"
)

func (r Reason) valid() bool {
	return r == ReasonLeave || r == ReasonTraining || r == ReasonSick || r == ReasonOther
}

// MaxException bounds one exception; longer absences are a change of
// template (or the end of one).
const MaxException = 366 * 24 * time.Hour

// NewException takes [StartsAt, EndsAt) out of a practitioner's schedule.
type NewException struct {
	PractitionerID uuid.UUID
	StartsAt       time.Time
	EndsAt         time.Time
	Reason         Reason
}

// Exception is a stored exception; times are UTC.
type Exception struct {
	ID             uuid.UUID
	PractitionerID uuid.UUID
	StartsAt       time.Time
	EndsAt         time.Time
	Reason         Reason
	CreatedBy      uuid.UUID
	CreatedAt      time.Time
}

// Validate checks the exception's own fields.
func (n NewException) Validate() error {
	var f fault.Fields
	if n.PractitionerID == uuid.Nil {
		f.Add("practitioner_id", "choose a practitioner")
	}
	if !n.Reason.valid() {
		f.Add("reason", "choose leave, training, sick or other")
	}
	switch {
	case n.StartsAt.IsZero() || n.EndsAt.IsZero():
		f.Add("starts_at", "choose a start and an end")
	case !n.StartsAt.Truncate(time.Minute).Equal(n.StartsAt) || !n.EndsAt.Truncate(time.Minute).Equal(n.EndsAt):
		f.Add("starts_at", "start and end on a whole minute")
	case !n.EndsAt.After(n.StartsAt):
		f.Add("ends_at", "the end must come after the start")
	case n.EndsAt.Sub(n.StartsAt) > MaxException:
		f.Add("ends_at", "at most a year at a time")
	}
	return f.Err()
}

// AddException records time out of a practitioner's schedule in the tenant of
// ctx. Exceptions may overlap one another (a sick day during training): their
// union is what Expand removes.
func AddException(ctx context.Context, d *db.DB, actor uuid.UUID, n NewException) (Exception, error) {
	if err := n.Validate(); err != nil {
		return Exception{}, fmt.Errorf("schedule.AddException: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Exception{}, fmt.Errorf("schedule.AddException: %w", err)
	}
	e := Exception{ID: id, PractitionerID: n.PractitionerID, StartsAt: n.StartsAt.UTC(), EndsAt: n.EndsAt.UTC(),
		Reason: n.Reason, CreatedBy: actor}
	err = d.InTenant(ctx, func(tx *db.Tx) error {
		if err := checkPractitioner(tx, n.PractitionerID); err != nil {
			return err
		}
		var created struct{ CreatedAt time.Time }
		if err := tx.Raw(`INSERT INTO schedule_exceptions (tenant_id, id, practitioner_id, starts_at, ends_at, reason, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING created_at`,
			tx.Tenant.ID, e.ID, e.PractitionerID, e.StartsAt, e.EndsAt, string(e.Reason), actor).Scan(&created).Error; err != nil {
			return err
		}
		e.CreatedAt = created.CreatedAt
		return nil
	})
	if err != nil {
		return Exception{}, fmt.Errorf("schedule.AddException: %w", db.Translate(err))
	}
	return e, nil
}

type exceptionRow struct {
	StartsAt time.Time
	EndsAt   time.Time
}

// loadExceptions reads the spans of a practitioner's exceptions overlapping
// [from, to).
func loadExceptions(tx *db.Tx, practitionerID uuid.UUID, from, to time.Time) ([]span, error) {
	var rows []exceptionRow
	if err := tx.Raw(`SELECT starts_at, ends_at FROM schedule_exceptions
		WHERE practitioner_id = ? AND starts_at < ? AND ends_at > ? ORDER BY starts_at`,
		practitionerID, to, from).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]span, len(rows))
	for i, r := range rows {
		out[i] = span{r.StartsAt.UTC(), r.EndsAt.UTC()}
	}
	return out, nil
}
