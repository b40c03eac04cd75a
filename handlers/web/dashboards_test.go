package web

import (
	"context"
	"html"
	"html/template"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/protect"
)

// seedSessions gives the practice three people with a completed HIP session
// today (local) and a fourth booking that was not attended.
func seedSessions(t *testing.T, s *stack, p handoverPractice) {
	t.Helper()
	people := []uuid.UUID{p.patient}
	for _, name := range []string{"Tama", "Losa"} {
		pt, _, err := patient.Create(p.ctx, s.env.DB, p.gp.ID, patient.NewPatient{FamilyName: "Hēnare", GivenNames: name,
			DateOfBirth: time.Date(1985, 3, 4, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, pt.ID)
	}
	loc := p.tn.Location()
	y, m, d := time.Now().In(loc).Date()
	book := func(who uuid.UUID, hour int) booking.Appointment {
		a, _, err := booking.Book(p.ctx, s.env.DB, p.gp.ID, booking.NewAppointment{PractitionerID: p.hip.ID, PatientID: who,
			Kind: booking.KindBooked, Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP,
			StartsAt: time.Date(y, m, d, hour, 0, 0, 0, loc), Minutes: 30})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	move := func(a booking.Appointment, to ...booking.Status) {
		for _, st := range to {
			if _, err := booking.SetStatus(p.ctx, s.env.DB, p.hip.ID, a.ID, st); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, who := range people {
		move(book(who, 7+i), booking.StatusArrived, booking.StatusInSession, booking.StatusCompleted)
	}
	move(book(people[0], 12), booking.StatusDidNotAttend)
}

var (
	tileFigure = regexp.MustCompile(`(?s)<a class="dash-tile-name" href="/metrics#([a-z0-9_]+)">[^<]*</a>\s*<span class="dash-tile-figure">(.*?)</span>\s*(?:<span class="dash-tile-beside"|</li>)`)
	tags       = regexp.MustCompile(`<[^>]*>`)
)

// tiles reads the headline figures off a dashboard: metric id → text.
func tiles(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range tileFigure.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(strings.TrimSpace(tags.ReplaceAllString(m[2], "")))
	}
	if len(out) != len(tileMetrics) {
		t.Fatalf("%d tiles on the page, want %d:\n%s", len(out), len(tileMetrics), body)
	}
	return out
}

// published is what a page must show for a cell, worked out here from the
// cell alone: the published text, a % on a percentage, a dash for none.
func published(r *report.Report, measure, line string) string {
	c, ok := r.Cell(report.Key{Practice: uuid.Nil, Line: line, Measure: measure})
	if !ok || c.Shown == "" {
		return "—"
	}
	if m, _ := report.MetricByID(measure); m.Kind == report.Rate && m.Unit == "%" && c.Shown != "S" {
		return c.Shown + "%"
	}
	return c.Shown
}

func wantTiles(t *testing.T, who string, body string, r *report.Report, line string) {
	t.Helper()
	got := tiles(t, body)
	for _, id := range tileMetrics {
		if want := published(r, id, line); got[id] != want {
			t.Errorf("%s: tile %s shows %q, the report publishes %q", who, id, got[id], want)
		}
	}
}

func TestDashboardPractice(t *testing.T) {
	s := newStack(t, testBase)
	p := newHandoverPractice(t, s)
	seedSessions(t, s, p)
	base := "/t/" + p.tn.Slug + "/reports"
	loc := p.tn.Location()
	y, m, d := time.Now().In(loc).Date()
	period := report.QuarterOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	compute := func() *report.Report {
		r, err := report.Compute(context.Background(), s.env.DB, "test", report.Scope{Practices: []report.Practice{
			{ID: p.tn.ID, Name: p.tn.Name, Slug: p.tn.Slug}}}, period)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// The HIP: exact figures, known in advance, equal to Compute's.
	hip := s.agent(t)
	hip.signIn(p.hip)
	page := hip.get(base)
	want(t, page, 200, "Exact figures: for your practice", period.Title(), `<svg class="chart"`, `href="/metrics#sessions"`)
	exact := compute()
	protect.Exact(exact)
	wantTiles(t, "hip", page.body, exact, report.LineAll)
	got := tiles(t, page.body)
	if got[report.MSessions] != "3" || got[report.MPeopleSeen] != "3" || got[report.MDNARate] != "25.0%" {
		t.Errorf("exact tiles %v: want 3 sessions, 3 people seen, DNA rate 25.0%%", got)
	}
	// The birth date in each way a page writes dates; the bare year could
	// turn up by chance in a random token or id.
	for _, name := range []string{"Aroha", "Ngata", "Tama", "Hēnare", "1985-03-04", "4 Mar 1985", "4 March 1985", "04/03/1985"} {
		if strings.Contains(page.body, name) {
			t.Errorf("the dashboard shows %q: no person's details belong on it", name)
		}
	}

	// The practice admin: the protected figures of the tenant's own seed.
	admin := s.agent(t)
	admin.signIn(p.admin)
	page = admin.get(base + "?period=" + period.Label + "&line=hip")
	want(t, page, 200, "Protected figures", "suppressed: fewer than 6 people")
	if strings.Contains(page.body, "Exact figures") {
		t.Error("a practice admin was shown exact figures")
	}
	prot := compute()
	protect.Apply(prot, protect.Rules{Threshold: 6, Rounding: true, Seed: "tenant:" + p.tn.ID.String() + "/" + period.Label})
	wantTiles(t, "admin", page.body, prot, report.LineHIP)
	if got := tiles(t, page.body); got[report.MPeopleSeen] != "S" {
		t.Errorf("three people seen show %q to an admin, want S", got[report.MPeopleSeen])
	}

	// Filters not offered: 400 with what to choose, for every bad value.
	for _, q := range []string{"?period=FY1999-Q1", "?period=2026-13", "?period=<b>", "?line=gp", "?line=HIP"} {
		want(t, hip.get(base+q), 400, "choose")
	}

	// A member of another practice: not found.
	other := s.tenant(t)
	stranger := s.agent(t)
	stranger.signIn(s.person(t, "Other HIP", &other, "hip"))
	want(t, stranger.get(base), 404)
}

func TestDashboardRegion(t *testing.T) {
	s := newStack(t, testBase)
	p := newHandoverPractice(t, s)
	seedSessions(t, s, p)
	ctx := context.Background()
	regions, err := onboarding.Regions(ctx, s.env.DB)
	if err != nil {
		t.Fatal(err)
	}
	var rd onboarding.RegionDetails
	for _, r := range regions {
		if r.ID == p.tn.RegionID {
			rd = r
		}
	}
	base := "/regions/" + rd.Slug + "/reports"
	ra := s.regionalAdmin(t, rd)
	want(t, ra.get(base), 200, "no funding contract yet", `href="/regions/`+rd.Slug+`/contracts"`)

	f, err := contract.CreateFunder(ctx, s.env.DB, uuid.Nil, "funder-"+uuid.NewString()[:8], "Te Whatu Ora")
	if err != nil {
		t.Fatal(err)
	}
	loc := p.tn.Location()
	y, m, d := time.Now().In(loc).Date()
	period := report.QuarterOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	k, err := contract.Create(ctx, s.env.DB, uuid.Nil, contract.New{RegionID: rd.ID, FunderID: f.ID, Number: "IPMHA-7", Name: "Access and Choice",
		Lines: []string{report.LineHIP}, StartsOn: period.Start.AddDate(-1, 0, 0), EndsOn: period.End.AddDate(1, 0, 0),
		Frequency: report.Quarterly, Threshold: 3, Rounding: true, Targets: report.Targets{SeenWithin7Days: 0.75}})
	if err != nil {
		t.Fatal(err)
	}
	if err := contract.SetCoverage(ctx, s.env.DB, uuid.Nil, k.ID, []contract.Coverage{{PracticeID: p.tn.ID, Line: report.LineHIP, FTE: 1}}); err != nil {
		t.Fatal(err)
	}
	k, err = contract.ByID(ctx, s.env.DB, k.ID)
	if err != nil {
		t.Fatal(err)
	}

	page := ra.get(base)
	want(t, page, 200, "IPMHA-7", "Target: 75%", "against the 75% target", "suppressed: fewer than 3 people")
	r, err := report.Compute(ctx, s.env.DB, "test", report.Scope{Practices: []report.Practice{{ID: p.tn.ID, Name: p.tn.Name}},
		Lines: k.Lines}, period)
	if err != nil {
		t.Fatal(err)
	}
	protect.Apply(r, protect.RulesFor(k.Summary(rd.Name), period))
	wantTiles(t, "regional admin", page.body, r, report.LineAll)
	if got := tiles(t, page.body); got[report.MPeopleSeen] == "S" || got[report.MPeopleSeen] == "—" {
		t.Errorf("three people under a threshold of 3 show %q, want a figure", got[report.MPeopleSeen])
	}

	// A line the contract does not fund, or a contract of another region.
	want(t, ra.get(base+"?line=support_worker"), 400, "choose")
	want(t, ra.get(base+"?contract="+uuid.NewString()), 400, "choose one from the list")
	// Another region's admin: not found.
	other := s.env.Region(t)
	od := onboarding.RegionDetails{Region: other}
	want(t, s.regionalAdmin(t, od).get(base), 404)
}

func TestMetricsPage(t *testing.T) {
	s := newStack(t, testBase)
	u := s.person(t, "Funder Reader", nil)
	a := s.agent(t)
	want(t, a.get("/metrics"), 303)
	a.signIn(u)
	page := a.get("/metrics")
	want(t, page, 200, "Metric definitions", "What counts as a session", "Pilot: 500–600 per FTE per year")
	for _, m := range report.Metrics {
		if !strings.Contains(page.body, `id="`+m.ID+`"`) {
			t.Errorf("no anchor for metric %s", m.ID)
		}
	}
	for _, d := range report.Dimensions {
		if !strings.Contains(page.body, `id="dim-`+d.ID+`"`) {
			t.Errorf("no anchor for breakdown %s", d.ID)
		}
	}
}

// renderDashboard executes dashboard.html alone (with the frame) for a view.
func renderDashboard(t *testing.T, p dashboardPage) string {
	t.Helper()
	tm, err := template.New(pageDashboard).ParseFS(templateFS, "templates/"+layoutFile, "templates/"+partialsFile, "templates/"+pageDashboard)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tm.ExecuteTemplate(&b, "layout", p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A hand-built, protected report: what the page shows comes from Shown and
// Flag only, whatever the exact figures behind them.
func TestDashboardViewHandBuilt(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	period := report.FiscalQuarter(2027, 1)
	r := &report.Report{Period: period, Lines: []string{report.LineHIP},
		Practices: []report.Practice{{ID: a, Name: "Ōtara <Health>"}, {ID: b, Name: "Beta"}}, AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Protected: true}
	cell := func(p uuid.UUID, line, m, dim, group, shown, flag string, exact float64) {
		r.Cells = append(r.Cells, report.Cell{Key: report.Key{Practice: p, Line: line, Measure: m, Dim: dim, Group: group},
			Figure: exact, Shown: shown, Flag: flag})
	}
	cell(uuid.Nil, report.LineAll, report.MSessions, "", "", "120", protect.FlagRounded, 121)
	cell(uuid.Nil, report.LineAll, report.MPeopleSeen, "", "", "42", protect.FlagRounded, 43)
	cell(uuid.Nil, report.LineAll, report.MNewPeople, "", "", "S", protect.FlagSuppressed, 4)
	cell(uuid.Nil, report.LineAll, report.MSeenWithin7Rate, "", "", "83.3", "", 0.8333)
	cell(a, report.LineAll, report.MSeenWithin7Rate, "", "", "90.0", "", 0.9)
	cell(b, report.LineAll, report.MSeenWithin7Rate, "", "", "S", protect.FlagSuppressed, 0.5)
	cell(uuid.Nil, report.LineAll, report.MPeopleSeen, report.DimEthnicity, "maori", "15", protect.FlagRounded, 14)
	cell(uuid.Nil, report.LineAll, report.MPeopleSeen, report.DimEthnicity, "pacific", "S", protect.FlagSuppressed, 3)
	cell(uuid.Nil, report.LineAll, report.MEnrolled, "", "", "3000", protect.FlagRounded, 3001)
	cell(uuid.Nil, report.LineAll, report.MEnrolled, report.DimEthnicity, "maori", "600", protect.FlagRounded, 601)
	for i, m := range period.Months() {
		r.Trend = append(r.Trend, report.TrendPoint{Month: m, Line: report.LineAll,
			Sessions: report.Cell{Key: report.Key{Measure: report.MSessions}, Shown: []string{"30", "S", "87"}[i], Figure: 31}})
	}
	p := dashboardPage{Threshold: 6, Rounding: true, Scope: "Test PHO"}
	p.fill(r, report.LineAll, 0.8, time.UTC)
	body := renderDashboard(t, p)

	for _, s := range []string{
		`<span class="dash-tile-figure"><span class="fig-r" title="randomly rounded to base 3">120</span></span>`,
		`<abbr class="fig-s" title="suppressed: fewer than 6 people">S</abbr>`,
		`<span class="dash-tile-figure">83.3%</span>`,
		`<a class="dash-tile-name" href="/metrics#new_people_per_fte_year">New people per FTE per year</a>`,
		`Pilot 500–600`, `Target: 80%`,
		`Ōtara &lt;Health&gt;`,
		`<svg class="chart" role="img"`, `aria-labelledby="chart-trend-title chart-trend-desc"`,
		// Shares from the published counts: 15 of 42 seen, 600 of 3000 enrolled.
		`35.7%`, `20.0%`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	// The exact figures never reach the page.
	for _, s := range []string{">121<", ">43<", ">4<", ">3001<", ">601<", ": 121<", ": 43<", ": 601<"} {
		if strings.Contains(body, s) {
			i := strings.Index(body, s)
			t.Errorf("page shows exact figure %s: %s", s, body[max(0, i-80):i+20])
		}
	}
	if strings.Contains(body, "<Health>") {
		t.Error("a practice name went unescaped")
	}

	// Nothing at all: the charts say so rather than drawing empty frames.
	empty := dashboardPage{Threshold: 6}
	empty.fill(&report.Report{Period: period, Lines: report.Lines}, report.LineAll, 0.8, time.UTC)
	if body := renderDashboard(t, empty); strings.Count(body, "No data for this period") < 3 {
		t.Errorf("an empty report does not say there is no data:\n%s", body)
	}
}
