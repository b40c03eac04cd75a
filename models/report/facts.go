package report

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/tenants"
)

// Refresh rebuilds the facts of every stale quarter of the given practices:
// the quarters report_stale holds, which triggers on appointments,
// attendees, handovers, measures, referrals and patients mark in the same
// transaction as each change (migration 00025). Each practice is rebuilt in
// its own InTenant transaction that takes its stale rows first (DELETE …
// RETURNING): a second refresher of the same practice waits, then finds
// nothing to do, and a change committed meanwhile marks the quarter again.
func Refresh(ctx context.Context, d *db.DB, practices []uuid.UUID) error {
	for _, id := range practices {
		if err := refreshPractice(ctx, d, id); err != nil {
			return fmt.Errorf("report.Refresh: %w", err)
		}
	}
	return nil
}

func refreshPractice(ctx context.Context, d *db.DB, practice uuid.UUID) error {
	tctx := tenants.WithTenant(ctx, tenants.Tenant{ID: practice})
	return d.InTenant(tctx, func(tx *db.Tx) error {
		var quarters []string
		if err := tx.Raw(`DELETE FROM report_stale WHERE tenant_id = ? RETURNING quarter`, practice).
			Scan(&quarters).Error; err != nil {
			return err
		}
		// A change in quarter Q also changes the quarter before (an
		// introduction there may now be seen) and the four after (whether a
		// person is new looks back 12 months); quarters not yet begun have
		// nothing to rebuild.
		today := time.Now().In(auckland)
		todo := map[string]Period{}
		for _, label := range quarters {
			q, err := ParsePeriod(label)
			if err != nil || !q.IsQuarter() {
				return fmt.Errorf("stale quarter %q: %w", label, err)
			}
			for i := -1; i <= 4; i++ {
				n := QuarterOf(q.Start.AddDate(0, 3*i, 0))
				if !n.Start.After(date(today.Year(), today.Month(), today.Day())) {
					todo[n.Label] = n
				}
			}
		}
		for _, label := range slices.Sorted(maps.Keys(todo)) {
			if err := rebuild(tx, practice, todo[label]); err != nil {
				return fmt.Errorf("quarter %s: %w", label, err)
			}
		}
		return nil
	})
}

// rebuild replaces the facts of one quarter of one practice: rows for the
// quarter itself and for each of its months, for each service line and for
// all lines together ('all': a person seen by two lines is one row there).
func rebuild(tx *db.Tx, practice uuid.UUID, q Period) error {
	if err := tx.Exec(`DELETE FROM report_facts WHERE tenant_id = ? AND quarter = ?`, practice, q.Label).Error; err != nil {
		return err
	}
	periods := append([]Period{q}, q.Months()...)
	labels := make([]string, len(periods))
	los := make([]string, len(periods))
	his := make([]string, len(periods))
	for i, p := range periods {
		labels[i], los[i], his[i] = p.Label, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly)
	}
	// Sessions are read from 12 months (and a margin) before the quarter, so
	// that whether a person is new can look back that far, and without an
	// end, so that an introduction can find the session that followed it.
	from := q.Start.AddDate(-1, 0, -3)
	// The parts are small per practice, but the planner cannot see their
	// sizes through the row-level security filter (it guesses one row) and
	// would loop over one for each row of another: hash them instead.
	// JIT compiling this statement costs seconds (it is planned as costly,
	// being many parts) against tens of milliseconds to run it.
	if err := tx.Exec(`SET LOCAL enable_nestloop = off; SET LOCAL jit = off`).Error; err != nil {
		return err
	}
	if err := tx.Exec(factsSQL, sql{
		"t": practice, "quarter": q.Label, "labels": pq.StringArray(labels), "los": pq.StringArray(los),
		"his": pq.StringArray(his), "from": from, "lo": q.Start.AddDate(0, 0, -3), "hi": q.End.AddDate(0, 0, 3),
	}).Error; err != nil {
		return err
	}
	return rollUp(tx, practice, q)
}

