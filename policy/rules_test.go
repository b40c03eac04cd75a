package policy

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var update = flag.Bool("update", false, "rewrite testdata/matrix.golden")

// memory returns an enforcer with the real model and templates and no
// database: Grant and LinkDomain change memory only.
func memory(tb testing.TB) *Enforcer {
	tb.Helper()
	e, err := newEnforcer(nil, dbtest.Quiet)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func id() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func TestMatrixGolden(t *testing.T) {
	got := Matrix()
	path := filepath.Join("testdata", "matrix.golden")
	if *update {
		must(t, os.MkdirAll("testdata", 0o755))
		must(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policy -run Matrix -update)", err)
	}
	if got != string(want) {
		t.Errorf("the permission matrix changed; if that is meant, review the diff of\n"+
			"go test ./policy -run Matrix -update. Now:\n%s", got)
	}
}

func TestTemplatesAreWellFormed(t *testing.T) {
	ts, err := templates()
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, tpl := range ts {
		per[tpl[1]]++
	}
	for _, r := range Roles() {
		if per[r] == 0 {
			t.Errorf("role %s has no permissions", r)
		}
	}
	// Every action is used by some object and every object's actions are
	// in the documented list.
	used := map[string]bool{}
	for _, o := range objects {
		for _, a := range o.actions {
			if !slices.Contains(Actions(), a) {
				t.Errorf("%s takes undocumented action %s", o.name, a)
			}
			used[a] = true
		}
	}
	for _, a := range Actions() {
		if !used[a] {
			t.Errorf("action %s belongs to no object", a)
		}
	}
	if len(Objects()) != 18 || len(Roles()) != 10 {
		t.Errorf("%d objects and %d roles: update the docs and this test if that is meant", len(Objects()), len(Roles()))
	}
}

// The rules of the domain, asked of the real matcher. Each role is held in
// its home domain; regional_admin and funder are also asked in a tenant
// linked to their region or funder.
func TestDomainRules(t *testing.T) {
	ctx := context.Background()
	e := memory(t)
	tenant, region, funder := TenantDomain(id()), RegionDomain(id()), FunderDomain(id())
	must(t, e.LinkDomain(ctx, tenant, region))
	must(t, e.LinkDomain(ctx, tenant, funder))
	user := map[string]uuid.UUID{}
	where := map[string][]string{} // the domains each role is asked in
	for _, r := range roles {
		user[r.name] = id()
		home := map[string]string{kindTenant: tenant, kindRegion: region, kindFunder: funder, kindPlatform: PlatformDomain}[r.home]
		must(t, e.Grant(ctx, user[r.name], r.name, home))
		where[r.name] = []string{home}
		if r.home == kindRegion || r.home == kindFunder {
			where[r.name] = append(where[r.name], tenant)
		}
	}
	allowed := func(role, object, action string) bool {
		out := false
		for i, d := range where[role] {
			ok := e.Allowed(user[role], d, object, action)
			if i > 0 && ok != out {
				t.Errorf("%s %s %s: %v in %s but %v in its home", role, object, action, ok, d, out)
			}
			out = out || ok
		}
		return out
	}

	t.Run("admins never see clinical content", func(t *testing.T) {
		for _, role := range []string{"practice_admin", "pho_admin", "regional_admin", "funder", "platform_operator"} {
			for _, object := range []string{"note", "note.restricted", "handover", "outcome", "referral"} {
				for _, action := range Actions() {
					if allowed(role, object, action) {
						t.Errorf("%s may %s %s", role, action, object)
					}
				}
			}
		}
	})
	t.Run("funder only reads and exports reports", func(t *testing.T) {
		for _, object := range Objects() {
			for _, action := range Actions() {
				want := object == "report" && (action == "read" || action == "export")
				if got := allowed("funder", object, action); got != want {
					t.Errorf("funder %s %s = %v, want %v", action, object, got, want)
				}
			}
		}
	})
	t.Run("only the hip has restricted notes", func(t *testing.T) {
		for _, r := range Roles() {
			if got := allowed(r, "note.restricted", "read"); got != (r == "hip") {
				t.Errorf("%s reads note.restricted = %v", r, got)
			}
		}
	})

	cases := []struct {
		role, object, action string
		want                 bool
	}{
		{"hip", "note", "sign", true},
		{"hip", "note", "amend", true},
		{"health_coach", "note", "sign", true},
		{"support_worker", "note", "sign", true},
		{"support_worker", "referral", "update", true},
		{"gp", "note", "read", true},
		{"gp", "handover", "read", true},
		{"nurse", "referral", "create", true},
		{"gp", "appointment", "create", true},
		{"gp", "note", "sign", false},
		{"nurse", "note", "create", false},
		{"practice_admin", "patient", "read", true},
		{"practice_admin", "patient", "update", false},
		{"practice_admin", "appointment", "create", true},
		{"practice_admin", "staff", "suspend", true},
		{"practice_admin", "tenant", "settings", true},
		{"practice_admin", "billing", "update", true},
		{"practice_admin", "audit", "read", true},
		{"practice_admin", "report", "read", true},
		{"practice_admin", "report.exact", "read", false},
		{"hip", "report.exact", "read", true},
		{"pho_admin", "report.exact", "read", false},
		{"pho_admin", "report", "export", true},
		{"pho_admin", "contract", "read", true},
		{"pho_admin", "contract", "update", false},
		{"pho_admin", "patient", "read", false},
		{"pho_admin", "tenant", "create", true}, // practices under its PHO (the handler checks the parent)
		{"pho_admin", "tenant", "update", true},
		{"pho_admin", "billing", "read", true}, // a PHO may pay for all its practices
		{"pho_admin", "billing", "update", true},
		{"regional_admin", "tenant", "create", true},
		{"regional_admin", "contract", "create", true},
		{"regional_admin", "report.publish", "create", true},
		{"regional_admin", "staff", "invite", true},
		{"regional_admin", "patient", "read", false},
		{"regional_admin", "billing", "read", true}, // standings across the region, programme funding
		{"regional_admin", "billing", "update", true},
		{"gp", "billing", "read", false},
		{"hip", "billing", "read", false},
		{"funder", "billing", "read", false},
		{"platform_operator", "billing", "read", false},
		{"platform_operator", "tenant", "create", true},
		{"platform_operator", "region", "create", true},
		{"platform_operator", "audit", "read", true},
		{"platform_operator", "report", "read", false},
		{"platform_operator", "patient", "read", false},
	}
	for _, c := range cases {
		if got := allowed(c.role, c.object, c.action); got != c.want {
			t.Errorf("%s %s %s = %v, want %v", c.role, c.action, c.object, got, c.want)
		}
	}

	t.Run("default deny", func(t *testing.T) {
		hip := user["hip"]
		for _, c := range []struct {
			user                   uuid.UUID
			domain, object, action string
		}{
			{hip, tenant, "note.secret", "read"},      // unknown object
			{hip, tenant, "note", "destroy"},          // unknown action
			{hip, tenant, "note", ""},                 //
			{hip, tenant, "", "read"},                 //
			{hip, tenant, "*", "*"},                   // wildcards are not requests
			{hip, TenantDomain(id()), "note", "read"}, // another tenant
			{hip, region, "note", "read"},             // the region of the tenant
			{hip, "tenant:*", "note", "read"},
			{hip, "*", "note", "read"},
			{hip, "", "note", "read"},
			{hip, "tenant:" + uuid.Nil.String(), "note", "read"},
			{id(), tenant, "note", "read"},                        // nobody
			{uuid.Nil, tenant, "note", "read"},                    //
			{user["platform_operator"], tenant, "tenant", "read"}, // the platform is not above tenants
			{user["platform_operator"], region, "region", "read"},
		} {
			if e.Allowed(c.user, c.domain, c.object, c.action) {
				t.Errorf("allowed: %v", c)
			}
		}
		// A domain's id must be canonical: one domain, one spelling.
		upper := "tenant:" + string(toUpper(tenant[len("tenant:"):]))
		if e.Allowed(hip, upper, "note", "read") {
			t.Error("an upper-case spelling of the tenant was allowed")
		}
	})
}

func toUpper(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return b
}

// A role held outside its home grants nothing, even if a row says so: a hip
// "in a region" does not become a hip in the region's tenants.
func TestRoleOutsideItsHomeGrantsNothing(t *testing.T) {
	ctx := context.Background()
	e := memory(t)
	tenant, region := TenantDomain(id()), RegionDomain(id())
	must(t, e.LinkDomain(ctx, tenant, region))
	u := id()
	// Grant refuses it...
	if err := e.Grant(ctx, u, "hip", region); !errors.Is(err, fault.Invalid) {
		t.Fatalf("Grant(hip in a region) = %v, want invalid", err)
	}
	// ...and the matcher ignores it should it get in anyway.
	if _, err := e.se.AddNamedGroupingPolicy("g", u.String(), "hip", region); err != nil {
		t.Fatal(err)
	}
	if _, err := e.se.AddNamedGroupingPolicy("g", u.String(), "regional_admin", tenant); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{tenant, region} {
		for _, o := range Objects() {
			for _, a := range Actions() {
				if e.Allowed(u, d, o, a) {
					t.Errorf("misplaced role allowed %s %s in %s", a, o, d)
				}
			}
		}
		if r := e.RolesIn(u, d); len(r) != 0 {
			t.Errorf("RolesIn(%s) = %v, want none", d, r)
		}
	}
}

func TestGrantValidates(t *testing.T) {
	ctx := context.Background()
	e := memory(t)
	u, tenant, region := id(), TenantDomain(id()), RegionDomain(id())
	for _, c := range []struct {
		user         uuid.UUID
		role, domain string
	}{
		{uuid.Nil, "hip", tenant},
		{u, "doctor", tenant},
		{u, "regional_admin", tenant},
		{u, "funder", region},
		{u, "platform_operator", tenant},
		{u, "hip", "tenant:" + uuid.Nil.String()},
		{u, "hip", "tenant:not-a-uuid"},
		{u, "hip", "practice:" + u.String()},
	} {
		if err := e.Grant(ctx, c.user, c.role, c.domain); !errors.Is(err, fault.Invalid) {
			t.Errorf("Grant(%v) = %v, want invalid", c, err)
		}
	}
	for _, c := range [][2]string{{region, tenant}, {tenant, TenantDomain(id())}, {region, RegionDomain(id())}, {tenant, PlatformDomain}, {PlatformDomain, region}} {
		if err := e.LinkDomain(ctx, c[0], c[1]); !errors.Is(err, fault.Invalid) {
			t.Errorf("LinkDomain(%v) = %v, want invalid", c, err)
		}
	}
}

// Check reads the actor and tenant from ctx; an API token's roles limit it.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	e := memory(t)
	tn := tenants.Tenant{ID: id(), Slug: "harbourside"}
	regionID := id()
	domain := TenantDomain(tn.ID)
	must(t, e.LinkDomain(ctx, domain, RegionDomain(regionID)))
	u := id()
	must(t, e.Grant(ctx, u, "hip", domain))
	must(t, e.Grant(ctx, u, "practice_admin", domain))
	ra := id()
	must(t, e.Grant(ctx, ra, "regional_admin", RegionDomain(regionID)))

	in := func(a *tenants.Actor) context.Context {
		c := tenants.WithTenant(ctx, tn)
		if a != nil {
			c = tenants.WithActor(c, *a)
		}
		return c
	}
	cases := []struct {
		name           string
		ctx            context.Context
		object, action string
		ok             bool
	}{
		{"hip note", in(&tenants.Actor{UserID: u}), "note", "sign", true},
		{"admin billing", in(&tenants.Actor{UserID: u}), "billing", "read", true},
		{"no such permission", in(&tenants.Actor{UserID: u}), "contract", "create", false},
		{"token as hip: note", in(&tenants.Actor{UserID: u, Roles: []string{"hip"}, Token: true}), "note", "sign", true},
		{"token as hip: billing", in(&tenants.Actor{UserID: u, Roles: []string{"hip"}, Token: true}), "billing", "read", false},
		{"token as admin: note", in(&tenants.Actor{UserID: u, Roles: []string{"practice_admin"}, Token: true}), "note", "read", false},
		{"token as admin: billing", in(&tenants.Actor{UserID: u, Roles: []string{"practice_admin"}, Token: true}), "billing", "read", true},
		{"token role not held", in(&tenants.Actor{UserID: u, Roles: []string{"pho_admin"}, Token: true}), "report", "read", false},
		{"token unknown role", in(&tenants.Actor{UserID: u, Roles: []string{"root"}, Token: true}), "note", "read", false},
		{"token without roles", in(&tenants.Actor{UserID: u, Token: true}), "note", "read", false},
		{"session roles are a subset too", in(&tenants.Actor{UserID: u, Roles: []string{"hip", "practice_admin"}}), "billing", "read", true},
		{"token as inherited regional admin", in(&tenants.Actor{UserID: ra, Roles: []string{"regional_admin"}, Token: true}), "tenant", "update", true},
		{"token claims a role of another user", in(&tenants.Actor{UserID: ra, Roles: []string{"hip"}, Token: true}), "note", "read", false},
		{"no actor", in(nil), "note", "read", false},
		{"nil user", in(&tenants.Actor{}), "note", "read", false},
		{"system", in(&tenants.Actor{System: true, UserID: u}), "note", "read", false},
		{"no tenant", tenants.WithActor(ctx, tenants.Actor{UserID: u}), "note", "read", false},
	}
	for _, c := range cases {
		err := e.Check(c.ctx, c.object, c.action)
		if c.ok && err != nil {
			t.Errorf("%s: %v, want allowed", c.name, err)
		}
		if !c.ok && !errors.Is(err, fault.Forbidden) {
			t.Errorf("%s: %v, want fault.Forbidden", c.name, err)
		}
		if err != nil && fault.As(err).Message != fault.Forbidden.Message {
			t.Errorf("%s: public message %q", c.name, fault.As(err).Message)
		}
	}
}

