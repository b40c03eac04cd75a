package web

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/protect"
	"github.com/tuhono/tuhono/tenants"
)

// dashboardPages: the report dashboards of a practice, a PHO (across its
// practices) and a region (for one contract), and the metric definitions
// funders read. A dashboard computes the same Report a contract's report run
// does (report.Compute) and publishes it under the same rules
// (models/report/protect), so its numbers are the report's numbers; the
// figures, tables and charts are drawn only from Cell.Shown.
var dashboardPages = []page{
	{"GET", "/t/:tenant/reports", member, reportRead, (*handler).tenantDashboard, false},
	{"GET", "/regions/:region/reports", regional, reportRead, (*handler).regionDashboard, false},
	{"GET", "/metrics", signedIn, none, (*handler).metrics, false},
}

var (
	reportRead = httpx.Perm{Object: "report", Action: "read"}
	// reportExact: a practice's own figures, unrounded and unsuppressed.
	reportExact = httpx.Perm{Object: "report.exact", Action: "read"}
)

const (
	pageDashboard = "dashboard.html"
	pageMetrics   = "metrics.html"
	// dashboardThreshold and the tenant seed protect a dashboard shown
	// without a contract: the threshold contracts use by default.
	dashboardThreshold = protect.DefaultThreshold
	// nationalTarget: seen within 7 days of introduction (Access and Choice).
	nationalTarget = 0.8
)

func init() { pageFiles = append(pageFiles, pageDashboard, pageMetrics) }

// ---- Filters ----

// dashboardFilter is what the query asks for, checked against what is offered.
type dashboardFilter struct {
	Period  report.Period
	Line    string
	Periods []option
	Lines   []option
}

// errBadFilter is a filter value that is not among those offered.
type errBadFilter struct{ msg string }

func (e errBadFilter) Error() string { return e.msg }

// readFilter reads ?period= and ?line= against the last 8 fiscal quarters
// and 12 months (as of today in loc) and the lines offered; a value not
// offered is refused, not guessed at.
func readFilter(c *fiber.Ctx, loc *time.Location, now time.Time, lines []string) (dashboardFilter, error) {
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	var periods []report.Period
	for q, i := report.QuarterOf(today), 0; i < 8; q, i = report.QuarterOf(q.Start.AddDate(0, -1, 0)), i+1 {
		periods = append(periods, q)
	}
	for m, i := report.MonthOf(today), 0; i < 12; m, i = report.MonthOf(m.Start.AddDate(0, -1, 0)), i+1 {
		periods = append(periods, m)
	}
	f := dashboardFilter{Period: periods[0]}
	if want := c.Query("period"); want != "" {
		i := slices.IndexFunc(periods, func(p report.Period) bool { return p.Label == want })
		if i < 0 {
			return f, errBadFilter{"That period is not one the dashboard offers: choose one of the last 8 fiscal quarters or the last 12 months."}
		}
		f.Period = periods[i]
	}
	for _, p := range periods {
		f.Periods = append(f.Periods, option{Value: p.Label, Label: p.Title(), Checked: p.Label == f.Period.Label})
	}
	switch want := c.Query("line"); {
	case want == "" || want == "all":
		f.Line = report.LineAll
	case slices.Contains(lines, want):
		f.Line = want
	default:
		return f, errBadFilter{"That service line is not one this dashboard reports: choose HIP, Health Coach, Support Worker or all service lines."}
	}
	f.Lines = []option{{Value: "all", Label: report.LineLabels[report.LineAll], Checked: f.Line == report.LineAll}}
	for _, l := range lines {
		f.Lines = append(f.Lines, option{Value: l, Label: report.LineLabels[l], Checked: f.Line == l})
	}
	return f, nil
}

// filterError answers a bad filter with a 400 page saying what to choose;
// anything else goes to the error handler.
func (h *handler) filterError(c *fiber.Ctx, err error) error {
	var bad errBadFilter
	if errors.As(err, &bad) {
		return h.errorPage(c, fiber.StatusBadRequest, requestID(c), bad.msg)
	}
	return err
}

// ---- A practice's or PHO's dashboard ----

