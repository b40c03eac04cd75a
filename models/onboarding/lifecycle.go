package onboarding

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Contact is how to reach an organisation (never a patient).
type Contact struct {
	Address string
	Email   string
	Phone   string // NZ-ish: digits and spaces, an optional leading +, 7–15 digits
}

var phoneChars = regexp.MustCompile(`^\+?[0-9 ]+$`)

func (c *Contact) validate(f *fault.Fields) {
	c.Address, c.Email, c.Phone = cleanText(c.Address), strings.TrimSpace(c.Email), strings.Join(strings.Fields(c.Phone), " ")
	if utf8.RuneCountInString(c.Address) > 500 || !plainText(strings.ReplaceAll(c.Address, "\n", " ")) {
		f.Add("address", "must be at most 500 characters, without control characters")
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
			f.Add("contact_email", "must be an e-mail address like kia.ora@practice.co.nz")
		}
	}
	if c.Phone != "" {
		digits := 0
		for _, r := range c.Phone {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !phoneChars.MatchString(c.Phone) || digits < 7 || digits > 15 {
			f.Add("contact_phone", "use digits and spaces (an optional + first): 7 to 15 digits, like 09 123 4567")
		}
	}
}

// Details is a tenant with what its administrators see and change.
type Details struct {
	tenants.Tenant
	Contact
	SuspendedAt, ArchivedAt, GoLiveAt time.Time // zero: not (yet)
}

func (r row) details() Details {
	d := Details{Tenant: r.tenant()}
	d.Address, d.Email, d.Phone = textOf(r.Address), textOf(r.ContactEmail), textOf(r.ContactPhone)
	for _, p := range []struct {
		dst *time.Time
		src *time.Time
	}{{&d.SuspendedAt, r.SuspendedAt}, {&d.ArchivedAt, r.ArchivedAt}, {&d.GoLiveAt, r.GoLiveAt}} {
		if p.src != nil {
			*p.dst = p.src.UTC()
		}
	}
	return d
}

// DetailsByID reads one tenant with its details (platform data).
func DetailsByID(ctx context.Context, d *db.DB, id uuid.UUID) (Details, error) {
	var r row
	err := d.Platform(ctx, "tenant details", func(tx *db.Tx) error { return tx.Where("id = ?", id).Take(&r).Error })
	if err != nil {
		return Details{}, fmt.Errorf("onboarding.DetailsByID: %w", err)
	}
	return r.details(), nil
}