// A token limited to one role may do exactly what that role may, wherever
// the user holds it: the r2/m2 matcher and the main one agree.
func TestTokenRoleMatchesTemplate(t *testing.T) {
	ctx := context.Background()
	e := memory(t)
	tenant := TenantDomain(id())
	all := id()
	for _, r := range roles {
		if r.home == kindTenant {
			must(t, e.Grant(ctx, all, r.name, tenant))
		}
	}
	for _, r := range roles {
		if r.home != kindTenant {
			continue
		}
		only := id()
		must(t, e.Grant(ctx, only, r.name, tenant))
		for _, o := range Objects() {
			for _, a := range Actions() {
				want := e.Allowed(only, tenant, o, a)
				if got := e.allowedAs(all, []string{r.name}, tenant, o, a); got != want {
					t.Errorf("token [%s] %s %s = %v, role alone = %v", r.name, a, o, got, want)
				}
			}
		}
	}
}

func TestRolesIn(t *testing.T) {
	ctx := context.Background()
	e := memory(t)
	tenant, other := TenantDomain(id()), TenantDomain(id())
	region, funder := RegionDomain(id()), FunderDomain(id())
	must(t, e.LinkDomain(ctx, tenant, region))
	must(t, e.LinkDomain(ctx, tenant, funder))
	u := id()
	must(t, e.Grant(ctx, u, "practice_admin", tenant))
	must(t, e.Grant(ctx, u, "hip", tenant))
	must(t, e.Grant(ctx, u, "gp", other))
	must(t, e.Grant(ctx, u, "regional_admin", region))
	must(t, e.Grant(ctx, u, "funder", funder))
	if got, want := e.RolesIn(u, tenant), []string{"hip", "practice_admin", "regional_admin", "funder"}; !slices.Equal(got, want) {
		t.Errorf("RolesIn(tenant) = %v, want %v", got, want)
	}
	if got, want := e.RolesIn(u, region), []string{"regional_admin"}; !slices.Equal(got, want) {
		t.Errorf("RolesIn(region) = %v, want %v", got, want)
	}
	if got, want := e.RolesIn(u, other), []string{"gp"}; !slices.Equal(got, want) {
		t.Errorf("RolesIn(other) = %v, want %v", got, want)
	}
	must(t, e.RevokeAll(ctx, u, tenant))
	if got, want := e.RolesIn(u, tenant), []string{"regional_admin", "funder"}; !slices.Equal(got, want) {
		t.Errorf("after RevokeAll: %v, want %v", got, want)
	}
	must(t, e.UnlinkDomain(ctx, tenant, funder))
	if got, want := e.RolesIn(u, tenant), []string{"regional_admin"}; !slices.Equal(got, want) {
		t.Errorf("after UnlinkDomain: %v, want %v", got, want)
	}
	if e.Allowed(u, tenant, "report", "read") != true {
		t.Error("regional admin lost report read with the funder link")
	}
}
