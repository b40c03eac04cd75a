package onboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// row is the tenants table as GORM sees it; it never leaves this package.
type row struct {
	ID        uuid.UUID
	Kind      string
	ParentID  *uuid.UUID
	RegionID  uuid.UUID
	Slug      string
	Name      string
	HPIOrgID  *string `gorm:"column:hpi_org_id"`
	HPIFacID  *string `gorm:"column:hpi_fac_id"`
	TimeZone  string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time

	Address       *string
	ContactEmail  *string
	ContactPhone  *string
	SuspendedAt   *time.Time
	ArchivedAt    *time.Time
	GoLiveAt      *time.Time
	RestoreStatus *string
}

func (row) TableName() string { return "tenants" }

func (r row) tenant() tenants.Tenant {
	t := tenants.Tenant{
		ID: r.ID, Kind: tenants.Kind(r.Kind), RegionID: r.RegionID, Slug: r.Slug, Name: r.Name,
		TimeZone: r.TimeZone, Status: tenants.Status(r.Status), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.ParentID != nil {
		t.ParentID = *r.ParentID
	}
	if r.HPIOrgID != nil {
		t.HPIOrgID = *r.HPIOrgID
	}
	if r.HPIFacID != nil {
		t.HPIFacID = *r.HPIFacID
	}
	return t
}

// NewTenant is what it takes to create a tenant.
type NewTenant struct {
	Kind     tenants.Kind
	ParentID uuid.UUID // a practice's PHO, optional
	RegionID uuid.UUID
	Slug     string
	Name     string
	HPIOrgID string
	HPIFacID string
	TimeZone string // default Pacific/Auckland
	Contact
}

// Validate checks every field and reports each bad one.
func (n *NewTenant) Validate() error {
	var f fault.Fields
	n.Name = cleanText(n.Name)
	n.Slug = strings.TrimSpace(n.Slug)
	n.HPIOrgID = strings.ToUpper(strings.TrimSpace(n.HPIOrgID))
	n.HPIFacID = strings.ToUpper(strings.TrimSpace(n.HPIFacID))
	if n.TimeZone == "" {
		n.TimeZone = "Pacific/Auckland"
	}
	switch n.Kind {
	case tenants.KindPHO:
		if n.ParentID != uuid.Nil {
			f.Add("parent_id", "a PHO has no parent")
		}
	case tenants.KindPractice:
	default:
		f.Add("kind", "must be pho or practice")
	}
	if n.RegionID == uuid.Nil {
		f.Add("region_id", "is required")
	}
	if !tenants.ValidSlug(n.Slug) {
		f.Add("slug", "use 1–63 lower-case letters, digits and inner hyphens")
	}
	if l := utf8.RuneCountInString(n.Name); l < 1 || l > 200 {
		f.Add("name", "must be 1–200 characters")
	}
	if n.HPIOrgID != "" && !hpiOrg.MatchString(n.HPIOrgID) {
		f.Add("hpi_org_id", "must be an HPI organisation id like G00001-G")
	}
	if n.HPIFacID != "" && !hpiFac.MatchString(n.HPIFacID) {
		f.Add("hpi_fac_id", "must be an HPI facility id like F00001-F")
	}
	if !zoneOK(n.TimeZone) {
		f.Add("time_zone", "must be Pacific/Auckland or Pacific/Chatham")
	}
	n.Contact.validate(&f)
	return f.Err()
}

// CreateTenant adds a tenant in status onboarding.
func CreateTenant(ctx context.Context, d *db.DB, n NewTenant) (tenants.Tenant, error) {
	if err := n.Validate(); err != nil {
		return tenants.Tenant{}, fmt.Errorf("onboarding.CreateTenant: %w", err)
	}
	r := row{
		ID: uuid.Must(uuid.NewV7()), Kind: string(n.Kind), RegionID: n.RegionID, Slug: n.Slug, Name: n.Name,
		TimeZone: n.TimeZone, Status: string(tenants.StatusOnboarding),
	}
	if n.ParentID != uuid.Nil {
		r.ParentID = &n.ParentID
	}
	if n.HPIOrgID != "" {
		r.HPIOrgID = &n.HPIOrgID
	}
	if n.HPIFacID != "" {
		r.HPIFacID = &n.HPIFacID
	}
	r.Address, r.ContactEmail, r.ContactPhone = optionalText(n.Address), optionalText(n.Email), optionalText(n.Phone)
	err := d.Platform(ctx, "create tenant", func(tx *db.Tx) error {
		return tx.Create(&r).Error
	})
	if err != nil {
		return tenants.Tenant{}, fmt.Errorf("onboarding.CreateTenant: %w", err)
	}
	return r.tenant(), nil
}

// SetStatus moves a tenant to status.
func SetStatus(ctx context.Context, d *db.DB, id uuid.UUID, s tenants.Status) error {
	switch s {
	case tenants.StatusOnboarding, tenants.StatusActive, tenants.StatusSuspended, tenants.StatusArchived:
	default:
		return fault.InvalidField("status", "must be onboarding, active, suspended or archived")
	}
	err := d.Platform(ctx, "change tenant status", func(tx *db.Tx) error {
		res := tx.Model(&row{}).Where("id = ?", id).Updates(map[string]any{"status": string(s), "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fault.NotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("onboarding.SetStatus: %w", err)
	}
	return nil
}

// BySlug is the tenant directory's loader: it returns tenants.ErrUnknown for a
// slug that names no tenant.
func BySlug(d *db.DB) tenants.Loader {
	return func(ctx context.Context, slug string) (tenants.Tenant, error) {
		var r row
		err := d.Platform(ctx, "resolve tenant slug", func(tx *db.Tx) error {
			return tx.Where("slug = ?", slug).Take(&r).Error
		})
		if errors.Is(err, fault.NotFound) {
			return tenants.Tenant{}, tenants.ErrUnknown
		}
		if err != nil {
			return tenants.Tenant{}, fmt.Errorf("onboarding.BySlug: %w", err)
		}
		return r.tenant(), nil
	}
}

// Current reads the tenant of ctx through its own wall: what a member of the
// tenant may see of it. One statement: one round trip.
func Current(ctx context.Context, d *db.DB) (tenants.Tenant, error) {
	var r row
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Where("id = ?", tx.Tenant.ID).Take(&r).Error
	})
	if err != nil {
		return tenants.Tenant{}, fmt.Errorf("onboarding.Current: %w", err)
	}
	return r.tenant(), nil
}

// cleanText trims and NFC-normalises free text: 'Māori' typed with a
// combining macron must equal the precomposed one.
func cleanText(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// ByID finds a tenant by id (the tenant picker's look-up).
func ByID(ctx context.Context, d *db.DB, id uuid.UUID) (tenants.Tenant, error) {
	var r row
	err := d.Platform(ctx, "tenant picker: tenant by id", func(tx *db.Tx) error {
		return tx.Where("id = ?", id).Take(&r).Error
	})
	if err != nil {
		return tenants.Tenant{}, fmt.Errorf("onboarding.ByID: %w", err)
	}
	return r.tenant(), nil
}

// All lists every tenant (platform work: linking tenants to their regions).
func All(ctx context.Context, d *db.DB) ([]tenants.Tenant, error) {
	var rows []row
	if err := d.Platform(ctx, "list tenants", func(tx *db.Tx) error { return tx.Order("slug").Find(&rows).Error }); err != nil {
		return nil, fmt.Errorf("onboarding.All: %w", err)
	}
	out := make([]tenants.Tenant, len(rows))
	for i, r := range rows {
		out[i] = r.tenant()
	}
	return out, nil
}