func (h *handler) tenantDashboard(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	f, err := readFilter(c, t.Location(), time.Now(), report.Lines)
	if err != nil {
		return h.filterError(c, err)
	}
	scope := report.Scope{Practices: []report.Practice{{ID: t.ID, Name: t.Name, Slug: t.Slug}}}
	if t.Kind == tenants.KindPHO {
		children, err := onboarding.ChildrenOf(ctx, h.DB, t.ID)
		if err != nil {
			return err
		}
		scope.Practices = nil
		for _, p := range children {
			scope.Practices = append(scope.Practices, report.Practice{ID: p.ID, Name: p.Name, Slug: p.Slug})
		}
	}
	p := dashboardPage{layout: h.tenantPage(c, "Reports", "/reports"), Filter: f, Action: tenantPath(t.Slug, "/reports"),
		Scope: t.Name, Threshold: dashboardThreshold}
	if len(scope.Practices) == 0 {
		p.Empty = "No practice is under this PHO yet, so there is nothing to report."
		return h.render(c, fiber.StatusOK, pageDashboard, p)
	}
	// Exact figures only for a practice's own staff with clinical access,
	// and only once they have passed the MFA their tenant asks for: small
	// unrounded counts can point at a person.
	actor, _ := tenants.ActorFrom(ctx)
	exact := t.Kind == tenants.KindPractice && !actor.MFAMissing && h.can(ctx, reportExact)
	rules := protect.Rules{Threshold: dashboardThreshold, Rounding: true, Seed: "tenant:" + t.ID.String() + "/" + f.Period.Label}
	kind, finish := "exact", protect.Exact
	if !exact {
		kind, finish = rulesKind(rules), func(r *report.Report) { protect.Apply(r, rules) }
	}
	rpt, err := h.reports.Finished(ctx, h.DB, "report dashboard of "+t.Slug, kind, scope, f.Period, finish)
	if err != nil {
		return err
	}
	p.Exact, p.Rounding = exact, !exact
	p.fill(rpt, f.Line, nationalTarget, t.Location())
	return h.render(c, fiber.StatusOK, pageDashboard, p)
}

// ---- A region's dashboard, for one contract ----

func (h *handler) regionDashboard(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	base := "/regions/" + r.Slug
	rd, err := onboarding.RegionDetailsBySlug(ctx, h.DB, r.Slug)
	if err != nil {
		return err
	}
	// A region's zone is one of New Zealand's; Pacific/Auckland when unset.
	zone := cmp.Or(rd.TimeZone, "Pacific/Auckland")
	loc := tenants.Tenant{TimeZone: zone}.Location()
	list, err := contract.ForRegion(ctx, h.DB, r.ID)
	if err != nil {
		return err
	}
	p := dashboardPage{layout: h.page(c, "Reports — "+r.Name, "", base+"/reports"), Action: base + "/reports", Scope: r.Name}
	if len(list) == 0 {
		p.Empty = "This region has no funding contract yet: the dashboard shows a contract's figures."
		p.ContractsURL = base + "/contracts"
		return h.render(c, fiber.StatusOK, pageDashboard, p)
	}
	k := list[0]
	if want := c.Query("contract"); want != "" {
		i := slices.IndexFunc(list, func(k contract.Contract) bool { return k.ID.String() == want })
		if i < 0 {
			return h.errorPage(c, fiber.StatusBadRequest, requestID(c), "That contract is not one of this region's: choose one from the list.")
		}
		k = list[i]
	}
	for _, x := range list {
		p.Contracts = append(p.Contracts, option{Value: x.ID.String(), Label: x.Number + " — " + x.Name, Checked: x.ID == k.ID})
	}
	f, err := readFilter(c, loc, time.Now(), k.Lines)
	if err != nil {
		return h.filterError(c, err)
	}
	p.Filter = f
	if len(k.Coverage) == 0 {
		p.Empty = "This contract covers no practice yet, so there is nothing to report."
		return h.render(c, fiber.StatusOK, pageDashboard, p)
	}
	scope := report.Scope{Lines: k.Lines, TotalResponse: k.TotalResponse}
	for _, id := range k.PracticeIDs() {
		cv := k.Coverage[slices.IndexFunc(k.Coverage, func(cv contract.Coverage) bool { return cv.PracticeID == id })]
		scope.Practices = append(scope.Practices, report.Practice{ID: id, Name: cv.PracticeName})
	}
	summary := k.Summary(r.Name)
	// The contract's own rules and seed: what its report for this period
	// publishes, figure for figure.
	rules := protect.RulesFor(summary, f.Period)
	rpt, err := h.reports.Finished(ctx, h.DB, "report dashboard of contract "+k.Number, "contract:"+k.ID.String()+"|"+rulesKind(rules),
		scope, f.Period, func(rpt *report.Report) {
			rpt.Contract = summary
			protect.Apply(rpt, rules)
		})
	if err != nil {
		return err
	}
	p.Threshold, p.Rounding, p.Contract = rules.Threshold, rules.Rounding, k.Number+" — "+k.Name
	target := nationalTarget
	if summary.Targets.SeenWithin7Days > 0 {
		target = summary.Targets.SeenWithin7Days
	}
	p.fill(rpt, f.Line, target, loc)
	return h.render(c, fiber.StatusOK, pageDashboard, p)
}

