package web

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// ---- A region's billing ----

type regionStandingView struct {
	Name, Slug, Kind string
	Child            bool
	Standing         standingView
	Note             string // past due: the day bookings stop
	Payer            string
	Seats            string
	EndURL           string
}

type regionBillingPage struct {
	layout
	Notice    string
	Refused   *form // an action refused as a whole: ending funding that is not there
	CSRF      string
	Region    regionView
	Missing   bool
	Off       bool
	Rows      []regionStandingView
	CanUpdate bool
	Form      *form
	Practice  selectView
	Reason    inputView
	ExemptURL string
}

func (h *handler) renderRegionBilling(c *fiber.Ctx, status int, f, refused *form) error {
	ctx := httpx.Context(c)
	r, _ := tenants.RegionFrom(ctx)
	rd, err := onboarding.RegionDetailsBySlug(ctx, h.DB, r.Slug)
	if err != nil {
		return err
	}
	base := "/regions/" + r.Slug
	p := regionBillingPage{layout: h.page(c, "Billing — "+rd.Name, "", base+"/billing"), Notice: billNotices[c.Query("done")],
		CSRF: httpx.CSRFToken(c), Region: regionView{Name: rd.Name, Slug: rd.Slug, URL: base},
		CanUpdate: h.orgCan(c, r, permBillingUpdate), ExemptURL: base + "/billing/exempt", Refused: refused}
	if h.Billing == nil {
		p.Missing, p.Off = true, true
		return h.render(c, status, pageRegionBilling, p)
	}
	p.Off = !h.Billing.Cfg.Enabled()
	list, err := h.Billing.RegionStandings(ctx, r.ID)
	if err != nil {
		return err
	}
	orgs, err := onboarding.InRegion(ctx, h.DB, r.ID)
	if err != nil {
		return err
	}
	// The region's page order: each PHO followed by its practices.
	child, order := map[uuid.UUID]bool{}, map[uuid.UUID]int{}
	for i, o := range orgs {
		child[o.ID], order[o.ID] = o.ParentID != uuid.Nil, i
	}
	slices.SortStableFunc(list, func(a, b billing.Standing) int { return order[a.TenantID] - order[b.TenantID] })
	loc := tenants.Tenant{TimeZone: rd.TimeZone}.Location()
	practices := []option{{Value: "", Label: "Choose a practice"}}
	for _, s := range list {
		v := regionStandingView{Name: s.Name, Slug: s.Slug, Kind: orgKindWords[tenants.Kind(s.Kind)], Child: child[s.TenantID],
			Standing: billStanding(s.Status, s.GraceUntil, nil, nil, loc)}
		if g := billDate(s.GraceUntil, loc); g != "" && s.Status == billing.StatusPastDue {
			v.Note = "Bookings stop on " + g + " unless paid."
		}
		switch {
		case s.Reason != "":
			v.Payer = "Programme-funded: " + s.Reason
			v.EndURL = base + "/billing/" + s.Slug + "/end"
		case s.PaidBy != "":
			v.Payer = "Paid by " + s.PaidBy
		case s.Status != billing.StatusNone:
			v.Payer = "Pays for itself"
			if s.Kind == string(tenants.KindPHO) {
				v.Payer = "Pays for its practices"
			}
			v.Seats = strconv.Itoa(s.Seats)
		default:
			v.Payer = "No account yet"
		}
		if s.Kind == string(tenants.KindPractice) && s.Reason == "" {
			practices = append(practices, option{Value: s.Slug, Label: s.Name})
		}
		p.Rows = append(p.Rows, v)
	}
	if p.CanUpdate {
		if f == nil {
			f = newForm(c)
		}
		p.Form = f
		p.Practice = selectField(f, "practice", "Practice", "", practices)
		p.Reason = f.Input("reason", "Why it is programme-funded", "text", "off",
			"hint=Shown to the practice's admins, like “Funded by the Access and Choice programme until June 2027”.")
	}
	return h.render(c, status, pageRegionBilling, p)
}

func (h *handler) regionBilling(c *fiber.Ctx) error {
	return h.renderRegionBilling(c, fiber.StatusOK, nil, nil)
}

// regionPractice finds a practice of the region in ctx by its slug: one of
// another region, archived, or a PHO is not found.
func (h *handler) regionPractice(c *fiber.Ctx, slug string) (billing.Standing, error) {
	r, _ := tenants.RegionFrom(httpx.Context(c))
	list, err := h.Billing.RegionStandings(httpx.Context(c), r.ID)
	if err != nil {
		return billing.Standing{}, err
	}
	i := slices.IndexFunc(list, func(s billing.Standing) bool {
		return s.Slug == slug && s.Kind == string(tenants.KindPractice)
	})
	if i < 0 {
		return billing.Standing{}, fault.NotFound
	}
	return list[i], nil
}

func (h *handler) exemptPractice(c *fiber.Ctx) error {
	r, _ := tenants.RegionFrom(httpx.Context(c))
	f := newForm(c)
	f.Set("practice", strings.TrimSpace(formValue(c, "practice")))
	f.Set("reason", strings.TrimSpace(formValue(c, "reason")))
	if h.Billing == nil {
		return h.renderRegionBilling(c, fiber.StatusConflict, f, billRefused(c, errBillingOff.Message))
	}
	s, err := h.regionPractice(c, f.Values["practice"])
	if errors.Is(err, fault.NotFound) {
		f.Fail("practice", "choose a practice of this region")
	} else if err != nil {
		return err
	}
	if f.Values["reason"] == "" {
		f.Fail("reason", "say why the practice is programme-funded: its admins read it")
	}
	if f.Failed() {
		return h.renderRegionBilling(c, fiber.StatusUnprocessableEntity, f, nil)
	}
	if err := h.Billing.SetExempt(httpx.Context(c), s.TenantID, actorID(c), f.Values["reason"]); err != nil {
		if f.Adopt(err, map[string]string{"reason": "reason", "practice": "practice"}) {
			return h.renderRegionBilling(c, fiber.StatusUnprocessableEntity, f, nil)
		}
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/billing?done=exempt")
}

func (h *handler) endExemption(c *fiber.Ctx) error {
	r, _ := tenants.RegionFrom(httpx.Context(c))
	if h.Billing == nil {
		return h.renderRegionBilling(c, fiber.StatusConflict, nil, billRefused(c, errBillingOff.Message))
	}
	s, err := h.regionPractice(c, c.Params("slug"))
	if err != nil {
		return err
	}
	if s.Reason == "" {
		return h.renderRegionBilling(c, fiber.StatusConflict, nil, billRefused(c, s.Name+" is not programme-funded: there is nothing to end"))
	}
	if err := h.Billing.SetExempt(httpx.Context(c), s.TenantID, actorID(c), ""); err != nil {
		return err
	}
	return redirect(c, "/regions/"+r.Slug+"/billing?done=ended")
}

// billRefused is a form carrying only a message about the whole action.
func billRefused(c *fiber.Ctx, message string) *form {
	f := newForm(c)
	f.Message = sentence(message)
	return f
}
