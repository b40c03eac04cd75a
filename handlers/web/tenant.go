package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

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
	nav = append(nav, clinicalNav(t.Slug, func(p httpx.Perm) bool { return h.can(ctx, p) })...)
	if h.can(ctx, staffRead) {
		nav = append(nav, navItem{Mi: "Kaimahi", En: "Staff", Href: tenantPath(t.Slug, "/staff")})
	}
	if h.can(ctx, auditRead) {
		nav = append(nav, navItem{En: "Activity", Href: tenantPath(t.Slug, "/activity")})
	}
	if h.can(ctx, httpx.Perm{Object: "report", Action: "read"}) {
		nav = append(nav, navItem{Mi: "Pūrongo", En: "Reports", Href: tenantPath(t.Slug, "/reports")})
	}
	if h.can(ctx, httpx.Perm{Object: "workforce", Action: "read"}) {
		nav = append(nav, navItem{En: "Workforce", Href: tenantPath(t.Slug, "/workforce")})
	}
	nav = append(nav, navItem{En: "API tokens", Href: tenantPath(t.Slug, "/tokens")})
	if t.Kind == tenants.KindPHO && h.can(ctx, tenantRead) {
		nav = append(nav, navItem{Mi: "Ngā whare haumanu", En: "Practices", Href: tenantPath(t.Slug, "/practices")})
	}
	readsBilling := h.can(ctx, permBillingRead)
	if readsBilling {
		nav = append(nav, navItem{En: "Billing", Href: tenantPath(t.Slug, "/billing")})
	}
	if h.can(ctx, tenantSettings) {
		// Two pages, two names: the organisation's rules (MFA, contact
		// target) and the practice's details (hours, rooms, reminders).
		nav = append(nav, navItem{Mi: "Whakaritenga", En: "Settings", Href: tenantPath(t.Slug, "/settings")},
			navItem{En: "Practice details", Href: tenantPath(t.Slug, "/practice")})
	}
	markCurrent(nav, full)
	l.Tenant = &tenantNav{Name: t.Name, Nav: nav}
	if readsBilling {
		// Only those who can act on it see it: a clinician cannot pay.
		l.Tenant.Billing = h.billingBannerFor(ctx, t)
	}
	return l
}

// page is Site.page for the identity and tenant pages, with what an
// organisation role adds to the header: a platform operator gets the
// platform's regions. The policy answers from memory, so this costs no
// query; a regional admin's own regions are offered on the tenant picker
// (/tenants), where one look-up per visit is cheap.
func (h *handler) page(c *fiber.Ctx, title, description, path string) layout {
	l := h.Site.page(c, title, description, path)
	if l.User == nil || !l.User.Ready {
		return l
	}
	sess, _ := httpx.Session(c)
	if h.platformOperator(sess.User.ID) {
		l.Nav = append(l.Nav, navItem{En: "Platform", Href: "/platform/regions", Current: path == "/platform/regions"})
	}
	return l
}

// platformOperator says whether the person may run the platform's regions.
func (h *handler) platformOperator(user uuid.UUID) bool {
	return h.Allowed != nil && h.Allowed(user, "platform", regionCreate.Object, regionCreate.Action)
}

// clinicalNav is the day's work, for those whose roles do it: people, the
// diaries, the same-day queue, Support Worker referrals and the waitlist.
func clinicalNav(slug string, can func(httpx.Perm) bool) []navItem {
	var nav []navItem
	add := func(perm httpx.Perm, item navItem) {
		if can(perm) {
			item.Href = tenantPath(slug, item.Href)
			nav = append(nav, item)
		}
	}
	add(httpx.Perm{Object: "patient", Action: "read"}, navItem{Mi: "Tāngata", En: "People", Href: "/patients"})
	add(httpx.Perm{Object: "appointment", Action: "read"}, navItem{En: "My day", Href: "/day"})
	add(httpx.Perm{Object: "appointment", Action: "read"}, navItem{En: "Day board", Href: "/board"})
	add(httpx.Perm{Object: "appointment", Action: "create"}, navItem{En: "Same-day queue", Href: "/queue"})
	add(httpx.Perm{Object: "referral", Action: "read"}, navItem{En: "Referrals", Href: "/referrals"})
	add(httpx.Perm{Object: "appointment", Action: "read"}, navItem{En: "Waitlist", Href: "/waitlist"})
	add(httpx.Perm{Object: "schedule", Action: "read"}, navItem{En: "Schedules", Href: "/schedules"})
	add(httpx.Perm{Object: "handover", Action: "read"}, navItem{En: "Handovers", Href: "/inbox"})
	add(httpx.Perm{Object: "note.restricted", Action: "sign"}, navItem{En: "Co-sign", Href: "/cosign"})
	add(httpx.Perm{Object: "audit", Action: "read"}, navItem{En: "Access reviews", Href: "/reviews"})
	return nav
}
