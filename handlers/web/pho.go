package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// phoPages: a PHO admin, working in the PHO's own tenant, creates, edits,
// suspends, restores and archives the practices under that PHO. The route's
// Perm is checked in the PHO's tenant domain; that the practice is one of
// this PHO's is checked here, beside the record (phoPracticeOf): another
// PHO's practice is not found, whatever its slug.
//
// A practice tenant has no practices of its own: there these addresses lead
// back to the tenant's home page (after the route's guard has refused whoever
// lacks the Perm), and nothing is read or written.
var phoPages = []page{
	{"GET", "/t/:tenant/practices", member, tenantRead, (*handler).phoPractices, false},
	{"POST", "/t/:tenant/practices", member, tenantCreate, (*handler).createPHOPractice, false},
	{"GET", "/t/:tenant/practices/:slug", member, tenantUpdate, (*handler).phoPractice, false},
	{"POST", "/t/:tenant/practices/:slug", member, tenantUpdate, (*handler).savePHOPractice, false},
	{"POST", "/t/:tenant/practices/:slug/suspend", member, tenantUpdate, (*handler).suspendPHOPractice, false},
	{"POST", "/t/:tenant/practices/:slug/restore", member, tenantUpdate, (*handler).restorePHOPractice, false},
	{"POST", "/t/:tenant/practices/:slug/archive", member, tenantUpdate, (*handler).archivePHOPractice, false},
}

const pagePHOPractices = "pho_practices.html"

func init() { pageFiles = append(pageFiles, pagePHOPractices) }

// errNotPHO stops a handler on a tenant that is not a PHO.
var errNotPHO = errors.New("web: not a PHO tenant")

// phoTenant is the PHO whose tenant the request is in; for any other tenant
// it answers with a redirect to the tenant's home and returns errNotPHO.
func phoTenant(c *fiber.Ctx) (tenants.Tenant, error) {
	t, _ := tenants.FromContext(httpx.Context(c))
	if t.Kind != tenants.KindPHO || t.ID == uuid.Nil {
		return t, errNotPHO
	}
	return t, nil
}

// phoGuarded runs do for a PHO tenant; elsewhere it redirects home.
func phoGuarded(c *fiber.Ctx, do func(pho tenants.Tenant) error) error {
	pho, err := phoTenant(c)
	if errors.Is(err, errNotPHO) {
		return redirect(c, tenantPath(pho.Slug, "/"))
	}
	return do(pho)
}

func phoBase(pho tenants.Tenant) string { return tenantPath(pho.Slug, "/practices") }

// ---- The PHO's practices ----

type phoPracticesPage struct {
	layout
	Notice    string
	PHO       string
	Practices []orgView
	CanCreate bool
	CanEdit   bool
	Form      *form
	Zone      selectView
	Fields    []inputView
	CreateURL string
}

func (h *handler) renderPHOPractices(c *fiber.Ctx, status int, pho tenants.Tenant, f *form) error {
	ctx := httpx.Context(c)
	list, err := onboarding.ChildrenOf(ctx, h.DB, pho.ID)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm(c)
		f.Set("time_zone", pho.TimeZone)
	}
	base := phoBase(pho)
	p := phoPracticesPage{layout: h.tenantPage(c, "Practices", "/practices"), Notice: regionNotice(c), PHO: pho.Name,
		CanCreate: h.can(ctx, tenantCreate), CanEdit: h.can(ctx, tenantUpdate), Form: f, CreateURL: base}
	for _, t := range list {
		p.Practices = append(p.Practices, orgView{Name: t.Name, Slug: t.Slug, Kind: orgKindWords[t.Kind], Status: string(t.Status),
			StatusLabel: orgStatusWords[t.Status], EditURL: base + "/" + t.Slug})
	}
	if p.CanCreate {
		p.Fields = tenantInputs(f, true)
		p.Zone = zoneField(f)
	}
	return h.render(c, status, pagePHOPractices, p)
}

func (h *handler) phoPractices(c *fiber.Ctx) error {
	return phoGuarded(c, func(pho tenants.Tenant) error { return h.renderPHOPractices(c, fiber.StatusOK, pho, nil) })
}

// createPHOPractice adds a practice under this PHO, in the PHO's region: the
// kind, parent and region come from the tenant in the address, never from
// the form. onboarding.AddTenant audits it with its values.
func (h *handler) createPHOPractice(c *fiber.Ctx) error {
	return phoGuarded(c, func(pho tenants.Tenant) error {
		ctx := httpx.Context(c)
		f := newForm(c)
		ch := readTenantForm(c, f)
		if !pho.Live() {
			f.Message = "This PHO is " + string(pho.Status) + ": no practice can be added under it until it is restored."
			return h.renderPHOPractices(c, fiber.StatusConflict, pho, f)
		}
		n := onboarding.NewTenant{Kind: tenants.KindPractice, ParentID: pho.ID, RegionID: pho.RegionID, Slug: formValue(c, "slug"),
			Name: ch.Name, HPIOrgID: ch.HPIOrgID, HPIFacID: ch.HPIFacID, TimeZone: ch.TimeZone, Contact: ch.Contact}
		if _, err := onboarding.AddTenant(ctx, h.DB, actorID(c), n); err != nil {
			if errors.Is(err, fault.Conflict) {
				f.Fail("slug", "another organisation has this address name")
				return h.renderPHOPractices(c, fiber.StatusConflict, pho, f)
			}
			if f.Adopt(err, tenantFieldNames) {
				return h.renderPHOPractices(c, fiber.StatusUnprocessableEntity, pho, f)
			}
			return err
		}
		return redirect(c, phoBase(pho)+"?done=created")
	})
}

