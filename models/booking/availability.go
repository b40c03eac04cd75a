package booking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// Availability search: free slots of a length, on a grid, for one
// practitioner, a service line or the whole practice.

const (
	// MaxSearchSpan bounds one availability search: a month of diaries is
	// as far ahead as anyone books in this model of care (people are seen
	// the same day or within days).
	MaxSearchSpan = 31 * 24 * time.Hour
	// DefaultSearchMinutes is a typical HIP session (DOMAIN.md).
	DefaultSearchMinutes = 30
	// DefaultGrid is the grid free slots start on, in the tenant's zone.
	DefaultGrid = 15
)

// AvailabilityQuery asks for free time. At most one of PractitionerID and
// ServiceLine is set; with neither, every practitioner of the practice is
// searched.
type AvailabilityQuery struct {
	PractitionerID uuid.UUID
	ServiceLine    ServiceLine
	From, To       time.Time
	Minutes        int  // 0: DefaultSearchMinutes
	Grid           int  // 5 or 15 (minutes past the hour, local time); 0: DefaultGrid
	Group          bool // search group blocks instead of open and booked ones
}

// FreeSlot is a time a practitioner could be booked: [Start, End) lies in a
// bookable block of their schedule and crosses no live appointment.
type FreeSlot struct {
	PractitionerID uuid.UUID
	Start, End     time.Time
	Block          schedule.Kind // open (same-day capacity), booked or group
}

func (q *AvailabilityQuery) validate() error {
	var f fault.Fields
	if q.Minutes == 0 {
		q.Minutes = DefaultSearchMinutes
	}
	if q.Grid == 0 {
		q.Grid = DefaultGrid
	}
	if q.PractitionerID != uuid.Nil && q.ServiceLine != "" {
		f.Add("service_line", "search one practitioner or one service line, not both")
	}
	if q.ServiceLine != "" && roleFor(q.ServiceLine) == "" {
		f.Add("service_line", "choose HIP, Health Coach or Support Worker")
	}
	switch {
	case q.From.IsZero() || q.To.IsZero():
		f.Add("from", "choose a start and an end")
	case !q.To.After(q.From):
		f.Add("to", "the end must come after the start")
	case q.To.Sub(q.From) > MaxSearchSpan:
		f.Add("to", "search at most 31 days at a time")
	}
	if q.Minutes < MinMinutes || q.Minutes > MaxMinutes {
		f.Add("minutes", fmt.Sprintf("choose from %d to %d minutes", MinMinutes, MaxMinutes))
	}
	if q.Grid != 5 && q.Grid != 15 {
		f.Add("grid", "choose a 5- or 15-minute grid")
	}
	return f.Err()
}

// Availability lists the free slots of the tenant in ctx matching q, by
// start time then practitioner. Each practitioner's bookable blocks come from
// schedule.Expand (exceptions already cut out); the live appointments of all
// of them over the whole range are read in one query, so the cost grows with
// the number of practitioners, not with days or slots. An expired hold does
// not take time, and no slot starts before now. A practitioner of another
// tenant is not found.
func Availability(ctx context.Context, d *db.DB, q AvailabilityQuery) ([]FreeSlot, error) {
	if err := q.validate(); err != nil {
		return nil, fmt.Errorf("booking.Availability: %w", err)
	}
	// Time already gone cannot be booked.
	if now := time.Now().Truncate(time.Minute); q.From.Before(now) {
		q.From = now
	}
	ids, err := practitioners(ctx, d, q)
	if err != nil {
		return nil, fmt.Errorf("booking.Availability: %w", err)
	}
	if len(ids) == 0 || !q.To.After(q.From) {
		return []FreeSlot{}, nil
	}
	busy, err := busyTimes(ctx, d, ids, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("booking.Availability: %w", err)
	}
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("booking.Availability: %w", db.ErrNoTenant)
	}
	loc := t.Location()
	out := []FreeSlot{}
	for _, id := range ids {
		blocks, err := schedule.Expand(ctx, d, id, q.From, q.To)
		if err != nil {
			return nil, fmt.Errorf("booking.Availability: %w", err)
		}
		out = append(out, free(loc, id, blocks, busy[id], q)...)
	}
	slices.SortFunc(out, func(a, b FreeSlot) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return slices.Compare(a.PractitionerID[:], b.PractitionerID[:])
	})
	return out, nil
}

