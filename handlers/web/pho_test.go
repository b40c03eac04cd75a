package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// live makes an organisation made by s.org active, as go-live would.
func (s *stack) live(t *testing.T, tn tenants.Tenant) tenants.Tenant {
	t.Helper()
	if err := onboarding.SetStatus(context.Background(), s.env.DB, tn.ID, tenants.StatusActive); err != nil {
		t.Fatal(err)
	}
	tn.Status = tenants.StatusActive
	return tn
}

// phoRoutes are the PHO's practice routes, filled in for tenant and slug.
func phoRoutes(tenant, slug string) [][2]string {
	var out [][2]string
	for _, p := range phoPages {
		out = append(out, [2]string{p.method, strings.NewReplacer(":tenant", tenant, ":slug", slug).Replace(p.path)})
	}
	return out
}

// A PHO admin creates, edits and suspends a practice under its PHO, from
// the PHO's own tenant; the audit trail has who and before/after.
func TestPHOAdminManagesItsPractices(t *testing.T) {
	s := orgStack(t)
	ctx := context.Background()
	r := s.region(t, "Te Tai Tokerau")
	pho := s.live(t, s.org(t, r, tenants.KindPHO, uuid.Nil, "Mahitahi Hauora"))
	admin := s.person(t, "PHO Admin", &pho, "pho_admin")
	a := s.agent(t)
	a.signIn(admin)
	base := "/t/" + pho.Slug + "/practices"

	home := a.get("/t/" + pho.Slug + "/")
	want(t, home, 200)
	list := a.get(base)
	want(t, list, 200, "Practices", "No practice yet.", "Add a practice")

	slug := dbtest.Slug("practice")
	wantRedirect(t, a.post(base, url.Values{"slug": {slug}, "name": {"Whangārei Health"},
		"hpi_fac_id": {"F00001-F"}, "time_zone": {"Pacific/Auckland"}}), base+"?done=created")
	want(t, a.post(base, url.Values{"slug": {slug}, "name": {"Again"}, "time_zone": {"Pacific/Auckland"}}), 409,
		"Another organisation has this address name")
	want(t, a.post(base, url.Values{"slug": {dbtest.Slug("bad")}, "name": {""}, "contact_phone": {"12"}}), 422, "7 to 15 digits")
	want(t, a.get(base+"?done=created"), 200, "Whangārei Health", "Onboarding", "The organisation is created")

	prac, err := onboarding.BySlug(s.env.DB)(ctx, slug)
	if err != nil || prac.Kind != tenants.KindPractice || prac.ParentID != pho.ID || prac.RegionID != r.ID {
		t.Fatalf("practice: %+v %v (PHO %s, region %s)", prac, err, pho.ID, r.ID)
	}
	if ev := newestEvent(t, s, prac, "tenant.create"); ev.ActorUserID != admin.ID {
		t.Fatalf("create audit: %+v", ev)
	}

	edit := base + "/" + slug
	want(t, a.get(edit), 200, "Whangārei Health", "Practices of Mahitahi Hauora")
	wantRedirect(t, a.post(edit, url.Values{"name": {"Whangārei Health Centre"}, "hpi_fac_id": {"F00001-F"},
		"address": {"1 Bank Street"}, "time_zone": {"Pacific/Auckland"}}), edit+"?done=saved")
	want(t, a.post(edit, url.Values{"name": {""}, "time_zone": {"Pacific/Auckland"}}), 422, "Must be 1–200 characters")
	ev := newestEvent(t, s, prac, "tenant.update")
	if ev.ActorUserID != admin.ID || !strings.Contains(ev.Detail["before"], `name="Whangārei Health"`) ||
		!strings.Contains(ev.Detail["after"], `address="1 Bank Street"`) {
		t.Fatalf("update audit: %+v", ev)
	}

	wantRedirect(t, a.post(edit+"/suspend", nil), edit+"?done=suspended")
	want(t, a.get(edit+"?done=suspended"), 200, "Suspended", "Lift the suspension")
	d, err := onboarding.DetailsByID(ctx, s.env.DB, prac.ID)
	if err != nil || d.Status != tenants.StatusSuspended || d.Name != "Whangārei Health Centre" {
		t.Fatalf("not suspended: %+v %v", d, err)
	}
	if ev := newestEvent(t, s, prac, "tenant.suspend"); ev.ActorUserID != admin.ID || !strings.Contains(ev.Detail["after"], `status="suspended"`) {
		t.Fatalf("suspend audit: %+v", ev)
	}
	want(t, a.post(edit+"/suspend", nil), 409, "Only an onboarding or active organisation can be suspended")
	wantRedirect(t, a.post(edit+"/restore", nil), edit+"?done=restored")
	wantRedirect(t, a.post(edit+"/archive", nil), edit+"?done=archived")
	want(t, a.get(edit), 200, "Archived", "read-only")
	if d, _ := onboarding.DetailsByID(ctx, s.env.DB, prac.ID); d.Status != tenants.StatusArchived {
		t.Fatalf("not archived: %+v", d)
	}
	want(t, a.get(base), 200, "Whangārei Health Centre", "Archived")

	// The PHO admin's tenant bar still works with the new pages.
	if !strings.Contains(list.body, pho.Name) {
		t.Error("the list page lacks the PHO's tenant bar")
	}
}

