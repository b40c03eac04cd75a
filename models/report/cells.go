package report

import (
	"slices"

	"github.com/google/uuid"
)

// cells turns the aggregated rows into the report's cells. Every figure
// comes from one metric's definition here; a breakdown group nobody fell in
// has no row and so no cell (its counts are zero).
func (q *query) cells(r *Report) {
	// About a dozen cells come of each aggregated row.
	r.Cells = make([]Cell, 0, 14*len(q.cube)+len(q.medians)+len(q.enrolled)+len(q.fte))
	enrolled := map[Key]float64{}
	for _, e := range q.enrolled {
		k := Key{Practice: practice(e.TenantID), Line: LineAll, Measure: MEnrolled, Dim: e.Dim, Group: e.Grp}
		enrolled[k] = float64(e.Count)
		r.Cells = append(r.Cells, Cell{Key: k, Figure: float64(e.Count), People: int(e.Count)})
	}
	fte := map[Key]float64{}
	for _, f := range q.fte {
		line := LineAll
		if f.Line != nil {
			line = *f.Line
		}
		if line != LineAll && !slices.Contains(r.Lines, line) {
			continue
		}
		k := Key{Practice: practice(f.TenantID), Line: line, Measure: MFTE}
		fte[k] = f.FTEYears
		r.Cells = append(r.Cells, Cell{Key: k, Figure: f.FTEYears, Num: f.FTEYears, Den: 1})
	}
	for _, c := range q.cube {
		base := Key{Practice: practice(c.TenantID), Line: line(c.Line), Dim: c.Dim, Group: c.Grp}
		add := func(measure string, figure float64, people int64) {
			if !wanted(measure, base) || (figure == 0 && base.Dim != "") {
				return
			}
			k := base
			k.Measure = measure
			r.Cells = append(r.Cells, Cell{Key: k, Figure: figure, People: int(people)})
		}
		ratio := func(measure string, num, den float64, people int64) {
			if !wanted(measure, base) || (den == 0 && base.Dim != "") {
				return
			}
			k := base
			k.Measure = measure
			cell := Cell{Key: k, Num: num, Den: den, People: int(people)}
			if den != 0 {
				cell.Figure = num / den
			}
			r.Cells = append(r.Cells, cell)
		}
		add(MSessions, float64(c.Sessions), c.Seen)
		add(MPeopleSeen, float64(c.Seen), c.Seen)
		add(MNewPeople, float64(c.New), c.New)
		add(MFollowUps, float64(c.Sessions-c.New), c.Seen)
		add(MIntroduced, float64(c.Intro), c.Intro)
		add(MIntroducedSeen, float64(c.IntroSeen), c.IntroSeen)
		add(MSeenSameDay, float64(c.IntroSameDay), c.IntroSameDay)
		add(MSeenWithin7, float64(c.Intro7), c.Intro7)
		ratio(MAccessConversion, float64(c.IntroSeen), float64(c.Intro), c.Intro)
		ratio(MSeenSameDayRate, float64(c.IntroSameDay), float64(c.Intro), c.Intro)
		ratio(MSeenWithin7Rate, float64(c.Intro7), float64(c.Intro), c.Intro)
		add(MDNA, float64(c.DNA), c.DNAPeople)
		ratio(MDNARate, float64(c.DNA), float64(c.Sessions+c.DNA), c.SDPeople)
		ratio(MSessionsPerPerson, float64(c.Sessions), float64(c.Seen), c.Seen)
		add(MUsefulnessCount, float64(c.UsefulN), c.UsefulPeople)
		ratio(MUsefulnessMean, float64(c.UsefulSum), float64(c.UsefulN), c.UsefulPeople)
		add(MK10People, float64(c.K10People), c.K10People)
		ratio(MK10Change, float64(c.K10Sum), float64(c.K10People), c.K10People)
		add(MReferrals, float64(c.Referrals), c.RefPeople)
		add(MReferralsInTarget, float64(c.RefTarget), c.RefPeople)
		ratio(MReferralsRate, float64(c.RefTarget), float64(c.Referrals), c.RefPeople)
		add(MCaseload, float64(c.Caseload), c.Caseload)
		add(MEpisodesClosed, float64(c.Closed), c.ClosedPeople)
		if base.Dim == "" || slices.Contains(metricDims(MPenetration), base.Dim) {
			ek := Key{Practice: base.Practice, Line: LineAll, Measure: MEnrolled, Dim: base.Dim, Group: base.Group}
			if den, ok := enrolled[ek]; ok {
				ratio(MPenetration, float64(c.Seen), den, c.Seen)
			}
		}
		if base.Dim == "" {
			if years, ok := fte[Key{Practice: base.Practice, Line: base.Line, Measure: MFTE}]; ok {
				ratio(MNewPerFTE, float64(c.New), years, c.New)
			}
			// Sessions by mode and kind, each with the people who had one.
			for _, m := range []struct {
				dim, group    string
				sessions, ppl int64
			}{
				{DimMode, "in_person", c.InPerson, c.PInPerson}, {DimMode, "phone", c.Phone, c.PPhone},
				{DimMode, "video", c.Video, c.PVideo}, {DimMode, "community", c.Community, c.PCommunity},
				{DimKind, "booked", c.Booked, c.PBooked}, {DimKind, "same_day", c.SameDay, c.PSameDay},
				{DimKind, "group", c.Grp_, c.PGrp},
			} {
				if m.sessions == 0 {
					continue
				}
				k := base
				k.Measure, k.Dim, k.Group = MSessions, m.dim, m.group
				r.Cells = append(r.Cells, Cell{Key: k, Figure: float64(m.sessions), People: int(m.ppl)})
			}
		}
	}
	for _, m := range q.medians {
		k := Key{Practice: practice(m.TenantID), Line: line(m.Line), Measure: MMedianDays, Dim: m.Dim, Group: m.Grp}
		if wanted(MMedianDays, k) {
			r.Cells = append(r.Cells, Cell{Key: k, Figure: m.Median, Num: m.Median, Den: float64(m.N), People: int(m.N)})
		}
	}
	q.trendPoints(r)
}

