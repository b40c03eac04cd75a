package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/reportrun"
	"github.com/tuhono/tuhono/tenants"
)

var (
	permRunRead     = httpx.Perm{Object: "report", Action: "read"}
	permRunExport   = httpx.Perm{Object: "report", Action: "export"}
	permRunPublish  = httpx.Perm{Object: "report.publish", Action: "create"}
	permRunWithdraw = httpx.Perm{Object: "report.publish", Action: "delete"}
)

// reportPages: a regional admin's report runs of a contract. A run is
// generated for one reporting period, reviewed here (headline figures, what
// changed since the version before, the files), then published to the
// funder or withdrawn. A contract or run of another region is not found.
var reportPages = []page{
	{"GET", "/regions/:region/contracts/:id/runs", regional, permRunRead, (*handler).runs, false},
	{"POST", "/regions/:region/contracts/:id/runs", regional, permRunExport, (*handler).generateRun, false},
	{"GET", "/regions/:region/runs/:run", regional, permRunRead, (*handler).reviewRun, false},
	{"POST", "/regions/:region/runs/:run/publish", regional, permRunPublish, (*handler).publishRun, false},
	{"POST", "/regions/:region/runs/:run/withdraw", regional, permRunWithdraw, (*handler).withdrawRun, false},
	{"GET", "/regions/:region/runs/:run/files/:format", regional, permRunExport, (*handler).runFile, false},
}

const (
	pageRuns = "runs.html"
	pageRun  = "run.html"
)

func init() { pageFiles = append(pageFiles, pageRuns, pageRun) }

var rnNotices = map[string]string{
	"generated": "The report is generated and waits for review. Check the figures, then publish it to the funder.",
	"published": "The report is published: the funder can now download it.",
	"withdrawn": "The report is withdrawn: the funder no longer sees it.",
}

// rnStatusClasses reuse the status badges: in review is like onboarding
// (not yet out), published is on, withdrawn is off.
var rnStatusClasses = map[string]string{reportrun.StatusReview: "status-onboarding", reportrun.StatusPublished: "status-on",
	reportrun.StatusWithdrawn: "status-off"}

var rnStatusWords = map[string]string{reportrun.StatusReview: "In review", reportrun.StatusPublished: "Published",
	reportrun.StatusWithdrawn: "Withdrawn"}

// rnHeadlineMetrics are the figures a reviewer checks first, for all
// practices and all service lines.
var rnHeadlineMetrics = []string{report.MPeopleSeen, report.MSessions, report.MNewPeople, report.MSeenWithin7Rate,
	report.MAccessConversion, report.MDNARate}

type rnFileView struct {
	Label, Filename, URL, SHA256, Size string
}

type rnRunView struct {
	Version     int
	Status      string
	StatusClass string
	AsOf        timeView
	GeneratedAt timeView
	GeneratedBy string
	PublishedAt timeView
	URL         string
	Files       []rnFileView
}

// rnSize shows a file size for people.
func rnSize(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	}
	return strconv.Itoa(n) + " bytes"
}

// rnFiles lists a run's downloads under base (…/runs/<id>/files/).
func rnFiles(run reportrun.Run, base string) []rnFileView {
	var out []rnFileView
	for _, f := range run.Files {
		out = append(out, rnFileView{Label: reportrun.FormatLabels[f.Format], Filename: f.Filename,
			URL: base + f.Format, SHA256: f.SHA256, Size: rnSize(f.Size)})
	}
	return out
}

func (h *handler) rnNames(c *fiber.Ctx, runs []reportrun.Run) (map[uuid.UUID]string, error) {
	var ids []uuid.UUID
	for _, r := range runs {
		if r.GeneratedBy != uuid.Nil && !slices.Contains(ids, r.GeneratedBy) {
			ids = append(ids, r.GeneratedBy)
		}
	}
	if h.Accounts == nil || len(ids) == 0 {
		return map[uuid.UUID]string{}, nil
	}
	return h.Accounts.Names(httpx.Context(c), ids)
}

