package web

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/tenants"
)

var (
	permContractRead   = httpx.Perm{Object: "contract", Action: "read"}
	permContractCreate = httpx.Perm{Object: "contract", Action: "create"}
	permContractUpdate = httpx.Perm{Object: "contract", Action: "update"}
)

// contractPages: a regional admin's funding contracts (terms, the practices
// each covers with the FTE it funds) and the funders they are made with,
// including who of a funder may use the funder portal. Funders sit above
// regions; any regional admin may add one or give a person its role, and
// each region sees only its own contracts.
var contractPages = []page{
	{"GET", "/regions/:region/contracts", regional, permContractRead, (*handler).contracts, false},
	{"POST", "/regions/:region/contracts", regional, permContractCreate, (*handler).createContract, false},
	{"GET", "/regions/:region/contracts/:id", regional, permContractRead, (*handler).contractDetails, false},
	{"POST", "/regions/:region/contracts/:id", regional, permContractUpdate, (*handler).saveContract, false},
	{"POST", "/regions/:region/contracts/:id/coverage", regional, permContractUpdate, (*handler).saveCoverage, false},
	{"GET", "/regions/:region/funders", regional, permContractRead, (*handler).funders, false},
	{"POST", "/regions/:region/funders", regional, permContractCreate, (*handler).createFunder, false},
	{"POST", "/regions/:region/funders/:funder/people", regional, permContractCreate, (*handler).grantFunder, false},
}

const (
	pageContracts = "contracts.html"
	pageContract  = "contract.html"
	pageFunders   = "funders.html"
)

func init() { pageFiles = append(pageFiles, pageContracts, pageContract, pageFunders) }

var ctNotices = map[string]string{
	"saved":    "The contract is saved.",
	"coverage": "The practices and funded FTE are saved.",
	"funder":   "The funder is added.",
	"granted":  "The person can now use the funder portal. They see it from their next page.",
}

var ctFrequencyWords = map[string]string{report.Monthly: "Monthly", report.Quarterly: "Quarterly (NZ fiscal quarters from 1 July)"}

// ctFields maps the contract service's field names to the form's.
var ctFields = map[string]string{"funder": "funder", "number": "number", "name": "name", "lines": "lines",
	"starts_on": "starts_on", "ends_on": "ends_on", "frequency": "frequency", "threshold": "threshold",
	"target_seen_7_days": "target_seen_7_days", "target_maori_share": "target_maori_share",
	"target_pacific_share": "target_pacific_share", "target_new_per_fte": "target_new_per_fte"}

func ctDate(d time.Time) string { return d.Format("2 Jan 2006") }

func ctNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ctPercent shows a share as the form takes it: 0.8 as "80", none as "".
func ctPercent(v float64) string {
	if v == 0 {
		return ""
	}
	return ctNumber(math.Round(v*1000) / 10)
}

// ctTermsForm is the terms form, shared by the new-contract and details
// pages.
type ctTermsForm struct {
	Form          *form
	Funder        selectView
	Frequency     selectView
	Lines         choiceView
	Text          []inputView // number and name
	Dates         []inputView
	Threshold     inputView
	Rounding      bool
	TotalResponse bool
	Targets       []inputView
	Action        string
}

