package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/workforce"
)

// Scope is what a report covers: a set of practices and service lines.
type Scope struct {
	Practices []Practice
	Lines     []string // nil: every line
	// TotalResponse adds total-response ethnicity cells beside prioritised.
	TotalResponse bool
}

// Compute computes every metric for the practices and lines of s in period
// p: for each practice and for all of them, each line and all lines, in
// total and by each breakdown the metric has; and the sessions trend for the
// 12 months ending with p's last month. Figures are exact: protect them
// before they leave the practices' own staff.
//
// Stale facts of those practices are rebuilt first; then everything is read
// in one READ ONLY, REPEATABLE READ transaction (db.AcrossTenants, purpose
// audited), so every figure comes from the same snapshot, whose time is AsOf.
// Every figure is aggregated in SQL, into each practice's cells
// (report_cells, rebuilt with the facts); Go adds up the practices' cells
// for all of them and turns the rows into cells.
func Compute(ctx context.Context, d *db.DB, purpose string, s Scope, p Period) (*Report, error) {
	if len(s.Practices) == 0 {
		return nil, fmt.Errorf("report.Compute: %w", fault.InvalidField("practices", "a report covers at least one practice"))
	}
	lines := s.Lines
	if len(lines) == 0 {
		lines = Lines
	}
	for _, l := range lines {
		if !slices.Contains(Lines, l) {
			return nil, fmt.Errorf("report.Compute: %w", fault.InvalidField("line", "unknown service line "+l))
		}
	}
	lines = slices.DeleteFunc(slices.Clone(Lines), func(l string) bool { return !slices.Contains(lines, l) })
	ids := make([]uuid.UUID, len(s.Practices))
	for i, pr := range s.Practices {
		ids[i] = pr.ID
	}
	q := query{ids: ids, lines: append(slices.Clone(lines), "all"), p: p, totalResponse: s.TotalResponse}
	for attempt := 0; ; attempt++ {
		var stale []uuid.UUID
		err := d.AcrossTenants(ctx, ids, purpose, func(tx *db.Tx) error {
			if err := tx.Raw(`SELECT DISTINCT tenant_id FROM report_stale WHERE tenant_id = ANY(?)`,
				pq.Array(ids)).Scan(&stale).Error; err != nil {
				return err
			}
			if len(stale) > 0 && attempt < 3 {
				return nil
			}
			stale = nil
			return q.read(tx)
		})
		if err != nil {
			return nil, fmt.Errorf("report.Compute: %w", err)
		}
		if len(stale) == 0 {
			break
		}
		if err := Refresh(ctx, d, stale); err != nil {
			return nil, fmt.Errorf("report.Compute: %w", err)
		}
	}
	r := &Report{Period: p, Lines: lines, AsOf: q.asOf, Version: q.version,
		Practices: slices.SortedFunc(slices.Values(s.Practices), func(a, b Practice) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID.String(), b.ID.String()))
		})}
	r.Contract.TotalResponse = s.TotalResponse
	q.cells(r)
	return r, nil
}

// query holds one Compute's parameters and what it read.
type query struct {
	ids           []uuid.UUID
	lines         []string // with "all"
	p             Period
	totalResponse bool

	asOf     time.Time
	version  int64
	cube     []cubeRow
	medians  []medianRow
	enrolled []enrolRow
	fte      []fteRow
	trend    []trendRow
}

// factSum is one column of report_cells: a sum over a practice's fact rows,
// and the field of cubeRow that holds its sum over practices.
type factSum struct {
	name, expr string
	field      func(*cubeRow) *int64
}

// column is the sum's column name ("grp" names a breakdown's group, so the
// group sessions are "grp_").
func (f factSum) column() string {
	if f.name == "grp" {
		return "grp_"
	}
	return f.name
}

