package protect

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/report"
)

var (
	pA = uuid.MustParse("00000000-0000-7000-8000-00000000000a")
	pB = uuid.MustParse("00000000-0000-7000-8000-00000000000b")
	pC = uuid.MustParse("00000000-0000-7000-8000-00000000000c")
)

func key(p uuid.UUID, line, measure, dim, group string) report.Key {
	return report.Key{Practice: p, Line: line, Measure: measure, Dim: dim, Group: group}
}

func people(k report.Key, n int) report.Cell {
	return report.Cell{Key: k, Figure: float64(n), People: n}
}

func TestRulesFor(t *testing.T) {
	id := uuid.MustParse("0190a000-0000-7000-8000-000000000001")
	p := report.FiscalQuarter(2027, 1)
	tests := []struct {
		name string
		c    report.Contract
		want Rules
	}{
		{"default threshold", report.Contract{ID: id, Rounding: true, RoundingKey: "k1"},
			Rules{Threshold: 6, Rounding: true, Seed: "k1/" + id.String() + "/FY2027-Q1"}},
		{"contract threshold, no rounding", report.Contract{ID: id, Threshold: 10, RoundingKey: "k2"},
			Rules{Threshold: 10, Rounding: false, Seed: "k2/" + id.String() + "/FY2027-Q1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RulesFor(tc.c, p); got != tc.want {
				t.Fatalf("RulesFor = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRR3(t *testing.T) {
	d := newDrawer("seed-one")
	for _, floor := range []int{0, 6, 8} {
		downs := map[int]int{} // remainder → times rounded down
		draws := map[int]int{} // remainder → times drawn
		for v := max(floor, 0); v < 300; v++ {
			for n := 0; n < 30; n++ {
				u := d.draw(fmt.Sprintf("%d/%d", v, n))
				if u < 0 || u >= 1 {
					t.Fatalf("draw %v outside [0,1)", u)
				}
				got := rr3(v, u, floor)
				if got%3 != 0 || got < v-2 || got > v+2 {
					t.Fatalf("rr3(%d) = %d: not a multiple of 3 within ±2", got, v)
				}
				if small(got, floor) {
					t.Fatalf("rr3(%d, floor %d) = %d: lands in the suppressed range", v, floor, got)
				}
				if v%3 == 0 && got != v {
					t.Fatalf("rr3(%d) = %d: multiples of 3 must stay", v, got)
				}
				if got < v {
					downs[v%3]++
				}
				draws[v%3]++
			}
		}
		if floor != 0 {
			continue
		}
		// Stats NZ: remainder 1 rounds down 2/3 of the time, remainder 2 1/3.
		for rem, want := range map[int]float64{1: 2.0 / 3, 2: 1.0 / 3} {
			share := float64(downs[rem]) / float64(draws[rem])
			if math.Abs(share-want) > 0.04 {
				t.Errorf("remainder %d rounds down %.3f of the time, want about %.3f", rem, share, want)
			}
		}
	}
}

func TestRoundingDeterministicPerSeed(t *testing.T) {
	build := func() *report.Report {
		r := &report.Report{}
		for i := 6; i < 80; i++ {
			r.Cells = append(r.Cells, people(key(pA, report.LineHIP, report.MPeopleSeen, report.DimAgeBand, strconv.Itoa(i)), i))
		}
		return r
	}
	shown := func(seed string) []string {
		r := build()
		Apply(r, Rules{Threshold: 6, Rounding: true, Seed: seed})
		out := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			if c.Flag != FlagRounded {
				t.Fatalf("cell %d flag %q, want R", i, c.Flag)
			}
			out[i] = c.Shown
		}
		return out
	}
	a1, a2, b := shown("contract-a/2026-07"), shown("contract-a/2026-07"), shown("contract-b/2026-07")
	differ := false
	for i := range a1 {
		if a1[i] != a2[i] {
			t.Fatalf("cell %d: %s then %s with the same seed", i, a1[i], a2[i])
		}
		differ = differ || a1[i] != b[i]
	}
	if !differ {
		t.Fatal("two seeds rounded every cell the same way")
	}
}

// randomReport builds a report of people and events counts over three
// practices, every line and the additive breakdowns, with figures that are
// often small, plus the all-practices and all-lines cells summing them.
func randomReport(rng *rand.Rand) *report.Report {
	r := &report.Report{Practices: []report.Practice{{ID: pA, Name: "A"}, {ID: pB, Name: "B"}, {ID: pC, Name: "C"}}}
	dims := []report.Dimension{}
	for _, id := range []string{report.DimEthnicity, report.DimHighNeeds, report.DimNZDep} {
		d, _ := report.DimensionByID(id)
		dims = append(dims, d)
	}
	type fig struct{ n, people int }
	sum := map[report.Key]fig{}
	for _, measure := range []string{report.MPeopleSeen, report.MSessions} {
		for _, p := range []uuid.UUID{pA, pB, pC} {
			for _, line := range report.Lines {
				for _, d := range dims {
					total := fig{}
					for _, g := range d.Groups {
						f := fig{people: rng.IntN(12)}
						if rng.IntN(3) == 0 {
							f.people = 6 + rng.IntN(40)
						}
						f.n = f.people
						if measure == report.MSessions {
							f.n = f.people * (1 + rng.IntN(3))
						}
						total.n += f.n
						total.people += f.people
						for _, k := range []report.Key{key(p, line, measure, d.ID, g.ID), key(uuid.Nil, line, measure, d.ID, g.ID),
							key(p, report.LineAll, measure, d.ID, g.ID), key(uuid.Nil, report.LineAll, measure, d.ID, g.ID)} {
							s := sum[k]
							sum[k] = fig{s.n + f.n, s.people + f.people}
						}
					}
					if d.ID == report.DimEthnicity {
						for _, k := range []report.Key{key(p, line, measure, "", ""), key(uuid.Nil, line, measure, "", ""),
							key(p, report.LineAll, measure, "", ""), key(uuid.Nil, report.LineAll, measure, "", "")} {
							s := sum[k]
							sum[k] = fig{s.n + total.n, s.people + total.people}
						}
					}
				}
			}
		}
	}
	for k, f := range sum {
		r.Cells = append(r.Cells, report.Cell{Key: k, Figure: float64(f.n), People: f.people})
	}
	// Map order is random: sort so the report, like Compute's, is stable.
	sortCells(r.Cells)
	return r
}

func sortCells(cs []report.Cell) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && keyLess(cs[j].Key, cs[j-1].Key); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func TestNoSmallPeopleCellPublished(t *testing.T) {
	for _, rules := range []Rules{{Threshold: 6, Rounding: true, Seed: "s1"}, {Threshold: 6, Seed: "s2"},
		{Threshold: 10, Rounding: true, Seed: "s3"}, {Threshold: 3, Rounding: true, Seed: "s4"}} {
		t.Run(fmt.Sprintf("threshold %d rounding %v", rules.Threshold, rules.Rounding), func(t *testing.T) {
			r := randomReport(rand.New(rand.NewPCG(uint64(rules.Threshold), 7)))
			why := apply(r, rules)
			var suppressed, comp int
			for i, c := range r.Cells {
				if c.Shown == Suppressed {
					suppressed++
					if c.Flag != FlagSuppressed {
						t.Fatalf("%+v shown S with flag %q", c.Key, c.Flag)
					}
					if why[i] == complementary {
						comp++
					}
					continue
				}
				n, err := strconv.Atoi(c.Shown)
				if err != nil {
					t.Fatalf("%+v shown %q: not a count", c.Key, c.Shown)
				}
				if c.Measure == report.MPeopleSeen && small(n, rules.Threshold) {
					t.Fatalf("%+v: published %d people, inside 1..%d", c.Key, n, rules.Threshold-1)
				}
				if small(c.People, rules.Threshold) {
					t.Fatalf("%+v: published with %d people behind it", c.Key, c.People)
				}
				if rules.Rounding && n%3 != 0 {
					t.Fatalf("%+v: %d is not rounded to base 3", c.Key, n)
				}
				if !rules.Rounding && float64(n) != c.Figure {
					t.Fatalf("%+v: %d shown for %v without rounding", c.Key, n, c.Figure)
				}
			}
			if suppressed == 0 || comp == 0 {
				t.Fatalf("the data set should need suppression: %d suppressed, %d complementary", suppressed, comp)
			}
			assertNoLoneSuppression(t, r)
		})
	}
}

// assertNoLoneSuppression checks the published output, not the internals:
// in every additive group whose parent is published, either nothing is
// withheld or at least two members are.
func assertNoLoneSuppression(t *testing.T, r *report.Report) {
	t.Helper()
	metrics := make([]*report.Metric, len(r.Cells))
	for i, c := range r.Cells {
		metrics[i] = catalogue[c.Measure]
	}
	for _, g := range additiveGroups(r, metrics, newKeys(r.Cells)) {
		if r.Cells[g.parent].Shown == Suppressed {
			continue
		}
		hidden := 0
		for _, i := range g.members {
			if r.Cells[i].Shown == Suppressed {
				hidden++
			}
		}
		if hidden == 1 {
			t.Fatalf("group under %+v has exactly one withheld member", r.Cells[g.parent].Key)
		}
	}
}

func TestComplementarySuppression(t *testing.T) {
	eth, _ := report.DimensionByID(report.DimEthnicity)
	figures := map[string]int{"maori": 3, "pacific": 40, "asian": 12, "melaa": 9, "other": 0, "european": 60, "unknown": 15}
	r := &report.Report{}
	total := 0
	for _, g := range eth.Groups {
		r.Cells = append(r.Cells, people(key(pA, report.LineHIP, report.MPeopleSeen, report.DimEthnicity, g.ID), figures[g.ID]))
		total += figures[g.ID]
	}
	r.Cells = append(r.Cells, people(key(pA, report.LineHIP, report.MPeopleSeen, "", ""), total))
	why := apply(r, Rules{Threshold: 6, Seed: "x"})

	published, hidden := 0, []int{}
	for i, c := range r.Cells[:len(eth.Groups)] {
		if c.Shown == Suppressed {
			hidden = append(hidden, i)
			continue
		}
		n, _ := strconv.Atoi(c.Shown)
		published += n
	}
	if len(hidden) < 2 {
		t.Fatalf("withheld %d ethnicity cells, want at least 2", len(hidden))
	}
	shownTotal, _ := strconv.Atoi(r.Cells[len(eth.Groups)].Shown)
	for _, i := range hidden {
		if shownTotal-published == int(r.Cells[i].Figure) {
			t.Fatalf("total − published siblings = %d recovers %s", shownTotal-published, r.Cells[i].Group)
		}
	}
	// The partner is the smallest non-zero published group (MELAA, 9), not
	// the zero; and it is recorded as complementary.
	if why[0] != primary || why[3] != complementary || r.Cells[3].Group != "melaa" {
		t.Fatalf("reasons %v: want māori primary and melaa complementary", why)
	}
	if r.Cells[4].Shown != "0" || r.Cells[4].Flag != "" {
		t.Fatalf("zero group shown %q flag %q, want 0 unflagged", r.Cells[4].Shown, r.Cells[4].Flag)
	}
}

func TestComplementaryAcrossPracticesAndLines(t *testing.T) {
	// Practice A has 4 people on the HIP line: withheld. The all-practices
	// cell (A+B) and the all-lines cell for A (HIP + coach) would give it
	// away, so B's HIP and A's coach cells go too; B's HIP then stands alone
	// under B's all-lines cell, and the fixed point takes B's coach cell.
	r := &report.Report{Cells: []report.Cell{
		people(key(pA, report.LineHIP, report.MPeopleSeen, "", ""), 4),
		people(key(pB, report.LineHIP, report.MPeopleSeen, "", ""), 30),
		people(key(uuid.Nil, report.LineHIP, report.MPeopleSeen, "", ""), 34),
		people(key(pA, report.LineHealthCoach, report.MPeopleSeen, "", ""), 20),
		people(key(pA, report.LineAll, report.MPeopleSeen, "", ""), 24),
		people(key(pB, report.LineHealthCoach, report.MPeopleSeen, "", ""), 10),
		people(key(pB, report.LineAll, report.MPeopleSeen, "", ""), 40),
		people(key(uuid.Nil, report.LineHealthCoach, report.MPeopleSeen, "", ""), 30),
		people(key(uuid.Nil, report.LineAll, report.MPeopleSeen, "", ""), 64),
	}}
	why := apply(r, Rules{Threshold: 6, Seed: "x"})
	want := map[int]reason{0: primary, 1: complementary, 3: complementary, 5: complementary}
	for i, w := range want {
		if why[i] != w {
			t.Errorf("%+v: reason %d, want %d", r.Cells[i].Key, why[i], w)
		}
	}
	assertNoLoneSuppression(t, r)
}

func TestLoneMemberSuppressesParent(t *testing.T) {
	r := &report.Report{Cells: []report.Cell{
		people(key(pA, report.LineHIP, report.MPeopleSeen, "", ""), 4),
		people(key(uuid.Nil, report.LineHIP, report.MPeopleSeen, "", ""), 8),
	}}
	why := apply(r, Rules{Threshold: 6, Seed: "x"})
	if why[1] != complementary || r.Cells[1].Shown != Suppressed {
		t.Fatalf("parent of a lone withheld member: reason %d shown %q, want complementary S", why[1], r.Cells[1].Shown)
	}
}

func TestEventsFollowTheirPeople(t *testing.T) {
	r := &report.Report{Cells: []report.Cell{
		{Key: key(pA, report.LineHIP, report.MSessions, "", ""), Figure: 14, People: 4},
		{Key: key(pA, report.LineHIP, report.MDNA, "", ""), Figure: 7, People: 0}, // no people recorded: fail closed
		{Key: key(pA, report.LineHIP, report.MReferrals, "", ""), Figure: 2, People: 9},
		{Key: key(pA, report.LineHIP, "not_a_metric", "", ""), Figure: 100, People: 100},
	}}
	Apply(r, Rules{Threshold: 6, Seed: "x"})
	want := []string{"S", "S", "2", "S"}
	for i, c := range r.Cells {
		if c.Shown != want[i] {
			t.Errorf("%s: shown %q, want %q", c.Measure, c.Shown, want[i])
		}
	}
}

func TestRatesMeansMedians(t *testing.T) {
	k7 := func(m string) report.Key { return key(pA, report.LineHIP, m, report.DimEthnicity, "maori") }
	// Totals of another practice, so no additive group joins them to k7's cells.
	kt := func(m string) report.Key { return key(pB, report.LineHIP, m, "", "") }
	r := &report.Report{Cells: []report.Cell{
		// Numerator count is small: the rate goes with it, though 9 people were introduced.
		people(k7(report.MSeenWithin7), 4),
		{Key: k7(report.MSeenWithin7Rate), Figure: 4.0 / 9, Num: 4, Den: 9, People: 9},
		// Numerator published, people enough: shown as a percentage.
		people(kt(report.MSeenWithin7), 50),
		{Key: kt(report.MSeenWithin7Rate), Figure: 50.0 / 60, Num: 50, Den: 60, People: 60},
		// Nothing to divide by.
		{Key: kt(report.MDNARate), Figure: 0, Den: 0},
		// A mean over too few people.
		{Key: kt(report.MUsefulnessMean), Figure: 9.25, Num: 37, Den: 4, People: 4},
		// A median, shown with one decimal.
		{Key: kt(report.MMedianDays), Figure: 2.5, Num: 2.5, Den: 12, People: 12},
		// A rate that is not a percentage.
		{Key: kt(report.MNewPerFTE), Figure: 512.345, Num: 300, Den: 0.5855, People: 300},
	}}
	Apply(r, Rules{Threshold: 6, Rounding: true, Seed: "x"})
	want := []struct{ shown, flag string }{
		{"S", "S"}, {"S", "S"}, {"", ""}, {"83.3", ""}, {"", "N"}, {"S", "S"}, {"2.5", ""}, {"512.3", ""},
	}
	for i, w := range want {
		c := r.Cells[i]
		if i == 2 {
			if c.Flag != FlagRounded {
				t.Errorf("count flag %q, want R", c.Flag)
			}
			continue
		}
		if c.Shown != w.shown || c.Flag != w.flag {
			t.Errorf("%s: shown %q flag %q, want %q %q", c.Measure, c.Shown, c.Flag, w.shown, w.flag)
		}
	}
	if !r.Protected {
		t.Fatal("Apply left the report unprotected")
	}
}

func TestRateHiddenWhenNumeratorComplementary(t *testing.T) {
	eth, _ := report.DimensionByID(report.DimEthnicity)
	r := &report.Report{}
	total := 0
	for n, g := range eth.Groups {
		f := 20 + n
		if g.ID == "maori" {
			f = 2
		}
		total += f
		r.Cells = append(r.Cells, people(key(pA, report.LineHIP, report.MPeopleSeen, report.DimEthnicity, g.ID), f))
	}
	r.Cells = append(r.Cells, people(key(pA, report.LineHIP, report.MPeopleSeen, "", ""), total),
		report.Cell{Key: key(pA, report.LineHIP, report.MPenetration, report.DimEthnicity, "pacific"),
			Figure: 0.1, Num: 20, Den: 200, People: 20})
	Apply(r, Rules{Threshold: 6, Seed: "x"})
	if r.Cells[1].Shown != Suppressed {
		t.Fatalf("pacific (smallest published) should be the complementary cell, shown %q", r.Cells[1].Shown)
	}
	if last := r.Cells[len(r.Cells)-1]; last.Shown != Suppressed {
		t.Fatalf("penetration over a complementary-suppressed count shown %q", last.Shown)
	}
}

func TestTrend(t *testing.T) {
	months := report.FiscalQuarter(2027, 1).Months()
	r := &report.Report{Trend: []report.TrendPoint{
		{Month: months[0], Practice: pA, Line: report.LineHIP,
			Sessions: report.Cell{Figure: 9, People: 3}, People: report.Cell{Figure: 3, People: 3}},
		{Month: months[1], Practice: pA, Line: report.LineHIP,
			Sessions: report.Cell{Figure: 41}, People: report.Cell{Figure: 20, People: 20}},
		{Month: months[2], Practice: pA, Line: report.LineHIP,
			Sessions: report.Cell{}, People: report.Cell{}},
	}}
	Apply(r, Rules{Threshold: 6, Rounding: true, Seed: "x"})
	p := r.Trend
	if p[0].People.Shown != "S" || p[0].Sessions.Shown != "S" {
		t.Fatalf("month of 3 people: %q people, %q sessions; want both S", p[0].People.Shown, p[0].Sessions.Shown)
	}
	for _, c := range []report.Cell{p[1].People, p[1].Sessions} {
		n, err := strconv.Atoi(c.Shown)
		if err != nil || n%3 != 0 || math.Abs(float64(n)-c.Figure) > 2 || c.Flag != FlagRounded {
			t.Fatalf("trend cell %v shown %q flag %q: want rounded to base 3", c.Figure, c.Shown, c.Flag)
		}
	}
	if p[2].People.Shown != "0" || p[2].Sessions.Shown != "0" {
		t.Fatalf("empty month shown %q/%q, want 0/0", p[2].People.Shown, p[2].Sessions.Shown)
	}
	// The month is part of the draw: a copy of the report rounds identically.
	again := &report.Report{Trend: append([]report.TrendPoint(nil), p...)}
	Apply(again, Rules{Threshold: 6, Rounding: true, Seed: "x"})
	if again.Trend[1].Sessions.Shown != p[1].Sessions.Shown {
		t.Fatal("trend rounding is not deterministic")
	}
}

func TestExact(t *testing.T) {
	r := &report.Report{Cells: []report.Cell{
		people(key(pA, report.LineHIP, report.MPeopleSeen, "", ""), 4),
		{Key: key(pA, report.LineHIP, report.MSeenWithin7Rate, "", ""), Figure: 3.0 / 4, Num: 3, Den: 4, People: 4},
		{Key: key(pA, report.LineHIP, report.MDNARate, "", "")},
	}, Trend: []report.TrendPoint{{Month: report.Month(2026, 7), Sessions: report.Cell{Figure: 7, People: 2},
		People: report.Cell{Figure: 2, People: 2}}}}
	before := r.Cells[1]
	Exact(r)
	want := []struct{ shown, flag string }{{"4", ""}, {"75.0", ""}, {"", "N"}}
	for i, w := range want {
		if r.Cells[i].Shown != w.shown || r.Cells[i].Flag != w.flag {
			t.Errorf("%s: %q %q, want %q %q", r.Cells[i].Measure, r.Cells[i].Shown, r.Cells[i].Flag, w.shown, w.flag)
		}
	}
	if r.Cells[1].Figure != before.Figure || r.Cells[1].Num != before.Num || r.Cells[1].Den != before.Den {
		t.Fatal("Exact changed a figure")
	}
	if r.Trend[0].Sessions.Shown != "7" || r.Trend[0].People.Shown != "2" {
		t.Fatalf("trend %q/%q, want exact 7/2", r.Trend[0].Sessions.Shown, r.Trend[0].People.Shown)
	}
	if r.Protected {
		t.Fatal("Exact marked the report protected")
	}
}

func TestFormat(t *testing.T) {
	m := func(id string) report.Metric { x, _ := report.MetricByID(id); return x }
	tests := []struct {
		metric report.Metric
		v      float64
		want   string
	}{
		{m(report.MPeopleSeen), 12, "12"},
		{m(report.MSessions), 12.0000001, "12"},
		{m(report.MSeenWithin7Rate), 5.0 / 6, "83.3"},
		{m(report.MSeenWithin7Rate), 0.8125, "81.3"},
		{m(report.MSeenWithin7Rate), 1, "100.0"},
		{m(report.MNewPerFTE), 550.04, "550.0"},
		{m(report.MSessionsPerPerson), 3.25, "3.3"},
		{m(report.MK10Change), -0.01, "0.0"},
		{m(report.MK10Change), -4.36, "-4.4"},
		{m(report.MMedianDays), 3, "3.0"},
		{m(report.MDNARate), math.NaN(), ""},
	}
	for _, tc := range tests {
		if got := Format(tc.metric, tc.v); got != tc.want {
			t.Errorf("Format(%s, %v) = %q, want %q", tc.metric.ID, tc.v, got, tc.want)
		}
	}
}

// The numbered keys order cells exactly as keyLess orders their keys, packed
// or not.
func TestKeysOrderAsKeyLess(t *testing.T) {
	r := randomReport(rand.New(rand.NewPCG(3, 4)))
	ks := newKeys(r.Cells)
	if ks.packed == nil {
		t.Fatal("a small report's keys were not packed")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	sign := func(less, more bool) int {
		switch {
		case less:
			return -1
		case more:
			return 1
		}
		return 0
	}
	for range 20000 {
		i, j := rng.IntN(len(r.Cells)), rng.IntN(len(r.Cells))
		want := sign(keyLess(r.Cells[i].Key, r.Cells[j].Key), keyLess(r.Cells[j].Key, r.Cells[i].Key))
		if got := ks.compare(i, j); got != want {
			t.Fatalf("packed compare(%v, %v) = %d, want %d", r.Cells[i].Key, r.Cells[j].Key, got, want)
		}
		if got := ks.of[i].compare(ks.of[j]); got != want {
			t.Fatalf("compare(%v, %v) = %d, want %d", r.Cells[i].Key, r.Cells[j].Key, got, want)
		}
	}
}

// find gives the same cell whether the keys are packed or not (a report too
// wide to pack falls back to the five numbers).
func TestKeysFindPackedOrNot(t *testing.T) {
	r := randomReport(rand.New(rand.NewPCG(8, 9)))
	packed := newKeys(r.Cells)
	wide := *packed
	wide.packed, wide.byPacked = nil, nil
	wide.byKey = map[ikey]int32{}
	for i, k := range wide.of {
		wide.byKey[k] = int32(i)
	}
	for i := range r.Cells {
		for _, line := range append([]string{report.LineAll}, report.Lines...) {
			a, okA := packed.with(i, fLine, line)
			b, okB := wide.with(i, fLine, line)
			if a != b || okA != okB {
				t.Fatalf("cell %d, line %q: packed %d %v, wide %d %v", i, line, a, okA, b, okB)
			}
			if okA && (r.Cells[a].Line != line || r.Cells[a].Measure != r.Cells[i].Measure || r.Cells[a].Practice != r.Cells[i].Practice) {
				t.Fatalf("cell %d, line %q: found %+v", i, line, r.Cells[a].Key)
			}
		}
	}
	if _, ok := packed.with(0, fMeasure, "no such measure"); ok {
		t.Fatal("found a cell of a measure no cell has")
	}
}

// A cell's draw reads the bytes cellKey names, built in place: published
// runs rounded with those draws must round the same way on a re-run.
func TestDrawCellAtIsDrawOfCellKey(t *testing.T) {
	d := newDrawer("seed")
	for _, k := range []report.Key{
		key(pA, report.LineHIP, report.MPeopleSeen, report.DimEthnicity, "maori"),
		key(uuid.Nil, report.LineAll, report.MSessions, "", ""),
		key(pB, report.LineSupportWorker, report.MReferrals, report.DimNZDep, "5"),
	} {
		want := newDrawer("seed").draw(cellKey(k))
		if got := d.drawCellAt(&k, []byte(k.Practice.String())); got != want {
			t.Errorf("%+v: drawCellAt %v, draw(cellKey) %v", k, got, want)
		}
	}
}

// keyLess is the order of keys, spelled out on the keys themselves: the
// oracle for the numbered keys' order.
func keyLess(a, b report.Key) bool {
	if c := bytes.Compare(a.Practice[:], b.Practice[:]); c != 0 {
		return c < 0
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Measure != b.Measure {
		return a.Measure < b.Measure
	}
	if a.Dim != b.Dim {
		return a.Dim < b.Dim
	}
	return a.Group < b.Group
}