// rollUp replaces the cells and waiting-day counts of one quarter of one
// practice (migration 00026) with sums of its facts just rebuilt.
func rollUp(tx *db.Tx, practice uuid.UUID, q Period) error {
	for _, table := range []string{"report_cells", "report_days"} {
		if err := tx.Exec(`DELETE FROM `+table+` WHERE tenant_id = ? AND quarter = ?`, practice, q.Label).Error; err != nil {
			return err
		}
	}
	args := sql{"t": practice, "quarter": q.Label}
	for _, stmt := range []string{cellsSQL, responseSQL, daysSQL, bumpSQL} {
		if err := tx.Exec(stmt, args).Error; err != nil {
			return err
		}
	}
	return nil
}

// cellSums are the sums of report_cells, in its column order, over a
// practice's fact rows.
var cellSums = func() (cols, exprs string) {
	c := make([]string, len(factSums))
	e := make([]string, len(factSums))
	for i, f := range factSums {
		c[i], e[i] = f.column(), f.expr
	}
	return strings.Join(c, ", "), strings.Join(e, ", ")
}

// The statements of rollUp: the practice's cells in total and by each
// person breakdown; by total-response ethnicity (a person in each of their
// groups); and the days from introduction to first session of introduced
// people who were seen, in total, by ethnicity and by high needs.
var (
	cellsSQL = func() string {
		cols, exprs := cellSums()
		return `INSERT INTO report_cells (tenant_id, period, quarter, service_line, dim, grp, ` + cols + `)
		SELECT @t, period, @quarter, service_line, ` + cubeDim + `, ` + cubeGrp + `, ` + exprs + `
		FROM (SELECT *, ethnic_group AS eth, ` + highNeeds + ` AS hn FROM report_facts
		      WHERE tenant_id = @t AND quarter = @quarter) f
		GROUP BY GROUPING SETS ((period, service_line), (period, service_line, eth),
		    (period, service_line, age_band), (period, service_line, youth), (period, service_line, gender),
		    (period, service_line, nzdep), (period, service_line, hn))`
	}()
	responseSQL = func() string {
		cols, exprs := cellSums()
		return `INSERT INTO report_cells (tenant_id, period, quarter, service_line, dim, grp, ` + cols + `)
		SELECT @t, period, @quarter, service_line, '` + DimEthnicityAll + `', g, ` + exprs + `
		FROM report_facts, unnest(ethnic_groups) AS g
		WHERE tenant_id = @t AND quarter = @quarter
		GROUP BY period, service_line, g`
	}()
	// A dashboard's kept report of this practice is out of date.
	bumpSQL = `INSERT INTO report_versions AS v (tenant_id, version) VALUES (@t, 1)
	ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1`
	daysSQL = `INSERT INTO report_days (tenant_id, period, quarter, service_line, dim, grp, days, people)
	SELECT @t, period, @quarter, service_line,
	    CASE WHEN GROUPING(eth) = 0 THEN 'ethnicity' WHEN GROUPING(hn) = 0 THEN 'high_needs' ELSE '' END,
	    CASE WHEN GROUPING(eth) = 0 THEN eth WHEN GROUPING(hn) = 0 THEN CASE WHEN hn THEN 'yes' ELSE 'no' END ELSE '' END,
	    intro_days, count(*)
	FROM (SELECT period, service_line, intro_days, ethnic_group AS eth, ` + highNeeds + ` AS hn FROM report_facts
	      WHERE tenant_id = @t AND quarter = @quarter AND intro_seen) f
	GROUP BY GROUPING SETS ((period, service_line, intro_days), (period, service_line, eth, intro_days),
	    (period, service_line, hn, intro_days))`
)

// auckland decides which quarters have begun; Chatham's 45 minutes make no
// difference to that.
var auckland = func() *time.Location {
	l, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		panic("report: no time zone data for Pacific/Auckland: " + err.Error())
	}
	return l
}()

// sql is a named-argument map for GORM (@name in the statement).
type sql = map[string]any

