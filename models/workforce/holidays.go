package workforce

import (
	"slices"
	"time"
)

// matariki are the dates of Matariki from the schedule of the Te Kāhui o
// Matariki Public Holiday Act 2022. The Act fixes them year by year, so
// later years must be added here from the Act (or its amendments) as they
// are published; a year missing here simply has no Matariki holiday.
var matariki = map[int]time.Time{
	2022: date(2022, 6, 24), 2023: date(2023, 7, 14), 2024: date(2024, 6, 28), 2025: date(2025, 6, 20),
	2026: date(2026, 7, 10), 2027: date(2027, 6, 25), 2028: date(2028, 7, 14), 2029: date(2029, 7, 6),
	2030: date(2030, 6, 21), 2031: date(2031, 7, 11), 2032: date(2032, 7, 2), 2033: date(2033, 6, 24),
	2034: date(2034, 7, 7), 2035: date(2035, 6, 29),
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// PublicHolidays are New Zealand's national public holidays as observed in
// [from, to), as dates at midnight UTC, in order. Regional anniversary days
// are not national: a practice records them as leave of kind "anniversary".
//
// Observance follows the Holidays Act 2003: Waitangi Day and Anzac Day on a
// weekend are observed on the Monday after (s 45A, since 2014); New Year's
// Day with 2 January, and Christmas with Boxing Day, each falling on a
// weekend move to the next weekdays after the pair (s 45), so Christmas on
// a Saturday is observed on Monday 27 and Boxing Day on Tuesday 28.
func PublicHolidays(from, to time.Time) []time.Time {
	from, to = dayOf(from), dayOf(to)
	var out []time.Time
	for y := from.Year(); y <= to.Year(); y++ {
		for _, d := range holidaysOf(y) {
			if !d.Before(from) && d.Before(to) {
				out = append(out, d)
			}
		}
	}
	return out
}

func holidaysOf(y int) []time.Time {
	easter := easterSunday(y)
	out := pair(date(y, time.January, 1))
	out = append(out, mondayised(date(y, time.February, 6)), easter.AddDate(0, 0, -2), easter.AddDate(0, 0, 1),
		mondayised(date(y, time.April, 25)), nthMonday(y, time.June, 1), nthMonday(y, time.October, 4))
	if m, ok := matariki[y]; ok {
		out = append(out, m)
	}
	out = append(out, pair(date(y, time.December, 25))...)
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// mondayised moves a Saturday or Sunday holiday to the Monday after.
func mondayised(d time.Time) time.Time {
	for weekend(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// pair observes two holidays on consecutive days (1 and 2 January, 25 and
// 26 December): each on its own day when a weekday, and each that falls on
// a weekend on the next weekday after the pair not already taken.
func pair(first time.Time) []time.Time {
	var out []time.Time
	moved := 0
	for _, d := range []time.Time{first, first.AddDate(0, 0, 1)} {
		if weekend(d) {
			moved++
		} else {
			out = append(out, d)
		}
	}
	for d := first.AddDate(0, 0, 2); moved > 0; d = d.AddDate(0, 0, 1) {
		if !weekend(d) {
			out = append(out, d)
			moved--
		}
	}
	return out
}

// nthMonday is the n-th Monday of month m in year y.
func nthMonday(y int, m time.Month, n int) time.Time {
	d := date(y, m, 1)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d.AddDate(0, 0, 7*(n-1))
}

// easterSunday is Western Easter in the Gregorian calendar (the anonymous
// Gregorian algorithm, also known as Meeus/Jones/Butcher).
func easterSunday(y int) time.Time {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	dd := (h+l-7*m+114)%31 + 1
	return date(y, time.Month(month), dd)
}

// dayOf keeps the calendar date of t as midnight UTC.
func dayOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return date(t.Year(), t.Month(), t.Day())
}