func (h *handler) contractTermsForm(c *fiber.Ctx, f *form, action string) (ctTermsForm, error) {
	funders, err := contract.Funders(httpx.Context(c), h.DB)
	if err != nil {
		return ctTermsForm{}, err
	}
	opts := []option{{Value: "", Label: "Choose a funder"}}
	for _, fu := range funders {
		opts = append(opts, option{Value: fu.ID.String(), Label: fu.Name})
	}
	cf := ctTermsForm{Form: f, Action: action, Rounding: f.Values["rounding"] == "on", TotalResponse: f.Values["total_response"] == "on"}
	cf.Funder = selectField(f, "funder", "Funder", "Add a funder on the funders page if it is not listed.", opts)
	cf.Text = []inputView{
		f.Input("number", "Contract number", "text", "off", "nospell", "hint=As the funder writes it: letters, digits and / . _ -"),
		f.Input("name", "Name", "text", "off"),
	}
	cf.Lines = f.Choices("lines", "Service lines funded", "", report.Lines, f.Lists["lines"])
	cf.Dates = []inputView{
		f.Input("starts_on", "First day", "date", "off"),
		f.Input("ends_on", "Last day", "date", "off", "hint=Included in the contract."),
	}
	cf.Frequency = selectField(f, "frequency", "Reporting frequency", "", []option{
		{Value: report.Quarterly, Label: ctFrequencyWords[report.Quarterly]}, {Value: report.Monthly, Label: ctFrequencyWords[report.Monthly]}})
	cf.Threshold = f.Input("threshold", "Suppression threshold", "number", "off", "inputmode=numeric", "min=3", "max=20",
		"hint=Counts of people from 1 up to one less than this are shown as S. Stats NZ practice is 6.")
	cf.Targets = []inputView{
		f.Input("target_seen_7_days", "Target: introduced people seen within 7 days (%)", "text", "off", "inputmode=decimal",
			"hint=The national target is 80. Leave blank for none."),
		f.Input("target_maori_share", "Target: share of people seen who are Māori (%)", "text", "off", "inputmode=decimal"),
		f.Input("target_pacific_share", "Target: share of people seen who are Pacific (%)", "text", "off", "inputmode=decimal"),
		f.Input("target_new_per_fte", "Target: new people per FTE per year", "text", "off", "inputmode=decimal",
			"hint=The pilot saw 500–600."),
	}
	return cf, nil
}

// ctTermsValues fills a form with a contract's terms.
func ctTermsValues(f *form, ct contract.Contract) {
	for k, v := range map[string]string{"funder": ct.FunderID.String(), "number": ct.Number, "name": ct.Name,
		"starts_on": ct.StartsOn.Format(time.DateOnly), "ends_on": ct.EndsOn.Format(time.DateOnly), "frequency": ct.Frequency,
		"threshold": strconv.Itoa(ct.Threshold), "target_seen_7_days": ctPercent(ct.Targets.SeenWithin7Days),
		"target_maori_share": ctPercent(ct.Targets.MaoriShare), "target_pacific_share": ctPercent(ct.Targets.PacificShare),
		"target_new_per_fte": ctNumber(ct.Targets.NewPerFTE)} {
		f.Set(k, v)
	}
	if ct.Targets.NewPerFTE == 0 {
		f.Set("target_new_per_fte", "")
	}
	f.SetList("lines", slices.Clone(ct.Lines))
	if ct.Rounding {
		f.Set("rounding", "on")
	}
	if ct.TotalResponse {
		f.Set("total_response", "on")
	}
}