// factsSQL builds every fact row of one practice for a set of periods.
//
// Local days are in the practice's zone; a session belongs to the period of
// its start's local date. The first session after an introduction is the
// first completed one of the same line (or, for a Support Worker referral, a
// first contact) at or after the introduction; its time is seen_at (when the
// session began), else starts_at.
const factsSQL = `
WITH p AS (
    SELECT u.label, u.lo::date AS lo, u.hi::date AS hi
    FROM unnest((@labels)::text[], (@los)::text[], (@his)::text[]) AS u(label, lo, hi)
),
z AS (SELECT time_zone AS z FROM tenants WHERE id = @t),
-- Completed sessions and non-attendances, one row per person: a group's
-- attendees each count when the group is completed.
s AS (
    SELECT a.patient_id, a.service_line AS line, a.mode, a.kind, a.status,
           coalesce(a.seen_at, a.starts_at) AS at, (a.starts_at AT TIME ZONE z.z)::date AS day
    FROM appointments a, z
    WHERE a.tenant_id = @t AND a.patient_id IS NOT NULL AND a.starts_at >= @from
      AND a.status IN ('completed', 'did_not_attend')
    UNION ALL
    SELECT t.patient_id, a.service_line, a.mode, a.kind, a.status,
           coalesce(a.seen_at, a.starts_at), (a.starts_at AT TIME ZONE z.z)::date
    FROM appointments a
    JOIN appointment_attendees t ON t.tenant_id = a.tenant_id AND t.appointment_id = a.id, z
    WHERE a.tenant_id = @t AND a.kind = 'group' AND a.status = 'completed' AND a.starts_at >= @from
),
sl AS (
    SELECT patient_id, line, mode, kind, status, at, day FROM s
    UNION ALL
    SELECT patient_id, 'all', mode, kind, status, at, day FROM s
),
-- Each completed session with the day of the one before it (same person and
-- line): a session with none in the 12 months before makes the person new.
cs AS (
    SELECT patient_id, line, mode, kind, at, day,
           lag(day) OVER (PARTITION BY line, patient_id ORDER BY at) AS prev_day
    FROM sl WHERE status = 'completed'
),
sess AS (
    SELECT p.label, cs.line, cs.patient_id, count(*) AS sessions,
           count(*) FILTER (WHERE mode = 'in_person') AS s_in_person,
           count(*) FILTER (WHERE mode = 'phone') AS s_phone,
           count(*) FILTER (WHERE mode = 'video') AS s_video,
           count(*) FILTER (WHERE mode = 'community') AS s_community,
           count(*) FILTER (WHERE kind = 'booked') AS s_booked,
           count(*) FILTER (WHERE kind = 'same_day') AS s_same_day,
           count(*) FILTER (WHERE kind = 'group') AS s_group,
           (array_agg(prev_day IS NULL OR prev_day < (day - interval '12 months')::date ORDER BY at))[1] AS is_new,
           min(at) AS first_at
    FROM cs JOIN p ON cs.day >= p.lo AND cs.day < p.hi
    GROUP BY p.label, cs.line, cs.patient_id
),
dna AS (
    SELECT p.label, sl.line, sl.patient_id, count(*) AS dna, min(at) AS first_at
    FROM sl JOIN p ON sl.day >= p.lo AND sl.day < p.hi
    WHERE sl.status = 'did_not_attend'
    GROUP BY p.label, sl.line, sl.patient_id
),
-- Introductions: queued warm handovers (the line asked for, else the one
-- that took them, else HIP), handovers booked straight in (an appointment
-- carrying introduced_at that no queue entry led to) and Support Worker
-- referrals.
i AS (
    SELECT h.patient_id, coalesce(h.service_line, a.service_line, 'hip') AS line, h.introduced_at AS at
    FROM handovers h
    LEFT JOIN appointments a ON a.tenant_id = h.tenant_id AND a.id = h.appointment_id
    WHERE h.tenant_id = @t AND h.introduced_at >= @lo AND h.introduced_at < @hi
    UNION ALL
    SELECT a.patient_id, a.service_line, a.introduced_at
    FROM appointments a
    WHERE a.tenant_id = @t AND a.introduced_at >= @lo AND a.introduced_at < @hi AND a.patient_id IS NOT NULL
      AND a.starts_at >= @lo
      AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.tenant_id = a.tenant_id AND h.appointment_id = a.id)
    UNION ALL
    SELECT r.patient_id, 'support_worker', r.referred_at
    FROM referrals r
    WHERE r.tenant_id = @t AND r.referred_at >= @lo AND r.referred_at < @hi
),
-- Introductions and the events that see a person, in time order per person
-- and line: each introduction takes the first seeing event at or after it.
ev AS (
    SELECT patient_id, line, at, false AS seen FROM i
    UNION ALL SELECT patient_id, 'all', at, false FROM i
    UNION ALL SELECT patient_id, line, at, true FROM cs
    UNION ALL
    SELECT r.patient_id, l.line, r.first_contact_at, true
    FROM referrals r, (VALUES ('support_worker'), ('all')) AS l(line)
    WHERE r.tenant_id = @t AND r.first_contact_at >= @lo
),
evn AS (
    SELECT patient_id, line, at, seen,
           min(at) FILTER (WHERE seen) OVER (PARTITION BY line, patient_id ORDER BY at, seen
               ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_seen
    FROM ev
),
intro AS (
    SELECT p.label, e.line, e.patient_id,
           min(e.at) AS first_at,
           (array_agg((e.next_seen AT TIME ZONE z.z)::date - (e.at AT TIME ZONE z.z)::date ORDER BY e.at))[1] AS days
    FROM evn e, z, p
    WHERE NOT e.seen AND (e.at AT TIME ZONE z.z)::date >= p.lo AND (e.at AT TIME ZONE z.z)::date < p.hi
    GROUP BY p.label, e.line, e.patient_id
),
-- K10 and usefulness answers: the line of the appointment they were given
-- at (all lines when none).
m AS (
    SELECT r.patient_id, coalesce(a.service_line, 'all') AS line, r.kind, r.total, r.recorded_at AS at,
           (r.recorded_at AT TIME ZONE z.z)::date AS day
    FROM measure_results r
    LEFT JOIN appointments a ON a.tenant_id = r.tenant_id AND a.id = r.appointment_id, z
    WHERE r.tenant_id = @t AND r.kind IN ('k10', 'usefulness') AND r.recorded_at >= @lo AND r.recorded_at < @hi
),
ml AS (SELECT * FROM m UNION ALL SELECT patient_id, 'all', kind, total, at, day FROM m WHERE line <> 'all'),
meas AS (
    SELECT p.label, ml.line, ml.patient_id,
           coalesce(sum(total) FILTER (WHERE kind = 'usefulness'), 0) AS useful_sum,
           count(*) FILTER (WHERE kind = 'usefulness') AS useful_n,
           count(*) FILTER (WHERE kind = 'k10') AS k10_n,
           (array_agg(total ORDER BY at DESC) FILTER (WHERE kind = 'k10'))[1]
             - (array_agg(total ORDER BY at) FILTER (WHERE kind = 'k10'))[1] AS k10_change,
           min(at) AS first_at
    FROM ml JOIN p ON ml.day >= p.lo AND ml.day < p.hi
    GROUP BY p.label, ml.line, ml.patient_id
),
-- Support Worker referrals: made, contacted by their due day, closed in the
-- period, and open at its end (the caseload).
rf AS (
    SELECT r.patient_id, r.referred_at, (r.referred_at AT TIME ZONE z.z)::date AS day, r.due_by,
           (r.first_contact_at AT TIME ZONE z.z)::date AS contact_day, (r.closed_at AT TIME ZONE z.z)::date AS closed_day
    FROM referrals r, z WHERE r.tenant_id = @t
),
ref AS (
    SELECT p.label, 'support_worker'::text AS line, rf.patient_id,
           count(*) FILTER (WHERE rf.day >= p.lo) AS referrals,
           count(*) FILTER (WHERE rf.day >= p.lo AND rf.contact_day <= rf.due_by) AS referrals_in_target,
           count(*) FILTER (WHERE rf.closed_day >= p.lo AND rf.closed_day < p.hi) AS episodes_closed,
           bool_or(rf.closed_day IS NULL OR rf.closed_day >= p.hi) AS caseload,
           min(rf.referred_at) FILTER (WHERE rf.day >= p.lo) AS first_at
    FROM rf JOIN p ON rf.day < p.hi AND (rf.closed_day IS NULL OR rf.closed_day >= p.lo)
    GROUP BY p.label, rf.patient_id
),
-- Every contribution of a person to a period and line, summed in one
-- aggregate (joining the parts instead would make the planner, which cannot
-- see their sizes, loop over each for each person).
u AS (
    SELECT label, line, patient_id, first_at, sessions, s_in_person, s_phone, s_video, s_community,
           s_booked, s_same_day, s_group, is_new, 0 AS dna, false AS introduced, NULL::int AS days,
           0 AS useful_sum, 0 AS useful_n, 0 AS k10_n, NULL::int AS k10_change,
           0 AS referrals, 0 AS referrals_in_target, 0 AS episodes_closed, false AS caseload
    FROM sess
    UNION ALL
    SELECT label, line, patient_id, first_at, 0, 0, 0, 0, 0, 0, 0, 0, false, dna, false, NULL, 0, 0, 0, NULL, 0, 0, 0, false
    FROM dna
    UNION ALL
    SELECT label, line, patient_id, first_at, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, true, days, 0, 0, 0, NULL, 0, 0, 0, false
    FROM intro
    UNION ALL
    SELECT label, line, patient_id, first_at, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, false, NULL,
           useful_sum, useful_n, k10_n, k10_change, 0, 0, 0, false
    FROM meas
    UNION ALL
    SELECT label, line, patient_id, first_at, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, false, NULL, 0, 0, 0, NULL,
           referrals, referrals_in_target, episodes_closed, caseload
    FROM ref
),
k AS (
    SELECT label, line, patient_id, min(first_at) AS first_at,
           sum(sessions) AS sessions, sum(s_in_person) AS s_in_person, sum(s_phone) AS s_phone,
           sum(s_video) AS s_video, sum(s_community) AS s_community, sum(s_booked) AS s_booked,
           sum(s_same_day) AS s_same_day, sum(s_group) AS s_group, bool_or(is_new) AS is_new, sum(dna) AS dna,
           bool_or(introduced) AS introduced, max(days) AS days,
           sum(useful_sum) AS useful_sum, sum(useful_n) AS useful_n, sum(k10_n) AS k10_n, max(k10_change) AS k10_change,
           sum(referrals) AS referrals, sum(referrals_in_target) AS referrals_in_target,
           sum(episodes_closed) AS episodes_closed, bool_or(caseload) AS caseload
    FROM u
    GROUP BY label, line, patient_id
)
INSERT INTO report_facts (tenant_id, period, quarter, service_line, patient_id,
    ethnic_group, ethnic_groups, age_band, youth, gender, nzdep,
    sessions, s_in_person, s_phone, s_video, s_community, s_booked, s_same_day, s_group, dna, is_new,
    introduced, intro_seen, intro_same_day, intro_7_days, intro_days,
    useful_sum, useful_n, k10_n, k10_change, referrals, referrals_in_target, episodes_closed, caseload)
SELECT @t, k.label, @quarter, k.line, k.patient_id,
    pt.ethnic_group,
    coalesce((SELECT array_agg(g ORDER BY g) FROM (SELECT DISTINCT CASE left(c, 1) WHEN '1' THEN 'european'
                  WHEN '2' THEN 'maori' WHEN '3' THEN 'pacific' WHEN '4' THEN 'asian' WHEN '5' THEN 'melaa'
                  WHEN '6' THEN 'other' ELSE 'unknown' END AS g FROM unnest(pt.ethnicity) AS c) AS e), ARRAY['unknown']),
    CASE WHEN age.y < 5 THEN '00-04' WHEN age.y < 15 THEN '05-14' WHEN age.y < 25 THEN '15-24'
         WHEN age.y < 45 THEN '25-44' WHEN age.y < 65 THEN '45-64' ELSE '65+' END,
    age.y BETWEEN 12 AND 24,
    pt.gender, coalesce(pt.nzdep_quintile::text, 'unknown'),
    k.sessions, k.s_in_person, k.s_phone, k.s_video, k.s_community, k.s_booked, k.s_same_day, k.s_group, k.dna,
    k.is_new, k.introduced, k.introduced AND k.days IS NOT NULL, coalesce(k.introduced AND k.days = 0, false),
    coalesce(k.introduced AND k.days <= 7, false), CASE WHEN k.introduced THEN k.days END,
    k.useful_sum, k.useful_n, k.k10_n, CASE WHEN k.k10_n >= 2 THEN k.k10_change END,
    k.referrals, k.referrals_in_target, k.episodes_closed, k.caseload
FROM k
JOIN patients pt ON pt.tenant_id = @t AND pt.id = k.patient_id
CROSS JOIN z
-- Age in whole years on the local day of the person's first event in the
-- period (a referral-only caseload row: the period's first day).
CROSS JOIN LATERAL (SELECT extract(year FROM age(
    CASE WHEN k.first_at IS NULL THEN (SELECT lo FROM p WHERE p.label = k.label)
         ELSE (k.first_at AT TIME ZONE z.z)::date END, pt.date_of_birth))::int AS y) AS age
`
