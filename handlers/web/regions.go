package web

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

var (
	regionCreate = httpx.Perm{Object: "region", Action: "create"}
	regionUpdate = httpx.Perm{Object: "region", Action: "update"}
	tenantCreate = httpx.Perm{Object: "tenant", Action: "create"}
	tenantUpdate = httpx.Perm{Object: "tenant", Action: "update"}
)

// regionPages: the platform operator's regions, and a regional admin's
// region with its PHOs and practices. A tenant created here reaches its
// region's admins in the policy when the server hears the tenant table's
// NOTIFY (cmd/tuhono/serve.go links it to its region), within a moment.
var regionPages = []page{
	{"GET", "/platform/regions", platform, regionCreate, (*handler).platformRegions, false},
	{"POST", "/platform/regions", platform, regionCreate, (*handler).createRegion, false},
	{"POST", "/platform/regions/:region/admins", platform, regionUpdate, (*handler).appointRegionalAdmin, false},

	{"GET", "/regions/:region", regional, tenantRead, (*handler).region, false},
	{"POST", "/regions/:region/tenants", regional, tenantCreate, (*handler).createRegionTenant, false},
	{"GET", "/regions/:region/tenants/:slug", regional, tenantUpdate, (*handler).regionTenant, false},
	{"POST", "/regions/:region/tenants/:slug", regional, tenantUpdate, (*handler).saveRegionTenant, false},
	{"POST", "/regions/:region/tenants/:slug/suspend", regional, tenantUpdate, (*handler).suspendRegionTenant, false},
	{"POST", "/regions/:region/tenants/:slug/restore", regional, tenantUpdate, (*handler).restoreRegionTenant, false},
	{"POST", "/regions/:region/tenants/:slug/archive", regional, tenantUpdate, (*handler).archiveRegionTenant, false},
}

const (
	pagePlatformRegions = "platform_regions.html"
	pageRegion          = "region.html"
	pageRegionTenant    = "region_tenant.html"
)

func init() {
	pageFiles = append(pageFiles, pagePlatformRegions, pageRegion, pageRegionTenant)
}

var regionNotices = map[string]string{
	"region":    "The region is created.",
	"appointed": "The regional admin is appointed. They see the region from their next page.",
	"created":   "The organisation is created, in onboarding.",
	"saved":     "The changes are saved.",
	"suspended": "The organisation is suspended: its people can still sign in and read its records; new invitations and bookings are refused.",
	"restored":  "The suspension is lifted.",
	"archived":  "The organisation is archived: kept, read-only.",
}

func regionNotice(c *fiber.Ctx) string { return regionNotices[c.Query("done")] }

var orgStatusWords = map[tenants.Status]string{tenants.StatusOnboarding: "Onboarding", tenants.StatusActive: "Live",
	tenants.StatusSuspended: "Suspended", tenants.StatusArchived: "Archived"}

var orgKindWords = map[tenants.Kind]string{tenants.KindPHO: "PHO", tenants.KindPractice: "Practice"}

// orgCan says whether the signed-in person may do perm on the platform or in
// the region r (to decide what a page offers; the route's guard decides what
// is done).
func (h *handler) orgCan(c *fiber.Ctx, r tenants.Region, perm httpx.Perm) bool {
	sess, ok := httpx.Session(c)
	if !ok || h.Allowed == nil {
		return false
	}
	if h.Allowed(sess.User.ID, "platform", perm.Object, perm.Action) {
		return true
	}
	return r.ID != uuid.Nil && h.Allowed(sess.User.ID, "region:"+r.ID.String(), perm.Object, perm.Action)
}

// selectView is one labelled drop-down list with its message.
type selectView struct {
	ID, Name, Label, Hint, Error string
	Options                      []option
}

// Select describes a drop-down list and registers it with the form for the
// error summary; the option whose value the form holds is selected.
func selectField(f *form, name, label, hint string, opts []option) selectView {
	f.register(name, label)
	for i := range opts {
		opts[i].ID = fieldID(name + "-" + opts[i].Value)
		opts[i].Checked = f.Values[name] == opts[i].Value
	}
	return selectView{ID: fieldID(name), Name: name, Label: label, Hint: hint, Error: f.Errors[name], Options: opts}
}

