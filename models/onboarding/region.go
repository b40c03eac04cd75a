package onboarding

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// HPI identifiers (HISO 10005): organisation GXXNNN-C, facility FXXNNN-C.
var (
	hpiOrg = regexp.MustCompile(`^G[A-Z0-9]{2}[0-9]{3}-[A-Z]$`)
	hpiFac = regexp.MustCompile(`^F[A-Z0-9]{2}[0-9]{3}-[A-Z]$`)
)

type regionRow struct {
	ID        uuid.UUID
	Slug      string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (regionRow) TableName() string { return "regions" }

// CreateRegion adds a regional rollout.
func CreateRegion(ctx context.Context, d *db.DB, slug, name string) (tenants.Region, error) {
	var f fault.Fields
	slug, name = strings.TrimSpace(slug), cleanText(name)
	if !tenants.ValidSlug(slug) {
		f.Add("slug", "use 1–63 lower-case letters, digits and inner hyphens")
	}
	if l := utf8.RuneCountInString(name); l < 1 || l > 200 {
		f.Add("name", "must be 1–200 characters")
	}
	if err := f.Err(); err != nil {
		return tenants.Region{}, fmt.Errorf("onboarding.CreateRegion: %w", err)
	}
	r := regionRow{ID: uuid.Must(uuid.NewV7()), Slug: slug, Name: name}
	if err := d.Platform(ctx, "create region", func(tx *db.Tx) error { return tx.Create(&r).Error }); err != nil {
		return tenants.Region{}, fmt.Errorf("onboarding.CreateRegion: %w", err)
	}
	return tenants.Region{ID: r.ID, Slug: r.Slug, Name: r.Name}, nil
}

// RegionBySlug finds a region.
func RegionBySlug(ctx context.Context, d *db.DB, slug string) (tenants.Region, error) {
	var r regionRow
	err := d.Platform(ctx, "find region", func(tx *db.Tx) error {
		return tx.Where("slug = ?", slug).Take(&r).Error
	})
	if err != nil {
		return tenants.Region{}, fmt.Errorf("onboarding.RegionBySlug: %w", err)
	}
	return tenants.Region{ID: r.ID, Slug: r.Slug, Name: r.Name}, nil
}
