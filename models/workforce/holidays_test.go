package workforce_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/workforce"
)

func dates(t *testing.T, ss ...string) []time.Time {
	t.Helper()
	out := make([]time.Time, len(ss))
	for i, s := range ss {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// Dates as published by Employment New Zealand for each year.
func TestPublicHolidays(t *testing.T) {
	cases := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"2025", day(2025, 1, 1), day(2026, 1, 1), []string{
			"2025-01-01", "2025-01-02", "2025-02-06", "2025-04-18", "2025-04-21", "2025-04-25",
			"2025-06-02", "2025-06-20", "2025-10-27", "2025-12-25", "2025-12-26"}},
		// Anzac Day on a Saturday → Monday 27 April; Boxing Day on a
		// Saturday → Monday 28 December.
		{"2026", day(2026, 1, 1), day(2027, 1, 1), []string{
			"2026-01-01", "2026-01-02", "2026-02-06", "2026-04-03", "2026-04-06", "2026-04-27",
			"2026-06-01", "2026-07-10", "2026-10-26", "2026-12-25", "2026-12-28"}},
		// 2 January on a Saturday → Monday 4; Waitangi Day on a Saturday →
		// Monday 8 February; Anzac Day on a Sunday → Monday 26 April;
		// Christmas on a Saturday → Monday 27, Boxing Day Sunday → Tuesday 28.
		{"2027", day(2027, 1, 1), day(2028, 1, 1), []string{
			"2027-01-01", "2027-01-04", "2027-02-08", "2027-03-26", "2027-03-29", "2027-04-26",
			"2027-06-07", "2027-06-25", "2027-10-25", "2027-12-27", "2027-12-28"}},
		// New Year's Day Saturday, 2 January Sunday → Monday 3 and Tuesday 4.
		{"January 2022", day(2022, 1, 1), day(2022, 2, 1), []string{"2022-01-03", "2022-01-04"}},
		// Christmas Sunday, Boxing Day Monday → Monday 26 and Tuesday 27;
		// New Year's Day 2023 Sunday, 2 January Monday → Monday 2 and Tuesday 3.
		{"summer 2022–23", day(2022, 12, 20), day(2023, 1, 10), []string{"2022-12-26", "2022-12-27", "2023-01-02", "2023-01-03"}},
		{"half-open range", day(2026, 4, 3), day(2026, 4, 6), []string{"2026-04-03"}},
		{"a range with none", day(2026, 8, 1), day(2026, 10, 1), nil},
		{"a year without a Matariki date yet", day(2036, 6, 1), day(2036, 8, 1), []string{"2036-06-02"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := workforce.PublicHolidays(c.from, c.to)
			if want := dates(t, c.want...); !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}