func zoneField(f *form) selectView {
	return selectField(f, "time_zone", "Time zone", "", []option{{Value: "Pacific/Auckland", Label: "New Zealand (Pacific/Auckland)"},
		{Value: "Pacific/Chatham", Label: "Chatham Islands (Pacific/Chatham)"}})
}

func actorID(c *fiber.Ctx) uuid.UUID {
	a, _ := tenants.ActorFrom(httpx.Context(c))
	return a.UserID
}

// ---- The platform operator's regions ----

type platformRegionsPage struct {
	layout
	Notice    string
	CSRF      string
	Regions   []regionView
	Form      *form
	Slug      inputView
	Name      inputView
	Programme inputView
	Zone      selectView
	CreateURL string
	Appoint   *form
	Email     inputView
	AppointTo string // the region slug the appoint form last used
}

type regionView struct {
	Name, Slug, Programme, TimeZone string
	URL, AppointURL                 string
}

func (h *handler) renderPlatformRegions(c *fiber.Ctx, status int, create, appoint *form) error {
	ctx := httpx.Context(c)
	regions, err := onboarding.Regions(ctx, h.DB)
	if err != nil {
		return err
	}
	if create == nil {
		create = newForm(c)
	}
	if appoint == nil {
		appoint = newForm(c)
	}
	p := platformRegionsPage{layout: h.page(c, "Regions", "", "/platform/regions"), Notice: regionNotice(c),
		CSRF: httpx.CSRFToken(c), Form: create, CreateURL: "/platform/regions", Appoint: appoint,
		AppointTo: appoint.Values["region"]}
	for _, r := range regions {
		p.Regions = append(p.Regions, regionView{Name: r.Name, Slug: r.Slug, Programme: r.Programme, TimeZone: r.TimeZone,
			URL: "/regions/" + r.Slug, AppointURL: "/platform/regions/" + r.Slug + "/admins"})
	}
	p.Name = create.Input("name", "Name", "text", "off", "hint=For example Tāmaki Makaurau.")
	p.Slug = create.Input("slug", "Address name", "text", "off", "nospell", "hint=Lower-case letters, digits and hyphens: it appears in the region's web address.")
	p.Programme = create.Input("programme", "Programme (optional)", "text", "off", "hint=For example Tū Whakaruruhau or Te Tumu Waiora.")
	p.Zone = zoneField(create)
	p.Email = appoint.Input("email", "E-mail of the person to appoint", "email", "off")
	return h.render(c, status, pagePlatformRegions, p)
}

func (h *handler) platformRegions(c *fiber.Ctx) error {
	return h.renderPlatformRegions(c, fiber.StatusOK, nil, nil)
}

func (h *handler) createRegion(c *fiber.Ctx) error {
	f := newForm(c)
	n := onboarding.NewRegion{Slug: formValue(c, "slug"), Name: formValue(c, "name"), Programme: formValue(c, "programme"),
		TimeZone: formValue(c, "time_zone")}
	for k, v := range map[string]string{"slug": n.Slug, "name": n.Name, "programme": n.Programme, "time_zone": n.TimeZone} {
		f.Set(k, v)
	}
	if _, err := onboarding.AddRegion(httpx.Context(c), h.DB, actorID(c), n); err != nil {
		if errors.Is(err, fault.Conflict) {
			f.Fail("slug", "another region has this address name")
			return h.renderPlatformRegions(c, fiber.StatusConflict, f, nil)
		}
		if f.Adopt(err, map[string]string{"slug": "slug", "name": "name", "programme": "programme", "time_zone": "time_zone"}) {
			return h.renderPlatformRegions(c, fiber.StatusUnprocessableEntity, f, nil)
		}
		return err
	}
	return redirect(c, "/platform/regions?done=region")
}