// practitioners is the one asked for (checked to work here), or the active
// members holding the service line's role, or every practitioner role.
func practitioners(ctx context.Context, d *db.DB, q AvailabilityQuery) ([]uuid.UUID, error) {
	roles := []string{string(LineHIP), string(LineHealthCoach), string(LineSupportWorker)}
	if q.ServiceLine != "" {
		roles = []string{roleFor(q.ServiceLine)}
	}
	var rows []struct{ UserID uuid.UUID }
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		if q.PractitionerID != uuid.Nil {
			return tx.Raw(`SELECT user_id FROM memberships WHERE user_id = ? AND status = 'active' AND roles && ?::text[]`,
				q.PractitionerID, pq.StringArray(roles)).Scan(&rows).Error
		}
		return tx.Raw(`SELECT user_id FROM memberships WHERE status = 'active' AND roles && ?::text[] ORDER BY user_id`,
			pq.StringArray(roles)).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	if q.PractitionerID != uuid.Nil && len(rows) == 0 {
		return nil, fault.New(fault.KindNotFound, "practitioner not found", nil)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	return ids, nil
}

type busySpan struct {
	PractitionerID uuid.UUID
	StartsAt       time.Time
	EndsAt         time.Time
}

// busyTimes reads, in one statement, the live appointments of the
// practitioners overlapping [from, to), by practitioner and start.
func busyTimes(ctx context.Context, d *db.DB, ids []uuid.UUID, from, to time.Time) (map[uuid.UUID][]busySpan, error) {
	list := make(pq.StringArray, len(ids))
	for i, id := range ids {
		list[i] = id.String()
	}
	var rows []busySpan
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT practitioner_id, starts_at, ends_at FROM appointments
			WHERE practitioner_id = ANY (?::uuid[]) AND starts_at < ? AND ends_at > ?
			  AND (status IN ('booked', 'arrived', 'in_session') OR (status = 'held' AND hold_expires_at > now()))
			ORDER BY practitioner_id, starts_at`, list, to.UTC(), from.UTC()).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID][]busySpan, len(ids))
	for _, r := range rows {
		out[r.PractitionerID] = append(out[r.PractitionerID], r)
	}
	return out, nil
}

// free walks one practitioner's blocks and busy spans (both in time order)
// together, offering every grid start whose whole length fits in a bookable
// block and crosses nothing busy.
func free(loc *time.Location, id uuid.UUID, blocks []schedule.Slot, busy []busySpan, q AvailabilityQuery) []FreeSlot {
	length := time.Duration(q.Minutes) * time.Minute
	grid := time.Duration(q.Grid) * time.Minute
	var out []FreeSlot
	j := 0
	for _, b := range blocks {
		if !bookable(b.Kind, q.Group) {
			continue
		}
		for s := onGrid(loc, b.Start, grid); !s.Add(length).After(b.End); s = s.Add(grid) {
			e := s.Add(length)
			// Busy spans ending by s can never cross a later start.
			for j < len(busy) && !busy[j].EndsAt.After(s) {
				j++
			}
			if clash := firstClash(busy[j:], s, e); clash >= 0 {
				// Jump past the appointment in the way.
				next := onGrid(loc, busy[j+clash].EndsAt, grid)
				if next.After(s) {
					s = next.Add(-grid)
				}
				continue
			}
			out = append(out, FreeSlot{PractitionerID: id, Start: s, End: e, Block: b.Kind})
		}
	}
	return out
}

func bookable(k schedule.Kind, group bool) bool {
	if group {
		return k == schedule.KindGroup
	}
	return k == schedule.KindOpen || k == schedule.KindBooked
}

// firstClash is the index of the first span crossing [s, e), or -1. The spans
// start in order, so the search stops at the first that starts at or after e.
func firstClash(busy []busySpan, s, e time.Time) int {
	for i, b := range busy {
		if !b.StartsAt.Before(e) {
			return -1
		}
		if b.EndsAt.After(s) {
			return i
		}
	}
	return -1
}

// onGrid is the first instant at or after t whose local wall-clock minute is
// a multiple of grid (Chatham's +12:45 makes the UTC minute the wrong one to
// round).
func onGrid(loc *time.Location, t time.Time, grid time.Duration) time.Time {
	t = t.Truncate(time.Minute)
	local := t.In(loc)
	m := time.Duration(local.Minute()) * time.Minute
	if rem := m % grid; rem != 0 {
		t = t.Add(grid - rem)
	}
	return t
}

// Between lists the appointments of the tenant in ctx starting in [from, to)
// — one practitioner's when practitionerID is set — by start time: a day
// sheet or the practice day board. One statement.
func Between(ctx context.Context, d *db.DB, practitionerID uuid.UUID, from, to time.Time) ([]Appointment, error) {
	switch {
	case from.IsZero() || to.IsZero() || !to.After(from):
		return nil, fmt.Errorf("booking.Between: %w", fault.InvalidField("to", "choose a start and a later end"))
	case to.Sub(from) > MaxSearchSpan:
		return nil, fmt.Errorf("booking.Between: %w", fault.InvalidField("to", "list at most 31 days at a time"))
	}
	var rows []row
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		q := `SELECT ` + columns + ` FROM appointments WHERE starts_at >= ? AND starts_at < ?`
		args := []any{from.UTC(), to.UTC()}
		if practitionerID != uuid.Nil {
			q += ` AND practitioner_id = ?`
			args = append(args, practitionerID)
		}
		return tx.Raw(q+` ORDER BY starts_at, practitioner_id, id`, args...).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("booking.Between: %w", err)
	}
	out := make([]Appointment, len(rows))
	for i, r := range rows {
		out[i] = r.appointment()
	}
	return out, nil
}