// factSums are the per-cell sums of fact rows, in report_cells's column
// order (migration 00026).
var factSums = []factSum{
	{"seen", "count(*) FILTER (WHERE sessions > 0)", func(c *cubeRow) *int64 { return &c.Seen }},
	{"sessions", "sum(sessions)", func(c *cubeRow) *int64 { return &c.Sessions }},
	{"in_person", "sum(s_in_person)", func(c *cubeRow) *int64 { return &c.InPerson }},
	{"p_in_person", "count(*) FILTER (WHERE s_in_person > 0)", func(c *cubeRow) *int64 { return &c.PInPerson }},
	{"phone", "sum(s_phone)", func(c *cubeRow) *int64 { return &c.Phone }},
	{"p_phone", "count(*) FILTER (WHERE s_phone > 0)", func(c *cubeRow) *int64 { return &c.PPhone }},
	{"video", "sum(s_video)", func(c *cubeRow) *int64 { return &c.Video }},
	{"p_video", "count(*) FILTER (WHERE s_video > 0)", func(c *cubeRow) *int64 { return &c.PVideo }},
	{"community", "sum(s_community)", func(c *cubeRow) *int64 { return &c.Community }},
	{"p_community", "count(*) FILTER (WHERE s_community > 0)", func(c *cubeRow) *int64 { return &c.PCommunity }},
	{"booked", "sum(s_booked)", func(c *cubeRow) *int64 { return &c.Booked }},
	{"p_booked", "count(*) FILTER (WHERE s_booked > 0)", func(c *cubeRow) *int64 { return &c.PBooked }},
	{"same_day", "sum(s_same_day)", func(c *cubeRow) *int64 { return &c.SameDay }},
	{"p_same_day", "count(*) FILTER (WHERE s_same_day > 0)", func(c *cubeRow) *int64 { return &c.PSameDay }},
	{"grp", "sum(s_group)", func(c *cubeRow) *int64 { return &c.Grp_ }},
	{"p_grp", "count(*) FILTER (WHERE s_group > 0)", func(c *cubeRow) *int64 { return &c.PGrp }},
	{"new", "count(*) FILTER (WHERE is_new)", func(c *cubeRow) *int64 { return &c.New }},
	{"dna", "sum(dna)", func(c *cubeRow) *int64 { return &c.DNA }},
	{"dna_people", "count(*) FILTER (WHERE dna > 0)", func(c *cubeRow) *int64 { return &c.DNAPeople }},
	{"sd_people", "count(*) FILTER (WHERE sessions > 0 OR dna > 0)", func(c *cubeRow) *int64 { return &c.SDPeople }},
	{"intro", "count(*) FILTER (WHERE introduced)", func(c *cubeRow) *int64 { return &c.Intro }},
	{"intro_seen", "count(*) FILTER (WHERE intro_seen)", func(c *cubeRow) *int64 { return &c.IntroSeen }},
	{"intro_same_day", "count(*) FILTER (WHERE intro_same_day)", func(c *cubeRow) *int64 { return &c.IntroSameDay }},
	{"intro7", "count(*) FILTER (WHERE intro_7_days)", func(c *cubeRow) *int64 { return &c.Intro7 }},
	{"useful_sum", "sum(useful_sum)", func(c *cubeRow) *int64 { return &c.UsefulSum }},
	{"useful_n", "sum(useful_n)", func(c *cubeRow) *int64 { return &c.UsefulN }},
	{"useful_people", "count(*) FILTER (WHERE useful_n > 0)", func(c *cubeRow) *int64 { return &c.UsefulPeople }},
	{"k10_people", "count(*) FILTER (WHERE k10_n >= 2)", func(c *cubeRow) *int64 { return &c.K10People }},
	{"k10_sum", "coalesce(sum(k10_change) FILTER (WHERE k10_n >= 2), 0)", func(c *cubeRow) *int64 { return &c.K10Sum }},
	{"referrals", "sum(referrals)", func(c *cubeRow) *int64 { return &c.Referrals }},
	{"ref_people", "count(*) FILTER (WHERE referrals > 0)", func(c *cubeRow) *int64 { return &c.RefPeople }},
	{"ref_target", "sum(referrals_in_target)", func(c *cubeRow) *int64 { return &c.RefTarget }},
	{"closed", "sum(episodes_closed)", func(c *cubeRow) *int64 { return &c.Closed }},
	{"closed_people", "count(*) FILTER (WHERE episodes_closed > 0)", func(c *cubeRow) *int64 { return &c.ClosedPeople }},
	{"caseload", "count(*) FILTER (WHERE caseload)", func(c *cubeRow) *int64 { return &c.Caseload }},
}

// cubeRow is one aggregated row: a practice (or all) × line × breakdown group.
type cubeRow struct {
	TenantID     uuid.NullUUID
	Line         string
	Dim, Grp     string
	Seen         int64
	Sessions     int64
	InPerson     int64
	PInPerson    int64
	Phone        int64
	PPhone       int64
	Video        int64
	PVideo       int64
	Community    int64
	PCommunity   int64
	Booked       int64
	PBooked      int64
	SameDay      int64
	PSameDay     int64
	Grp_         int64
	PGrp         int64
	New          int64
	DNA          int64
	DNAPeople    int64
	SDPeople     int64
	Intro        int64
	IntroSeen    int64
	IntroSameDay int64
	Intro7       int64
	UsefulSum    int64
	UsefulN      int64
	UsefulPeople int64
	K10People    int64
	K10Sum       int64
	Referrals    int64
	RefPeople    int64
	RefTarget    int64
	Closed       int64
	ClosedPeople int64
	Caseload     int64
}

