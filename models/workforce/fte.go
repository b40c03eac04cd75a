package workforce

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Service lines a practitioner's FTE is counted in; each is also the role a
// membership must hold to work in it. (Said here rather than taken from
// models/report, which reads this package.)
const (
	LineHIP           = "hip"
	LineHealthCoach   = "health_coach"
	LineSupportWorker = "support_worker"
)

// Lines is every service line, in display order.
var Lines = []string{LineHIP, LineHealthCoach, LineSupportWorker}

var lineNames = map[string]string{LineHIP: "HIP", LineHealthCoach: "Health Coach", LineSupportWorker: "Support Worker"}

// Span is a practitioner's FTE in one service line at the practice from
// StartsOn until EndsOn (exclusive; nil while it runs). Dates are midnight
// UTC standing for local days.
type Span struct {
	ID, UserID uuid.UUID
	Line       string
	FTE        float64
	StartsOn   time.Time
	EndsOn     *time.Time
}

// Current reports whether the span covers the local day d.
func (s Span) Current(d time.Time) bool {
	d = dayOf(d)
	return !s.StartsOn.After(d) && (s.EndsOn == nil || s.EndsOn.After(d))
}

type spanRow struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	ServiceLine string
	FTE         float64 `gorm:"column:fte"`
	StartsOn    time.Time
	EndsOn      *time.Time
}

func (r spanRow) span() Span {
	s := Span{ID: r.ID, UserID: r.UserID, Line: r.ServiceLine, FTE: r.FTE, StartsOn: r.StartsOn.UTC()}
	if r.EndsOn != nil {
		e := r.EndsOn.UTC()
		s.EndsOn = &e
	}
	return s
}

func showDay(d time.Time) string { return d.Format("2 Jan 2006") }

// member is what a membership says about working in a line.
type member struct {
	Roles  pq.StringArray `gorm:"type:text[]"`
	Status string
}

// memberOf reads (and locks, so two changes to one person's workforce take
// turns) the person's membership of the tenant of tx; found is false when
// they have none here.
func memberOf(tx *db.Tx, userID uuid.UUID) (member, bool, error) {
	var m member
	err := tx.Raw(`SELECT roles, status FROM memberships WHERE user_id = ? FOR UPDATE`, userID).Scan(&m).Error
	return m, m.Status != "", err
}

func validDay(f *fault.Fields, field string, d time.Time, missing string) {
	switch {
	case d.IsZero():
		f.Add(field, missing)
	case d.Year() < 2000 || d.Year() > 2100:
		f.Add(field, "must be a date between 2000 and 2100")
	}
}

// SetFTE records that from startsOn the person works fte (0 < fte ≤ 1, at
// most two decimals) in line at the tenant in ctx. The person's open span in
// the line, if it started earlier, ends at startsOn, so past figures keep
// the FTE they had; a span starting on or after startsOn is refused (a
// correction is a new span from a later day). fte 0 means the person stops:
// the open span ends and no new one starts.
//
// Only a live member holding the line's role (hip, health_coach,
// support_worker) may be given FTE in it; stopping needs no role, so a
// practitioner whose role was removed can still be stopped.
func SetFTE(ctx context.Context, d *db.DB, actor, userID uuid.UUID, line string, fte float64, startsOn time.Time) error {
	var f fault.Fields
	startsOn = dayOf(startsOn)
	if !slices.Contains(Lines, line) {
		f.Add("line", "choose HIP, Health Coach or Support Worker")
	}
	switch {
	case math.IsNaN(fte) || fte < 0 || fte > 1:
		f.Add("fte", "must be from 0 to 1 (0.5 is half time; 0 ends the current FTE)")
	case math.Abs(fte*100-math.Round(fte*100)) > 1e-6:
		f.Add("fte", "use at most two decimals, like 0.75")
	}
	validDay(&f, "starts_on", startsOn, "enter the day the FTE starts")
	if err := f.Err(); err != nil {
		return fmt.Errorf("workforce.SetFTE: %w", err)
	}
	fte = math.Round(fte*100) / 100
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		m, ok, err := memberOf(tx, userID)
		if err != nil {
			return err
		}
		if !ok {
			return fault.InvalidField("user", "choose a practitioner of this practice")
		}
		if fte > 0 && (m.Status != "active" || !slices.Contains(m.Roles, line)) {
			return fault.InvalidField("line", "this person does not hold the "+lineNames[line]+
				" role at this practice: give them the role on the staff page first")
		}
		var later []spanRow
		if err := tx.Raw(`SELECT id, user_id, service_line, fte::float8 AS fte, starts_on, ends_on FROM workforce_fte
			WHERE user_id = ? AND service_line = ? AND (ends_on IS NULL OR ends_on > ?) ORDER BY starts_on`,
			userID, line, startsOn).Scan(&later).Error; err != nil {
			return err
		}
		var open *spanRow
		for i, s := range later {
			switch {
			case !s.StartsOn.Before(startsOn):
				return fault.InvalidField("starts_on", fmt.Sprintf("an FTE for this line already starts on %s: choose a day after it",
					showDay(s.StartsOn)))
			case s.EndsOn != nil:
				return fault.InvalidField("starts_on", fmt.Sprintf("an FTE for this line runs until %s: choose that day or later",
					showDay(*s.EndsOn)))
			default:
				open = &later[i]
			}
		}
		if open == nil && fte == 0 {
			return fault.InvalidField("fte", "there is no current FTE in this line to end")
		}
		detail := map[string]string{"line": line, "fte": fmt.Sprintf("%.2f", fte), "starts_on": startsOn.Format(time.DateOnly)}
		objectID := ""
		if open != nil {
			if err := tx.Exec(`UPDATE workforce_fte SET ends_on = ? WHERE id = ?`, startsOn, open.ID).Error; err != nil {
				return err
			}
			detail["ended"] = open.ID.String()
			objectID = open.ID.String()
		}
		if fte > 0 {
			id := uuid.Must(uuid.NewV7())
			if err := tx.Exec(`INSERT INTO workforce_fte (tenant_id, id, user_id, service_line, fte, starts_on, created_by)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, tx.Tenant.ID, id, userID, line, fte, startsOn, actor).Error; err != nil {
				return err
			}
			objectID = id.String()
		}
		return audit.Record(tx, audit.Event{Action: "workforce.fte", ActorUserID: actor, SubjectUserID: userID,
			Object: "workforce_fte", ObjectID: objectID, Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("workforce.SetFTE: %w", db.Translate(err))
	}
	return nil
}

// Spans lists every FTE span at the tenant in ctx, by person, line and
// start.
func Spans(ctx context.Context, d *db.DB) ([]Span, error) {
	var rows []spanRow
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT id, user_id, service_line, fte::float8 AS fte, starts_on, ends_on FROM workforce_fte
			ORDER BY user_id, array_position(ARRAY['hip', 'health_coach', 'support_worker'], service_line), starts_on`).
			Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("workforce.Spans: %w", err)
	}
	out := make([]Span, len(rows))
	for i, r := range rows {
		out[i] = r.span()
	}
	return out, nil
}
