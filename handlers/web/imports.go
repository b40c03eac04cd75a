package web

import (
	"bytes"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/bulk"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// importPages: a regional admin's bulk import of practices, staff and
// enrolled population (models/bulk), its CSV templates, and the region's
// staff export. Each upload needs the permission of what it writes.
var importPages = []page{
	{"GET", "/regions/:region/imports", regional, tenantRead, (*handler).imports, false},
	{"GET", "/regions/:region/imports/templates/:kind.csv", regional, tenantRead, (*handler).importTemplate, false},
	{"POST", "/regions/:region/imports/practices", regional, tenantCreate, (*handler).importPractices, false},
	{"POST", "/regions/:region/imports/staff", regional, staffInvite, (*handler).importStaff, false},
	{"POST", "/regions/:region/imports/enrolment", regional, tenantUpdate, (*handler).importEnrolment, false},
	{"GET", "/regions/:region/imports/staff.csv", regional, staffRead, (*handler).exportStaff, false},
}

const pageImport = "import.html"

func init() { pageFiles = append(pageFiles, pageImport) }

type importPage struct {
	layout
	CSRF      string
	Region    string
	RegionURL string
	Base      string // /regions/{slug}/imports
	Kinds     []importKindView
	Result    *importResultView
}

type importKindView struct {
	Kind, Title, Hint string
	Columns           string
	CanUpload         bool
	Action, Template  string
	InputID           string
}

type importResultView struct {
	Title                    string
	OK                       bool
	Rows, Changed, Unchanged int
	Invited                  int
	Problems                 []bulk.Problem
	MoreProblems             int
	Notes                    []bulk.Problem
	Message                  string // the file as a whole could not be read
}

var importKinds = []struct {
	kind        bulk.Kind
	title, hint string
	perm        httpx.Perm
}{
	{bulk.Practices, "Practices", "Creates or updates practices under the region's PHOs, by slug. A practice is never moved to another PHO here.", tenantCreate},
	{bulk.Staff, "Staff", "Invites each person by e-mail to their practice (one invitation, however often the file is loaded). Roles are separated by spaces or semicolons; FTE is 0 to 1 with two decimals, or empty.", staffInvite},
	{bulk.Enrolment, "Enrolled population", "Counts per practice per quarter by prioritised ethnicity, capitation age band, gender and NZDep quintile. Quarters are NZ fiscal quarters: FY2026-Q1 is July–September 2025.", tenantUpdate},
}

func (h *handler) imports(c *fiber.Ctx) error { return h.renderImports(c, fiber.StatusOK, nil) }

func (h *handler) renderImports(c *fiber.Ctx, status int, result *importResultView) error {
	r, _ := tenants.RegionFrom(httpx.Context(c))
	base := "/regions/" + r.Slug + "/imports"
	p := importPage{layout: h.page(c, "Bulk import — "+r.Name, "", base), CSRF: httpx.CSRFToken(c), Region: r.Name,
		RegionURL: "/regions/" + r.Slug, Base: base, Result: result}
	for _, k := range importKinds {
		p.Kinds = append(p.Kinds, importKindView{Kind: string(k.kind), Title: k.title, Hint: k.hint,
			Columns: strings.Join(bulk.Columns[k.kind], ", "), CanUpload: h.orgCan(c, r, k.perm),
			Action: base + "/" + string(k.kind), Template: base + "/templates/" + string(k.kind) + ".csv",
			InputID: "f-file-" + string(k.kind)})
	}
	return h.render(c, status, pageImport, p)
}

func (h *handler) importTemplate(c *fiber.Ctx) error {
	kind, ok := bulk.ParseKind(c.Params("kind"))
	if !ok {
		return fault.NotFound
	}
	var b bytes.Buffer
	if err := bulk.Template(&b, kind); err != nil {
		return err
	}
	return sendCSV(c, "tuhono-"+string(kind)+"-template.csv", b.Bytes())
}

func sendCSV(c *fiber.Ctx, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

func (h *handler) importPractices(c *fiber.Ctx) error { return h.importFile(c, bulk.Practices) }
func (h *handler) importStaff(c *fiber.Ctx) error     { return h.importFile(c, bulk.Staff) }
func (h *handler) importEnrolment(c *fiber.Ctx) error { return h.importFile(c, bulk.Enrolment) }

// importFile runs one upload: the whole file is checked before anything is
// written, and the page shows what was done or every bad row.
func (h *handler) importFile(c *fiber.Ctx, kind bulk.Kind) error {
	title := ""
	for _, k := range importKinds {
		if k.kind == kind {
			title = k.title
		}
	}
	view := &importResultView{Title: title}
	fh, err := c.FormFile("file")
	if err != nil {
		view.Message = "Choose a CSV file to upload."
		return h.renderImports(c, fiber.StatusUnprocessableEntity, view)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	im := &bulk.Importer{DB: h.DB, Accounts: h.Accounts}
	res, err := im.Import(httpx.Context(c), kind, f)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind == fault.KindInvalid {
		view.Message = fe.Message
		return h.renderImports(c, fiber.StatusUnprocessableEntity, view)
	}
	if err != nil {
		return err
	}
	view.OK, view.Rows, view.Changed, view.Unchanged, view.Invited = res.OK(), res.Rows, res.Changed, res.Unchanged, res.Invited
	view.Problems, view.MoreProblems, view.Notes = res.Problems, res.MoreProblems, res.Notes
	status := fiber.StatusOK
	if !res.OK() {
		status = fiber.StatusUnprocessableEntity
	}
	return h.renderImports(c, status, view)
}

func (h *handler) exportStaff(c *fiber.Ctx) error {
	r, _ := tenants.RegionFrom(httpx.Context(c))
	var b bytes.Buffer
	im := &bulk.Importer{DB: h.DB, Accounts: h.Accounts}
	if err := im.ExportStaff(httpx.Context(c), &b); err != nil {
		return err
	}
	return sendCSV(c, "tuhono-staff-"+r.Slug+".csv", b.Bytes())
}