func rnView(run reportrun.Run, names map[uuid.UUID]string, regionSlug string) rnRunView {
	url := "/regions/" + regionSlug + "/runs/" + run.ID.String()
	v := rnRunView{Version: run.Version, Status: rnStatusWords[run.Status], StatusClass: rnStatusClasses[run.Status],
		AsOf: showTime(run.AsOf, nzZone), GeneratedAt: showTime(run.GeneratedAt, nzZone), URL: url,
		GeneratedBy: names[run.GeneratedBy], Files: rnFiles(run, url+"/files/")}
	if v.GeneratedBy == "" {
		v.GeneratedBy = "Tūhono"
	}
	if run.PublishedAt != nil {
		v.PublishedAt = showTime(*run.PublishedAt, nzZone)
	}
	return v
}

// ---- A contract's runs ----

type rnPeriodView struct {
	Title, Label string
	Runs         []rnRunView
}

type rnListPage struct {
	layout
	Notice      string
	RegionName  string
	ContractURL string
	Number      string
	Name        string
	Periods     []rnPeriodView
	CanGenerate bool
	Form        *form
	Period      selectView
	Action      string
}

func (h *handler) renderRuns(c *fiber.Ctx, status int, ct contract.Contract, f *form) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	runs, err := reportrun.ForContract(ctx, h.DB, ct.ID)
	if err != nil {
		return err
	}
	names, err := h.rnNames(c, runs)
	if err != nil {
		return err
	}
	contractURL := "/regions/" + r.Slug + "/contracts/" + ct.ID.String()
	p := rnListPage{layout: h.page(c, "Report runs — "+ct.Number, "", contractURL+"/runs"), Notice: rnNotices[c.Query("done")],
		RegionName: r.Name, ContractURL: contractURL, Number: ct.Number, Name: ct.Name,
		CanGenerate: h.orgCan(c, r, permRunExport), Action: contractURL + "/runs"}
	periods := ct.Periods()
	// Latest period first: the one being reported on now.
	for i := len(periods) - 1; i >= 0; i-- {
		pv := rnPeriodView{Title: periods[i].Title(), Label: periods[i].Label}
		for _, run := range runs {
			if run.Period == periods[i].Label {
				pv.Runs = append(pv.Runs, rnView(run, names, r.Slug))
			}
		}
		if len(pv.Runs) > 0 {
			p.Periods = append(p.Periods, pv)
		}
	}
	if p.CanGenerate {
		if f == nil {
			f = newForm(c)
		}
		opts := []option{{Value: "", Label: "Choose a period"}}
		for i := len(periods) - 1; i >= 0; i-- {
			opts = append(opts, option{Value: periods[i].Label, Label: periods[i].Title()})
		}
		p.Form = f
		p.Period = selectField(f, "period", "Reporting period", "The report reads the data as it stands now; generating again makes a new version.", opts)
	}
	return h.render(c, status, pageRuns, p)
}

// rnContract finds /regions/:region/contracts/:id for the run pages: a
// contract that does not exist, or is another region's, is not found.
func (h *handler) rnContract(c *fiber.Ctx) (contract.Contract, error) {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return contract.Contract{}, fault.NotFound
	}
	ct, err := contract.ByID(ctx, h.DB, id)
	if err != nil {
		return contract.Contract{}, err
	}
	if ct.RegionID != r.ID {
		return contract.Contract{}, fault.NotFound
	}
	return ct, nil
}

func (h *handler) runs(c *fiber.Ctx) error {
	ct, err := h.rnContract(c)
	if err != nil {
		return err
	}
	return h.renderRuns(c, fiber.StatusOK, ct, nil)
}

