package schedule

import (
	"fmt"
	"time"
)

// Clock is a wall-clock time of day in minutes after midnight (09:30 is 570).
type Clock int

// At makes a Clock from hours and minutes.
func At(hour, minute int) Clock { return Clock(hour*60 + minute) }

// ParseClock reads "HH:MM" (24-hour).
func ParseClock(s string) (Clock, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("schedule.ParseClock: %q is not HH:MM", s)
	}
	if _, err := fmt.Sscanf(s, "%2d:%2d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("schedule.ParseClock: %q is not HH:MM", s)
	}
	return At(h, m), nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Day bounds and grid of a block: the working day of a practice, in steps a
// person can read on a day sheet.
const (
	DayStarts   Clock = 6 * 60
	DayEnds     Clock = 22 * 60
	GridMinutes       = 5
)

// civil is a date with no zone: midnight UTC of that calendar day. Template
// dates are civil dates of the tenant's calendar.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// isoWeekday is ISO 8601's weekday: 1 Monday … 7 Sunday.
func isoWeekday(date time.Time) int {
	if wd := date.Weekday(); wd != time.Sunday {
		return int(wd)
	}
	return 7
}

// wallClock is the instant (in UTC) at which the wall clock in loc reads c on
// the civil date. time.Date alone does not promise which offset it uses for a
// time that does not exist or exists twice, so both cases are settled here:
//   - in a spring-forward gap (02:30 on 2026-09-27 in Pacific/Auckland) the
//     answer is the first valid instant, the transition itself (03:00 NZDT);
//   - in a fall-back overlap (02:30 on 2026-04-05) it is the first of the two
//     instants (02:30 NZDT), so a block never starts later than its wall time.
func wallClock(loc *time.Location, date time.Time, c Clock) time.Time {
	y, m, d := date.Date()
	h, mi := int(c)/60, int(c)%60
	t := time.Date(y, m, d, h, mi, 0, 0, loc)
	want := time.Date(y, m, d, h, mi, 0, 0, time.UTC)
	got := wall(t)
	switch {
	case got.After(want):
		// Read with the offset before the change, the instant lies after
		// it: the change is the start of t's zone period.
		start, _ := t.ZoneBounds()
		return start.UTC()
	case got.Before(want):
		// Read with the offset after the change: the change ends t's period.
		_, end := t.ZoneBounds()
		return end.UTC()
	}
	// The wall time exists; it may exist twice. The other candidate is the
	// same wall time in the previous zone period.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, off := t.Zone()
		_, prev := start.Add(-time.Second).Zone()
		if u := t.Add(time.Duration(off-prev) * time.Second); u.Before(t) {
			if wall(u.In(loc)).Equal(want) {
				return u.UTC()
			}
		}
	}
	return t.UTC()
}

// wall is t's wall-clock reading in its own zone, as a civil instant in UTC.
func wall(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
