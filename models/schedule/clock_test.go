package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The 2026 changes: Pacific/Auckland 2026-04-05 03:00 NZDT → 02:00 NZST and
// 2026-09-27 02:00 NZST → 03:00 NZDT; Pacific/Chatham at the same instants,
// 45 minutes ahead (03:45 → 02:45, 02:45 → 03:45).
func TestWallClock(t *testing.T) {
	akl, cht := zone(t, "Pacific/Auckland"), zone(t, "Pacific/Chatham")
	cases := []struct {
		name string
		loc  *time.Location
		date time.Time
		at   Clock
		want string
	}{
		{"akl before autumn change", akl, date(2026, 4, 4), At(9, 0), "2026-04-03T20:00:00Z"},
		{"akl autumn change day", akl, date(2026, 4, 5), At(9, 0), "2026-04-04T21:00:00Z"},
		{"akl after autumn change", akl, date(2026, 4, 6), At(9, 0), "2026-04-05T21:00:00Z"},
		{"akl before spring change", akl, date(2026, 9, 26), At(9, 0), "2026-09-25T21:00:00Z"},
		{"akl spring change day", akl, date(2026, 9, 27), At(9, 0), "2026-09-26T20:00:00Z"},
		{"akl after spring change", akl, date(2026, 9, 28), At(9, 0), "2026-09-27T20:00:00Z"},
		// The gap: 02:00–03:00 does not exist; its times become 03:00 NZDT.
		{"akl just before gap", akl, date(2026, 9, 27), At(1, 55), "2026-09-26T13:55:00Z"},
		{"akl gap start", akl, date(2026, 9, 27), At(2, 0), "2026-09-26T14:00:00Z"},
		{"akl in gap", akl, date(2026, 9, 27), At(2, 30), "2026-09-26T14:00:00Z"},
		{"akl gap end", akl, date(2026, 9, 27), At(3, 0), "2026-09-26T14:00:00Z"},
		{"akl after gap", akl, date(2026, 9, 27), At(3, 5), "2026-09-26T14:05:00Z"},
		// The overlap: 02:00–03:00 happens twice; the first (NZDT) is taken.
		{"akl overlap start", akl, date(2026, 4, 5), At(2, 0), "2026-04-04T13:00:00Z"},
		{"akl in overlap", akl, date(2026, 4, 5), At(2, 30), "2026-04-04T13:30:00Z"},
		{"akl after overlap", akl, date(2026, 4, 5), At(3, 0), "2026-04-04T15:00:00Z"},
		{"cht before autumn change", cht, date(2026, 4, 4), At(9, 0), "2026-04-03T19:15:00Z"},
		{"cht autumn change day", cht, date(2026, 4, 5), At(9, 0), "2026-04-04T20:15:00Z"},
		{"cht after spring change", cht, date(2026, 9, 28), At(9, 0), "2026-09-27T19:15:00Z"},
		{"cht in gap", cht, date(2026, 9, 27), At(3, 0), "2026-09-26T14:00:00Z"},
		{"cht gap end", cht, date(2026, 9, 27), At(3, 45), "2026-09-26T14:00:00Z"},
		{"cht in overlap", cht, date(2026, 4, 5), At(3, 0), "2026-04-04T13:15:00Z"},
		{"utc has no changes", time.UTC, date(2026, 9, 27), At(2, 30), "2026-09-27T02:30:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := wallClock(c.loc, c.date, c.at)
			if !got.Equal(utc(c.want)) || got.Location() != time.UTC {
				t.Errorf("wallClock(%s %s) = %s, want %s", c.date.Format(time.DateOnly), c.at, got, c.want)
			}
		})
	}
}

// A 09:00–12:00 block each day across both 2026 changes stays 09:00–12:00
// local and three hours long, in both zones.
func TestExpandAcrossChanges(t *testing.T) {
	week := make([]Block, 7)
	for i := range week {
		week[i] = Block{Weekday: i + 1, Starts: At(9, 0), Ends: At(12, 0), Kind: KindOpen}
	}
	tpl := []Template{{EffectiveFrom: date(2026, 1, 1), Blocks: week}}
	for _, name := range []string{"Pacific/Auckland", "Pacific/Chatham"} {
		loc := zone(t, name)
		for _, days := range [][]time.Time{
			{date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6)},
			{date(2026, 9, 26), date(2026, 9, 27), date(2026, 9, 28)},
		} {
			from := time.Date(days[0].Year(), days[0].Month(), days[0].Day(), 0, 0, 0, 0, loc)
			to := time.Date(days[2].Year(), days[2].Month(), days[2].Day()+1, 0, 0, 0, 0, loc)
			slots := expand(loc, tpl, nil, from, to)
			if len(slots) != 3 {
				t.Fatalf("%s: %d slots from %s, want 3: %v", name, len(slots), from, slots)
			}
			for i, s := range slots {
				ls, le := s.Start.In(loc), s.End.In(loc)
				if ls.Format("2006-01-02 15:04") != days[i].Format("2006-01-02")+" 09:00" || le.Format("15:04") != "12:00" {
					t.Errorf("%s: slot %d is %s–%s local", name, i, ls, le)
				}
				if s.End.Sub(s.Start) != 3*time.Hour {
					t.Errorf("%s: slot %d lasts %s", name, i, s.End.Sub(s.Start))
				}
			}
		}
	}
}