// rulesKind names how a kept report was protected: a change to the rules
// (or to the contract's secret rounding key) is a different report. The
// seed is hashed, so the key never holds the secret.
func rulesKind(r protect.Rules) string {
	seed := sha256.Sum256([]byte(r.Seed))
	return fmt.Sprintf("protected:%d:%t:%x", r.Threshold, r.Rounding, seed)
}

// ---- The metric definitions ----

type metricsPage struct {
	layout
	Metrics    []metricView
	Dimensions []dimensionView
	Threshold  int
}

type metricView struct {
	ID, Name, Kind, Unit               string
	Definition, Numerator, Denominator string
	Session, Benchmark                 string
	Lines                              string // the service lines it is reported for
	Of                                 *linkView
	Dims                               []linkView
}

type linkView struct{ Text, Href string }

type dimensionView struct {
	ID, Name, Rule string
	Additive       bool
	Groups         []string
}

var kindWords = map[report.Kind]string{report.People: "A count of distinct people", report.Events: "A count of events",
	report.Rate: "A rate", report.Mean: "A mean", report.Median: "A median"}

func (h *handler) metrics(c *fiber.Ctx) error {
	p := metricsPage{layout: h.page(c, "Metric definitions", "How every figure in Tūhono's funding reports is defined.", "/metrics"),
		Threshold: protect.DefaultThreshold}
	for _, m := range report.Metrics {
		v := metricView{ID: m.ID, Name: m.Name, Kind: kindWords[m.Kind], Definition: m.Definition, Numerator: m.Numerator,
			Denominator: m.Denominator, Session: m.Session, Benchmark: m.Benchmark, Unit: m.Unit, Lines: "Every service line, and all together"}
		if m.Lines != nil {
			v.Lines = ""
			for i, l := range m.Lines {
				if i > 0 {
					v.Lines += ", "
				}
				v.Lines += report.LineLabels[l]
			}
		}
		if of, ok := report.MetricByID(m.Of); ok {
			v.Of = &linkView{Text: of.Name, Href: "#" + of.ID}
		}
		for _, id := range m.Dims {
			if d, ok := report.DimensionByID(id); ok {
				v.Dims = append(v.Dims, linkView{Text: d.Name, Href: "#dim-" + d.ID})
			}
		}
		p.Metrics = append(p.Metrics, v)
	}
	for _, d := range report.Dimensions {
		v := dimensionView{ID: d.ID, Name: d.Name, Rule: d.Rule, Additive: d.Additive}
		for _, g := range d.Groups {
			v.Groups = append(v.Groups, g.Label)
		}
		p.Dimensions = append(p.Dimensions, v)
	}
	return h.render(c, fiber.StatusOK, pageMetrics, p)
}

// ---- The dashboard's view ----

type dashboardPage struct {
	layout
	Action       string // the filter form's address
	Scope        string // the practice, PHO or region
	Contract     string // the region's contract shown
	Contracts    []option
	Filter       dashboardFilter
	Empty        string // why there is nothing to show
	ContractsURL string
	Exact        bool // exact figures: the practice's own staff
	Rounding     bool
	Threshold    int
	Title        string // the period and line shown
	AsOf         string
	Tiles        []tileView
	Trend        chartView
	Within7      chartView
	Ethnicity    chartView
	Measures     []columnView
	Rows         []rowView
	Equity       []equityView
}

// figureView is one published figure as a page shows it.
type figureView struct {
	Text  string // "128", "83.3%", "S", "—"
	Title string // a tooltip: why it is S, that it is rounded
	Class string
}