// trendPoints fills r.Trend: every month × line for all practices (zero
// where nothing happened, so charts run on), and each practice's months
// that had sessions.
func (q *query) trendPoints(r *Report) {
	type tk struct {
		month    string
		practice uuid.UUID
		line     string
	}
	got := map[tk]trendRow{}
	for _, t := range q.trend {
		got[tk{t.Period, practice(t.TenantID), line(t.Line)}] = t
	}
	point := func(m Period, pr uuid.UUID, l string, t trendRow) TrendPoint {
		key := Key{Practice: pr, Line: l}
		s, p := key, key
		s.Measure, p.Measure = MSessions, MPeopleSeen
		return TrendPoint{Month: m, Practice: pr, Line: l,
			Sessions: Cell{Key: s, Figure: float64(t.Sessions), People: int(t.People)},
			People:   Cell{Key: p, Figure: float64(t.People), People: int(t.People)}}
	}
	lines := append([]string{LineAll}, r.Lines...)
	for _, m := range TrendMonths(q.p) {
		for _, l := range lines {
			r.Trend = append(r.Trend, point(m, uuid.Nil, l, got[tk{m.Label, uuid.Nil, l}]))
		}
		for _, pr := range r.Practices {
			for _, l := range lines {
				if t, ok := got[tk{m.Label, pr.ID, l}]; ok {
					r.Trend = append(r.Trend, point(m, pr.ID, l, t))
				}
			}
		}
	}
}

// wanted reports whether a metric has a cell for this key: its line and its
// breakdown.
func wanted(measure string, k Key) bool {
	m := metricRef(measure)
	if m == nil {
		return false
	}
	if m.Lines != nil && !slices.Contains(m.Lines, k.Line) {
		return false
	}
	return k.Dim == "" || slices.Contains(m.Dims, k.Dim)
}

func metricDims(id string) []string {
	return metricRef(id).Dims
}

func practice(id uuid.NullUUID) uuid.UUID {
	if !id.Valid {
		return uuid.Nil
	}
	return id.UUID
}

func line(l string) string {
	if l == "all" {
		return LineAll
	}
	return l
}