func (h *handler) generateRun(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	ct, err := h.rnContract(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	f.Set("period", formValue(c, "period"))
	period, err := report.ParsePeriod(f.Values["period"])
	if err != nil {
		f.Fail("period", "choose one of the contract's reporting periods")
		return h.renderRuns(c, fiber.StatusUnprocessableEntity, ct, f)
	}
	run, err := reportrun.Generate(ctx, h.DB, actorID(c), ct.ID, period, r.Name)
	if err != nil {
		if f.Adopt(err, map[string]string{"period": "period", "practices": "period"}) {
			return h.renderRuns(c, fiber.StatusUnprocessableEntity, ct, f)
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/runs/"+run.ID.String()+"?done=generated")
}

// ---- One run: review, publish, withdraw, download ----

// runOf finds /regions/:region/runs/:run and its contract: a run of another
// region's contract is not found, whatever its id.
func (h *handler) runOf(c *fiber.Ctx) (reportrun.Run, contract.Contract, error) {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	id, err := uuid.Parse(c.Params("run"))
	if err != nil {
		return reportrun.Run{}, contract.Contract{}, fault.NotFound
	}
	run, err := reportrun.ByID(ctx, h.DB, id)
	if err != nil {
		return reportrun.Run{}, contract.Contract{}, err
	}
	ct, err := contract.ByID(ctx, h.DB, run.ContractID)
	if err != nil {
		return reportrun.Run{}, contract.Contract{}, err
	}
	if ct.RegionID != r.ID {
		return reportrun.Run{}, contract.Contract{}, fault.NotFound
	}
	return run, ct, nil
}

type rnHeadline struct {
	Name, Value, Flag string
}

type rnChangeView struct {
	Period, Practice, Line, Measure, Breakdown, Before, After string
}

// rnMaxChanges is how many changed figures the review page lists; the rest
// are counted, and the CSVs of both versions hold them all.
const rnMaxChanges = 200

type runPage struct {
	layout
	Notice, Message string
	RegionName      string
	RunsURL         string
	Number, Name    string
	Period          string
	Run             rnRunView
	Headlines       []rnHeadline
	Previous        int
	Changes         []rnChangeView
	MoreChanges     int
	CanPublish      bool
	CanWithdraw     bool
	PublishURL      string
	WithdrawURL     string
	CSRF            string
	MetricsURL      string
}

// rnHeadlines reads the headline figures from the run's CSV: what the
// funder will download, not a recomputation.
func rnHeadlines(body []byte, period string) ([]rnHeadline, error) {
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		return nil, err
	}
	shown := map[string][2]string{}
	for _, rec := range recs {
		if len(rec) == 8 && rec[0] == period && rec[1] == "All practices" && rec[2] == "all" && rec[4] == "total" {
			shown[rec[3]] = [2]string{rec[6], rec[7]}
		}
	}
	var out []rnHeadline
	for _, id := range rnHeadlineMetrics {
		m, _ := report.MetricByID(id)
		v := shown[id]
		out = append(out, rnHeadline{Name: m.Name, Value: rnShown(m, v[0]), Flag: rnFlagWords[v[1]]})
	}
	return out, nil
}

var rnFlagWords = map[string]string{"S": "Suppressed: too few people to publish", "R": "Randomly rounded to base 3",
	"N": "No figure: nothing to divide by"}

func rnShown(m report.Metric, v string) string {
	switch {
	case v == "":
		return "—"
	case v == "S" || m.Unit == "" || m.Unit == "per FTE-year":
		return v
	case m.Unit == "%":
		return v + "%"
	}
	return v + " " + m.Unit
}

func rnChangeRow(ch reportrun.Change) rnChangeView {
	v := rnChangeView{Period: ch.Period, Practice: ch.Practice, Line: ch.Line, Measure: ch.Measure,
		Breakdown: "Total", Before: ch.Before, After: ch.After}
	if m, ok := report.MetricByID(ch.Measure); ok {
		v.Measure = m.Name
	}
	// The CSV names every line together "all"; report.LineAll is "".
	if ch.Line == "all" {
		v.Line = report.LineLabels[report.LineAll]
	} else if l, ok := report.LineLabels[ch.Line]; ok {
		v.Line = l
	}
	if d, ok := report.DimensionByID(ch.Breakdown); ok {
		v.Breakdown = d.Name + ": " + ch.Group
		for _, g := range d.Groups {
			if g.ID == ch.Group {
				v.Breakdown = d.Name + ": " + g.Label
			}
		}
	}
	for _, s := range []*string{&v.Before, &v.After} {
		if *s == "" {
			*s = "—"
		}
	}
	return v
}

func (h *handler) renderRun(c *fiber.Ctx, status int, message string) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	run, ct, err := h.runOf(c)
	if err != nil {
		return err
	}
	names, err := h.rnNames(c, []reportrun.Run{run})
	if err != nil {
		return err
	}
	period, err := report.ParsePeriod(run.Period)
	if err != nil {
		return err
	}
	view := rnView(run, names, r.Slug)
	p := runPage{layout: h.page(c, ct.Number+" "+period.Title()+" — version "+strconv.Itoa(run.Version), "", view.URL),
		Notice: rnNotices[c.Query("done")], Message: message, RegionName: r.Name,
		RunsURL: "/regions/" + r.Slug + "/contracts/" + ct.ID.String() + "/runs", Number: ct.Number, Name: ct.Name,
		Period: period.Title(), Run: view, CSRF: httpx.CSRFToken(c), MetricsURL: "/metrics",
		PublishURL: view.URL + "/publish", WithdrawURL: view.URL + "/withdraw",
		CanPublish:  run.Status == reportrun.StatusReview && h.orgCan(c, r, permRunPublish),
		CanWithdraw: run.Status != reportrun.StatusWithdrawn && h.orgCan(c, r, permRunWithdraw)}
	f, err := reportrun.Get(ctx, h.DB, run.ID, reportrun.FormatCSV)
	if err != nil {
		return err
	}
	if p.Headlines, err = rnHeadlines(f.Body, run.Period); err != nil {
		return err
	}
	previous, changes, err := reportrun.Changes(ctx, h.DB, run.ID)
	if err != nil {
		return err
	}
	p.Previous = previous
	for i, ch := range changes {
		if i == rnMaxChanges {
			p.MoreChanges = len(changes) - i
			break
		}
		p.Changes = append(p.Changes, rnChangeRow(ch))
	}
	return h.render(c, status, pageRun, p)
}

func (h *handler) reviewRun(c *fiber.Ctx) error { return h.renderRun(c, fiber.StatusOK, "") }

func (h *handler) publishRun(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	run, _, err := h.runOf(c)
	if err != nil {
		return err
	}
	if formValue(c, "reviewed") != "on" {
		return h.renderRun(c, fiber.StatusUnprocessableEntity,
			"Tick “I have reviewed these figures” to publish: the funder sees exactly these files.")
	}
	if err := reportrun.Publish(ctx, h.DB, actorID(c), run.ID); err != nil {
		if errors.Is(err, fault.Conflict) {
			return h.renderRun(c, fiber.StatusConflict, fault.As(err).Message)
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/runs/"+run.ID.String()+"?done=published")
}

func (h *handler) withdrawRun(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	run, _, err := h.runOf(c)
	if err != nil {
		return err
	}
	if err := reportrun.Withdraw(ctx, h.DB, actorID(c), run.ID); err != nil {
		if errors.Is(err, fault.Conflict) {
			return h.renderRun(c, fiber.StatusConflict, fault.As(err).Message)
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/runs/"+run.ID.String()+"?done=withdrawn")
}

func (h *handler) runFile(c *fiber.Ctx) error {
	run, _, err := h.runOf(c)
	if err != nil {
		return err
	}
	return h.sendRunFile(c, run, c.Params("format"))
}

// sendRunFile sends one downloadable file of a run as an attachment that
// no browser sniffs, caches or shares.
func (h *handler) sendRunFile(c *fiber.Ctx, run reportrun.Run, format string) error {
	if !slices.Contains(reportrun.Formats, format) {
		return fault.NotFound
	}
	f, err := reportrun.Get(httpx.Context(c), h.DB, run.ID, format)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	// The stored filename is [A-Za-z0-9._-] only (report_files CHECK), so
	// it needs no quoting beyond the quotes.
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+f.Filename+`"`)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(f.Body)
}