// InRegion lists every tenant of a region, PHOs first, each followed by its
// practices, then practices under no PHO.
func InRegion(ctx context.Context, d *db.DB, regionID uuid.UUID) ([]Details, error) {
	var rows []row
	err := d.Platform(ctx, "region overview", func(tx *db.Tx) error {
		return tx.Where("region_id = ?", regionID).Order("name, slug").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("onboarding.InRegion: %w", err)
	}
	return family(rows), nil
}

// ChildrenOf lists the practices under the PHO phoID: what its PHO admin may
// manage. A tenant that is not a PHO has none.
func ChildrenOf(ctx context.Context, d *db.DB, phoID uuid.UUID) ([]Details, error) {
	var rows []row
	err := d.Platform(ctx, "practices of a PHO", func(tx *db.Tx) error {
		return tx.Where("parent_id = ? AND kind = 'practice'", phoID).Order("name, slug").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("onboarding.ChildrenOf: %w", err)
	}
	out := make([]Details, len(rows))
	for i, r := range rows {
		out[i] = r.details()
	}
	return out, nil
}

func family(rows []row) []Details {
	var out []Details
	children := map[uuid.UUID][]row{}
	var orphans []row
	for _, r := range rows {
		switch {
		case r.Kind == string(tenants.KindPHO):
		case r.ParentID != nil:
			children[*r.ParentID] = append(children[*r.ParentID], r)
		default:
			orphans = append(orphans, r)
		}
	}
	for _, r := range rows {
		if r.Kind == string(tenants.KindPHO) {
			out = append(out, r.details())
			for _, c := range children[r.ID] {
				out = append(out, c.details())
			}
			delete(children, r.ID)
		}
	}
	// A practice whose PHO is in another region still belongs on this page.
	for _, cs := range children {
		orphans = append(orphans, cs...)
	}
	for _, r := range orphans {
		out = append(out, r.details())
	}
	return out
}

// Change is the new state of a tenant's editable fields; every field is
// written (the form shows them all).
type Change struct {
	Name     string
	HPIOrgID string
	HPIFacID string
	TimeZone string
	Contact
}

// Validate checks every field and reports each bad one.
func (c *Change) Validate() error {
	n := NewTenant{Kind: tenants.KindPractice, RegionID: uuid.Max, Slug: "x", Name: c.Name, HPIOrgID: c.HPIOrgID,
		HPIFacID: c.HPIFacID, TimeZone: c.TimeZone, Contact: c.Contact}
	err := n.Validate()
	c.Name, c.HPIOrgID, c.HPIFacID, c.TimeZone, c.Contact = n.Name, n.HPIOrgID, n.HPIFacID, n.TimeZone, n.Contact
	return err
}

// UpdateTenant changes a tenant's name, identifiers, zone and contact, and
// records the before and after values of the fields that changed in the
// tenant's audit trail. An archived tenant is read-only.
func UpdateTenant(ctx context.Context, d *db.DB, actor, id uuid.UUID, c Change) (Details, error) {
	if err := c.Validate(); err != nil {
		return Details{}, fmt.Errorf("onboarding.UpdateTenant: %w", err)
	}
	var before, after Details
	err := d.Platform(ctx, "update tenant", func(tx *db.Tx) error {
		var r row
		if err := tx.Raw(`SELECT * FROM tenants WHERE id = ? FOR UPDATE`, id).Scan(&r).Error; err != nil {
			return err
		}
		if r.ID == uuid.Nil {
			return fault.NotFound
		}
		if r.Status == string(tenants.StatusArchived) {
			return archived()
		}
		before = r.details()
		r.Name, r.HPIOrgID, r.HPIFacID, r.TimeZone = c.Name, optionalText(c.HPIOrgID), optionalText(c.HPIFacID), c.TimeZone
		r.Address, r.ContactEmail, r.ContactPhone = optionalText(c.Address), optionalText(c.Email), optionalText(c.Phone)
		r.UpdatedAt = time.Now().UTC()
		after = r.details()
		if len(changedKeys(fields(before), fields(after))) == 0 {
			return nil
		}
		return tx.Model(&row{}).Where("id = ?", id).Updates(map[string]any{
			"name": r.Name, "hpi_org_id": r.HPIOrgID, "hpi_fac_id": r.HPIFacID, "time_zone": r.TimeZone,
			"address": r.Address, "contact_email": r.ContactEmail, "contact_phone": r.ContactPhone, "updated_at": r.UpdatedAt,
		}).Error
	})
	if err != nil {
		return Details{}, fmt.Errorf("onboarding.UpdateTenant: %w", err)
	}
	if err := record(ctx, d, actor, after.Tenant, "tenant.update", fields(before), fields(after)); err != nil {
		return Details{}, fmt.Errorf("onboarding.UpdateTenant: %w", err)
	}
	return after, nil
}

// Suspend stops new work at a tenant: its people still sign in and every
// record stays readable and exportable, but no new invitation or booking is
// taken (CanInvite; booking asks the same).
func Suspend(ctx context.Context, d *db.DB, actor, id uuid.UUID) (Details, error) {
	return transition(ctx, d, actor, id, "tenant.suspend", func(r *row, now time.Time) error {
		if r.Status != string(tenants.StatusOnboarding) && r.Status != string(tenants.StatusActive) {
			return fault.New(fault.KindConflict, "only an onboarding or active organisation can be suspended", nil)
		}
		from := r.Status
		r.RestoreStatus, r.Status, r.SuspendedAt = &from, string(tenants.StatusSuspended), &now
		return nil
	})
}

// Restore lifts a suspension: the tenant goes back to where it was
// (onboarding or active).
func Restore(ctx context.Context, d *db.DB, actor, id uuid.UUID) (Details, error) {
	return transition(ctx, d, actor, id, "tenant.restore", func(r *row, now time.Time) error {
		if r.Status != string(tenants.StatusSuspended) {
			return fault.New(fault.KindConflict, "only a suspended organisation can be restored", nil)
		}
		to := string(tenants.StatusOnboarding)
		if r.RestoreStatus != nil {
			to = *r.RestoreStatus
		} else if r.GoLiveAt != nil {
			to = string(tenants.StatusActive)
		}
		r.Status, r.RestoreStatus, r.SuspendedAt = to, nil, nil
		return nil
	})
}

// Archive makes a tenant read-only for good. Nothing is deleted: its records
// are kept for the 10-year retention (Health (Retention of Health
// Information) Regulations 1996).
func Archive(ctx context.Context, d *db.DB, actor, id uuid.UUID) (Details, error) {
	return transition(ctx, d, actor, id, "tenant.archive", func(r *row, now time.Time) error {
		if r.Status == string(tenants.StatusArchived) {
			return archived()
		}
		r.Status, r.ArchivedAt, r.RestoreStatus = string(tenants.StatusArchived), &now, nil
		return nil
	})
}

func transition(ctx context.Context, d *db.DB, actor, id uuid.UUID, action string, change func(*row, time.Time) error) (Details, error) {
	var before, after Details
	err := d.Platform(ctx, "change tenant status", func(tx *db.Tx) error {
		var r row
		if err := tx.Raw(`SELECT * FROM tenants WHERE id = ? FOR UPDATE`, id).Scan(&r).Error; err != nil {
			return err
		}
		if r.ID == uuid.Nil {
			return fault.NotFound
		}
		before = r.details()
		now := time.Now().UTC()
		if err := change(&r, now); err != nil {
			return err
		}
		r.UpdatedAt = now
		after = r.details()
		return tx.Model(&row{}).Where("id = ?", id).Updates(map[string]any{"status": r.Status, "suspended_at": r.SuspendedAt,
			"archived_at": r.ArchivedAt, "restore_status": r.RestoreStatus, "updated_at": now}).Error
	})
	if err != nil {
		return Details{}, fmt.Errorf("onboarding.%s: %w", action, err)
	}
	if err := record(ctx, d, actor, after.Tenant, action, lifecycleFields(before), lifecycleFields(after)); err != nil {
		return Details{}, fmt.Errorf("onboarding.%s: %w", action, err)
	}
	return after, nil
}

func archived() error {
	return fault.New(fault.KindConflict, "this organisation is archived: it is kept read-only and cannot be changed", nil)
}

// ErrSuspended and ErrArchived are why a tenant refuses new work.
var (
	ErrSuspended = fault.New(fault.KindConflict, "this organisation is suspended: new invitations and bookings are refused until it is restored", nil)
	ErrArchived  = fault.New(fault.KindConflict, "this organisation is archived: it is kept read-only", nil)
)

// CanInvite says whether a tenant may send new invitations: not while it is
// suspended or archived. account.Invite asks it.
func CanInvite(t tenants.Tenant) error {
	switch t.Status {
	case tenants.StatusSuspended:
		return ErrSuspended
	case tenants.StatusArchived:
		return ErrArchived
	}
	return nil
}

// record writes an admin change to the tenant's own trail (its admins see it
// in their activity view) after the change committed: the tenants table is
// written only in platform scope and the trail only in the tenant's, so the
// two cannot share one transaction. A failure here is returned, and logged
// by the caller's error handler.
func record(ctx context.Context, d *db.DB, actor uuid.UUID, t tenants.Tenant, action string, before, after map[string]string) error {
	changed := changedKeys(before, after)
	if len(changed) == 0 {
		return nil
	}
	b, a := map[string]string{}, map[string]string{}
	for _, k := range changed {
		b[k], a[k] = before[k], after[k]
	}
	return d.InTenant(tenants.WithTenant(ctx, t), func(tx *db.Tx) error {
		return audit.Record(tx, audit.Event{Action: action, ActorUserID: actor, Object: "tenant", ObjectID: t.ID.String(),
			Detail: map[string]string{"before": auditText(b), "after": auditText(a)}})
	})
}

// fields are the audited values of a tenant's editable fields.
func fields(d Details) map[string]string {
	return map[string]string{"name": d.Name, "hpi_org_id": d.HPIOrgID, "hpi_fac_id": d.HPIFacID, "time_zone": d.TimeZone,
		"address": d.Address, "contact_email": d.Email, "contact_phone": d.Phone}
}

func lifecycleFields(d Details) map[string]string {
	return map[string]string{"status": string(d.Status), "suspended_at": stamp(d.SuspendedAt), "archived_at": stamp(d.ArchivedAt)}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// diff lists the keys whose values differ, sorted.
func changedKeys(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if before[k] != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// describe writes fields as `key="value"; …` in key order: small, stable and
// readable in the audit view.
func auditText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	return b.String()
}

func zoneOK(z string) bool { return z == "Pacific/Auckland" || z == "Pacific/Chatham" }

// validText refuses control characters (NUL among them: PostgreSQL refuses it
// in text) and invalid UTF-8.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

func optionalText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func textOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// AddTenant creates a tenant as CreateTenant does, checks that a practice's
// PHO is in the same region, and records who created it in the new tenant's
// audit trail.
func AddTenant(ctx context.Context, d *db.DB, actor uuid.UUID, n NewTenant) (Details, error) {
	if err := n.Validate(); err != nil {
		return Details{}, fmt.Errorf("onboarding.AddTenant: %w", err)
	}
	if n.ParentID != uuid.Nil {
		p, err := DetailsByID(ctx, d, n.ParentID)
		if err != nil || p.Kind != tenants.KindPHO || p.RegionID != n.RegionID {
			return Details{}, fmt.Errorf("onboarding.AddTenant: %w", fault.InvalidField("parent_id", "choose a PHO of this region"))
		}
	}
	t, err := CreateTenant(ctx, d, n)
	if err != nil {
		return Details{}, fmt.Errorf("onboarding.AddTenant: %w", err)
	}
	after, err := DetailsByID(ctx, d, t.ID)
	if err != nil {
		return Details{}, fmt.Errorf("onboarding.AddTenant: %w", err)
	}
	created := fields(after)
	created["kind"], created["slug"], created["status"] = string(after.Kind), after.Slug, string(after.Status)
	if err := record(ctx, d, actor, after.Tenant, "tenant.create", map[string]string{}, created); err != nil {
		return Details{}, fmt.Errorf("onboarding.AddTenant: %w", err)
	}
	return after, nil
}
