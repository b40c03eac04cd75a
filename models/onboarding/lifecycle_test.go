package onboarding_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// HPI identifiers: the format only (HISO 10005's check character algorithm
// is not published where this project could read it).
func TestHPIIdentifiers(t *testing.T) {
	for _, c := range []struct {
		org, fac string
		ok       bool
	}{
		{"G00001-G", "", true},
		{"gab123-k", "", true}, // normalised to upper case
		{"", "F12345-A", true},
		{"", "FZZ999-Z", true},
		{"G0001-G", "", false},   // too short
		{"G00001G", "", false},   // no hyphen
		{"F00001-F", "", false},  // a facility id in the organisation field
		{"G00001-1", "", false},  // check character must be a letter
		{"", "G00001-G", false},  // an organisation id in the facility field
		{"", "F1234A-B", false},  // NNN must be digits
		{"", "F12345-AB", false}, // one check character
	} {
		n := onboarding.NewTenant{Kind: tenants.KindPHO, RegionID: uuid.New(), Slug: "ok", Name: "PHO", HPIOrgID: c.org, HPIFacID: c.fac}
		if err := n.Validate(); (err == nil) != c.ok {
			t.Errorf("org %q fac %q: err %v, want ok=%v", c.org, c.fac, err, c.ok)
		}
	}
}

func TestContactValidation(t *testing.T) {
	for _, c := range []struct {
		phone, email string
		ok           bool
	}{
		{"09 123 4567", "", true},
		{"+64 21 123 4567", "kia.ora@practice.co.nz", true},
		{"0800123456", "", true},
		{"123 456", "", false},                // 6 digits
		{"+64 21 123 4567 8901 2", "", false}, // 16 digits
		{"09-123-4567", "", false},
		{"", "not an address", false},
		{"", "Kia Ora <kia@x.nz>", false},
	} {
		n := onboarding.NewTenant{Kind: tenants.KindPHO, RegionID: uuid.New(), Slug: "ok", Name: "PHO",
			Contact: onboarding.Contact{Phone: c.phone, Email: c.email}}
		if err := n.Validate(); (err == nil) != c.ok {
			t.Errorf("phone %q email %q: err %v, want ok=%v", c.phone, c.email, err, c.ok)
		}
	}
}

