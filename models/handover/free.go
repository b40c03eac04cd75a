package handover

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// MinFree is the shortest gap worth offering: a brief HIP intervention is 15
// minutes at the least (DOMAIN.md); a shorter gap is not "free".
const MinFree = 15 * time.Minute

// Free is a HIP or Health Coach who is free now, or soonest today.
type Free struct {
	PractitionerID uuid.UUID
	ServiceLines   []booking.ServiceLine // what they practise here: hip, health_coach
	From           time.Time             // free from (the asked time when free now)
	Until          time.Time             // until their open time ends or their next appointment
}

// Now reports whether they are free at the time asked.
func (f Free) Now(at time.Time) bool { return !f.From.After(at) }

// FreeNow lists the practice's HIPs and Health Coaches who are free at at,
// or soonest later that local day: inside an open schedule block (same-day
// capacity), not in a live appointment, for at least MinFree. Each person
// appears once, with their first such gap; soonest first, then the longest.
func FreeNow(ctx context.Context, d *db.DB, at time.Time) ([]Free, error) {
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("handover.FreeNow: %w", db.ErrNoTenant)
	}
	at = at.UTC().Truncate(time.Minute)
	local := at.In(t.Location())
	endOfDay := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, t.Location()).UTC()

	people, err := practitioners(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("handover.FreeNow: %w", err)
	}
	if len(people) == 0 {
		return nil, nil
	}
	busy, err := busyTimes(ctx, d, at, endOfDay)
	if err != nil {
		return nil, fmt.Errorf("handover.FreeNow: %w", err)
	}
	var out []Free
	for _, p := range people {
		slots, err := schedule.Expand(ctx, d, p.id, at, endOfDay)
		if err != nil {
			return nil, fmt.Errorf("handover.FreeNow: %w", err)
		}
		if from, until, ok := firstGap(slots, busy[p.id]); ok {
			out = append(out, Free{PractitionerID: p.id, ServiceLines: p.lines, From: from, Until: until})
		}
	}
	slices.SortStableFunc(out, func(a, b Free) int {
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		return b.Until.Compare(a.Until)
	})
	return out, nil
}

type practitioner struct {
	id    uuid.UUID
	lines []booking.ServiceLine
}

// practitioners are the active members who are HIPs or Health Coaches.
func practitioners(ctx context.Context, d *db.DB) ([]practitioner, error) {
	var rows []struct {
		UserID uuid.UUID
		Roles  pq.StringArray `gorm:"type:text[]"`
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT user_id, roles FROM memberships
			WHERE status = 'active' AND roles && ARRAY['hip', 'health_coach']::text[] ORDER BY user_id`).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := make([]practitioner, len(rows))
	for i, r := range rows {
		out[i].id = r.UserID
		for _, l := range []booking.ServiceLine{booking.LineHIP, booking.LineHealthCoach} {
			if slices.Contains(r.Roles, string(l)) {
				out[i].lines = append(out[i].lines, l)
			}
		}
	}
	return out, nil
}

type span struct{ start, end time.Time }

// busyTimes are the practice's live appointments over [from, to), by
// practitioner, in time order. A hold that has expired blocks nothing.
func busyTimes(ctx context.Context, d *db.DB, from, to time.Time) (map[uuid.UUID][]span, error) {
	var rows []struct {
		PractitionerID uuid.UUID
		StartsAt       time.Time
		EndsAt         time.Time
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT practitioner_id, starts_at, ends_at FROM appointments
			WHERE tstzrange(starts_at, ends_at) && tstzrange(?, ?)
			  AND (status IN ('booked', 'arrived', 'in_session') OR (status = 'held' AND hold_expires_at > now()))
			ORDER BY practitioner_id, starts_at`, from, to).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID][]span{}
	for _, r := range rows {
		out[r.PractitionerID] = append(out[r.PractitionerID], span{r.StartsAt.UTC(), r.EndsAt.UTC()})
	}
	return out, nil
}

// firstGap is the first stretch of open time, at least MinFree long, that no
// busy span covers. Adjacent open slots join into one stretch.
func firstGap(slots []schedule.Slot, busy []span) (time.Time, time.Time, bool) {
	var open []span
	for _, s := range slots {
		if s.Kind != schedule.KindOpen {
			continue
		}
		if n := len(open); n > 0 && !s.Start.After(open[n-1].end) {
			open[n-1].end = later(open[n-1].end, s.End)
			continue
		}
		open = append(open, span{s.Start, s.End})
	}
	for _, o := range open {
		start := o.start
		for _, b := range busy {
			if !b.end.After(start) || !b.start.Before(o.end) {
				continue // before the gap's start, or after this stretch
			}
			if b.start.Sub(start) >= MinFree {
				return start, b.start, true
			}
			start = later(start, b.end)
		}
		if o.end.Sub(start) >= MinFree {
			return start, o.end, true
		}
	}
	return time.Time{}, time.Time{}, false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Introduction is a warm handover booked straight away with someone free.
type Introduction struct {
	PatientID      uuid.UUID
	PractitionerID uuid.UUID
	ServiceLine    booking.ServiceLine // empty: the practitioner's own (HIP first)
	Mode           booking.Mode        // empty: in person
	Minutes        int                 // zero: DefaultMinutes
	At             time.Time           // the introduction; zero: now
	// StartsAt is the session's start: zero for at once, or later today
	// when the person chosen is free only soon (FreeNow's From).
	StartsAt time.Time
}

// Introduce books the person now with the practitioner, as a same-day
// appointment carrying the introduction by actor, who must be an active GP or
// practice nurse here. A practitioner already booked then is a conflict.
func Introduce(ctx context.Context, d *db.DB, actor uuid.UUID, n Introduction) (booking.Appointment, []booking.Warning, error) {
	at := n.At
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC().Truncate(time.Minute)
	starts := at
	if !n.StartsAt.IsZero() {
		starts = n.StartsAt.UTC().Truncate(time.Minute)
	}
	if n.Mode == "" {
		n.Mode = booking.ModeInPerson
	}
	if n.Minutes == 0 {
		n.Minutes = DefaultMinutes
	}
	var f fault.Fields
	if n.PatientID == uuid.Nil {
		f.Add("patient_id", "choose the person to introduce")
	}
	if n.PractitionerID == uuid.Nil {
		f.Add("practitioner_id", "choose who will see them")
	}
	if starts.Before(at) || starts.Sub(at) > 24*time.Hour {
		f.Add("starts_at", "a same-day session starts now or later today")
	}
	if err := f.Err(); err != nil {
		return booking.Appointment{}, nil, fmt.Errorf("handover.Introduce: %w", err)
	}
	var a booking.Appointment
	var w []booking.Warning
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := checkIntroducer(tx, actor); err != nil {
			return err
		}
		line, err := lineFor(tx, n.PractitionerID, "", n.ServiceLine)
		if fault.As(err).Kind == fault.KindForbidden {
			// Not the caller's failing: the person chosen does not see people here.
			return fault.InvalidField("practitioner_id", "choose a HIP or Health Coach of this practice")
		}
		if err != nil {
			return err
		}
		// BookIn audits the appointment's creation.
		a, w, err = booking.BookIn(tx, actor, booking.NewAppointment{PractitionerID: n.PractitionerID,
			PatientID: n.PatientID, Kind: booking.KindSameDay, Mode: n.Mode, ServiceLine: line, StartsAt: starts,
			Minutes: n.Minutes, IntroducedBy: actor, IntroducedAt: at})
		return err
	})
	if err != nil {
		return booking.Appointment{}, nil, fmt.Errorf("handover.Introduce: %w", err)
	}
	return a, w, nil
}
