package schedule

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Slot is a block made concrete: instants in UTC, never empty.
type Slot struct {
	Start time.Time
	End   time.Time
	Kind  Kind
}

// Minutes is the slot's length.
func (s Slot) Minutes() int { return int(s.End.Sub(s.Start) / time.Minute) }

// MaxSpan bounds one expansion: a year and a little, enough for an annual
// capacity report, small enough to stay cheap.
const MaxSpan = 370 * 24 * time.Hour

// Expand lists a practitioner's slots in the tenant of ctx over [from, to),
// in time order: each day's blocks from the template running that day,
// placed at their wall-clock times in the tenant's zone, clipped to the range
// and with exceptions cut out (a block an exception crosses is split; one it
// covers is dropped). A practitioner who is not a member here is not found.
func Expand(ctx context.Context, d *db.DB, practitionerID uuid.UUID, from, to time.Time) ([]Slot, error) {
	if err := checkRange(from, to); err != nil {
		return nil, fmt.Errorf("schedule.Expand: %w", err)
	}
	var out []Slot
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM memberships WHERE user_id = ?`, practitionerID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return fault.New(fault.KindNotFound, "practitioner not found", nil)
		}
		loc := tx.Tenant.Location()
		// A day's blocks can lie on the civil date either side of the UTC
		// range's ends, so read the templates of a day more each way.
		first, last := civil(from.In(loc)).AddDate(0, 0, -1), civil(to.In(loc)).AddDate(0, 0, 1)
		templates, err := loadTemplates(tx, `practitioner_id = ? AND effective_from <= ? AND (effective_to IS NULL OR effective_to > ?)`,
			practitionerID, last, first)
		if err != nil {
			return err
		}
		exceptions, err := loadExceptions(tx, practitionerID, from, to)
		if err != nil {
			return err
		}
		out = expand(loc, templates, exceptions, from, to)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("schedule.Expand: %w", db.Translate(err))
	}
	return out, nil
}

func checkRange(from, to time.Time) error {
	switch {
	case from.IsZero() || to.IsZero():
		return fault.InvalidField("from", "choose a start and an end")
	case !to.After(from):
		return fault.InvalidField("to", "the end must come after the start")
	case to.Sub(from) > MaxSpan:
		return fault.InvalidField("to", "at most a year at a time")
	}
	return nil
}

type span struct{ start, end time.Time }

// expand is Expand without the database.
func expand(loc *time.Location, templates []Template, exceptions []span, from, to time.Time) []Slot {
	from, to = from.UTC(), to.UTC()
	var out []Slot
	last := civil(to.In(loc)).AddDate(0, 0, 1)
	for date := civil(from.In(loc)).AddDate(0, 0, -1); !date.After(last); date = date.AddDate(0, 0, 1) {
		i := slices.IndexFunc(templates, func(t Template) bool { return t.covers(date) })
		if i < 0 {
			continue
		}
		wd := isoWeekday(date)
		for _, b := range templates[i].Blocks {
			if b.Weekday != wd {
				continue
			}
			s := Slot{Start: wallClock(loc, date, b.Starts), End: wallClock(loc, date, b.Ends), Kind: b.Kind}
			if s.Start.Before(from) {
				s.Start = from
			}
			if s.End.After(to) {
				s.End = to
			}
			out = cut(out, s, exceptions)
		}
	}
	slices.SortFunc(out, func(a, b Slot) int { return a.Start.Compare(b.Start) })
	return out
}

// cut appends to out what is left of s once the exceptions are taken out,
// keeping only non-empty pieces: a block whose wall-clock times both fall in
// a spring-forward gap, or that an exception covers, leaves nothing.
func cut(out []Slot, s Slot, exceptions []span) []Slot {
	pieces := []Slot{s}
	for _, e := range exceptions {
		var next []Slot
		for _, p := range pieces {
			if !e.start.Before(p.End) || !e.end.After(p.Start) {
				next = append(next, p)
				continue
			}
			if e.start.After(p.Start) {
				next = append(next, Slot{Start: p.Start, End: e.start, Kind: p.Kind})
			}
			if e.end.Before(p.End) {
				next = append(next, Slot{Start: e.end, End: p.End, Kind: p.Kind})
			}
		}
		pieces = next
	}
	for _, p := range pieces {
		if p.End.After(p.Start) {
			out = append(out, p)
		}
	}
	return out
}

// Day is one civil day of the tenant's calendar (midnight UTC of that date)
// and the open, same-day minutes in it.
type Day struct {
	Date        time.Time
	OpenMinutes int
}

// OpenCapacity sums a practitioner's open (same-day) minutes for each day of
// the tenant's calendar that [from, to) touches, days without any included:
// the measure behind "about half the day open for same-day introductions"
// (DOMAIN.md).
func OpenCapacity(ctx context.Context, d *db.DB, practitionerID uuid.UUID, from, to time.Time) ([]Day, error) {
	slots, err := Expand(ctx, d, practitionerID, from, to)
	if err != nil {
		return nil, fmt.Errorf("schedule.OpenCapacity: %w", err)
	}
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("schedule.OpenCapacity: %w", db.ErrNoTenant)
	}
	return openByDay(t.Location(), slots, from, to), nil
}

// openByDay sums the open slots' minutes by the local date they start on
// (blocks lie within 06:00–22:00, so none crosses midnight).
func openByDay(loc *time.Location, slots []Slot, from, to time.Time) []Day {
	var out []Day
	index := map[time.Time]int{}
	for date := civil(from.In(loc)); wallClock(loc, date, 0).Before(to); date = date.AddDate(0, 0, 1) {
		index[date] = len(out)
		out = append(out, Day{Date: date})
	}
	for _, s := range slots {
		if s.Kind != KindOpen {
			continue
		}
		if i, ok := index[civil(s.Start.In(loc))]; ok {
			out[i].OpenMinutes += s.Minutes()
		}
	}
	return out
}
