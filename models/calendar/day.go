package calendar

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// DayView is one practitioner's day in the tenant's zone.
type DayView struct {
	Date           time.Time // the civil date, midnight UTC
	From, To       time.Time // the day's instants: 23 or 25 hours on a daylight-saving change
	PractitionerID uuid.UUID
	Blocks         []schedule.Slot // open, booked, group and admin time
	Appointments   []Entry         // every appointment of the day, cancelled included, in time order
	// Free is open (same-day) time no live appointment takes: what a warm
	// handover can have now.
	Free []schedule.Slot
	// Waiting are the people who have arrived and are not yet in session.
	Waiting []Entry
}

// Day reads a practitioner's day: their schedule blocks (schedule.Expand),
// their appointments with each person's name, the open time still free and
// who is waiting. A practitioner who is not a member here is not found.
func Day(ctx context.Context, d *db.DB, practitionerID uuid.UUID, date time.Time) (DayView, error) {
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return DayView{}, fmt.Errorf("calendar.Day: %w", db.ErrNoTenant)
	}
	from, to := dayBounds(t.Location(), date)
	blocks, err := schedule.Expand(ctx, d, practitionerID, from, to)
	if err != nil {
		return DayView{}, fmt.Errorf("calendar.Day: %w", err)
	}
	entries, err := appointments(ctx, d, practitionerID, from, to)
	if err != nil {
		return DayView{}, fmt.Errorf("calendar.Day: %w", err)
	}
	out := DayView{Date: civilDate(date), From: from, To: to, PractitionerID: practitionerID, Blocks: blocks, Appointments: entries}
	out.Free = free(blocks, entries)
	for _, e := range entries {
		if e.Status == booking.StatusArrived {
			out.Waiting = append(out.Waiting, e)
		}
	}
	return out, nil
}

// appointments reads the appointments starting in [from, to), of one
// practitioner (or all when practitionerID is zero), in one statement. The
// explicit tenant_id lets the planner use appointments_day
// (tenant_id, starts_at): the policy's OR alone would not.
func appointments(ctx context.Context, d *db.DB, practitionerID uuid.UUID, from, to time.Time) ([]Entry, error) {
	var rows []entryRow
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		q := `SELECT ` + entryColumns + ` FROM appointments a
			LEFT JOIN patients p ON p.tenant_id = a.tenant_id AND p.id = a.patient_id
			WHERE a.tenant_id = ? AND a.starts_at >= ? AND a.starts_at < ?`
		args := []any{tx.Tenant.ID, from.UTC(), to.UTC()}
		if practitionerID != uuid.Nil {
			q += ` AND a.practitioner_id = ?`
			args = append(args, practitionerID)
		}
		return tx.Raw(q+` ORDER BY a.starts_at, a.id`, args...).Scan(&rows).Error
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}

// free is the open blocks with the live appointments' times taken out.
func free(blocks []schedule.Slot, entries []Entry) []schedule.Slot {
	var out []schedule.Slot
	for _, b := range blocks {
		if b.Kind != schedule.KindOpen {
			continue
		}
		pieces := []schedule.Slot{b}
		for _, e := range entries {
			if !e.Status.Live() {
				continue
			}
			var next []schedule.Slot
			for _, p := range pieces {
				if !e.StartsAt.Before(p.End) || !e.EndsAt.After(p.Start) {
					next = append(next, p)
					continue
				}
				if e.StartsAt.After(p.Start) {
					next = append(next, schedule.Slot{Start: p.Start, End: e.StartsAt, Kind: p.Kind})
				}
				if e.EndsAt.Before(p.End) {
					next = append(next, schedule.Slot{Start: e.EndsAt, End: p.End, Kind: p.Kind})
				}
			}
			pieces = next
		}
		out = append(out, pieces...)
	}
	return out
}

// BoardView is the practice's day: every practitioner with appointments that
// day, each with their blocks.
type BoardView struct {
	Date     time.Time
	From, To time.Time
	Columns  []Column
}