func TestRegionDetails(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	r, err := onboarding.AddRegion(ctx, env.DB, uuid.Nil, onboarding.NewRegion{Slug: dbtest.Slug("akl"), Name: "Tāmaki Makaurau",
		Programme: "Tu\u0304 Whakaruruhau", TimeZone: "Pacific/Chatham"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Programme != "Tū Whakaruruhau" || r.TimeZone != "Pacific/Chatham" {
		t.Fatalf("got %+v", r)
	}
	all, err := onboarding.Regions(ctx, env.DB)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range all {
		found = found || x.ID == r.ID && x.Programme == "Tū Whakaruruhau"
	}
	if !found {
		t.Fatalf("region not listed: %+v", all)
	}
	_, err = onboarding.AddRegion(ctx, env.DB, uuid.Nil, onboarding.NewRegion{Slug: r.Slug, Name: "Again"})
	if !errors.Is(err, fault.Conflict) {
		t.Fatalf("duplicate slug: %v, want conflict", err)
	}
	_, err = onboarding.AddRegion(ctx, env.DB, uuid.Nil, onboarding.NewRegion{Slug: "x", Name: "Bad\x00", TimeZone: "UTC"})
	if fe := fault.As(err); fe.Kind != fault.KindInvalid || len(fe.Fields) != 2 {
		t.Fatalf("bad region: %v", err)
	}
}

func TestTenantLifecycle(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	r := env.Region(t)
	actor := uuid.Must(uuid.NewV7())
	pho, err := onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPHO, RegionID: r.ID, Slug: dbtest.Slug("pho"), Name: "PHO"})
	if err != nil {
		t.Fatal(err)
	}
	prac, err := onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPractice, ParentID: pho.ID, RegionID: r.ID,
		Slug: dbtest.Slug("practice"), Name: "Practice", Contact: onboarding.Contact{Phone: "09 123 4567"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPractice, RegionID: r.ID, Slug: dbtest.Slug("lone"), Name: "Lone"})
	if err != nil {
		t.Fatal(err)
	}

	// Edit: before and after of the changed fields only.
	d, err := onboarding.UpdateTenant(ctx, env.DB, actor, prac.ID, onboarding.Change{Name: "Ma\u0304ngere Practice", HPIFacID: "f12345-a",
		Contact: onboarding.Contact{Phone: "09 123 4567", Address: "1 Queen Street, Auckland", Email: "office@mangere.co.nz"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Māngere Practice" || d.HPIFacID != "F12345-A" || d.Address != "1 Queen Street, Auckland" || d.TimeZone != "Pacific/Auckland" {
		t.Fatalf("got %+v", d)
	}
	ev := lastEvent(t, env, prac, "tenant.update")
	if !strings.Contains(ev.Detail["before"], `name="Practice"`) || !strings.Contains(ev.Detail["after"], `name="Māngere Practice"`) ||
		strings.Contains(ev.Detail["after"], "contact_phone") || ev.ActorUserID != actor {
		t.Fatalf("audit: %+v", ev)
	}
	// Bad input changes nothing.
	if _, err := onboarding.UpdateTenant(ctx, env.DB, actor, prac.ID, onboarding.Change{Name: "", Contact: onboarding.Contact{Phone: "12"}}); fault.As(err).Kind != fault.KindInvalid {
		t.Fatalf("bad change: %v", err)
	}
	if _, err := onboarding.UpdateTenant(ctx, env.DB, actor, uuid.New(), onboarding.Change{Name: "X"}); !errors.Is(err, fault.NotFound) {
		t.Fatalf("unknown tenant: %v", err)
	}

	// Suspend, restore (back to onboarding), suspend again, archive.
	if err := onboarding.CanInvite(prac); err != nil {
		t.Fatal(err)
	}
	d, err = onboarding.Suspend(ctx, env.DB, actor, prac.ID)
	if err != nil || d.Status != tenants.StatusSuspended || d.SuspendedAt.IsZero() {
		t.Fatalf("suspend: %+v %v", d, err)
	}
	if err := onboarding.CanInvite(d.Tenant); !errors.Is(err, onboarding.ErrSuspended) {
		t.Fatalf("suspended tenant invites: %v", err)
	}
	if ev := lastEvent(t, env, prac, "tenant.suspend"); !strings.Contains(ev.Detail["before"], `status="onboarding"`) ||
		!strings.Contains(ev.Detail["after"], `status="suspended"`) {
		t.Fatalf("audit: %+v", ev)
	}
	if _, err := onboarding.Suspend(ctx, env.DB, actor, prac.ID); !errors.Is(err, fault.Conflict) {
		t.Fatalf("suspend twice: %v", err)
	}
	d, err = onboarding.Restore(ctx, env.DB, actor, prac.ID)
	if err != nil || d.Status != tenants.StatusOnboarding || !d.SuspendedAt.IsZero() {
		t.Fatalf("restore: %+v %v", d, err)
	}
	if err := onboarding.SetStatus(ctx, env.DB, prac.ID, tenants.StatusActive); err != nil {
		t.Fatal(err)
	}
	onboarding.Suspend(ctx, env.DB, actor, prac.ID)
	if d, err = onboarding.Restore(ctx, env.DB, actor, prac.ID); err != nil || d.Status != tenants.StatusActive {
		t.Fatalf("restore of an active tenant: %+v %v", d, err)
	}
	d, err = onboarding.Archive(ctx, env.DB, actor, prac.ID)
	if err != nil || d.Status != tenants.StatusArchived || d.ArchivedAt.IsZero() {
		t.Fatalf("archive: %+v %v", d, err)
	}
	if err := onboarding.CanInvite(d.Tenant); !errors.Is(err, onboarding.ErrArchived) {
		t.Fatalf("archived tenant invites: %v", err)
	}
	if _, err := onboarding.Restore(ctx, env.DB, actor, prac.ID); !errors.Is(err, fault.Conflict) {
		t.Fatalf("restore an archived tenant: %v", err)
	}
	if _, err := onboarding.UpdateTenant(ctx, env.DB, actor, prac.ID, onboarding.Change{Name: "X"}); !errors.Is(err, fault.Conflict) {
		t.Fatalf("edit an archived tenant: %v", err)
	}
	// Kept, not deleted.
	if kept, err := onboarding.DetailsByID(ctx, env.DB, prac.ID); err != nil || kept.Name != "Māngere Practice" {
		t.Fatalf("archived tenant: %+v %v", kept, err)
	}

	// The region lists the PHO, then its practice, then the practice under no PHO.
	list, err := onboarding.InRegion(ctx, env.DB, r.ID)
	if err != nil || len(list) != 3 || list[0].ID != pho.ID || list[1].ID != prac.ID || list[2].ID != other.ID {
		t.Fatalf("region overview: %+v %v", list, err)
	}
	kids, err := onboarding.ChildrenOf(ctx, env.DB, pho.ID)
	if err != nil || len(kids) != 1 || kids[0].ID != prac.ID {
		t.Fatalf("children: %+v %v", kids, err)
	}
	if kids, _ := onboarding.ChildrenOf(ctx, env.DB, other.ID); len(kids) != 0 {
		t.Fatalf("a practice has children: %+v", kids)
	}
}

func lastEvent(t *testing.T, env *dbtest.Env, tn tenants.Tenant, action string) audit.Entry {
	t.Helper()
	var out []audit.Entry
	err := env.DB.InTenant(tenants.WithTenant(context.Background(), tn), func(tx *db.Tx) error {
		var err error
		out, err = audit.List(tx, tn.CreatedAt.AddDate(0, 0, -1), 100)
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
	t.Fatalf("no %s event in %+v", action, out)
	return audit.Entry{}
}