// ctReadTerms reads the terms form, keeping every value to show again; what
// cannot even be read as a number or date is failed on the form.
func ctReadTerms(c *fiber.Ctx, f *form, regionID uuid.UUID) contract.New {
	for _, k := range []string{"funder", "number", "name", "starts_on", "ends_on", "frequency", "threshold", "rounding",
		"total_response", "target_seen_7_days", "target_maori_share", "target_pacific_share", "target_new_per_fte"} {
		f.Set(k, strings.TrimSpace(formValue(c, k)))
	}
	f.SetList("lines", formValues(c, "lines"))
	v := f.Values
	n := contract.New{RegionID: regionID, Number: v["number"], Name: v["name"], Lines: f.Lists["lines"],
		Frequency: v["frequency"], Rounding: v["rounding"] == "on", TotalResponse: v["total_response"] == "on"}
	if id, err := uuid.Parse(v["funder"]); err == nil {
		n.FunderID = id
	}
	for _, d := range []struct {
		name string
		to   *time.Time
	}{{"starts_on", &n.StartsOn}, {"ends_on", &n.EndsOn}} {
		if v[d.name] == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v[d.name])
		if err != nil {
			f.Fail(d.name, "enter a date like 2026-07-01")
		}
		*d.to = t
	}
	if t, err := strconv.Atoi(v["threshold"]); err == nil {
		n.Threshold = t
	} else {
		f.Fail("threshold", "enter a whole number from 3 to 20")
	}
	for _, x := range []struct {
		name  string
		to    *float64
		scale float64
	}{{"target_seen_7_days", &n.Targets.SeenWithin7Days, 100}, {"target_maori_share", &n.Targets.MaoriShare, 100},
		{"target_pacific_share", &n.Targets.PacificShare, 100}, {"target_new_per_fte", &n.Targets.NewPerFTE, 1}} {
		if v[x.name] == "" {
			continue
		}
		num, err := strconv.ParseFloat(strings.TrimSuffix(v[x.name], "%"), 64)
		if err != nil || math.IsNaN(num) || math.IsInf(num, 0) {
			f.Fail(x.name, "enter a number, or leave it blank for no target")
			continue
		}
		*x.to = num / x.scale
	}
	return n
}

// ctFailed puts a refused save's messages on the form; false when err
// is not the person's to fix.
func ctFailed(f *form, err error) (int, bool) {
	if errors.Is(err, fault.Conflict) {
		f.Fail("number", fault.As(err).Message)
		return fiber.StatusConflict, true
	}
	if f.Adopt(err, ctFields) {
		return fiber.StatusUnprocessableEntity, true
	}
	return 0, false
}

// ---- The region's contracts ----

type ctView struct {
	Number, Name, Funder, Period, Frequency string
	Practices                               int
	Lines                                   string
	URL                                     string
}

type ctListPage struct {
	layout
	Notice     string
	RegionName string
	FundersURL string
	Contracts  []ctView
	CanCreate  bool
	Terms      ctTermsForm
}

func ctLineWords(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = report.LineLabels[l]
	}
	return strings.Join(out, ", ")
}

func (h *handler) renderContracts(c *fiber.Ctx, status int, f *form) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	list, err := contract.ForRegion(ctx, h.DB, r.ID)
	if err != nil {
		return err
	}
	base := "/regions/" + r.Slug
	p := ctListPage{layout: h.page(c, "Contracts — "+r.Name, "", base+"/contracts"), Notice: ctNotices[c.Query("done")],
		RegionName: r.Name, FundersURL: base + "/funders", CanCreate: h.orgCan(c, r, permContractCreate)}
	for _, ct := range list {
		p.Contracts = append(p.Contracts, ctView{Number: ct.Number, Name: ct.Name, Funder: ct.FunderName,
			Period: ctDate(ct.StartsOn) + " – " + ctDate(ct.EndsOn), Frequency: ctFrequencyWords[ct.Frequency],
			Practices: len(ct.PracticeIDs()), Lines: ctLineWords(ct.Lines), URL: base + "/contracts/" + ct.ID.String()})
	}
	if p.CanCreate {
		if f == nil {
			f = newForm(c)
			f.Set("threshold", "6")
			f.Set("rounding", "on")
			f.Set("frequency", report.Quarterly)
			f.Set("target_seen_7_days", "80")
		}
		if p.Terms, err = h.contractTermsForm(c, f, base+"/contracts"); err != nil {
			return err
		}
	}
	return h.render(c, status, pageContracts, p)
}

func (h *handler) contracts(c *fiber.Ctx) error { return h.renderContracts(c, fiber.StatusOK, nil) }

