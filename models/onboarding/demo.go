package onboarding

import (
	"context"
	"errors"
	"fmt"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// DemoRegionSlug names the demo region; its presence marks a seeded database.
const DemoRegionSlug = "demo-tamaki"

// Demo is what SeedDemo made (or found).
type Demo struct {
	Region  tenants.Region
	Tenants []tenants.Tenant
}

// SeedDemo creates a fictional demo region with a PHO and two practices,
// unless it exists already; created says which. Every name is invented.
func SeedDemo(ctx context.Context, d *db.DB) (demo Demo, created bool, err error) {
	r, err := RegionBySlug(ctx, d, DemoRegionSlug)
	switch {
	case err == nil:
		demo.Region = r
		for _, slug := range []string{"kowhai-pho", "harbourside", "totara-whanau"} {
			t, err := BySlug(d)(ctx, slug)
			if err != nil {
				return Demo{}, false, fmt.Errorf("onboarding.SeedDemo: %w", err)
			}
			demo.Tenants = append(demo.Tenants, t)
		}
		return demo, false, nil
	case !errors.Is(err, fault.NotFound):
		return Demo{}, false, fmt.Errorf("onboarding.SeedDemo: %w", err)
	}
	if demo.Region, err = CreateRegion(ctx, d, DemoRegionSlug, "Demo region — Tāmaki Makaurau"); err != nil {
		return Demo{}, false, fmt.Errorf("onboarding.SeedDemo: %w", err)
	}
	pho, err := CreateTenant(ctx, d, NewTenant{Kind: tenants.KindPHO, RegionID: demo.Region.ID, Slug: "kowhai-pho", Name: "Kōwhai Health PHO (demo)"})
	if err != nil {
		return Demo{}, false, fmt.Errorf("onboarding.SeedDemo: %w", err)
	}
	demo.Tenants = append(demo.Tenants, pho)
	for _, p := range []NewTenant{
		{Slug: "harbourside", Name: "Harbourside Medical Centre (demo)", HPIFacID: "F99001-A"},
		{Slug: "totara-whanau", Name: "Tōtara Whānau Health (demo)", HPIFacID: "F99002-B"},
	} {
		p.Kind, p.RegionID, p.ParentID = tenants.KindPractice, demo.Region.ID, pho.ID
		t, err := CreateTenant(ctx, d, p)
		if err != nil {
			return Demo{}, false, fmt.Errorf("onboarding.SeedDemo: %w", err)
		}
		demo.Tenants = append(demo.Tenants, t)
	}
	for i, t := range demo.Tenants {
		if err := SetStatus(ctx, d, t.ID, tenants.StatusActive); err != nil {
			return Demo{}, false, fmt.Errorf("onboarding.SeedDemo: %w", err)
		}
		demo.Tenants[i].Status = tenants.StatusActive
	}
	return demo, true, nil
}