// ---- One practice of the PHO ----

// phoPracticeOf finds /t/:tenant/practices/:slug: only a practice whose
// parent is this PHO; anything else is not found.
func (h *handler) phoPracticeOf(c *fiber.Ctx, pho tenants.Tenant) (onboarding.Details, error) {
	ctx := httpx.Context(c)
	t, err := onboarding.BySlug(h.DB)(ctx, c.Params("slug"))
	if errors.Is(err, tenants.ErrUnknown) || errors.Is(err, tenants.ErrBadSlug) {
		return onboarding.Details{}, fault.NotFound
	}
	if err != nil {
		return onboarding.Details{}, err
	}
	if t.Kind != tenants.KindPractice || t.ParentID != pho.ID || t.ParentID == uuid.Nil {
		return onboarding.Details{}, fault.NotFound
	}
	return onboarding.DetailsByID(ctx, h.DB, t.ID)
}

// renderPHOPractice shows the regional admin's tenant page (its template),
// framed in the PHO's tenant, its back link to the PHO's practices.
func (h *handler) renderPHOPractice(c *fiber.Ctx, status int, pho tenants.Tenant, d onboarding.Details, f *form, message string) error {
	base := phoBase(pho) + "/" + d.Slug
	if f == nil {
		f = newForm(c)
		for k, v := range map[string]string{"name": d.Name, "hpi_org_id": d.HPIOrgID, "hpi_fac_id": d.HPIFacID, "time_zone": d.TimeZone,
			"address": d.Address, "contact_email": d.Email, "contact_phone": d.Phone} {
			f.Set(k, v)
		}
	}
	loc := d.Location()
	p := regionTenantPage{layout: h.tenantPage(c, d.Name, "/practices/"+d.Slug), Notice: regionNotice(c), Message: message,
		CSRF: httpx.CSRFToken(c), Region: regionView{Name: "Practices of " + pho.Name, URL: phoBase(pho)}, Name: d.Name,
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

func (h *handler) phoPractice(c *fiber.Ctx) error {
	return phoGuarded(c, func(pho tenants.Tenant) error {
		d, err := h.phoPracticeOf(c, pho)
		if err != nil {
			return err
		}
		return h.renderPHOPractice(c, fiber.StatusOK, pho, d, nil, "")
	})
}

func (h *handler) savePHOPractice(c *fiber.Ctx) error {
	return phoGuarded(c, func(pho tenants.Tenant) error {
		d, err := h.phoPracticeOf(c, pho)
		if err != nil {
			return err
		}
		f := newForm(c)
		ch := readTenantForm(c, f)
		if _, err := onboarding.UpdateTenant(httpx.Context(c), h.DB, actorID(c), d.ID, ch); err != nil {
			if f.Adopt(err, tenantFieldNames) {
				return h.renderPHOPractice(c, fiber.StatusUnprocessableEntity, pho, d, f, "")
			}
			if fe := fault.As(err); fe.Kind == fault.KindConflict {
				return h.renderPHOPractice(c, fiber.StatusConflict, pho, d, nil, sentence(fe.Message))
			}
			return err
		}
		return redirect(c, phoBase(pho)+"/"+d.Slug+"?done=saved")
	})
}

func (h *handler) phoTransition(c *fiber.Ctx, done string,
	step lifecycleStep) error {
	return phoGuarded(c, func(pho tenants.Tenant) error {
		d, err := h.phoPracticeOf(c, pho)
		if err != nil {
			return err
		}
		if _, err := step(httpx.Context(c), h.DB, actorID(c), d.ID); err != nil {
			if fe := fault.As(err); fe.Kind == fault.KindConflict {
				return h.renderPHOPractice(c, fiber.StatusConflict, pho, d, nil, sentence(fe.Message))
			}
			return err
		}
		return redirect(c, phoBase(pho)+"/"+d.Slug+"?done="+done)
	})
}

func (h *handler) suspendPHOPractice(c *fiber.Ctx) error {
	return h.phoTransition(c, "suspended", onboarding.Suspend)
}

func (h *handler) restorePHOPractice(c *fiber.Ctx) error {
	return h.phoTransition(c, "restored", onboarding.Restore)
}

func (h *handler) archivePHOPractice(c *fiber.Ctx) error {
	return h.phoTransition(c, "archived", onboarding.Archive)
}
