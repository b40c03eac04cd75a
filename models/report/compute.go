package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
// All aggregation is SQL over the fact rollup; Go only turns the aggregated
// rows into cells.
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
	r := &Report{Period: p, Lines: lines, AsOf: q.asOf,
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
	cube     []cubeRow
	response []cubeRow // total-response ethnicity
	medians  []medianRow
	enrolled []enrolRow
	fte      []fteRow
	trend    []trendRow
}

// The per-cell sums of fact rows, by column name. sumOf turns each into the
// sum of a pre-aggregated column.
var factSums = []struct{ name, expr string }{
	{"seen", "count(*) FILTER (WHERE sessions > 0)"},
	{"sessions", "sum(sessions)"},
	{"in_person", "sum(s_in_person)"}, {"p_in_person", "count(*) FILTER (WHERE s_in_person > 0)"},
	{"phone", "sum(s_phone)"}, {"p_phone", "count(*) FILTER (WHERE s_phone > 0)"},
	{"video", "sum(s_video)"}, {"p_video", "count(*) FILTER (WHERE s_video > 0)"},
	{"community", "sum(s_community)"}, {"p_community", "count(*) FILTER (WHERE s_community > 0)"},
	{"booked", "sum(s_booked)"}, {"p_booked", "count(*) FILTER (WHERE s_booked > 0)"},
	{"same_day", "sum(s_same_day)"}, {"p_same_day", "count(*) FILTER (WHERE s_same_day > 0)"},
	{"grp", "sum(s_group)"}, {"p_grp", "count(*) FILTER (WHERE s_group > 0)"},
	{"new", "count(*) FILTER (WHERE is_new)"},
	{"dna", "sum(dna)"}, {"dna_people", "count(*) FILTER (WHERE dna > 0)"},
	{"sd_people", "count(*) FILTER (WHERE sessions > 0 OR dna > 0)"},
	{"intro", "count(*) FILTER (WHERE introduced)"},
	{"intro_seen", "count(*) FILTER (WHERE intro_seen)"},
	{"intro_same_day", "count(*) FILTER (WHERE intro_same_day)"},
	{"intro7", "count(*) FILTER (WHERE intro_7_days)"},
	{"useful_sum", "sum(useful_sum)"}, {"useful_n", "sum(useful_n)"},
	{"useful_people", "count(*) FILTER (WHERE useful_n > 0)"},
	{"k10_people", "count(*) FILTER (WHERE k10_n >= 2)"},
	{"k10_sum", "coalesce(sum(k10_change) FILTER (WHERE k10_n >= 2), 0)"},
	{"referrals", "sum(referrals)"}, {"ref_people", "count(*) FILTER (WHERE referrals > 0)"},
	{"ref_target", "sum(referrals_in_target)"},
	{"closed", "sum(episodes_closed)"}, {"closed_people", "count(*) FILTER (WHERE episodes_closed > 0)"},
	{"caseload", "count(*) FILTER (WHERE caseload)"},
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
	Grp_         int64 `gorm:"column:grp_"`
	PGrp         int64
	New          int64
	DNA          int64 `gorm:"column:dna"`
	DNAPeople    int64 `gorm:"column:dna_people"`
	SDPeople     int64 `gorm:"column:sd_people"`
	Intro        int64
	IntroSeen    int64
	IntroSameDay int64
	Intro7       int64 `gorm:"column:intro7"`
	UsefulSum    int64
	UsefulN      int64
	UsefulPeople int64
	K10People    int64 `gorm:"column:k10_people"`
	K10Sum       int64 `gorm:"column:k10_sum"`
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

// The person breakdowns of the cube, as GROUPING SETS clauses and the
// expressions that name a row's breakdown and group.
const (
	cubeSets = `(tenant_id, line), (line),
	    (tenant_id, line, eth), (line, eth), (tenant_id, line, age_band), (line, age_band),
	    (tenant_id, line, youth), (line, youth), (tenant_id, line, gender), (line, gender),
	    (tenant_id, line, nzdep), (line, nzdep), (tenant_id, line, hn), (line, hn)`
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
	// JIT would compile these aggregates for longer than they run.
	if err := tx.Exec(`SET LOCAL jit = off`).Error; err != nil {
		return err
	}
	if err := tx.Raw(`SELECT now()`).Scan(&q.asOf).Error; err != nil {
		return err
	}
	inner := make([]string, len(factSums))
	outer := make([]string, len(factSums))
	for i, f := range factSums {
		col := f.name
		if col == "grp" {
			col = "grp_" // "grp" names the breakdown's group
		}
		inner[i] = f.expr + " AS " + col
		outer[i] = "sum(" + col + ")::bigint AS " + col
	}
	ids, lines := pq.Array(q.ids), pq.Array(q.lines)
	cube := `WITH c AS (
	    SELECT tenant_id, service_line AS line, ethnic_group AS eth, age_band, youth, gender, nzdep,
	           ` + highNeeds + ` AS hn, ` + strings.Join(inner, ", ") + `
	    FROM report_facts WHERE tenant_id = ANY(@ids) AND period = @period AND service_line = ANY(@lines)
	    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)
	SELECT tenant_id, line, ` + cubeDim + ` AS dim, ` + cubeGrp + ` AS grp, ` + strings.Join(outer, ", ") + `
	FROM c GROUP BY GROUPING SETS (` + cubeSets + `)`
	args := sql{"ids": ids, "period": q.p.Label, "lines": lines}
	if err := tx.Raw(cube, args).Scan(&q.cube).Error; err != nil {
		return fmt.Errorf("cube: %w", err)
	}
	if q.totalResponse {
		resp := `SELECT tenant_id, service_line AS line, 'ethnicity_total' AS dim, g AS grp, ` + strings.Join(inner, ", ") + `
		FROM report_facts, unnest(ethnic_groups) AS g
		WHERE tenant_id = ANY(@ids) AND period = @period AND service_line = ANY(@lines)
		GROUP BY GROUPING SETS ((tenant_id, service_line, g), (service_line, g))`
		if err := tx.Raw(resp, args).Scan(&q.response).Error; err != nil {
			return fmt.Errorf("total response: %w", err)
		}
	}
	median := `SELECT tenant_id, line,
	    CASE WHEN GROUPING(eth) = 0 THEN 'ethnicity' WHEN GROUPING(hn) = 0 THEN 'high_needs' ELSE '' END AS dim,
	    CASE WHEN GROUPING(eth) = 0 THEN eth WHEN GROUPING(hn) = 0 THEN CASE WHEN hn THEN 'yes' ELSE 'no' END ELSE '' END AS grp,
	    percentile_cont(0.5) WITHIN GROUP (ORDER BY intro_days) AS median, count(*) AS n
	FROM (SELECT tenant_id, service_line AS line, ethnic_group AS eth, ` + highNeeds + ` AS hn, intro_days
	      FROM report_facts WHERE tenant_id = ANY(@ids) AND period = @period AND service_line = ANY(@lines)
	        AND intro_seen) f
	GROUP BY GROUPING SETS ((tenant_id, line), (line), (tenant_id, line, eth), (line, eth), (tenant_id, line, hn), (line, hn))`
	if err := tx.Raw(median, args).Scan(&q.medians).Error; err != nil {
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
	trend := `SELECT tenant_id, period, service_line AS line,
	    count(*) FILTER (WHERE sessions > 0) AS people, sum(sessions)::bigint AS sessions
	FROM report_facts WHERE tenant_id = ANY(@ids) AND period = ANY(@months) AND service_line = ANY(@lines)
	GROUP BY GROUPING SETS ((tenant_id, period, service_line), (period, service_line))`
	if err := tx.Raw(trend, sql{"ids": ids, "lines": lines, "months": pq.StringArray(trendLabels(q.p))}).
		Scan(&q.trend).Error; err != nil {
		return fmt.Errorf("trend: %w", err)
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
