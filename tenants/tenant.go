package tenants

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Kind is what sort of organisation a tenant is.
type Kind string

const (
	KindPHO      Kind = "pho"
	KindPractice Kind = "practice"
)

// Status is where a tenant is in its life.
type Status string

const (
	StatusOnboarding Status = "onboarding"
	StatusActive     Status = "active"
	StatusSuspended  Status = "suspended"
	StatusArchived   Status = "archived"
)

// Region is a regional rollout (e.g. Tū Whakaruruhau in Auckland): the unit a
// regional programme admin works in.
type Region struct {
	ID   uuid.UUID
	Slug string
	Name string
}

// Tenant is a PHO or a general practice. Every tenant-owned row carries its ID.
type Tenant struct {
	ID        uuid.UUID
	Kind      Kind
	ParentID  uuid.UUID // the PHO of a practice; uuid.Nil for a PHO
	RegionID  uuid.UUID
	Slug      string
	Name      string
	HPIOrgID  string // HPI organisation id (GXXNNN-C), optional
	HPIFacID  string // HPI facility id (FXXNNN-C), optional
	TimeZone  string // IANA zone, e.g. Pacific/Auckland
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Location is the tenant's time zone; times are stored in UTC and shown in it.
func (t Tenant) Location() *time.Location {
	if loc, ok := zones.Load(t.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return time.UTC
	}
	zones.Store(t.TimeZone, loc)
	return loc
}

// zones caches loaded IANA zones: time.LoadLocation reads the zone database
// from disk on every call.
var zones sync.Map

// Live reports whether the tenant's people may use it: onboarding and active
// tenants are live, suspended and archived ones are not.
func (t Tenant) Live() bool {
	return t.Status == StatusOnboarding || t.Status == StatusActive
}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// ErrBadSlug is returned for a slug that cannot name a tenant or region.
var ErrBadSlug = errors.New("a slug is 1–63 lower-case letters, digits and inner hyphens")

// ValidSlug reports whether s may be a tenant or region slug. Slugs are
// lower-case so that /t/Foo and /t/foo can never name two tenants.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

// ParseID parses a tenant or region id, refusing the nil uuid.
func ParseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("tenants.ParseID: %w", err)
	}
	if id == uuid.Nil {
		return uuid.Nil, errors.New("tenants.ParseID: nil uuid")
	}
	return id, nil
}