type tileView struct {
	Name, Href string
	Figure     figureView
	Beside     string // the target or benchmark
}

type chartView struct {
	SVG     template.HTML
	Caption string
	Head    []string
	Rows    []chartRow
}

type chartRow struct {
	Label   string
	Figures []figureView
}

type columnView struct{ Name, Href string }

type rowView struct {
	Practice, Line string
	Total          bool
	Figures        []figureView
}

type equityView struct {
	Name string
	Rows []chartRow
}

var (
	tileMetrics = []string{report.MPeopleSeen, report.MSessions, report.MNewPeople, report.MSeenWithin7Rate,
		report.MAccessConversion, report.MDNARate, report.MNewPerFTE, report.MPenetration, report.MUsefulnessMean, report.MK10Change}
	tableMetrics = []string{report.MSessions, report.MPeopleSeen, report.MNewPeople, report.MSeenWithin7Rate,
		report.MAccessConversion, report.MDNARate, report.MNewPerFTE}
	equityMetrics = []string{report.MPeopleSeen, report.MSeenWithin7Rate, report.MAccessConversion, report.MPenetration}
)

// show is a cell as published: a rate in % gets its sign, "S" its reason.
func (p *dashboardPage) show(c *report.Cell, ok bool) figureView {
	if !ok || c.Shown == "" {
		return figureView{Text: "—", Title: "no figure", Class: "fig-none"}
	}
	if c.Shown == protect.Suppressed {
		return figureView{Text: "S", Title: p.suppressed(), Class: "fig-s"}
	}
	v := figureView{Text: c.Shown}
	if m, _ := report.MetricByID(c.Measure); m.Unit == "%" && m.Kind == report.Rate {
		v.Text += "%"
	}
	if c.Flag == protect.FlagRounded {
		v.Title, v.Class = "randomly rounded to base 3", "fig-r"
	}
	return v
}

func (p *dashboardPage) suppressed() string {
	return "suppressed: fewer than " + strconv.Itoa(p.Threshold) + " people"
}

func metricHref(id string) string { return "/metrics#" + id }

// fill lays out rpt's published figures for one service line (LineAll: all).
func (p *dashboardPage) fill(rpt *report.Report, line string, target float64, loc *time.Location) {
	idx := rpt.Index()
	get := func(practice uuid.UUID, l, measure, dim, group string) figureView {
		c, ok := idx[report.Key{Practice: practice, Line: l, Measure: measure, Dim: dim, Group: group}]
		return p.show(c, ok)
	}
	p.Title = rpt.Period.Title() + ", " + report.LineLabels[line]
	p.AsOf = rpt.AsOf.In(loc).Format("2 January 2006, 3:04 pm")
	for _, id := range tileMetrics {
		m, _ := report.MetricByID(id)
		t := tileView{Name: m.Name, Href: metricHref(id), Figure: get(uuid.Nil, line, id, "", ""), Beside: m.Benchmark}
		if id == report.MSeenWithin7Rate {
			t.Beside = "Target: " + pct(target)
		}
		if id == report.MNewPerFTE {
			t.Beside = "Pilot 500–600"
		}
		p.Tiles = append(p.Tiles, t)
	}
	sup := p.suppressed()

	var trend []Bar
	p.Trend = chartView{Caption: "Sessions delivered by month", Head: []string{"Month", "Sessions"}}
	for _, tp := range rpt.Trend {
		if tp.Practice == uuid.Nil && tp.Line == line {
			f := p.show(&tp.Sessions, true)
			trend = append(trend, Bar{Label: tp.Month.Start.Format("Jan 06"), Shown: chartFigure(f)})
			p.Trend.Rows = append(p.Trend.Rows, chartRow{Label: tp.Month.Title(), Figures: []figureView{f}})
		}
	}
	p.Trend.SVG = Bars(Chart{ID: "chart-trend", Title: p.Trend.Caption, Suppressed: sup}, trend)

	var within []Bar
	p.Within7 = chartView{Caption: "Seen within 7 days of introduction, by practice, against the " + pct(target) + " target",
		Head: []string{"Practice", "Seen within 7 days"}}
	for _, pr := range rpt.Practices {
		f := get(pr.ID, line, report.MSeenWithin7Rate, "", "")
		within = append(within, Bar{Label: pr.Name, Shown: chartFigure(f)})
		p.Within7.Rows = append(p.Within7.Rows, chartRow{Label: pr.Name, Figures: []figureView{f}})
	}
	p.Within7.SVG = HBars(Chart{ID: "chart-within7", Title: p.Within7.Caption, Suppressed: sup}, within, target, "Target")

	p.fillEthnicity(get, line, sup)

	for _, id := range tableMetrics {
		m, _ := report.MetricByID(id)
		p.Measures = append(p.Measures, columnView{Name: m.Name, Href: metricHref(id)})
	}
	lines := []string{line}
	if line == report.LineAll {
		lines = append(slices.Clone(rpt.Lines), report.LineAll)
	}
	practices := append([]uuid.UUID{}, uuid.Nil)
	for _, pr := range rpt.Practices {
		practices = append(practices, pr.ID)
	}
	for _, pid := range practices {
		for _, l := range lines {
			r := rowView{Practice: rpt.PracticeName(pid), Line: report.LineLabels[l], Total: pid == uuid.Nil || l == report.LineAll}
			for _, id := range tableMetrics {
				r.Figures = append(r.Figures, get(pid, l, id, "", ""))
			}
			p.Rows = append(p.Rows, r)
		}
	}

	for _, dimID := range []string{report.DimEthnicity, report.DimHighNeeds} {
		d, _ := report.DimensionByID(dimID)
		e := equityView{Name: d.Name}
		for _, g := range d.Groups {
			r := chartRow{Label: g.Label}
			for _, id := range equityMetrics {
				r.Figures = append(r.Figures, get(uuid.Nil, line, id, dimID, g.ID))
			}
			e.Rows = append(e.Rows, r)
		}
		p.Equity = append(p.Equity, e)
	}
}

