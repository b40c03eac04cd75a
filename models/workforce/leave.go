package workforce

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Leave is whole days a practitioner did not work, StartsOn to EndsOn
// inclusive (midnight UTC standing for local days).
type Leave struct {
	ID, UserID       uuid.UUID
	Kind             string
	StartsOn, EndsOn time.Time
}

// Kinds of leave, in display order. A regional anniversary day is leave of
// kind "anniversary": it is not a national public holiday.
var Kinds = []string{"annual", "sick", "training", "parental", "anniversary", "other"}

// maxLeaveDays is the longest one record of leave may be (the table's CHECK).
const maxLeaveDays = 400

type leaveRow struct {
	ID       uuid.UUID
	UserID   uuid.UUID
	Kind     string
	StartsOn time.Time
	EndsOn   time.Time
}

func (r leaveRow) leave() Leave {
	return Leave{ID: r.ID, UserID: r.UserID, Kind: r.Kind, StartsOn: r.StartsOn.UTC(), EndsOn: r.EndsOn.UTC()}
}

// AddLeave records leave of a practitioner of the tenant in ctx from one day
// to another, both included. Leave overlapping leave already recorded for
// the person is refused as a conflict naming the days it meets.
func AddLeave(ctx context.Context, d *db.DB, actor, userID uuid.UUID, kind string, from, to time.Time) (Leave, error) {
	var f fault.Fields
	from, to = dayOf(from), dayOf(to)
	if !slices.Contains(Kinds, kind) {
		f.Add("kind", "choose annual, sick, training, parental, anniversary or other leave")
	}
	validDay(&f, "from", from, "enter the first day of leave")
	validDay(&f, "to", to, "enter the last day of leave")
	switch {
	case from.IsZero() || to.IsZero():
	case to.Before(from):
		f.Add("to", "must be on or after the first day")
	case !to.Before(from.AddDate(0, 0, maxLeaveDays)):
		f.Add("to", fmt.Sprintf("one record of leave is at most %d days: record longer leave in parts", maxLeaveDays))
	}
	if err := f.Err(); err != nil {
		return Leave{}, fmt.Errorf("workforce.AddLeave: %w", err)
	}
	l := leaveRow{ID: uuid.Must(uuid.NewV7()), UserID: userID, Kind: kind, StartsOn: from, EndsOn: to}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		m, ok, err := memberOf(tx, userID)
		if err != nil {
			return err
		}
		if !ok || !slices.ContainsFunc(m.Roles, func(r string) bool { return slices.Contains(Lines, r) }) {
			return fault.InvalidField("user", "choose a practitioner of this practice")
		}
		var met []leaveRow
		if err := tx.Raw(`SELECT id, user_id, kind, starts_on, ends_on FROM workforce_leave
			WHERE user_id = ? AND starts_on <= ? AND ends_on >= ? ORDER BY starts_on LIMIT 1`, userID, to, from).
			Scan(&met).Error; err != nil {
			return err
		}
		if len(met) > 0 {
			return fault.New(fault.KindConflict, fmt.Sprintf("this overlaps leave already recorded from %s to %s",
				showDay(met[0].StartsOn), showDay(met[0].EndsOn)), nil)
		}
		if err := tx.Exec(`INSERT INTO workforce_leave (tenant_id, id, user_id, kind, starts_on, ends_on, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, tx.Tenant.ID, l.ID, userID, kind, from, to, actor).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: "leave.add", ActorUserID: actor, SubjectUserID: userID,
			Object: "workforce_leave", ObjectID: l.ID.String(), Detail: map[string]string{"kind": kind,
				"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly)}})
	})
	if err != nil {
		return Leave{}, fmt.Errorf("workforce.AddLeave: %w", db.Translate(err))
	}
	return l.leave(), nil
}

// RemoveLeave deletes a record of leave of the tenant in ctx (one entered by
// mistake, or leave cancelled); fault.NotFound when there is none here.
func RemoveLeave(ctx context.Context, d *db.DB, actor, id uuid.UUID) error {
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var gone []leaveRow
		if err := tx.Raw(`DELETE FROM workforce_leave WHERE id = ? RETURNING id, user_id, kind, starts_on, ends_on`, id).
			Scan(&gone).Error; err != nil {
			return err
		}
		if len(gone) == 0 {
			return fault.NotFound
		}
		l := gone[0]
		return audit.Record(tx, audit.Event{Action: "leave.remove", ActorUserID: actor, SubjectUserID: l.UserID,
			Object: "workforce_leave", ObjectID: l.ID.String(), Detail: map[string]string{"kind": l.Kind,
				"from": l.StartsOn.Format(time.DateOnly), "to": l.EndsOn.Format(time.DateOnly)}})
	})
	if err != nil {
		return fmt.Errorf("workforce.RemoveLeave: %w", db.Translate(err))
	}
	return nil
}

// Leaves lists the leave at the tenant in ctx that touches the days
// [from, to), by first day.
func Leaves(ctx context.Context, d *db.DB, from, to time.Time) ([]Leave, error) {
	var rows []leaveRow
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT id, user_id, kind, starts_on, ends_on FROM workforce_leave
			WHERE starts_on < ? AND ends_on >= ? ORDER BY starts_on, user_id`, dayOf(to), dayOf(from)).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("workforce.Leaves: %w", err)
	}
	out := make([]Leave, len(rows))
	for i, r := range rows {
		out[i] = r.leave()
	}
	return out, nil
}