// Blocks in the gap (not allowed by Validate, 06:00–22:00, but the expansion
// must still never make an empty or negative slot).
func TestExpandGapBlocks(t *testing.T) {
	loc := zone(t, "Pacific/Auckland")
	tpl := []Template{{EffectiveFrom: date(2026, 9, 1), Blocks: []Block{
		{Weekday: 7, Starts: At(2, 0), Ends: At(2, 30), Kind: KindAdmin}, // wholly in the gap: nothing
		{Weekday: 7, Starts: At(2, 30), Ends: At(3, 30), Kind: KindOpen}, // 03:00–03:30 NZDT
	}}}
	slots := expand(loc, tpl, nil, utc("2026-09-26T00:00:00Z"), utc("2026-09-28T00:00:00Z"))
	if len(slots) != 1 {
		t.Fatalf("slots = %v, want one", slots)
	}
	if s := slots[0]; !s.Start.Equal(utc("2026-09-26T14:00:00Z")) || s.Minutes() != 30 {
		t.Errorf("slot = %s–%s, want 03:00 NZDT for 30 minutes", s.Start, s.End)
	}
}

func TestCutSplitsAndDrops(t *testing.T) {
	s := Slot{Start: utc("2026-06-01T21:00:00Z"), End: utc("2026-06-02T00:00:00Z"), Kind: KindOpen}
	got := cut(nil, s, []span{{utc("2026-06-01T22:00:00Z"), utc("2026-06-01T22:30:00Z")}})
	if len(got) != 2 || got[0].Minutes() != 60 || got[1].Minutes() != 90 {
		t.Errorf("split: %v", got)
	}
	if got := cut(nil, s, []span{{utc("2026-06-01T20:00:00Z"), utc("2026-06-02T00:00:00Z")}}); len(got) != 0 {
		t.Errorf("covered: %v", got)
	}
	// Touching exceptions take nothing.
	if got := cut(nil, s, []span{{utc("2026-06-01T20:00:00Z"), utc("2026-06-01T21:00:00Z")}}); len(got) != 1 || got[0] != s {
		t.Errorf("touching: %v", got)
	}
}

