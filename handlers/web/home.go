package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/tenants"
)

type homePage struct {
	layout
	Name       string
	TenantName string
	Kind       string
	Roles      []string
	// MFAMissing: the tenant requires two-step sign-in for the person's
	// clinical roles and they have not set it up, so clinical work is
	// closed to them: the first thing they need to see.
	MFAMissing bool
	Staff      *staffSummary // for those who bring people in
	StaffURL   string        // the staff list, for those who may read it
	TokensURL  string
}

type staffSummary struct {
	Active, Suspended, Invitations int
}

// home is a tenant's front page: what this person needs first here, and
// only what exists.
func (h *handler) home(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	p := homePage{
		layout:     h.tenantPage(c, "Home", "/"),
		Name:       actor.Name,
		TenantName: t.Name,
		Kind:       kindLabels[t.Kind],
		Roles:      roleLabelList(actor.Roles),
		MFAMissing: actor.MFAMissing,
		TokensURL:  tenantPath(t.Slug, "/tokens"),
	}
	if h.can(ctx, staffRead) {
		p.StaffURL = tenantPath(t.Slug, "/staff")
	}
	if p.StaffURL != "" && h.can(ctx, staffInvite) {
		members, err := h.Accounts.Staff(ctx)
		if err != nil {
			return err
		}
		invitations, err := h.Accounts.Invitations(ctx)
		if err != nil {
			return err
		}
		s := &staffSummary{Invitations: len(invitations)}
		for _, m := range members {
			switch m.Status {
			case "active":
				s.Active++
			case "suspended":
				s.Suspended++
			}
		}
		p.Staff = s
	}
	return h.render(c, fiber.StatusOK, pageHome, p)
}