// appointRegionalAdmin gives an existing person the regional_admin role in a
// region. Someone without an account is refused: an appointment is not an
// invitation, and inventing one here would send e-mail nobody reviewed.
func (h *handler) appointRegionalAdmin(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, err := onboarding.RegionBySlug(ctx, h.DB, c.Params("region"))
	if err != nil {
		return err // not found: 404
	}
	f := newForm(c)
	email := strings.TrimSpace(formValue(c, "email"))
	f.Set("email", email)
	f.Set("region", r.Slug)
	u, err := h.Accounts.UserByEmail(ctx, email)
	if err != nil {
		if fe := fault.As(err); fe.Kind == fault.KindNotFound || fe.Kind == fault.KindInvalid {
			f.Fail("email", "no one has an account with this e-mail: invite them to a practice first or create their account with the CLI")
			return h.renderPlatformRegions(c, fiber.StatusUnprocessableEntity, nil, f)
		}
		return err
	}
	if err := h.Accounts.GrantOrg(ctx, actorID(c), u.ID, "regional_admin", "region:"+r.ID.String()); err != nil {
		return err
	}
	return redirect(c, "/platform/regions?done=appointed")
}

// ---- A region: its PHOs and practices ----

type regionPage struct {
	layout
	Notice    string
	CSRF      string
	Region    regionView
	Tenants   []orgView
	CanCreate bool
	CanEdit   bool
	Form      *form
	Kind      selectView
	Parent    selectView
	Zone      selectView
	Fields    []inputView
	CreateURL string
}

type orgView struct {
	Name, Slug, Kind, Status, StatusLabel string
	Child                                 bool
	EditURL                               string
}

func (h *handler) renderRegion(c *fiber.Ctx, status int, f *form) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	rd, err := onboarding.RegionDetailsBySlug(ctx, h.DB, r.Slug)
	if err != nil {
		return err
	}
	list, err := onboarding.InRegion(ctx, h.DB, r.ID)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm(c)
	}
	base := "/regions/" + r.Slug
	p := regionPage{layout: h.page(c, r.Name, "", base), Notice: regionNotice(c), CSRF: httpx.CSRFToken(c),
		Region:    regionView{Name: rd.Name, Slug: rd.Slug, Programme: rd.Programme, TimeZone: rd.TimeZone, URL: base},
		CanCreate: h.orgCan(c, r, tenantCreate), CanEdit: h.orgCan(c, r, tenantUpdate), Form: f, CreateURL: base + "/tenants"}
	phos := []option{{Value: "", Label: "None"}}
	for _, t := range list {
		p.Tenants = append(p.Tenants, orgView{Name: t.Name, Slug: t.Slug, Kind: orgKindWords[t.Kind], Status: string(t.Status),
			StatusLabel: orgStatusWords[t.Status], Child: t.ParentID != uuid.Nil, EditURL: base + "/tenants/" + t.Slug})
		if t.Kind == tenants.KindPHO && t.Live() {
			phos = append(phos, option{Value: t.Slug, Label: t.Name})
		}
	}
	if p.CanCreate {
		p.Kind = selectField(f, "kind", "Kind of organisation", "", []option{{Value: "practice", Label: "General practice"}, {Value: "pho", Label: "PHO"}})
		p.Parent = selectField(f, "parent", "PHO (for a practice)", "The PHO the practice belongs to, if any.", phos)
		p.Fields = tenantInputs(f, true)
		p.Zone = zoneField(f)
	}
	return h.render(c, status, pageRegion, p)
}

// tenantInputs are the text fields of the create and edit forms, in page order.
func tenantInputs(f *form, withSlug bool) []inputView {
	out := []inputView{f.Input("name", "Name", "text", "organization", "hint=As the organisation writes it, macrons and all.")}
	if withSlug {
		out = append(out, f.Input("slug", "Address name", "text", "off", "nospell",
			"hint=Lower-case letters, digits and hyphens: it appears in the organisation's web address and cannot change."))
	}
	return append(out,
		f.Input("hpi_org_id", "HPI organisation id (optional)", "text", "off", "nospell", "hint=Like G00001-G."),
		f.Input("hpi_fac_id", "HPI facility id (optional)", "text", "off", "nospell", "hint=Like F00001-F; a practice's facility."),
		f.Input("address", "Address (optional)", "text", "street-address"),
		f.Input("contact_email", "Contact e-mail (optional)", "email", "email"),
		f.Input("contact_phone", "Contact phone (optional)", "tel", "tel", "inputmode=tel", "hint=Digits and spaces, like 09 123 4567."),
	)
}