type medianRow struct {
	TenantID uuid.NullUUID
	Line     string
	Dim, Grp string
	Median   float64
	N        int64
}

type enrolRow struct {
	TenantID uuid.NullUUID
	Dim, Grp string
	Count    int64
}

type fteRow struct {
	TenantID uuid.NullUUID
	Line     *string
	FTEYears float64 `gorm:"column:fte_years"`
}

type trendRow struct {
	TenantID uuid.NullUUID
	Period   string
	Line     string
	People   int64
	Sessions int64
}

// The expressions that name a fact row's breakdown and group in a GROUPING
// SETS aggregate over the person breakdowns (facts.go's cellsSQL).
const (
	cubeDim = `CASE WHEN GROUPING(eth) = 0 THEN 'ethnicity' WHEN GROUPING(age_band) = 0 THEN 'age_band'
	    WHEN GROUPING(youth) = 0 THEN 'youth' WHEN GROUPING(gender) = 0 THEN 'gender'
	    WHEN GROUPING(nzdep) = 0 THEN 'nzdep' WHEN GROUPING(hn) = 0 THEN 'high_needs' ELSE '' END`
	cubeGrp = `CASE WHEN GROUPING(eth) = 0 THEN eth WHEN GROUPING(age_band) = 0 THEN age_band
	    WHEN GROUPING(youth) = 0 THEN CASE WHEN youth THEN 'yes' ELSE 'no' END
	    WHEN GROUPING(gender) = 0 THEN gender WHEN GROUPING(nzdep) = 0 THEN nzdep
	    WHEN GROUPING(hn) = 0 THEN CASE WHEN hn THEN 'yes' ELSE 'no' END ELSE '' END`
	highNeeds = `(ethnic_group IN ('maori', 'pacific') OR nzdep = '5')`
)