func (h *handler) createContract(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	f := newForm(c)
	n := ctReadTerms(c, f, r.ID)
	if f.Failed() {
		return h.renderContracts(c, fiber.StatusUnprocessableEntity, f)
	}
	ct, err := contract.Create(ctx, h.DB, actorID(c), n)
	if err != nil {
		if status, ok := ctFailed(f, err); ok {
			return h.renderContracts(c, status, f)
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/contracts/"+ct.ID.String()+"?done=saved")
}

// ---- One contract: its terms, the practices it covers, its periods ----

type ctCoverageCell struct {
	ID, Name, Label, Value, Error string
}

type ctCoverageRow struct {
	Practice string
	Status   string
	Cells    []ctCoverageCell
}

type ctPage struct {
	layout
	Notice      string
	RegionName  string
	ListURL     string
	Contract    ctView
	Summary     []ctFact
	CanEdit     bool
	Terms       ctTermsForm
	Coverage    *form
	CoverageURL string
	LineNames   []string
	Practices   []ctCoverageRow
	Periods     []report.Period
}

type ctFact struct{ Label, Value string }

// contractOf finds /regions/:region/contracts/:id: a contract of another
// region is not found, whatever its id, exactly as one that does not exist,
// so an admin of one region cannot even learn which ids are contracts
// elsewhere.
func (h *handler) contractOf(c *fiber.Ctx) (contract.Contract, error) {
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

func (h *handler) renderContract(c *fiber.Ctx, status int, ct contract.Contract, terms, cov *form) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	orgs, err := onboarding.InRegion(ctx, h.DB, r.ID)
	if err != nil {
		return err
	}
	base := "/regions/" + r.Slug + "/contracts/" + ct.ID.String()
	p := ctPage{layout: h.page(c, ct.Number+" — "+ct.Name, "", base), Notice: ctNotices[c.Query("done")],
		RegionName: r.Name, ListURL: "/regions/" + r.Slug + "/contracts", CanEdit: h.orgCan(c, r, permContractUpdate),
		Contract: ctView{Number: ct.Number, Name: ct.Name, Funder: ct.FunderName, URL: base}, CoverageURL: base + "/coverage",
		Periods: ct.Periods()}
	t := ct.Targets
	p.Summary = []ctFact{{"Funder", ct.FunderName}, {"Period", ctDate(ct.StartsOn) + " – " + ctDate(ct.EndsOn)},
		{"Service lines", ctLineWords(ct.Lines)}, {"Reporting", ctFrequencyWords[ct.Frequency]},
		{"Privacy", "Counts of people below " + strconv.Itoa(ct.Threshold) + " suppressed" +
			map[bool]string{true: "; other counts randomly rounded to base 3", false: "; no rounding"}[ct.Rounding] +
			map[bool]string{true: "; ethnicity also by total response", false: ""}[ct.TotalResponse]},
		{"Targets", ctTargetWords(t)}}
	if terms == nil {
		terms = newForm(c)
		ctTermsValues(terms, ct)
	}
	if p.CanEdit {
		if p.Terms, err = h.contractTermsForm(c, terms, base); err != nil {
			return err
		}
	}
	if cov == nil {
		cov = newForm(c)
		for _, cv := range ct.Coverage {
			cov.Set(contract.CoverageField(cv.PracticeID, cv.Line), ctNumber(cv.FTE))
		}
	}
	p.Coverage = cov
	for _, l := range ct.Lines {
		p.LineNames = append(p.LineNames, report.LineLabels[l])
	}
	for _, o := range orgs {
		if o.Kind != tenants.KindPractice {
			continue
		}
		row := ctCoverageRow{Practice: o.Name, Status: orgStatusWords[o.Status]}
		for _, l := range ct.Lines {
			name := contract.CoverageField(o.ID, l)
			cov.register(name, o.Name+", "+report.LineLabels[l])
			row.Cells = append(row.Cells, ctCoverageCell{ID: fieldID(name), Name: name, Label: o.Name + ", " + report.LineLabels[l] + " FTE",
				Value: cov.Values[name], Error: cov.Errors[name]})
		}
		p.Practices = append(p.Practices, row)
	}
	return h.render(c, status, pageContract, p)
}

func ctTargetWords(t report.Targets) string {
	var out []string
	if t.SeenWithin7Days > 0 {
		out = append(out, ctPercent(t.SeenWithin7Days)+"% seen within 7 days")
	}
	if t.MaoriShare > 0 {
		out = append(out, ctPercent(t.MaoriShare)+"% Māori")
	}
	if t.PacificShare > 0 {
		out = append(out, ctPercent(t.PacificShare)+"% Pacific")
	}
	if t.NewPerFTE > 0 {
		out = append(out, ctNumber(t.NewPerFTE)+" new people per FTE per year")
	}
	if len(out) == 0 {
		return "None set"
	}
	return strings.Join(out, "; ")
}

func (h *handler) contractDetails(c *fiber.Ctx) error {
	ct, err := h.contractOf(c)
	if err != nil {
		return err
	}
	return h.renderContract(c, fiber.StatusOK, ct, nil, nil)
}

func (h *handler) saveContract(c *fiber.Ctx) error {
	ct, err := h.contractOf(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	n := ctReadTerms(c, f, ct.RegionID)
	if f.Failed() {
		return h.renderContract(c, fiber.StatusUnprocessableEntity, ct, f, nil)
	}
	if _, err := contract.Update(httpx.Context(c), h.DB, actorID(c), ct.ID, n); err != nil {
		if status, ok := ctFailed(f, err); ok {
			return h.renderContract(c, status, ct, f, nil)
		}
		return err
	}
	return redirect(c, c.Path()+"?done=saved")
}

// saveCoverage reads one FTE input per practice of the region and service
// line of the contract: blank means not covered.
func (h *handler) saveCoverage(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	ct, err := h.contractOf(c)
	if err != nil {
		return err
	}
	r, _ := tenants.RegionFrom(ctx)
	orgs, err := onboarding.InRegion(ctx, h.DB, r.ID)
	if err != nil {
		return err
	}
	f := newForm(c)
	fields := map[string]string{}
	var cov []contract.Coverage
	for _, o := range orgs {
		if o.Kind != tenants.KindPractice {
			continue
		}
		for _, l := range ct.Lines {
			name := contract.CoverageField(o.ID, l)
			fields[name] = name
			v := strings.TrimSpace(formValue(c, name))
			f.Set(name, v)
			if v == "" {
				continue
			}
			fte, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(fte) || math.IsInf(fte, 0) {
				f.Fail(name, "enter FTE as a number like 1.5, or leave it blank")
				continue
			}
			cov = append(cov, contract.Coverage{PracticeID: o.ID, Line: l, FTE: fte})
		}
	}
	if f.Failed() {
		return h.renderContract(c, fiber.StatusUnprocessableEntity, ct, nil, f)
	}
	if err := contract.SetCoverage(ctx, h.DB, actorID(c), ct.ID, cov); err != nil {
		if f.Adopt(err, fields) {
			return h.renderContract(c, fiber.StatusUnprocessableEntity, ct, nil, f)
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/contracts/"+ct.ID.String()+"?done=coverage")
}

// ---- Funders and their people ----

type ctFunderView struct {
	Name, Slug, PortalURL, PeopleURL string
	Contracts                        int
	People                           *form
	Email                            inputView
}

type ctFundersPage struct {
	layout
	Notice       string
	RegionName   string
	ContractsURL string
	Funders      []ctFunderView
	CanCreate    bool
	Create       *form
	Fields       []inputView
	CreateURL    string
}

// renderFunders shows every funder; people is the grant form that failed,
// for the funder slug peopleOf.
func (h *handler) renderFunders(c *fiber.Ctx, status int, create, people *form, peopleOf string) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	funders, err := contract.Funders(ctx, h.DB)
	if err != nil {
		return err
	}
	mine, err := contract.ForRegion(ctx, h.DB, r.ID)
	if err != nil {
		return err
	}
	base := "/regions/" + r.Slug
	if create == nil {
		create = newForm(c)
	}
	p := ctFundersPage{layout: h.page(c, "Funders — "+r.Name, "", base+"/funders"), Notice: ctNotices[c.Query("done")],
		RegionName: r.Name, ContractsURL: base + "/contracts", CanCreate: h.orgCan(c, r, permContractCreate),
		Create: create, CreateURL: base + "/funders"}
	for _, fu := range funders {
		v := ctFunderView{Name: fu.Name, Slug: fu.Slug, PortalURL: "/funders/" + fu.Slug,
			PeopleURL: base + "/funders/" + fu.Slug + "/people"}
		for _, ct := range mine {
			if ct.FunderID == fu.ID {
				v.Contracts++
			}
		}
		if p.CanCreate {
			v.People = newForm(c)
			if fu.Slug == peopleOf && people != nil {
				v.People = people
			}
			// One e-mail field per funder: each form posts "email", and the
			// page keeps their ids (and error summary links) apart.
			v.Email = v.People.Input("email-"+fu.Slug, "E-mail of the person", "email", "off")
			v.Email.Name = "email"
		}
		p.Funders = append(p.Funders, v)
	}
	if p.CanCreate {
		p.Fields = []inputView{create.Input("name", "Name", "text", "organization", "hint=For example Health New Zealand | Te Whatu Ora."),
			create.Input("slug", "Address name", "text", "off", "nospell",
				"hint=Lower-case letters, digits and hyphens: the funder portal's address, /funders/<address name>. It cannot change.")}
	}
	return h.render(c, status, pageFunders, p)
}

func (h *handler) funders(c *fiber.Ctx) error {
	return h.renderFunders(c, fiber.StatusOK, nil, nil, "")
}

func (h *handler) createFunder(c *fiber.Ctx) error {
	r, _ := tenants.RegionFrom(httpx.Context(c))
	f := newForm(c)
	f.Set("name", formValue(c, "name"))
	f.Set("slug", strings.TrimSpace(formValue(c, "slug")))
	if _, err := contract.CreateFunder(httpx.Context(c), h.DB, actorID(c), f.Values["slug"], f.Values["name"]); err != nil {
		if errors.Is(err, fault.Conflict) {
			f.Fail("slug", "another funder has this address name")
			return h.renderFunders(c, fiber.StatusConflict, f, nil, "")
		}
		if f.Adopt(err, map[string]string{"name": "name", "slug": "slug"}) {
			return h.renderFunders(c, fiber.StatusUnprocessableEntity, f, nil, "")
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/funders?done=funder")
}

// grantFunder gives an existing person the funder role in a funder, as
// appointRegionalAdmin does for a region. An invitation always belongs to a
// practice or PHO (models/account), so someone without an account is told
// how to get one rather than sent e-mail nobody reviewed.
func (h *handler) grantFunder(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	fu, err := contract.FunderBySlug(ctx, h.DB, c.Params("funder"))
	if err != nil {
		return err // not found: 404
	}
	f := newForm(c)
	email := strings.TrimSpace(formValue(c, "email"))
	field := "email-" + fu.Slug
	f.Set(field, email)
	u, err := h.Accounts.UserByEmail(ctx, email)
	if err != nil {
		if fe := fault.As(err); fe.Kind == fault.KindNotFound || fe.Kind == fault.KindInvalid {
			f.Fail(field, "no one has a Tūhono account with this e-mail. They need one first: accounts come with an "+
				"invitation from a practice or PHO (its Staff page), or from the platform operator; then give them access here")
			return h.renderFunders(c, fiber.StatusUnprocessableEntity, nil, f, fu.Slug)
		}
		return err
	}
	if err := h.Accounts.GrantOrg(ctx, actorID(c), u.ID, "funder", fu.Domain()); err != nil {
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/funders?done=granted")
}