var tenantFieldNames = map[string]string{"kind": "kind", "parent_id": "parent", "slug": "slug", "name": "name", "hpi_org_id": "hpi_org_id",
	"hpi_fac_id": "hpi_fac_id", "time_zone": "time_zone", "address": "address", "contact_email": "contact_email", "contact_phone": "contact_phone"}

// readTenantForm keeps every value to show again.
func readTenantForm(c *fiber.Ctx, f *form) onboarding.Change {
	ch := onboarding.Change{Name: formValue(c, "name"), HPIOrgID: formValue(c, "hpi_org_id"), HPIFacID: formValue(c, "hpi_fac_id"),
		TimeZone: formValue(c, "time_zone"), Contact: onboarding.Contact{Address: formValue(c, "address"),
			Email: formValue(c, "contact_email"), Phone: formValue(c, "contact_phone")}}
	for _, k := range []string{"kind", "parent", "slug", "name", "hpi_org_id", "hpi_fac_id", "time_zone", "address", "contact_email", "contact_phone"} {
		f.Set(k, formValue(c, k))
	}
	return ch
}

func (h *handler) region(c *fiber.Ctx) error { return h.renderRegion(c, fiber.StatusOK, nil) }

func (h *handler) createRegionTenant(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	f := newForm(c)
	ch := readTenantForm(c, f)
	n := onboarding.NewTenant{Kind: tenants.Kind(formValue(c, "kind")), RegionID: r.ID, Slug: formValue(c, "slug"), Name: ch.Name,
		HPIOrgID: ch.HPIOrgID, HPIFacID: ch.HPIFacID, TimeZone: ch.TimeZone, Contact: ch.Contact}
	if parent := formValue(c, "parent"); parent != "" {
		if n.Kind != tenants.KindPractice {
			f.Fail("parent", "only a practice sits under a PHO")
		} else if p, err := onboarding.BySlug(h.DB)(ctx, parent); err != nil || p.RegionID != r.ID || p.Kind != tenants.KindPHO {
			f.Fail("parent", "choose a PHO of this region")
		} else {
			n.ParentID = p.ID
		}
	}
	if f.Failed() {
		return h.renderRegion(c, fiber.StatusUnprocessableEntity, f)
	}
	if _, err := onboarding.AddTenant(ctx, h.DB, actorID(c), n); err != nil {
		if errors.Is(err, fault.Conflict) {
			f.Fail("slug", "another organisation has this address name")
			return h.renderRegion(c, fiber.StatusConflict, f)
		}
		if f.Adopt(err, tenantFieldNames) {
			return h.renderRegion(c, fiber.StatusUnprocessableEntity, f)
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"?done=created")
}

// ---- One tenant of the region ----

type regionTenantPage struct {
	layout
	Notice, Message string
	CSRF            string
	Region          regionView
	Name, Kind      string
	Status          string
	StatusLabel     string
	Suspended       timeView
	Archived        timeView
	ReadOnly        bool
	Form            *form
	Zone            selectView
	Fields          []inputView
	SaveURL         string
	SuspendURL      string
	RestoreURL      string
	ArchiveURL      string
}

// regionTenant finds /regions/:region/tenants/:slug: a tenant of another
// region is not found, whatever its slug.
func (h *handler) regionTenantOf(c *fiber.Ctx) (onboarding.Details, error) {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	t, err := onboarding.BySlug(h.DB)(ctx, c.Params("slug"))
	if errors.Is(err, tenants.ErrUnknown) {
		return onboarding.Details{}, fault.NotFound
	}
	if err != nil {
		return onboarding.Details{}, err
	}
	if t.RegionID != r.ID {
		return onboarding.Details{}, fault.NotFound
	}
	return onboarding.DetailsByID(ctx, h.DB, t.ID)
}

func (h *handler) renderRegionTenant(c *fiber.Ctx, status int, d onboarding.Details, f *form, message string) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	base := "/regions/" + r.Slug + "/tenants/" + d.Slug
	if f == nil {
		f = newForm(c)
		for k, v := range map[string]string{"name": d.Name, "hpi_org_id": d.HPIOrgID, "hpi_fac_id": d.HPIFacID, "time_zone": d.TimeZone,
			"address": d.Address, "contact_email": d.Email, "contact_phone": d.Phone} {
			f.Set(k, v)
		}
	}
	loc := d.Location()
	p := regionTenantPage{layout: h.page(c, d.Name+" — "+r.Name, "", base), Notice: regionNotice(c), Message: message,
		CSRF: httpx.CSRFToken(c), Region: regionView{Name: r.Name, URL: "/regions/" + r.Slug}, Name: d.Name,
		Kind: orgKindWords[d.Kind], Status: string(d.Status), StatusLabel: orgStatusWords[d.Status],
		Suspended: showTime(d.SuspendedAt, loc), Archived: showTime(d.ArchivedAt, loc), ReadOnly: d.Status == tenants.StatusArchived,
		Form: f, Fields: tenantInputs(f, false), SaveURL: base}
	p.Zone = zoneField(f)
	switch d.Status {
	case tenants.StatusOnboarding, tenants.StatusActive:
		p.SuspendURL, p.ArchiveURL = base+"/suspend", base+"/archive"
	case tenants.StatusSuspended:
		p.RestoreURL, p.ArchiveURL = base+"/restore", base+"/archive"
	}
	return h.render(c, status, pageRegionTenant, p)
}

