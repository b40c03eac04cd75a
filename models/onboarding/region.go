package onboarding

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// HPI identifiers (HISO 10005): organisation GXXNNN-C, facility FXXNNN-C.
// Only the format is checked: the check character's algorithm is not in any
// published source this project could find (DOMAIN.md names the format
// only), and an invented one would refuse real identifiers.
var (
	hpiOrg = regexp.MustCompile(`^G[A-Z0-9]{2}[0-9]{3}-[A-Z]$`)
	hpiFac = regexp.MustCompile(`^F[A-Z0-9]{2}[0-9]{3}-[A-Z]$`)
)

type regionRow struct {
	ID            uuid.UUID
	Slug          string
	Name          string
	ProgrammeName *string
	TimeZone      string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (regionRow) TableName() string { return "regions" }

// CreateRegion adds a regional rollout with no programme name, in
// Pacific/Auckland (setup and the demo; people use AddRegion).
func CreateRegion(ctx context.Context, d *db.DB, slug, name string) (tenants.Region, error) {
	r, err := AddRegion(ctx, d, uuid.Nil, NewRegion{Slug: slug, Name: name})
	return r.Region, err
}

// NewRegion is what it takes to create a region.
type NewRegion struct {
	Slug, Name string
	Programme  string // "Tū Whakaruruhau", optional
	TimeZone   string // default Pacific/Auckland
}

// RegionDetails is a region with what its pages show of it.
type RegionDetails struct {
	tenants.Region
	Programme string
	TimeZone  string
}

func (r regionRow) details() RegionDetails {
	out := RegionDetails{Region: tenants.Region{ID: r.ID, Slug: r.Slug, Name: r.Name}, TimeZone: r.TimeZone}
	if r.ProgrammeName != nil {
		out.Programme = *r.ProgrammeName
	}
	return out
}

// Validate checks every field and reports each bad one.
func (n *NewRegion) Validate() error {
	var f fault.Fields
	n.Slug, n.Name, n.Programme = strings.TrimSpace(n.Slug), cleanText(n.Name), cleanText(n.Programme)
	if n.TimeZone == "" {
		n.TimeZone = "Pacific/Auckland"
	}
	if !tenants.ValidSlug(n.Slug) {
		f.Add("slug", "use 1–63 lower-case letters, digits and inner hyphens")
	}
	if l := utf8.RuneCountInString(n.Name); l < 1 || l > 200 {
		f.Add("name", "must be 1–200 characters")
	} else if !plainText(n.Name) {
		f.Add("name", "remove the control characters")
	}
	if utf8.RuneCountInString(n.Programme) > 200 || !plainText(n.Programme) {
		f.Add("programme", "must be at most 200 characters, without control characters")
	}
	if !zoneOK(n.TimeZone) {
		f.Add("time_zone", "must be Pacific/Auckland or Pacific/Chatham")
	}
	return f.Err()
}

// AddRegion creates a region and records who did it in the platform's
// audit trail (actor is uuid.Nil for the command line).
func AddRegion(ctx context.Context, d *db.DB, actor uuid.UUID, n NewRegion) (RegionDetails, error) {
	if err := n.Validate(); err != nil {
		return RegionDetails{}, fmt.Errorf("onboarding.AddRegion: %w", err)
	}
	r := regionRow{ID: uuid.Must(uuid.NewV7()), Slug: n.Slug, Name: n.Name, TimeZone: n.TimeZone}
	if n.Programme != "" {
		r.ProgrammeName = &n.Programme
	}
	if err := d.Platform(ctx, "create region", func(tx *db.Tx) error { return tx.Create(&r).Error }); err != nil {
		return RegionDetails{}, fmt.Errorf("onboarding.AddRegion: %w", err)
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "region.create", ActorUserID: actor, Object: "region",
		ObjectID: r.ID.String(), Detail: map[string]string{"after": auditText(map[string]string{
			"slug": r.Slug, "name": r.Name, "programme": n.Programme, "time_zone": r.TimeZone})}}); err != nil {
		return RegionDetails{}, fmt.Errorf("onboarding.AddRegion: %w", err)
	}
	return r.details(), nil
}

// Regions lists every region by name (platform work).
func Regions(ctx context.Context, d *db.DB) ([]RegionDetails, error) {
	var rows []regionRow
	if err := d.Platform(ctx, "list regions", func(tx *db.Tx) error { return tx.Order("name, slug").Find(&rows).Error }); err != nil {
		return nil, fmt.Errorf("onboarding.Regions: %w", err)
	}
	out := make([]RegionDetails, len(rows))
	for i, r := range rows {
		out[i] = r.details()
	}
	return out, nil
}

// RegionDetailsBySlug finds a region with its programme and zone.
func RegionDetailsBySlug(ctx context.Context, d *db.DB, slug string) (RegionDetails, error) {
	var r regionRow
	err := d.Platform(ctx, "find region", func(tx *db.Tx) error { return tx.Where("slug = ?", slug).Take(&r).Error })
	if err != nil {
		return RegionDetails{}, fmt.Errorf("onboarding.RegionDetailsBySlug: %w", err)
	}
	return r.details(), nil
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
