package onboarding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestNewTenantValidation(t *testing.T) {
	n := onboarding.NewTenant{Kind: "clinic", Slug: "Bad Slug", Name: "", HPIOrgID: "X1", HPIFacID: "nope", TimeZone: "Europe/London"}
	err := n.Validate()
	var f *fault.Error
	if !errors.As(err, &f) || f.Kind != fault.KindInvalid {
		t.Fatalf("got %v, want invalid", err)
	}
	got := map[string]bool{}
	for _, fe := range f.Fields {
		got[fe.Field] = true
	}
	for _, want := range []string{"kind", "region_id", "slug", "name", "hpi_org_id", "hpi_fac_id", "time_zone"} {
		if !got[want] {
			t.Errorf("no message for %s; got %v", want, f.Fields)
		}
	}
	ok := onboarding.NewTenant{Kind: tenants.KindPractice, RegionID: uuid.New(), Slug: "ok", Name: "  Ma\u0304ori Health  ", HPIFacID: "f12345-a"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.Name != "Māori Health" || ok.HPIFacID != "F12345-A" || ok.TimeZone != "Pacific/Auckland" {
		t.Fatalf("not normalised: %+v", ok)
	}
}

func TestCreateTenantAndRules(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	r, err := onboarding.CreateRegion(ctx, env.DB, dbtest.Slug("region"), "Te Tai Tokerau")
	if err != nil {
		t.Fatal(err)
	}
	pho, err := onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPHO, RegionID: r.ID, Slug: dbtest.Slug("pho"), Name: "PHO"})
	if err != nil {
		t.Fatal(err)
	}
	if pho.Status != tenants.StatusOnboarding {
		t.Fatalf("new tenant status %s, want onboarding", pho.Status)
	}
	prac, err := onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPractice, ParentID: pho.ID, RegionID: r.ID, Slug: dbtest.Slug("practice"), Name: "Practice"})
	if err != nil {
		t.Fatal(err)
	}
	// A practice's parent must be a PHO.
	_, err = onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPractice, ParentID: prac.ID, RegionID: r.ID, Slug: dbtest.Slug("child"), Name: "Child"})
	if !errors.Is(err, fault.Invalid) {
		t.Fatalf("practice under a practice: got %v, want invalid", err)
	}
	// Slugs are unique.
	_, err = onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPHO, RegionID: r.ID, Slug: pho.Slug, Name: "Again"})
	if !errors.Is(err, fault.Conflict) {
		t.Fatalf("duplicate slug: got %v, want conflict", err)
	}
	// An unknown region is refused, not a 500.
	_, err = onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: tenants.KindPHO, RegionID: uuid.New(), Slug: dbtest.Slug("lost"), Name: "Lost"})
	if !errors.Is(err, fault.Invalid) {
		t.Fatalf("unknown region: got %v, want invalid", err)
	}
	if err := onboarding.SetStatus(ctx, env.DB, uuid.New(), tenants.StatusActive); !errors.Is(err, fault.NotFound) {
		t.Fatalf("status of a missing tenant: got %v", err)
	}
	if err := onboarding.SetStatus(ctx, env.DB, prac.ID, "closed"); !errors.Is(err, fault.Invalid) {
		t.Fatalf("bad status: got %v", err)
	}
}

func TestCurrentIsWalled(t *testing.T) {
	env := dbtest.New(t)
	ctxA, a := env.Tenant(t)
	ctxB, b := env.Tenant(t)
	for ctx, want := range map[context.Context]uuid.UUID{ctxA: a.ID, ctxB: b.ID} {
		got, err := onboarding.Current(ctx, env.DB)
		if err != nil || got.ID != want {
			t.Fatalf("Current: %+v, %v; want %s", got, err, want)
		}
	}
	if _, err := onboarding.Current(context.Background(), env.DB); !errors.Is(err, db.ErrNoTenant) {
		t.Fatalf("Current without a tenant: %v", err)
	}
}

func TestDirectoryFollowsChanges(t *testing.T) {
	env := dbtest.New(t)
	_, a := env.Tenant(t)
	dir := tenants.NewDirectory(onboarding.BySlug(env.DB), time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	invalidated := make(chan string, 16)
	go onboarding.Listen(ctx, env.AppURL, dbtest.Quiet, func(slug string) {
		dir.Invalidate(slug)
		invalidated <- slug
	})
	got, err := dir.Resolve(context.Background(), a.Slug)
	if err != nil || got.Status != tenants.StatusActive {
		t.Fatalf("Resolve: %+v %v", got, err)
	}
	// The listener needs a moment to LISTEN; retry the change until seen.
	deadline := time.After(10 * time.Second)
	for {
		if err := onboarding.SetStatus(context.Background(), env.DB, a.ID, tenants.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-invalidated:
			if s != a.Slug {
				continue
			}
		case <-time.After(300 * time.Millisecond):
			continue
		case <-deadline:
			t.Fatal("no change announcement arrived")
		}
		break
	}
	got, err = dir.Resolve(context.Background(), a.Slug)
	if err != nil || got.Status != tenants.StatusSuspended {
		t.Fatalf("after the change the directory says %+v (%v), want suspended", got, err)
	}
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	first, created, err := onboarding.SeedDemo(ctx, env.DB)
	if err != nil || !created || len(first.Tenants) != 3 {
		t.Fatalf("first seed: %+v created=%v %v", first, created, err)
	}
	second, created, err := onboarding.SeedDemo(ctx, env.DB)
	if err != nil || created || second.Region.ID != first.Region.ID || second.Tenants[1].ID != first.Tenants[1].ID {
		t.Fatalf("second seed: created=%v %v", created, err)
	}
	for _, tn := range second.Tenants {
		if tn.Status != tenants.StatusActive {
			t.Errorf("%s is %s, want active", tn.Slug, tn.Status)
		}
	}
}