func (h *handler) regionTenant(c *fiber.Ctx) error {
	d, err := h.regionTenantOf(c)
	if err != nil {
		return err
	}
	return h.renderRegionTenant(c, fiber.StatusOK, d, nil, "")
}

func (h *handler) saveRegionTenant(c *fiber.Ctx) error {
	d, err := h.regionTenantOf(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	ch := readTenantForm(c, f)
	if _, err := onboarding.UpdateTenant(httpx.Context(c), h.DB, actorID(c), d.ID, ch); err != nil {
		if f.Adopt(err, tenantFieldNames) {
			return h.renderRegionTenant(c, fiber.StatusUnprocessableEntity, d, f, "")
		}
		if fe := fault.As(err); fe.Kind == fault.KindConflict {
			return h.renderRegionTenant(c, fiber.StatusConflict, d, nil, sentence(fe.Message))
		}
		return err
	}
	return redirect(c, c.Path()+"?done=saved")
}

// lifecycleStep is one of onboarding's status changes (Suspend, Restore,
// Archive): the region and PHO pages share them.
type lifecycleStep func(ctx context.Context, d *db.DB, actor, id uuid.UUID) (onboarding.Details, error)

func (h *handler) tenantTransition(c *fiber.Ctx, done string,
	step lifecycleStep) error {
	d, err := h.regionTenantOf(c)
	if err != nil {
		return err
	}
	if _, err := step(httpx.Context(c), h.DB, actorID(c), d.ID); err != nil {
		if fe := fault.As(err); fe.Kind == fault.KindConflict {
			return h.renderRegionTenant(c, fiber.StatusConflict, d, nil, sentence(fe.Message))
		}
		return err
	}
	r, _ := tenants.RegionFrom(httpx.Context(c))
	return redirect(c, "/regions/"+r.Slug+"/tenants/"+d.Slug+"?done="+done)
}

func (h *handler) suspendRegionTenant(c *fiber.Ctx) error {
	return h.tenantTransition(c, "suspended", onboarding.Suspend)
}

func (h *handler) restoreRegionTenant(c *fiber.Ctx) error {
	return h.tenantTransition(c, "restored", onboarding.Restore)
}

func (h *handler) archiveRegionTenant(c *fiber.Ctx) error {
	return h.tenantTransition(c, "archived", onboarding.Archive)
}