// Property: over a year in both zones, random valid weeks and random
// exceptions never give an empty or negative slot; every slot starts and ends
// at its block's wall-clock times unless an exception or the range cut it;
// slots are ordered, disjoint, inside the range and outside every exception.
func TestExpandPropertyOverAYear(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 5))
	kinds := []Kind{KindOpen, KindBooked, KindGroup, KindAdmin}
	for round := range 40 {
		loc := zone(t, []string{"Pacific/Auckland", "Pacific/Chatham"}[round%2])
		var blocks []Block
		for wd := 1; wd <= 7; wd++ {
			for c := DayStarts; ; {
				c += Clock(r.IntN(12) * GridMinutes)
				end := c + Clock((1+r.IntN(36))*GridMinutes)
				if end > DayEnds {
					break
				}
				blocks = append(blocks, Block{Weekday: wd, Starts: c, Ends: end, Kind: kinds[r.IntN(4)]})
				c = end
			}
		}
		n := NewTemplate{PractitionerID: [16]byte{1}, EffectiveFrom: date(2026, 1, 1), Blocks: blocks}
		if err := n.Validate(); err != nil {
			t.Fatalf("generated template invalid: %v", err)
		}
		from := utc("2025-12-31T11:00:00Z").Add(time.Duration(r.IntN(48*60)) * time.Minute)
		to := from.Add(365 * 24 * time.Hour)
		var exceptions []span
		for range r.IntN(30) {
			s := from.Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
			exceptions = append(exceptions, span{s, s.Add(time.Duration(1+r.IntN(3*24*60)) * time.Minute)})
		}
		slots := expand(loc, []Template{{EffectiveFrom: n.EffectiveFrom, Blocks: sortedBlocks(blocks)}}, exceptions, from, to)
		if len(slots) == 0 {
			t.Fatal("no slots in a year")
		}
		for i, s := range slots {
			if !s.End.After(s.Start) {
				t.Fatalf("empty or negative slot %v", s)
			}
			if s.Start.Before(from) || s.End.After(to) {
				t.Fatalf("slot %v outside [%s, %s)", s, from, to)
			}
			if i > 0 && s.Start.Before(slots[i-1].End) {
				t.Fatalf("slots overlap: %v then %v", slots[i-1], s)
			}
			for _, e := range exceptions {
				if s.Start.Before(e.end) && s.End.After(e.start) {
					t.Fatalf("slot %v overlaps exception %v", s, e)
				}
			}
			ls := s.Start.In(loc)
			wd := isoWeekday(ls)
			c := At(ls.Hour(), ls.Minute())
			onGrid := c%GridMinutes == 0 || s.Start.Equal(from)
			for _, e := range exceptions {
				onGrid = onGrid || s.Start.Equal(e.end)
			}
			if !onGrid {
				t.Fatalf("slot %v starts at %s local, off the grid", s, c)
			}
			found := false
			for _, b := range blocks {
				found = found || (b.Weekday == wd && b.Starts <= c && c < b.Ends && b.Kind == s.Kind)
			}
			if !found {
				t.Fatalf("slot %v (%s %s local) matches no block", s, time.Weekday(wd%7), c)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	ok := NewTemplate{PractitionerID: [16]byte{1}, EffectiveFrom: date(2026, 1, 5), Blocks: []Block{
		{Weekday: 1, Starts: At(9, 0), Ends: At(12, 0), Kind: KindOpen},
		{Weekday: 1, Starts: At(12, 0), Ends: At(13, 0), Kind: KindAdmin}, // touching is fine
		{Weekday: 2, Starts: At(9, 0), Ends: At(12, 0), Kind: KindBooked},
	}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid template refused: %v", err)
	}
	bad := map[string]Block{
		"overlap":       {Weekday: 1, Starts: At(11, 55), Ends: At(14, 0), Kind: KindBooked},
		"off the grid":  {Weekday: 3, Starts: At(9, 2), Ends: At(10, 0), Kind: KindOpen},
		"too early":     {Weekday: 3, Starts: At(5, 55), Ends: At(10, 0), Kind: KindOpen},
		"too late":      {Weekday: 3, Starts: At(21, 0), Ends: At(22, 5), Kind: KindOpen},
		"empty":         {Weekday: 3, Starts: At(9, 0), Ends: At(9, 0), Kind: KindOpen},
		"negative":      {Weekday: 3, Starts: At(10, 0), Ends: At(9, 0), Kind: KindOpen},
		"weekday 0":     {Weekday: 0, Starts: At(9, 0), Ends: At(10, 0), Kind: KindOpen},
		"weekday 8":     {Weekday: 8, Starts: At(9, 0), Ends: At(10, 0), Kind: KindOpen},
		"unknown kind":  {Weekday: 3, Starts: At(9, 0), Ends: At(10, 0), Kind: "lunch"},
		"duplicate day": {Weekday: 2, Starts: At(9, 0), Ends: At(12, 0), Kind: KindOpen},
	}
	for name, b := range bad {
		n := ok
		n.Blocks = append(append([]Block(nil), ok.Blocks...), b)
		if err := n.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	n := ok
	n.EffectiveTo = n.EffectiveFrom
	if n.Validate() == nil {
		t.Error("effective_to on effective_from accepted")
	}
}

func TestParseClock(t *testing.T) {
	for s, want := range map[string]Clock{"06:00": 360, "09:35": 575, "22:00": 1320, "00:00": 0} {
		if got, err := ParseClock(s); err != nil || got != want || got.String() != s {
			t.Errorf("ParseClock(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"9:00", "25:00", "09:60", "0900", "ab:cd", "24:01"} {
		if _, err := ParseClock(s); err == nil {
			t.Errorf("ParseClock(%q) accepted", s)
		}
	}
}

func TestOpenByDay(t *testing.T) {
	loc := zone(t, "Pacific/Auckland")
	tpl := []Template{{EffectiveFrom: date(2026, 1, 1), Blocks: []Block{
		{Weekday: 7, Starts: At(9, 0), Ends: At(12, 0), Kind: KindOpen},
		{Weekday: 7, Starts: At(13, 0), Ends: At(16, 0), Kind: KindBooked},
		{Weekday: 1, Starts: At(9, 0), Ends: At(11, 30), Kind: KindOpen},
	}}}
	from := time.Date(2026, 9, 26, 0, 0, 0, 0, loc) // Saturday, the spring change that night
	to := time.Date(2026, 9, 29, 0, 0, 0, 0, loc)
	days := openByDay(loc, expand(loc, tpl, nil, from, to), from, to)
	want := []int{0, 180, 150}
	if len(days) != len(want) {
		t.Fatalf("days = %v", days)
	}
	for i, d := range days {
		if d.OpenMinutes != want[i] || !d.Date.Equal(date(2026, 9, 26+i)) {
			t.Errorf("day %d = %v, want %d open minutes", i, d, want[i])
		}
	}
}
