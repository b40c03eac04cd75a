package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
	"github.com/tuhono/tuhono/tenants"
)

// orgStack is newStack with the policy's Allowed wired into the pages, as
// handlers.New wires it: region and platform routes need it.
func orgStack(t *testing.T, opts ...stackOptions) *stack {
	t.Helper()
	s := newStack(t, testBase, opts...)
	dir := tenants.NewDirectory(onboarding.BySlug(s.env.DB), 0)
	sessions := &httpx.Sessions{Accounts: s.accounts, BaseURL: testBase, Lifetime: 12 * time.Hour, Roles: s.enforcer.RolesIn}
	frame := &httpx.Frame{Log: dbtest.Quiet, RequestTimeout: 20 * time.Second, Pages: s.site, Directory: dir,
		Authenticate: sessions.Member, AuthenticateAPI: sessions.Bearer, Policy: s.enforcer, DB: s.env.DB}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, CaseSensitive: true, ErrorHandler: frame.ErrorHandler})
	app.Use(frame.Begin, httpx.Hygiene)
	s.site.Routes(app)
	s.site.App(app, Deps{Accounts: s.accounts, Sessions: sessions, Frame: frame, Directory: dir, DB: s.env.DB,
		TenantByID: func(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
			return onboarding.ByID(ctx, s.env.DB, id)
		},
		Allowed: s.enforcer.Allowed, Billing: s.billing})
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	s.app = app
	return s
}