func (q *query) read(tx *db.Tx) error {
	// JIT would compile these aggregates for longer than they run; a
	// region's sorts (a few MB) would spill to disk under the default
	// work_mem.
	if err := tx.Exec(`SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`).Error; err != nil {
		return err
	}
	if err := tx.Raw(`SELECT now()`).Scan(&q.asOf).Error; err != nil {
		return err
	}
	if err := tx.Raw(versionSQL, pq.Array(q.ids)).Scan(&q.version).Error; err != nil {
		return err
	}
	cols := make([]string, len(factSums))
	for i, f := range factSums {
		cols[i] = f.column()
	}
	ids, lines := pq.Array(q.ids), pq.Array(q.lines)
	// Each practice's cells, and their sums over all practices: every
	// figure counts a practice's own people, so it adds up across them.
	dims := []string{""}
	for _, d := range Dimensions {
		if d.ID != DimEthnicityAll || q.totalResponse {
			dims = append(dims, d.ID)
		}
	}
	// Each practice's cells, one row each (report_cells holds them summed
	// already), with the sums as one text column ("3,12,…"): scanned as 35
	// columns, database/sql converted each of a region's 650,000 values
	// through reflection, which took longer than the query. readCube adds
	// them up across practices as they come.
	cube := `SELECT tenant_id, service_line AS line, dim, grp, concat_ws(',', ` + strings.Join(cols, ", ") + `) AS sums
	FROM report_cells
	WHERE tenant_id = ANY(@ids) AND period = @period AND service_line = ANY(@lines) AND dim = ANY(@dims)`
	args := sql{"ids": ids, "period": q.p.Label, "lines": lines, "dims": pq.StringArray(dims)}
	if err := q.readCube(tx, cube, args); err != nil {
		return fmt.Errorf("cube: %w", err)
	}
	// How many people waited each number of days, per practice (summed
	// in SQL into report_days); readMedians merges them across practices.
	waits := `SELECT tenant_id, service_line, dim, grp, days, people FROM report_days
	WHERE tenant_id = ANY(@ids) AND period = @period AND service_line = ANY(@lines)`
	if err := q.readMedians(tx, waits, args); err != nil {
		return fmt.Errorf("medians: %w", err)
	}
	enrol := `WITH q AS (
	    SELECT tenant_id, max(quarter) AS quarter FROM enrolment
	    WHERE tenant_id = ANY(@ids) AND quarter <= @quarter GROUP BY tenant_id),
	e AS (SELECT e.tenant_id, e.ethnic_group AS eth, e.age_band, e.gender, e.nzdep, ` + highNeeds + ` AS hn, e.count
	      FROM enrolment e JOIN q ON q.tenant_id = e.tenant_id AND q.quarter = e.quarter)
	SELECT tenant_id,
	    CASE WHEN GROUPING(eth) = 0 THEN 'ethnicity' WHEN GROUPING(age_band) = 0 THEN 'age_band'
	         WHEN GROUPING(gender) = 0 THEN 'gender' WHEN GROUPING(nzdep) = 0 THEN 'nzdep'
	         WHEN GROUPING(hn) = 0 THEN 'high_needs' ELSE '' END AS dim,
	    CASE WHEN GROUPING(eth) = 0 THEN eth WHEN GROUPING(age_band) = 0 THEN age_band
	         WHEN GROUPING(gender) = 0 THEN gender WHEN GROUPING(nzdep) = 0 THEN nzdep
	         WHEN GROUPING(hn) = 0 THEN CASE WHEN hn THEN 'yes' ELSE 'no' END ELSE '' END AS grp,
	    sum(count)::bigint AS count
	FROM e GROUP BY GROUPING SETS ((tenant_id), (), (tenant_id, eth), (eth), (tenant_id, age_band), (age_band),
	    (tenant_id, gender), (gender), (tenant_id, nzdep), (nzdep), (tenant_id, hn), (hn))`
	if err := tx.Raw(enrol, sql{"ids": ids, "quarter": q.p.Quarter().Label}).Scan(&q.enrolled).Error; err != nil {
		return fmt.Errorf("enrolment: %w", err)
	}
	holidays := []string{}
	for _, h := range workforce.PublicHolidays(q.p.Start, q.p.End) {
		holidays = append(holidays, h.Format(time.DateOnly))
	}
	// Working days: Monday to Friday less public holidays, each day of a
	// practitioner's FTE span not on their leave.
	fte := `WITH d AS (
	    SELECT g::date AS day FROM generate_series((@lo)::date, (@hi)::date - 1, interval '1 day') AS g
	    WHERE extract(isodow FROM g) < 6 AND NOT (g::date = ANY((@holidays)::date[]))),
	w AS (
	    SELECT w.tenant_id, w.service_line, w.fte * (
	        SELECT count(*) FROM d WHERE d.day >= w.starts_on AND (w.ends_on IS NULL OR d.day < w.ends_on)
	          AND NOT EXISTS (SELECT 1 FROM workforce_leave l WHERE l.tenant_id = w.tenant_id
	              AND l.user_id = w.user_id AND d.day BETWEEN l.starts_on AND l.ends_on)) AS fte_days
	    FROM workforce_fte w
	    WHERE w.tenant_id = ANY(@ids) AND w.service_line = ANY(@lines)
	      AND w.starts_on < @hi AND (w.ends_on IS NULL OR w.ends_on > @lo))
	SELECT tenant_id, CASE WHEN GROUPING(service_line) = 0 THEN service_line END AS line,
	    (sum(fte_days) / 250)::float8 AS fte_years
	FROM w GROUP BY GROUPING SETS ((tenant_id, service_line), (service_line), (tenant_id), ())`
	if err := tx.Raw(fte, sql{"ids": ids, "lines": lines, "lo": q.p.Start.Format(time.DateOnly),
		"hi": q.p.End.Format(time.DateOnly), "holidays": pq.StringArray(holidays)}).Scan(&q.fte).Error; err != nil {
		return fmt.Errorf("workforce: %w", err)
	}
	// Each practice's months; readTrend adds them up across practices.
	trend := `SELECT tenant_id, period, service_line, seen, sessions FROM report_cells
	WHERE tenant_id = ANY(@ids) AND period = ANY(@months) AND service_line = ANY(@lines) AND dim = ''`
	if err := q.readTrend(tx, trend, sql{"ids": ids, "lines": lines, "months": pq.StringArray(trendLabels(q.p))}); err != nil {
		return fmt.Errorf("trend: %w", err)
	}
	return nil
}

