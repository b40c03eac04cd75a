package web

import (
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

type pickerPage struct {
	layout
	CSRF    string
	Choices []choice
	// Regions the person administers, and the platform for its operator.
	Regions  []navItem
	Platform bool
	// Funders are the funder portals the person may use ("Funder portal —
	// Health New Zealand").
	Funders []navItem
}

type choice struct {
	Name, Slug, Kind string
	Roles            []string
	Current          bool
}

var kindLabels = map[tenants.Kind]string{tenants.KindPractice: "General practice", tenants.KindPHO: "Primary health organisation"}

// picker lists where the person works. With one place there is nothing to
// choose: they go straight in.
func (h *handler) picker(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	list, err := h.choices(c)
	if err != nil {
		return err
	}
	grants, err := h.orgGrants(c, sess.User.ID)
	if err != nil {
		return err
	}
	regions, err := h.orgRegions(c, grants)
	if err != nil {
		return err
	}
	funders, err := h.orgFunders(c, grants)
	if err != nil {
		return err
	}
	platform := h.platformOperator(sess.User.ID)
	if len(list) == 1 && len(regions) == 0 && len(funders) == 0 && !platform {
		return h.enter(c, sess, list[0].Tenant)
	}
	// A funder's person usually works nowhere else: straight to the portal.
	if len(list) == 0 && len(regions) == 0 && len(funders) == 1 && !platform {
		return redirect(c, funders[0].Href)
	}
	p := pickerPage{
		layout:   h.page(c, "Choose where to work", "Choose the practice or PHO to work in.", "/tenants"),
		CSRF:     httpx.CSRFToken(c),
		Regions:  regions,
		Platform: platform,
		Funders:  funders,
	}
	for _, ch := range list {
		p.Choices = append(p.Choices, choice{Name: ch.Tenant.Name, Slug: ch.Tenant.Slug, Kind: kindLabels[ch.Tenant.Kind],
			Roles: roleLabelList(ch.Roles), Current: ch.Tenant.ID == sess.CurrentTenant})
	}
	return h.render(c, fiber.StatusOK, pagePicker, p)
}

// choose enters the tenant named in the path, if the person is a member.
func (h *handler) choose(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	sess, _ := httpx.Session(c)
	t, err := h.Directory.Resolve(ctx, c.Params("slug"))
	if errors.Is(err, tenants.ErrUnknown) {
		return fault.NotFound
	}
	if err != nil {
		return err
	}
	if !t.Live() {
		return fault.NotFound
	}
	if _, err := h.Accounts.Member(tenants.WithTenant(ctx, t), sess.User.ID); err != nil {
		if fault.As(err).Kind != fault.KindNotFound {
			return err
		}
		list, err := h.choices(c)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(list, func(ch account.Choice) bool { return ch.Tenant.ID == t.ID }) {
			return fault.NotFound
		}
	}
	return h.enter(c, sess, t)
}

// choices are the person's memberships and the tenants their organisation
// roles reach, each tenant once.
func (h *handler) choices(c *fiber.Ctx) ([]account.Choice, error) {
	ctx := httpx.Context(c)
	sess, _ := httpx.Session(c)
	list, err := h.Accounts.Memberships(ctx, sess.User.ID, h.TenantByID)
	if err != nil || h.OrgChoices == nil {
		return list, err
	}
	more, err := h.OrgChoices(ctx, sess.User.ID)
	if err != nil {
		return nil, err
	}
	for _, ch := range more {
		if !slices.ContainsFunc(list, func(m account.Choice) bool { return m.Tenant.ID == ch.Tenant.ID }) {
			list = append(list, ch)
		}
	}
	return list, nil
}

// enter records the chosen tenant on the session under a new token (a
// change of what the session may reach) and goes to the tenant's home.
func (h *handler) enter(c *fiber.Ctx, sess account.Session, t tenants.Tenant) error {
	if sess.CurrentTenant != t.ID {
		token, err := h.Accounts.Rotate(httpx.Context(c), sess, false, t.ID)
		if err != nil {
			return err
		}
		h.Sessions.SetCookie(c, token)
	}
	return redirect(c, tenantPath(t.Slug, "/"))
}

func tenantPath(slug, rest string) string { return "/t/" + slug + rest }

// orgGrants are the person's organisation grants (region, funder,
// platform): one query, which the picker's links are made from.
func (h *handler) orgGrants(c *fiber.Ctx, user uuid.UUID) ([]account.OrgGrant, error) {
	if h.Accounts == nil || h.DB == nil {
		return nil, nil
	}
	return h.Accounts.OrgGrants(httpx.Context(c), user)
}

// orgRegions are links to the regions the person administers: a query for
// the regions' names only when they have a region grant.
func (h *handler) orgRegions(c *fiber.Ctx, grants []account.OrgGrant) ([]navItem, error) {
	ids := map[string]bool{}
	for _, g := range grants {
		if id, ok := strings.CutPrefix(g.Domain, "region:"); ok && g.Role == "regional_admin" {
			ids[id] = true
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	all, err := onboarding.Regions(httpx.Context(c), h.DB)
	if err != nil {
		return nil, err
	}
	var out []navItem
	for _, r := range all {
		if ids[r.ID.String()] {
			out = append(out, navItem{Mi: "Rohe", En: r.Name, Href: "/regions/" + r.Slug})
		}
	}
	return out, nil
}

// orgFunders are links to the funder portals the person holds the funder
// role in: a query for the funders' names only when they have a funder
// grant.
func (h *handler) orgFunders(c *fiber.Ctx, grants []account.OrgGrant) ([]navItem, error) {
	ids := map[string]bool{}
	for _, g := range grants {
		if id, ok := strings.CutPrefix(g.Domain, "funder:"); ok && g.Role == "funder" {
			ids[id] = true
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	all, err := contract.Funders(httpx.Context(c), h.DB)
	if err != nil {
		return nil, err
	}
	var out []navItem
	for _, f := range all {
		if ids[f.ID.String()] {
			out = append(out, navItem{En: "Funder portal — " + f.Name, Href: "/funders/" + f.Slug})
		}
	}
	return out, nil
}