// Column is one practitioner on the board.
type Column struct {
	PractitionerID uuid.UUID
	Blocks         []schedule.Slot
	Appointments   []Entry
}

// Board reads the practice day board: the day's appointments in one
// statement, then each practitioner's blocks. Columns come in the order of
// each practitioner's first appointment.
func Board(ctx context.Context, d *db.DB, date time.Time) (BoardView, error) {
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return BoardView{}, fmt.Errorf("calendar.Board: %w", db.ErrNoTenant)
	}
	from, to := dayBounds(t.Location(), date)
	entries, err := appointments(ctx, d, uuid.Nil, from, to)
	if err != nil {
		return BoardView{}, fmt.Errorf("calendar.Board: %w", err)
	}
	b := BoardView{Date: civilDate(date), From: from, To: to}
	index := map[uuid.UUID]int{}
	for _, e := range entries {
		i, ok := index[e.PractitionerID]
		if !ok {
			i = len(b.Columns)
			index[e.PractitionerID] = i
			b.Columns = append(b.Columns, Column{PractitionerID: e.PractitionerID})
		}
		b.Columns[i].Appointments = append(b.Columns[i].Appointments, e)
	}
	for i := range b.Columns {
		if b.Columns[i].Blocks, err = schedule.Expand(ctx, d, b.Columns[i].PractitionerID, from, to); err != nil {
			return BoardView{}, fmt.Errorf("calendar.Board: %w", err)
		}
	}
	return b, nil
}

// WeekView is seven days of one practitioner from a start date.
type WeekView struct {
	Start          time.Time // civil date
	PractitionerID uuid.UUID
	Days           []WeekDay
}

// WeekDay is one day of a WeekView with its counts.
type WeekDay struct {
	Date         time.Time
	Appointments []Entry
	Booked       int // live and completed appointments
	Completed    int
	DidNotAttend int
	Cancelled    int
	OpenMinutes  int // same-day capacity scheduled that day
}

// Week reads seven days of a practitioner from weekStart: appointments in
// one statement, open capacity from the schedule.
func Week(ctx context.Context, d *db.DB, practitionerID uuid.UUID, weekStart time.Time) (WeekView, error) {
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return WeekView{}, fmt.Errorf("calendar.Week: %w", db.ErrNoTenant)
	}
	loc := t.Location()
	start := civilDate(weekStart)
	from, _ := dayBounds(loc, start)
	_, to := dayBounds(loc, start.AddDate(0, 0, 6))
	open, err := schedule.OpenCapacity(ctx, d, practitionerID, from, to)
	if err != nil {
		return WeekView{}, fmt.Errorf("calendar.Week: %w", err)
	}
	entries, err := appointments(ctx, d, practitionerID, from, to)
	if err != nil {
		return WeekView{}, fmt.Errorf("calendar.Week: %w", err)
	}
	w := WeekView{Start: start, PractitionerID: practitionerID}
	for i := range 7 {
		w.Days = append(w.Days, WeekDay{Date: start.AddDate(0, 0, i)})
	}
	for _, o := range open {
		if i := slices.IndexFunc(w.Days, func(wd WeekDay) bool { return wd.Date.Equal(o.Date) }); i >= 0 {
			w.Days[i].OpenMinutes = o.OpenMinutes
		}
	}
	for _, e := range entries {
		i := slices.IndexFunc(w.Days, func(wd WeekDay) bool { return wd.Date.Equal(civilDate(e.StartsAt.In(loc))) })
		if i < 0 {
			continue
		}
		wd := &w.Days[i]
		wd.Appointments = append(wd.Appointments, e)
		switch {
		case e.Status == booking.StatusCancelled:
			wd.Cancelled++
		case e.Status == booking.StatusDidNotAttend:
			wd.DidNotAttend++
		case e.Status == booking.StatusCompleted:
			wd.Completed++
			wd.Booked++
		case e.Status == booking.StatusHeld:
		default:
			wd.Booked++
		}
	}
	return w, nil
}