// Another PHO's practice, a sibling PHO and a practice tenant are out of
// reach: not found (or refused), and nothing changes.
func TestPHOAdminIsolation(t *testing.T) {
	s := orgStack(t)
	ctx := context.Background()
	r := s.region(t, "Waikato")
	pho := s.live(t, s.org(t, r, tenants.KindPHO, uuid.Nil, "Pinnacle"))
	other := s.live(t, s.org(t, r, tenants.KindPHO, uuid.Nil, "Hauraki PHO"))
	theirs := s.live(t, s.org(t, r, tenants.KindPractice, other.ID, "Their Practice"))
	mine := s.live(t, s.org(t, r, tenants.KindPractice, pho.ID, "My Practice"))
	admin := s.person(t, "PHO Admin", &pho, "pho_admin")
	a := s.agent(t)
	a.signIn(admin)

	form := url.Values{"name": {"Taken over"}, "slug": {dbtest.Slug("evil")}, "time_zone": {"Pacific/Auckland"}}
	// Another PHO's practice through this PHO's address: 404, unchanged.
	for _, rt := range phoRoutes(pho.Slug, theirs.Slug) {
		if !strings.Contains(rt[1], theirs.Slug) {
			continue
		}
		if res := a.send(rt[0], rt[1], form); res.status != http.StatusNotFound || strings.Contains(res.body, "Their Practice") {
			t.Errorf("%s %s = %d, want 404 without the practice", rt[0], rt[1], res.status)
		}
	}
	// The other PHO itself, and a PHO that is not a practice, through this PHO.
	for _, slug := range []string{other.Slug, pho.Slug, "no-such-practice"} {
		if res := a.get("/t/" + pho.Slug + "/practices/" + slug); res.status != http.StatusNotFound {
			t.Errorf("practice %s: %d, want 404", slug, res.status)
		}
	}
	// The other PHO's own tenant: the admin is no member there.
	for _, rt := range phoRoutes(other.Slug, theirs.Slug) {
		if res := a.send(rt[0], rt[1], form); res.status != http.StatusNotFound {
			t.Errorf("in the other PHO: %s %s = %d, want 404", rt[0], rt[1], res.status)
		}
	}
	if d, err := onboarding.DetailsByID(ctx, s.env.DB, theirs.ID); err != nil || d.Name != "Their Practice" || d.Status != tenants.StatusActive {
		t.Fatalf("the other PHO's practice changed: %+v %v", d, err)
	}
	if _, err := onboarding.BySlug(s.env.DB)(ctx, form.Get("slug")); err == nil {
		t.Fatal("a practice was created through another PHO's address")
	}
	list := a.get("/t/" + pho.Slug + "/practices")
	want(t, list, 200, "My Practice")
	if strings.Contains(list.body, "Their Practice") {
		t.Error("the list shows another PHO's practice")
	}

	// A practice admin (tenant = a practice): refused everything, or sent home
	// for the list; nothing read or written.
	padmin := s.person(t, "Practice Admin", &mine, "practice_admin")
	p := s.agent(t)
	p.signIn(padmin)
	for _, rt := range phoRoutes(mine.Slug, mine.Slug) {
		res := p.send(rt[0], rt[1], form)
		switch {
		case res.status == http.StatusForbidden || res.status == http.StatusNotFound:
		case rt[0] == http.MethodGet && !strings.Contains(rt[1], "/practices/"):
			// tenant read: allowed by the policy, but a practice has no practices.
			wantRedirect(t, res, "/t/"+mine.Slug+"/")
		default:
			t.Errorf("practice admin: %s %s = %d, want 403 or 404", rt[0], rt[1], res.status)
		}
		if strings.Contains(res.body, "My Practice") && res.status >= 400 {
			t.Errorf("practice admin: %s %s: a refusal carried data", rt[0], rt[1])
		}
	}
	// Nor can the practice admin reach the PHO's pages.
	for _, rt := range phoRoutes(pho.Slug, mine.Slug) {
		if res := p.send(rt[0], rt[1], form); res.status != http.StatusNotFound {
			t.Errorf("practice admin in the PHO: %s %s = %d, want 404", rt[0], rt[1], res.status)
		}
	}
	if d, _ := onboarding.DetailsByID(ctx, s.env.DB, mine.ID); d.Name != "My Practice" || d.Status != tenants.StatusActive {
		t.Fatalf("the practice changed: %+v", d)
	}
	// A PHO's other members (not admins) see the list but may not change it.
	staff := s.person(t, "PHO Staff", &pho, "gp")
	g := s.agent(t)
	g.signIn(staff)
	if res := g.get("/t/" + pho.Slug + "/practices"); res.status == http.StatusOK && strings.Contains(res.body, "Add a practice") {
		t.Error("a PHO member without tenant create is offered the form")
	}
	if res := g.post("/t/"+pho.Slug+"/practices/"+mine.Slug+"/suspend", nil); res.status != http.StatusForbidden {
		t.Errorf("gp suspends: %d, want 403", res.status)
	}
}
