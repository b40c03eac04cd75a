package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/tenants"
)

// can says whether the actor in ctx may do perm here, to decide what a page
// offers. It is a question, not a guard: refusals are not audited here (the
// route's own Guard audits what is actually attempted).
func (h *handler) can(ctx context.Context, perm httpx.Perm) bool {
	if h.Frame == nil || h.Frame.Policy == nil {
		return false
	}
	actor, _ := tenants.ActorFrom(ctx)
	if actor.MFAMissing && isClinical(perm.Object) {
		return false
	}
	return h.Frame.Policy.Check(ctx, perm.Object, perm.Action) == nil
}

func isClinical(object string) bool {
	for _, o := range httpx.ClinicalObjects {
		if o == object {
			return true
		}
	}
	return false
}

// tenantPage is page for a tenant route: the frame plus the tenant's bar.
// path is the part after /t/{slug}.
func (h *handler) tenantPage(c *fiber.Ctx, title, path string) layout {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	full := tenantPath(t.Slug, path)
	l := h.page(c, title+" — "+t.Name, "", full)
	nav := []navItem{{Mi: "Kāinga", En: "Home", Href: tenantPath(t.Slug, "/")}}
	if h.can(ctx, staffRead) {
		nav = append(nav, navItem{Mi: "Kaimahi", En: "Staff", Href: tenantPath(t.Slug, "/staff")})
	}
	nav = append(nav, navItem{En: "API tokens", Href: tenantPath(t.Slug, "/tokens")})
	if h.can(ctx, tenantSettings) {
		nav = append(nav, navItem{Mi: "Whakaritenga", En: "Settings", Href: tenantPath(t.Slug, "/settings")})
	}
	markCurrent(nav, full)
	l.Tenant = &tenantNav{Name: t.Name, Nav: nav}
	return l
}