func (s *stack) region(t *testing.T, name string) onboarding.RegionDetails {
	t.Helper()
	r, err := onboarding.AddRegion(context.Background(), s.env.DB, uuid.Nil, onboarding.NewRegion{Slug: dbtest.Slug("region"), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *stack) org(t *testing.T, r onboarding.RegionDetails, kind tenants.Kind, parent uuid.UUID, name string) tenants.Tenant {
	t.Helper()
	d, err := onboarding.AddTenant(context.Background(), s.env.DB, uuid.Nil, onboarding.NewTenant{Kind: kind, ParentID: parent,
		RegionID: r.ID, Slug: dbtest.Slug(string(kind)), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return d.Tenant
}

// regionalAdmin makes a person who is regional admin of r.
func (s *stack) regionalAdmin(t *testing.T, r onboarding.RegionDetails) *agent {
	t.Helper()
	u := s.person(t, "Regional Admin", nil)
	if err := s.accounts.GrantOrg(context.Background(), uuid.Nil, u.ID, "regional_admin", policy.RegionDomain(r.ID)); err != nil {
		t.Fatal(err)
	}
	a := s.agent(t)
	a.signIn(u)
	return a
}

// Every region and platform route, filled in for region r and tenant slug.
func regionRoutes(r, slug string) [][2]string {
	var out [][2]string
	for _, p := range regionPages {
		path := strings.NewReplacer(":region", r, ":slug", slug).Replace(p.path)
		out = append(out, [2]string{p.method, path})
	}
	return out
}

func (a *agent) send(method, path string, form url.Values) answer {
	if method == http.MethodGet {
		return a.get(path)
	}
	f := url.Values{}
	for k, v := range form { // a.post adds this agent's CSRF token
		f[k] = v
	}
	return a.post(path, f)
}

// A regional admin of region A can do nothing in region B; a PHO admin can
// use no region or platform page, not even of its own region.
func TestRegionIsolation(t *testing.T) {
	s := orgStack(t)
	ra, rb := s.region(t, "Region A"), s.region(t, "Region B")
	s.org(t, ra, tenants.KindPHO, uuid.Nil, "PHO of A")
	phoB := s.org(t, rb, tenants.KindPHO, uuid.Nil, "PHO of B")
	pracB := s.org(t, rb, tenants.KindPractice, phoB.ID, "Practice of B")
	adminA := s.regionalAdmin(t, ra)

	want(t, adminA.get("/regions/"+ra.Slug), 200, "PHO of A")
	if r := adminA.get("/regions/" + ra.Slug); strings.Contains(r.body, "PHO of B") {
		t.Fatal("region A's page shows region B's PHO")
	}
	form := url.Values{"name": {"Taken over"}, "kind": {"pho"}, "slug": {dbtest.Slug("evil")}, "time_zone": {"Pacific/Auckland"}}
	for _, rt := range regionRoutes(rb.Slug, pracB.Slug) {
		if r := adminA.send(rt[0], rt[1], form); r.status != http.StatusNotFound {
			t.Errorf("admin of A: %s %s = %d, want 404", rt[0], rt[1], r.status)
		}
	}
	// Region B's tenant reached through region A's address is not found either.
	for _, rt := range regionRoutes(ra.Slug, pracB.Slug) {
		if strings.Contains(rt[1], pracB.Slug) {
			if r := adminA.send(rt[0], rt[1], form); r.status != http.StatusNotFound {
				t.Errorf("admin of A: %s %s = %d, want 404", rt[0], rt[1], r.status)
			}
		}
	}

	phoAdmin := s.person(t, "PHO Admin", &phoB, "pho_admin")
	pa := s.agent(t)
	pa.signIn(phoAdmin)
	for _, region := range []string{ra.Slug, rb.Slug} {
		for _, rt := range regionRoutes(region, pracB.Slug) {
			if r := pa.send(rt[0], rt[1], form); r.status != http.StatusNotFound {
				t.Errorf("PHO admin: %s %s = %d, want 404", rt[0], rt[1], r.status)
			}
		}
	}

	// Nothing in region B changed.
	ctx := context.Background()
	for _, id := range []uuid.UUID{phoB.ID, pracB.ID} {
		d, err := onboarding.DetailsByID(ctx, s.env.DB, id)
		if err != nil || d.Status != tenants.StatusOnboarding || d.Name == "Taken over" {
			t.Fatalf("region B changed: %+v %v", d, err)
		}
	}
	if list, _ := onboarding.InRegion(ctx, s.env.DB, rb.ID); len(list) != 2 {
		t.Fatalf("region B has %d tenants, want 2", len(list))
	}
}

func TestPlatformRegions(t *testing.T) {
	s := orgStack(t)
	ctx := context.Background()
	op, err := s.accounts.CreateUser(ctx, "op-"+uuid.NewString()[:8]+"@example.co.nz", "Operator", testPassword, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.accounts.GrantOrg(ctx, uuid.Nil, op.ID, "platform_operator", "platform"); err != nil {
		t.Fatal(err)
	}
	a := s.agent(t)
	a.signIn(op)
	want(t, a.get("/platform/regions"), 200, "Create a region")

	slug := dbtest.Slug("tamaki")
	wantRedirect(t, a.post("/platform/regions", url.Values{"slug": {slug}, "name": {"Tāmaki Makaurau"},
		"programme": {"Tu\u0304 Whakaruruhau"}, "time_zone": {"Pacific/Auckland"}}), "/platform/regions?done=region")
	want(t, a.get("/platform/regions"), 200, "Tāmaki Makaurau", "Tū Whakaruruhau")
	want(t, a.post("/platform/regions", url.Values{"slug": {"Bad Slug"}, "name": {""}, "time_zone": {"UTC"}}), 422,
		"Use 1–63 lower-case letters", "Must be Pacific/Auckland or Pacific/Chatham")
	want(t, a.post("/platform/regions", url.Values{"slug": {slug}, "name": {"Again"}}), 409, "Another region has this address name")

	// Appointing: only someone with an account.
	want(t, a.post("/platform/regions/"+slug+"/admins", url.Values{"email": {"nobody@example.co.nz"}}), 422,
		"invite them to a practice first or create their account with the CLI")
	u := s.person(t, "Soon Regional", nil)
	wantRedirect(t, a.post("/platform/regions/"+slug+"/admins", url.Values{"email": {u.Email}}), "/platform/regions?done=appointed")
	want(t, a.post("/platform/regions/no-such-region/admins", url.Values{"email": {u.Email}}), 404)
	ra := s.agent(t)
	ra.signIn(u)
	want(t, ra.get("/regions/"+slug), 200, "Tāmaki Makaurau", "Add a PHO or practice")
	// The regional admin is no platform operator.
	want(t, ra.get("/platform/regions"), 404)
}

func TestRegionOnboarding(t *testing.T) {
	s := orgStack(t)
	ctx := context.Background()
	r := s.region(t, "Waitaha")
	a := s.regionalAdmin(t, r)
	base := "/regions/" + r.Slug

	phoSlug, pracSlug := dbtest.Slug("pho"), dbtest.Slug("practice")
	wantRedirect(t, a.post(base+"/tenants", url.Values{"kind": {"pho"}, "slug": {phoSlug}, "name": {"Waitaha PHO"},
		"hpi_org_id": {"g00001-g"}, "time_zone": {"Pacific/Auckland"}}), base+"?done=created")
	wantRedirect(t, a.post(base+"/tenants", url.Values{"kind": {"practice"}, "parent": {phoSlug}, "slug": {pracSlug},
		"name": {"Ma\u0304ori Health Clinic"}, "contact_phone": {"03 123 4567"}, "time_zone": {"Pacific/Chatham"}}), base+"?done=created")
	want(t, a.post(base+"/tenants", url.Values{"kind": {"practice"}, "slug": {dbtest.Slug("bad")}, "name": {"Bad"},
		"contact_phone": {"12"}, "hpi_fac_id": {"X"}, "parent": {"no-such-pho"}}), 422, "Choose a PHO of this region")
	want(t, a.post(base+"/tenants", url.Values{"kind": {"practice"}, "slug": {dbtest.Slug("bad")}, "name": {"Bad"},
		"contact_phone": {"12"}, "hpi_fac_id": {"X"}}), 422, "7 to 15 digits", "HPI facility id")
	want(t, a.post(base+"/tenants", url.Values{"kind": {"pho"}, "slug": {phoSlug}, "name": {"Again"}}), 409, "Another organisation has this address name")
	want(t, a.get(base), 200, "Waitaha PHO", "Māori Health Clinic", "Onboarding")

	prac, err := onboarding.BySlug(s.env.DB)(ctx, pracSlug)
	if err != nil || prac.Name != "Māori Health Clinic" || prac.TimeZone != "Pacific/Chatham" {
		t.Fatalf("practice: %+v %v", prac, err)
	}
	kids, err := onboarding.ChildrenOf(ctx, s.env.DB, prac.ParentID)
	if err != nil || len(kids) != 1 || kids[0].ID != prac.ID {
		t.Fatalf("the practice is not under its PHO: %+v %v", kids, err)
	}

	// Edit, with before and after in the practice's audit trail.
	edit := base + "/tenants/" + pracSlug
	want(t, a.get(edit), 200, "Māori Health Clinic", "03 123 4567")
	wantRedirect(t, a.post(edit, url.Values{"name": {"Māori Health Clinic Ōtautahi"}, "contact_phone": {"03 123 4567"},
		"address": {"1 Cathedral Square"}, "time_zone": {"Pacific/Chatham"}}), edit+"?done=saved")
	want(t, a.post(edit, url.Values{"name": {""}, "time_zone": {"Pacific/Chatham"}}), 422, "Must be 1–200 characters")
	ev := newestEvent(t, s, prac, "tenant.update")
	if !strings.Contains(ev.Detail["before"], `name="Māori Health Clinic"`) || !strings.Contains(ev.Detail["after"], `address="1 Cathedral Square"`) ||
		strings.Contains(ev.Detail["before"], "contact_phone") || ev.ActorUserID == uuid.Nil {
		t.Fatalf("audit: %+v", ev)
	}

	// Suspend, restore, archive; an archived tenant is read-only.
	wantRedirect(t, a.post(edit+"/suspend", nil), edit+"?done=suspended")
	want(t, a.get(edit+"?done=suspended"), 200, "Suspended", "Lift the suspension")
	if d, _ := onboarding.DetailsByID(ctx, s.env.DB, prac.ID); d.Status != tenants.StatusSuspended || onboarding.CanInvite(d.Tenant) == nil {
		t.Fatalf("not suspended: %+v", d)
	}
	want(t, a.post(edit+"/suspend", nil), 409, "Only an onboarding or active organisation can be suspended")
	wantRedirect(t, a.post(edit+"/restore", nil), edit+"?done=restored")
	wantRedirect(t, a.post(edit+"/archive", nil), edit+"?done=archived")
	want(t, a.get(edit), 200, "Archived", "read-only")
	want(t, a.post(edit, url.Values{"name": {"Changed"}, "time_zone": {"Pacific/Auckland"}}), 409, "archived")
	want(t, a.post(edit+"/restore", nil), 409)
	if ev := newestEvent(t, s, prac, "tenant.archive"); !strings.Contains(ev.Detail["after"], `status="archived"`) {
		t.Fatalf("audit: %+v", ev)
	}
	if d, err := onboarding.DetailsByID(ctx, s.env.DB, prac.ID); err != nil || d.Name != "Māori Health Clinic Ōtautahi" {
		t.Fatalf("archived tenant not kept: %+v %v", d, err)
	}
}

func newestEvent(t *testing.T, s *stack, tn tenants.Tenant, action string) audit.Entry {
	t.Helper()
	var out []audit.Entry
	err := s.env.DB.InTenant(tenants.WithTenant(context.Background(), tn), func(tx *db.Tx) error {
		var err error
		out, err = audit.List(tx, time.Time{}, 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range out { // newest first
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no %s event", action)
	return audit.Entry{}
}