// fillEthnicity is the share of people seen in each ethnic group against
// the group's share of the enrolled population (enrolment is per practice,
// not per service line). Shares are worked out from the published counts
// only, so they reveal nothing the counts do not; a share of a suppressed
// count is suppressed.
func (p *dashboardPage) fillEthnicity(get func(uuid.UUID, string, string, string, string) figureView, line, sup string) {
	d, _ := report.DimensionByID(report.DimEthnicity)
	p.Ethnicity = chartView{Caption: "Ethnicity (prioritised): share of people seen against share of the enrolled population",
		Head: []string{"Ethnicity", "People seen", "Share of people seen", "Enrolled", "Share of enrolled"}}
	seenAll := get(uuid.Nil, line, report.MPeopleSeen, "", "")
	enrolledAll := get(uuid.Nil, report.LineAll, report.MEnrolled, "", "")
	var pairs []Pair
	for _, g := range d.Groups {
		seen := get(uuid.Nil, line, report.MPeopleSeen, d.ID, g.ID)
		enrolled := get(uuid.Nil, report.LineAll, report.MEnrolled, d.ID, g.ID)
		a, b := share(seen, seenAll, sup), share(enrolled, enrolledAll, sup)
		pairs = append(pairs, Pair{Label: g.Label, A: chartFigure(a), B: chartFigure(b)})
		p.Ethnicity.Rows = append(p.Ethnicity.Rows, chartRow{Label: g.Label, Figures: []figureView{seen, a, enrolled, b}})
	}
	p.Ethnicity.SVG = PairedBars(Chart{ID: "chart-ethnicity", Title: p.Ethnicity.Caption, Suppressed: sup},
		[2]string{"Share of people seen", "Share of enrolled"}, pairs)
}

// share is part ÷ whole of two published counts, as a percentage.
func share(part, whole figureView, sup string) figureView {
	if part.Text == "S" {
		return figureView{Text: "S", Title: sup, Class: "fig-s"}
	}
	n, ok1 := drawable(part.Text)
	d, ok2 := drawable(whole.Text)
	if !ok1 || !ok2 || d == 0 {
		return figureView{Text: "—", Title: "no figure", Class: "fig-none"}
	}
	return figureView{Text: strconv.FormatFloat(float64(int(n/d*1000+0.5))/10, 'f', 1, 64) + "%"}
}

// chartFigure is what a chart draws for a figure: its published text, S,
// or nothing.
func chartFigure(f figureView) string {
	if f.Class == "fig-none" {
		return ""
	}
	return f.Text
}
