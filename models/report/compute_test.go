package report_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/protect"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var nz = mustZone("Pacific/Auckland")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// at is a local time in Auckland: "2026-07-06 14:00".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, nz)
	if err != nil {
		panic(err)
	}
	return t
}

// world is a practice being filled with hand-made history.
type world struct {
	t      *testing.T
	env    *dbtest.Env
	ctx    context.Context
	tenant tenants.Tenant
	hip    uuid.UUID
	coach  uuid.UUID
	worker uuid.UUID
	gp     uuid.UUID
}

func newWorld(t *testing.T, env *dbtest.Env) *world {
	ctx, tn := env.Tenant(t)
	w := &world{t: t, env: env, ctx: ctx, tenant: tn}
	w.hip = w.member("hip")
	w.coach = w.member("health_coach")
	w.worker = w.member("support_worker")
	w.gp = w.member("gp")
	return w
}

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	if err := w.env.DB.InTenant(w.ctx, func(tx *db.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

func (w *world) member(role string) uuid.UUID {
	w.t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := w.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`,
			id, "u-"+id.String()[24:]+"@example.co.nz").Error
	})
	if err != nil {
		w.t.Fatal(err)
	}
	w.exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`, w.tenant.ID, id, role)
	return id
}

// person registers someone: ethnicity codes, gender, date of birth, NZDep
// quintile (0: not known).
func (w *world) person(codes, group, gender, dob string, nzdep int) uuid.UUID {
	id := uuid.Must(uuid.NewV7())
	var q any
	if nzdep > 0 {
		q = nzdep
	}
	w.exec(`INSERT INTO patients (tenant_id, id, family_name, name_search, date_of_birth, gender, ethnicity,
		ethnic_group, nzdep_quintile) VALUES (?, ?, 'Test', 'test', ?, ?, ?::text[], ?, ?)`,
		w.tenant.ID, id, dob, gender, codes, group, q)
	return id
}

type appt struct {
	who          uuid.UUID
	line, kind   string
	mode, status string
	start        time.Time
	seen         time.Time // zero: none recorded
	introducedAt time.Time // zero: no introduction
}

func (w *world) appointment(a appt) uuid.UUID {
	id := uuid.Must(uuid.NewV7())
	pr := map[string]uuid.UUID{"hip": w.hip, "health_coach": w.coach, "support_worker": w.worker}[a.line]
	var seen, intro, introBy, cancelledAt, reason any
	if !a.seen.IsZero() {
		seen = a.seen
	}
	if !a.introducedAt.IsZero() {
		intro, introBy = a.introducedAt, w.gp
	}
	if a.status == "cancelled" {
		cancelledAt, reason = a.start.Add(-time.Hour), "person asked"
	}
	var patient, capacity any = a.who, nil
	if a.kind == "group" {
		patient, capacity = nil, 10
	}
	w.exec(`INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
		starts_at, ends_at, status, capacity, introduced_by, introduced_at, seen_at, cancelled_at, cancel_reason, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.tenant.ID, id, pr, patient, a.kind, a.mode, a.line, a.start, a.start.Add(30*time.Minute), a.status,
		capacity, introBy, intro, seen, cancelledAt, reason, w.gp)
	return id
}

func (w *world) attend(group uuid.UUID, people ...uuid.UUID) {
	for _, p := range people {
		w.exec(`INSERT INTO appointment_attendees (tenant_id, appointment_id, patient_id, added_by) VALUES (?, ?, ?, ?)`,
			w.tenant.ID, group, p, w.hip)
	}
}

// queued is a warm handover through the queue: taken into appointment
// (uuid.Nil: withdrawn).
func (w *world) queued(who uuid.UUID, line string, introduced time.Time, appointment uuid.UUID) {
	id := uuid.Must(uuid.NewV7())
	if appointment == uuid.Nil {
		w.exec(`INSERT INTO handovers (tenant_id, id, patient_id, service_line, introduced_by, introduced_at, status,
			withdrawn_by, withdrawn_at, withdraw_reason) VALUES (?, ?, ?, ?, ?, ?, 'withdrawn', ?, ?, 'went home')`,
			w.tenant.ID, id, who, line, w.gp, introduced, w.gp, introduced.Add(2*time.Hour))
		return
	}
	w.exec(`INSERT INTO handovers (tenant_id, id, patient_id, service_line, introduced_by, introduced_at, status,
		taken_by, taken_at, appointment_id) VALUES (?, ?, ?, ?, ?, ?, 'taken', ?, ?, ?)`,
		w.tenant.ID, id, who, line, w.gp, introduced, w.hip, introduced.Add(time.Minute), appointment)
}

func (w *world) measure(who, appointment uuid.UUID, kind string, total int, when time.Time) {
	w.exec(`INSERT INTO measure_results (tenant_id, id, patient_id, appointment_id, kind, items, total, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, w.tenant.ID, uuid.Must(uuid.NewV7()), who, appointment, kind,
		make([]byte, 32), total, w.hip, when)
}

// referral to a Support Worker: contacted (zero: not yet), closed (zero: open).
func (w *world) referral(who uuid.UUID, referred time.Time, due string, contacted, closed time.Time) {
	status, contact, closedAt, closedBy, outcome := "accepted", any(nil), any(nil), any(nil), any(nil)
	if !contacted.IsZero() {
		status, contact = "active", contacted
	}
	if !closed.IsZero() {
		status, closedAt, closedBy, outcome = "closed", closed, w.worker, "needs_met"
	}
	w.exec(`INSERT INTO referrals (tenant_id, id, patient_id, referred_by, needs, consent_recorded_by, consent_at,
		referred_at, due_by, status, worker_id, accepted_at, first_contact_at, closed_by, closed_at, outcome)
		VALUES (?, ?, ?, ?, ARRAY['housing'], ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.tenant.ID, uuid.Must(uuid.NewV7()), who, w.hip, w.hip, referred, referred, due, status, w.worker,
		referred.Add(time.Hour), contact, closedBy, closedAt, outcome)
}

// TestComputeKnownAnswers builds a practice's history by hand, every answer
// worked out in advance (the comments), with the edge cases funders' numbers
// turn on: a session exactly 7 days after its introduction, a DNA then a
// session, a person with two service lines, a person turning 25 in the
// period, sessions either side of the fiscal year's start at midnight, and
// an introduction seen across the September daylight-saving change.
func TestComputeKnownAnswers(t *testing.T) {
	env := dbtest.New(t)
	a := newWorld(t, env)
	none := time.Time{}

	// P1: Māori, NZDep 5. Queued warm handover 6 July 10:00, seen by the
	// HIP at 14:05 the same day; a phone follow-up in August; K10 30 → 22;
	// usefulness 9 and 10. A cancelled appointment counts for nothing.
	p1 := a.person("{21}", "maori", "female", "1990-03-01", 5)
	a1 := a.appointment(appt{who: p1, line: "hip", kind: "same_day", mode: "in_person", status: "completed",
		start: at("2026-07-06 14:00"), seen: at("2026-07-06 14:05"), introducedAt: at("2026-07-06 10:00")})
	a.queued(p1, "hip", at("2026-07-06 10:00"), a1)
	a2 := a.appointment(appt{who: p1, line: "hip", kind: "booked", mode: "phone", status: "completed", start: at("2026-08-10 11:00")})
	a.appointment(appt{who: p1, line: "hip", kind: "booked", mode: "phone", status: "cancelled", start: at("2026-09-01 11:00")})
	a.measure(p1, a1, "k10", 30, at("2026-07-06 14:20"))
	a.measure(p1, a2, "k10", 22, at("2026-08-10 11:20"))
	a.measure(p1, a1, "usefulness", 9, at("2026-07-06 14:25"))
	a.measure(p1, a2, "usefulness", 10, at("2026-08-10 11:25"))

	// P2: Pacific, turns 25 on 15 August. Handed to the Health Coach on 3
	// August 09:00 by a booking straight in, seen 10 August 09:02: exactly 7
	// local days. Then a HIP session on 20 August, at 25.
	p2 := a.person("{31}", "pacific", "male", "2001-08-15", 4)
	a.appointment(appt{who: p2, line: "health_coach", kind: "booked", mode: "video", status: "completed",
		start: at("2026-08-10 09:00"), seen: at("2026-08-10 09:02"), introducedAt: at("2026-08-03 09:00")})
	a.appointment(appt{who: p2, line: "hip", kind: "booked", mode: "in_person", status: "completed", start: at("2026-08-20 10:00")})

	// P3: European. Seen in February (within 12 months: not new), did not
	// attend on 13 July, seen 20 July, and at a group on 25 August.
	p3 := a.person("{11}", "european", "female", "1970-01-01", 2)
	a.appointment(appt{who: p3, line: "hip", kind: "booked", mode: "in_person", status: "completed", start: at("2026-02-10 10:00")})
	a.appointment(appt{who: p3, line: "hip", kind: "booked", mode: "in_person", status: "did_not_attend", start: at("2026-07-13 10:00")})
	a.appointment(appt{who: p3, line: "hip", kind: "booked", mode: "in_person", status: "completed", start: at("2026-07-20 10:00")})

	// P4: Asian. First seen at the group (new), queued 1 September, seen 9
	// September: 8 days.
	p4 := a.person("{42}", "asian", "male", "1985-05-05", 3)
	g := a.appointment(appt{line: "hip", kind: "group", mode: "in_person", status: "completed", start: at("2026-08-25 13:00")})
	a.attend(g, p3, p4)
	a9 := a.appointment(appt{who: p4, line: "hip", kind: "booked", mode: "in_person", status: "completed",
		start: at("2026-09-09 10:00"), introducedAt: at("2026-09-01 10:00")})
	a.queued(p4, "hip", at("2026-09-01 10:00"), a9)

	// P5: queued 28 September, went home: introduced, never seen.
	p5 := a.person("{11}", "european", "female", "1960-06-01", 0)
	a.queued(p5, "hip", at("2026-09-28 09:00"), uuid.Nil)

	// P6: a session at 23:30 on 30 June (FY2026 Q4) and one at 00:15 on 1
	// July (FY2027 Q1; still 30 June in UTC). Not new in Q1.
	p6 := a.person("{12}", "european", "male", "1995-01-01", 1)
	a.appointment(appt{who: p6, line: "hip", kind: "booked", mode: "phone", status: "completed", start: at("2026-06-30 23:30")})
	a.appointment(appt{who: p6, line: "hip", kind: "booked", mode: "phone", status: "completed", start: at("2026-07-01 00:15")})

	// P7: Māori and European (prioritised Māori), 16. Queued at 23:50 on 26
	// September; clocks go forward on the 27th; seen at 00:10 on 4 October:
	// under 7 × 24 hours later, but 8 local days — not within 7 days. The
	// session is in Q2; the introduction counts in Q1.
	p7 := a.person("{21,11}", "maori", "another", "2010-01-01", 5)
	a12 := a.appointment(appt{who: p7, line: "hip", kind: "booked", mode: "in_person", status: "completed",
		start: at("2026-10-04 00:10"), seen: at("2026-10-04 00:10"), introducedAt: at("2026-09-26 23:50")})
	a.queued(p7, "hip", at("2026-09-26 23:50"), a12)

	// P8, P9: referred to the Support Worker. P8 contacted the next day
	// (within target), closed 10 September; P9 contacted 2 days late, open.
	p8 := a.person("{33}", "pacific", "female", "1980-02-02", 5)
	a.referral(p8, at("2026-07-14 09:00"), "2026-07-16", at("2026-07-15 10:00"), at("2026-09-10 12:00"))
	p9 := a.person("{11}", "european", "male", "1975-03-03", 3)
	a.referral(p9, at("2026-08-01 09:00"), "2026-08-03", at("2026-08-05 10:00"), none)

	// The HIP works full time from 1 July with a week's leave (5 weekdays).
	// Q1 has 66 weekdays less Matariki (Friday 10 July): 65, less leave: 60
	// FTE-days, 0.24 FTE-years.
	a.exec(`INSERT INTO workforce_fte (tenant_id, id, user_id, service_line, fte, starts_on, created_by)
		VALUES (?, ?, ?, 'hip', 1.0, '2026-07-01', ?)`, a.tenant.ID, uuid.Must(uuid.NewV7()), a.hip, a.gp)
	a.exec(`INSERT INTO workforce_leave (tenant_id, id, user_id, kind, starts_on, ends_on, created_by)
		VALUES (?, ?, ?, 'annual', '2026-07-20', '2026-07-24', ?)`, a.tenant.ID, uuid.Must(uuid.NewV7()), a.hip, a.gp)
	// Enrolled: 500 people, 100 of them Māori.
	for _, e := range []struct {
		eth, band, gender, dep string
		n                      int
	}{{"maori", "25-44", "female", "5", 100}, {"european", "45-64", "male", "2", 300},
		{"pacific", "15-24", "male", "4", 50}, {"asian", "25-44", "male", "3", 50}} {
		a.exec(`INSERT INTO enrolment (tenant_id, quarter, ethnic_group, age_band, gender, nzdep, count)
			VALUES (?, 'FY2027-Q1', ?, ?, ?, ?, ?)`, a.tenant.ID, e.eth, e.band, e.gender, e.dep, e.n)
	}

	// Practice B: one Māori person seen by its HIP.
	b := newWorld(t, env)
	p10 := b.person("{21}", "maori", "female", "1999-09-09", 5)
	b.appointment(appt{who: p10, line: "hip", kind: "booked", mode: "in_person", status: "completed", start: at("2026-07-10 10:00")})
	// P11: European, booked straight in on 7 September, seen two days
	// later: B's only wait, so the medians across practices must merge
	// A's waits with B's rather than take either practice's median.
	p11 := b.person("{11}", "european", "male", "1988-08-08", 2)
	b.appointment(appt{who: p11, line: "hip", kind: "booked", mode: "in_person", status: "completed",
		start: at("2026-09-09 10:00"), seen: at("2026-09-09 10:00"), introducedAt: at("2026-09-07 09:00")})

	q1 := report.FiscalQuarter(2027, 1)
	scope := report.Scope{Practices: []report.Practice{{ID: a.tenant.ID, Name: "A"}, {ID: b.tenant.ID, Name: "B"}}, TotalResponse: true}
	r, err := report.Compute(context.Background(), env.DB, "test: known answers", scope, q1)
	if err != nil {
		t.Fatal(err)
	}
	A, B, all := a.tenant.ID, b.tenant.ID, uuid.Nil
	hip, coach, sw, any := "hip", "health_coach", "support_worker", report.LineAll
	type want struct {
		practice      uuid.UUID
		line, measure string
		dim, group    string
		figure        float64
	}
	wants := []want{
		// Sessions: HIP A1, A2, A5, A8, the group twice, A9, A11.
		{A, hip, report.MSessions, "", "", 8},
		{A, coach, report.MSessions, "", "", 1},
		{A, any, report.MSessions, "", "", 9},
		{A, hip, report.MSessions, "mode", "phone", 2},
		{A, hip, report.MSessions, "kind", "group", 2},
		{A, hip, report.MSessions, "kind", "same_day", 1},
		{all, hip, report.MSessions, "", "", 10},
		// People: P2 counts once across lines.
		{A, hip, report.MPeopleSeen, "", "", 5},
		{A, coach, report.MPeopleSeen, "", "", 1},
		{A, any, report.MPeopleSeen, "", "", 5},
		{all, any, report.MPeopleSeen, "", "", 7},
		{B, hip, report.MPeopleSeen, "", "", 2},
		{A, hip, report.MPeopleSeen, "ethnicity", "european", 2},
		{A, hip, report.MPeopleSeen, "ethnicity", "maori", 1},
		{A, any, report.MPeopleSeen, "ethnicity_total", "european", 2},
		{all, hip, report.MPeopleSeen, "ethnicity", "maori", 2},
		{A, any, report.MPeopleSeen, "high_needs", "yes", 2},
		{A, any, report.MPeopleSeen, "high_needs", "no", 3},
		// P2 was 24 at the introduction (coach, all lines), 25 at the HIP.
		{A, any, report.MPeopleSeen, "youth", "yes", 1},
		{A, coach, report.MPeopleSeen, "age_band", "15-24", 1},
		{A, hip, report.MPeopleSeen, "age_band", "25-44", 4}, // P1 36, P2 25, P4 41, P6 31
		{A, hip, report.MPeopleSeen, "youth", "no", 5},
		// New: P1, P2, P4 (P3 was seen in February, P6 on 30 June).
		{A, hip, report.MNewPeople, "", "", 3},
		{A, coach, report.MNewPeople, "", "", 1},
		{A, any, report.MNewPeople, "", "", 3},
		{all, hip, report.MNewPeople, "", "", 5},
		{A, hip, report.MFollowUps, "", "", 5},
		{A, any, report.MFollowUps, "", "", 6},
		// Introductions: HIP P1, P4, P5, P7; coach P2; SW P8, P9.
		{A, hip, report.MIntroduced, "", "", 4},
		{A, coach, report.MIntroduced, "", "", 1},
		{A, sw, report.MIntroduced, "", "", 2},
		{A, any, report.MIntroduced, "", "", 7},
		{A, hip, report.MIntroducedSeen, "", "", 3},
		{A, any, report.MIntroducedSeen, "", "", 6},
		{A, hip, report.MSeenSameDay, "", "", 1},
		{A, hip, report.MSeenWithin7, "", "", 1},
		{A, coach, report.MSeenWithin7, "", "", 1},
		{A, sw, report.MSeenWithin7, "", "", 2},
		{A, any, report.MSeenWithin7, "", "", 4},
		{A, hip, report.MAccessConversion, "", "", 0.75},
		{A, hip, report.MSeenWithin7Rate, "", "", 0.25},
		{A, any, report.MSeenWithin7Rate, "", "", 4.0 / 7},
		{A, any, report.MSeenSameDayRate, "", "", 1.0 / 7},
		// Median days: HIP {0, 8, 8}; SW {1, 4}; all {0, 1, 4, 7, 8, 8}.
		{A, hip, report.MMedianDays, "", "", 8},
		{A, coach, report.MMedianDays, "", "", 7},
		{A, sw, report.MMedianDays, "", "", 2.5},
		{A, any, report.MMedianDays, "", "", 5.5},
		// Across practices the waits merge: HIP {0, 8, 8} and B's {2};
		// all lines {0, 1, 4, 7, 8, 8} and {2}.
		{B, hip, report.MMedianDays, "", "", 2},
		{all, hip, report.MMedianDays, "", "", 5},
		{all, any, report.MMedianDays, "", "", 4},
		// DNA: P3 on 13 July.
		{A, hip, report.MDNA, "", "", 1},
		{A, hip, report.MDNARate, "", "", 1.0 / 9},
		{A, hip, report.MSessionsPerPerson, "", "", 8.0 / 5},
		// Outcomes: P1.
		{A, hip, report.MUsefulnessMean, "", "", 9.5},
		{A, hip, report.MUsefulnessCount, "", "", 2},
		{A, hip, report.MK10People, "", "", 1},
		{A, any, report.MK10Change, "", "", -8},
		// Support Workers.
		{A, sw, report.MReferrals, "", "", 2},
		{A, sw, report.MReferralsInTarget, "", "", 1},
		{A, sw, report.MReferralsRate, "", "", 0.5},
		{A, sw, report.MEpisodesClosed, "", "", 1},
		{A, sw, report.MCaseload, "", "", 1},
		// Workforce and population.
		{A, hip, report.MFTE, "", "", 0.24},
		{A, hip, report.MNewPerFTE, "", "", 12.5},
		{A, any, report.MEnrolled, "", "", 500},
		{A, any, report.MEnrolled, "ethnicity", "maori", 100},
		{A, any, report.MPenetration, "", "", 5.0 / 500},
		{A, hip, report.MPenetration, "ethnicity", "maori", 1.0 / 100},
	}
	cells := r.Index()
	for _, w := range wants {
		k := report.Key{Practice: w.practice, Line: w.line, Measure: w.measure, Dim: w.dim, Group: w.group}
		c, ok := cells[k]
		name := fmt.Sprintf("%s %s %s %s=%s", r.PracticeName(w.practice), report.LineLabels[w.line], w.measure, w.dim, w.group)
		if !ok {
			t.Errorf("%s: no cell, want %v", name, w.figure)
			continue
		}
		if math.Abs(c.Figure-w.figure) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, c.Figure, w.figure)
		}
	}
	// Nobody else: no HIP youth seen (P2 was 25 at the HIP), nobody with a
	// Support Worker session.
	if c, ok := cells[report.Key{Practice: A, Line: hip, Measure: report.MPeopleSeen, Dim: "youth", Group: "yes"}]; ok {
		t.Errorf("HIP youth seen = %v, want no cell", c.Figure)
	}

	// Published, the same report holds no count of people from 1 to 5:
	// every one of these small figures is suppressed.
	protect.Apply(r, protect.Rules{Threshold: 6, Rounding: true, Seed: "known answers"})
	for _, c := range r.Cells {
		if m, _ := report.MetricByID(c.Measure); m.Kind == report.People {
			if n, err := strconv.Atoi(c.Shown); err == nil && n >= 1 && n <= 5 {
				t.Errorf("%+v published as %q", c.Key, c.Shown)
			}
		}
	}

	// The months: July has A1, A8, A11 for the HIP; June (FY2026 Q4) has
	// P6's 23:30 session, which made P6 new then.
	july, err := report.Compute(context.Background(), env.DB, "test: known answers", report.Scope{Practices: scope.Practices[:1]}, report.Month(2026, time.July))
	if err != nil {
		t.Fatal(err)
	}
	june, err := report.Compute(context.Background(), env.DB, "test: known answers", report.Scope{Practices: scope.Practices[:1]}, report.Month(2026, time.June))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r       *report.Report
		measure string
		want    float64
	}{
		{july, report.MSessions, 3}, {july, report.MPeopleSeen, 3}, {july, report.MNewPeople, 1}, {july, report.MDNA, 1},
		{june, report.MSessions, 1}, {june, report.MNewPeople, 1},
	} {
		got, _ := c.r.Cell(report.Key{Practice: A, Line: hip, Measure: c.measure})
		if got.Figure != c.want {
			t.Errorf("%s %s = %v, want %v", c.r.Period.Label, c.measure, got.Figure, c.want)
		}
	}
	// The trend runs October 2025 – September 2026: August has A2, A5 and
	// the group's two; February has P3's session.
	trend := map[string]float64{}
	for _, p := range r.Trend {
		if p.Practice == uuid.Nil && p.Line == hip {
			trend[p.Month.Label] = p.Sessions.Figure
		}
	}
	if len(trend) != 12 || trend["2026-08"] != 4 || trend["2026-02"] != 1 || trend["2026-06"] != 1 || trend["2025-10"] != 0 {
		t.Errorf("trend = %v", trend)
	}
}

// TestFactsFollowChanges: a session completing later, and a person's
// details changing, reach the next report without any explicit rebuild.
func TestFactsFollowChanges(t *testing.T) {
	env := dbtest.New(t)
	a := newWorld(t, env)
	p := a.person("{11}", "european", "female", "1990-01-01", 2)
	id := a.appointment(appt{who: p, line: "hip", kind: "booked", mode: "in_person", status: "booked", start: at("2026-07-06 10:00")})
	q1 := report.FiscalQuarter(2027, 1)
	scope := report.Scope{Practices: []report.Practice{{ID: a.tenant.ID, Name: "A"}}}
	seen := func() (float64, float64) {
		t.Helper()
		r, err := report.Compute(context.Background(), env.DB, "test", scope, q1)
		if err != nil {
			t.Fatal(err)
		}
		total, _ := r.Cell(report.Key{Practice: a.tenant.ID, Line: "hip", Measure: report.MPeopleSeen})
		maori, _ := r.Cell(report.Key{Practice: a.tenant.ID, Line: "hip", Measure: report.MPeopleSeen, Dim: "ethnicity", Group: "maori"})
		return total.Figure, maori.Figure
	}
	if n, _ := seen(); n != 0 {
		t.Fatalf("booked, not seen: %v", n)
	}
	a.exec(`UPDATE appointments SET status = 'completed' WHERE id = ?`, id)
	if n, m := seen(); n != 1 || m != 0 {
		t.Fatalf("after completing: seen %v, Māori %v", n, m)
	}
	a.exec(`UPDATE patients SET ethnicity = '{21}', ethnic_group = 'maori' WHERE id = ?`, p)
	if n, m := seen(); n != 1 || m != 1 {
		t.Fatalf("after the ethnicity change: seen %v, Māori %v", n, m)
	}
}