// readCube reads each practice's cells and adds them up into the cells of
// all practices: every sum counts a practice's own people, so the region's
// figure is the sum of its practices' (a person on two practices' registers
// is two people, as in every per-practice total). Adding 200 practices'
// sums here costs a millisecond; GROUPING SETS in SQL sorted every row by
// its text keys first, a tenth of a second.
func (q *query) readCube(tx *db.Tx, cube string, args sql) error {
	rows, err := tx.Raw(cube, args).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	type group struct{ line, dim, grp string }
	total := map[group]*cubeRow{}
	var sums []byte
	for rows.Next() {
		var c cubeRow
		if err := rows.Scan(&c.TenantID, &c.Line, &c.Dim, &c.Grp, &sums); err != nil {
			return err
		}
		g := group{c.Line, c.Dim, c.Grp}
		t := total[g]
		if t == nil {
			t = &cubeRow{Line: c.Line, Dim: c.Dim, Grp: c.Grp}
			total[g] = t
		}
		rest := sums
		for _, f := range factSums {
			field, tail, _ := bytes.Cut(rest, []byte{','})
			n, err := strconv.ParseInt(string(field), 10, 64)
			if err != nil {
				return fmt.Errorf("sum %s of %q: %w", f.name, sums, err)
			}
			*f.field(&c) = n
			*f.field(t) += n
			rest = tail
		}
		if len(rest) != 0 {
			return fmt.Errorf("sums %q: more than %d", sums, len(factSums))
		}
		q.cube = append(q.cube, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, g := range slices.SortedFunc(maps.Keys(total), func(a, b group) int {
		return cmp.Or(strings.Compare(a.line, b.line), strings.Compare(a.dim, b.dim), strings.Compare(a.grp, b.grp))
	}) {
		q.cube = append(q.cube, *total[g])
	}
	return nil
}

// readMedians reads each practice's waits and finds the median wait of
// each practice's groups and of all practices' (their waits together), as
// percentile_cont(0.5) takes it: the mean of the middle two of n sorted
// waits, the middle one when n is odd.
func (q *query) readMedians(tx *db.Tx, waits string, args sql) error {
	rows, err := tx.Raw(waits, args).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	type group struct {
		practice       uuid.NullUUID
		line, dim, grp string
	}
	hist := map[group]map[int64]int64{}
	add := func(g group, days, people int64) {
		h := hist[g]
		if h == nil {
			h = map[int64]int64{}
			hist[g] = h
		}
		h[days] += people
	}
	for rows.Next() {
		var g group
		var days, people int64
		if err := rows.Scan(&g.practice, &g.line, &g.dim, &g.grp, &days, &people); err != nil {
			return err
		}
		add(g, days, people)
		g.practice = uuid.NullUUID{}
		add(g, days, people)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for g, h := range hist {
		days := slices.Sorted(maps.Keys(h))
		var n int64
		for _, d := range days {
			n += h[d]
		}
		// nth is the wait at 0-based place k in sorted order.
		nth := func(k int64) int64 {
			var below int64
			for _, d := range days {
				if below += h[d]; below > k {
					return d
				}
			}
			return days[len(days)-1]
		}
		q.medians = append(q.medians, medianRow{TenantID: g.practice, Line: g.line, Dim: g.dim, Grp: g.grp,
			Median: float64(nth((n-1)/2)+nth(n/2)) / 2, N: n})
	}
	slices.SortFunc(q.medians, func(a, b medianRow) int {
		return cmp.Or(strings.Compare(a.TenantID.UUID.String(), b.TenantID.UUID.String()), strings.Compare(a.Line, b.Line),
			strings.Compare(a.Dim, b.Dim), strings.Compare(a.Grp, b.Grp))
	})
	return nil
}

// readTrend reads each practice's months and adds them up into the months
// of all practices.
func (q *query) readTrend(tx *db.Tx, trend string, args sql) error {
	rows, err := tx.Raw(trend, args).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	type month struct{ period, line string }
	total := map[month]*trendRow{}
	for rows.Next() {
		var t trendRow
		if err := rows.Scan(&t.TenantID, &t.Period, &t.Line, &t.People, &t.Sessions); err != nil {
			return err
		}
		q.trend = append(q.trend, t)
		m := month{t.Period, t.Line}
		if total[m] == nil {
			total[m] = &trendRow{Period: t.Period, Line: t.Line}
		}
		total[m].People += t.People
		total[m].Sessions += t.Sessions
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range total {
		q.trend = append(q.trend, *t)
	}
	return nil
}

// TrendMonths are the 12 months ending with p's last month.
func TrendMonths(p Period) []Period {
	last := MonthOf(p.Last())
	out := make([]Period, 12)
	for i := range out {
		out[i] = MonthOf(last.Start.AddDate(0, i-11, 0))
	}
	return out
}

func trendLabels(p Period) []string {
	var out []string
	for _, m := range TrendMonths(p) {
		out = append(out, m.Label)
	}
	return out
}
