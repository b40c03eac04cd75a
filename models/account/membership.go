package account

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// TenantRoles are the roles a membership can carry.
var TenantRoles = []string{"gp", "nurse", "hip", "health_coach", "support_worker", "practice_admin", "pho_admin"}

// RoleLabels are the roles as people read them.
var RoleLabels = map[string]string{
	"gp": "GP", "nurse": "practice nurse", "hip": "Health Improvement Practitioner (HIP)",
	"health_coach": "Health Coach", "support_worker": "Support Worker",
	"practice_admin": "practice administrator", "pho_admin": "PHO administrator",
}

// ClinicalRoles are the roles that see clinical content; MFA is required for
// them when the tenant says so (the default).
var ClinicalRoles = []string{"gp", "nurse", "hip", "health_coach", "support_worker"}

// Membership ties a person to a tenant with roles.
type Membership struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	Roles     []string
	Status    string // active, suspended, ended
	CreatedAt time.Time
	// MFARequired is the tenant's setting (Member fills it).
	MFARequired bool
	User        User // filled by Staff
}

type membershipRow struct {
	TenantID  uuid.UUID
	UserID    uuid.UUID
	Roles     pq.StringArray `gorm:"type:text[]"`
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	EndedAt   *time.Time
}

func (membershipRow) TableName() string { return "memberships" }

func (r membershipRow) view() Membership {
	return Membership{TenantID: r.TenantID, UserID: r.UserID, Roles: []string(r.Roles), Status: r.Status, CreatedAt: r.CreatedAt}
}

// CheckRoles validates a set of tenant roles.
func CheckRoles(roles []string) ([]string, error) {
	out := []string{}
	for _, r := range roles {
		if !slices.Contains(TenantRoles, r) {
			return nil, fault.InvalidField("roles", "unknown role "+r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fault.InvalidField("roles", "choose at least one role")
	}
	slices.Sort(out)
	return out, nil
}

// Member returns the caller's live membership at the tenant in ctx, or not
// found: the check every tenant request makes. MFARequired carries the
// tenant's setting (on unless the tenant turned it off), read in the same
// statement.
func (s *Service) Member(ctx context.Context, userID uuid.UUID) (Membership, error) {
	var r struct {
		TenantID    uuid.UUID
		UserID      uuid.UUID
		Roles       pq.StringArray `gorm:"type:text[]"`
		Status      string
		CreatedAt   time.Time
		MFARequired *bool
	}
	err := s.db.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT m.tenant_id, m.user_id, m.roles, m.status, m.created_at, ts.mfa_required
			FROM memberships m LEFT JOIN tenant_settings ts ON ts.tenant_id = m.tenant_id
			WHERE m.user_id = ? AND m.status = 'active'`, userID).Take(&r).Error
	})
	if err != nil {
		return Membership{}, fmt.Errorf("account.Member: %w", err)
	}
	return Membership{TenantID: r.TenantID, UserID: r.UserID, Roles: []string(r.Roles), Status: r.Status,
		CreatedAt: r.CreatedAt, MFARequired: r.MFARequired == nil || *r.MFARequired}, nil
}

// NeedsMFA says whether this membership must have MFA before clinical work:
// the tenant requires it and the person holds a clinical role.
func (m Membership) NeedsMFA() bool {
	if !m.MFARequired {
		return false
	}
	for _, r := range m.Roles {
		if slices.Contains(ClinicalRoles, r) {
			return true
		}
	}
	return false
}

// Choice is one tenant a person may pick after signing in.
type Choice struct {
	Tenant tenants.Tenant
	Roles  []string
}

// Memberships lists the live memberships of a person with their tenants, for
// the tenant picker.
func (s *Service) Memberships(ctx context.Context, userID uuid.UUID, dir func(context.Context, uuid.UUID) (tenants.Tenant, error)) ([]Choice, error) {
	var rows []membershipRow
	err := s.db.AsUser(ctx, userID, func(tx *db.Tx) error {
		return tx.Where("user_id = ? AND status = 'active'", userID).Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account.Memberships: %w", err)
	}
	out := make([]Choice, 0, len(rows))
	for _, r := range rows {
		t, err := dir(ctx, r.TenantID)
		if err != nil {
			return nil, fmt.Errorf("account.Memberships: %w", err)
		}
		if t.Live() {
			out = append(out, Choice{Tenant: t, Roles: []string(r.Roles)})
		}
	}
	// Sorted as people read names: "Ōtautahi" beside "Otago", not after "Zeal".
	col := collate.New(language.English, collate.IgnoreCase, collate.IgnoreDiacritics)
	slices.SortFunc(out, func(a, b Choice) int { return col.CompareString(a.Tenant.Name, b.Tenant.Name) })
	return out, nil
}

// AddMember gives a person roles at the tenant in ctx (or replaces them).
func (s *Service) AddMember(ctx context.Context, actor uuid.UUID, userID uuid.UUID, roles []string) error {
	roles, err := CheckRoles(roles)
	if err != nil {
		return fmt.Errorf("account.AddMember: %w", err)
	}
	err = s.db.InTenant(ctx, func(tx *db.Tx) error {
		if err := upsertMember(tx, userID, roles, s.now()); err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: "membership.create", ActorUserID: actor, SubjectUserID: userID,
			Object: "staff", ObjectID: userID.String(), Detail: map[string]string{"roles": fmt.Sprint(roles)}})
	})
	if err != nil {
		return fmt.Errorf("account.AddMember: %w", err)
	}
	return s.mirror(ctx, userID, roles)
}

func upsertMember(tx *db.Tx, userID uuid.UUID, roles []string, now time.Time) error {
	return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles, status, created_at, updated_at)
		VALUES (?, ?, ?, 'active', ?, ?)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET roles = EXCLUDED.roles, status = 'active', ended_at = NULL, updated_at = EXCLUDED.updated_at`,
		tx.Tenant.ID, userID, pq.StringArray(roles), now, now).Error
}

// mirror replaces the person's roles at the tenant in the policy engine.
func (s *Service) mirror(ctx context.Context, userID uuid.UUID, roles []string) error {
	if s.grants == nil {
		return nil
	}
	t, _ := tenants.FromContext(ctx)
	dom := TenantDomain(t.ID)
	if err := s.grants.RevokeAll(ctx, userID, dom); err != nil {
		return err
	}
	for _, r := range roles {
		if err := s.grants.Grant(ctx, userID, r, dom); err != nil {
			return err
		}
	}
	return nil
}

// SetStatus suspends, restores or ends a membership at the tenant in ctx.
// Suspending or ending revokes the person's API tokens and sessions at this
// tenant in the same breath; the membership check on every request makes the
// change effective on the very next request, on every instance.
func (s *Service) SetStatus(ctx context.Context, actor, userID uuid.UUID, status string) error {
	if status != "active" && status != "suspended" && status != "ended" {
		return fault.InvalidField("status", "must be active, suspended or ended")
	}
	if actor == userID && actor != uuid.Nil {
		return fault.New(fault.KindConflict, "you cannot change your own membership: ask another administrator", nil)
	}
	var roles []string
	err := s.db.InTenant(ctx, func(tx *db.Tx) error {
		var r membershipRow
		if err := tx.Where("user_id = ?", userID).Take(&r).Error; err != nil {
			return err
		}
		if r.Status == "ended" && status != "ended" {
			return fault.New(fault.KindConflict, "an ended membership cannot be restored: invite the person again", nil)
		}
		roles = []string(r.Roles)
		if status != "active" && r.Status == "active" && (slices.Contains(roles, "practice_admin") || slices.Contains(roles, "pho_admin")) {
			// Never leave a tenant with nobody to run it.
			var others int64
			if err := tx.Raw(`SELECT count(*) FROM memberships WHERE status = 'active' AND user_id <> ?
				AND (roles && ARRAY['practice_admin', 'pho_admin']::text[])`, userID).Scan(&others).Error; err != nil {
				return err
			}
			if others == 0 {
				return fault.New(fault.KindConflict, "this is the last administrator here: make someone else an administrator first", nil)
			}
		}
		set := map[string]any{"status": status, "updated_at": s.now()}
		if status == "ended" {
			set["ended_at"] = s.now()
		}
		if err := tx.Model(&membershipRow{}).Where("user_id = ?", userID).Updates(set).Error; err != nil {
			return err
		}
		if status != "active" {
			if err := tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, s.now(), userID).Error; err != nil {
				return err
			}
		}
		return audit.Record(tx, audit.Event{Action: "membership." + map[string]string{"active": "restore", "suspended": "suspend", "ended": "end"}[status],
			ActorUserID: actor, SubjectUserID: userID, Object: "staff", ObjectID: userID.String()})
	})
	if err != nil {
		return fmt.Errorf("account.SetStatus: %w", err)
	}
	t, _ := tenants.FromContext(ctx)
	if status != "active" {
		if err := s.revokeTenantSessions(ctx, userID, t.ID); err != nil {
			return fmt.Errorf("account.SetStatus: %w", err)
		}
		if s.grants != nil {
			return s.grants.RevokeAll(ctx, userID, TenantDomain(t.ID))
		}
		return nil
	}
	return s.mirror(ctx, userID, roles)
}

// Staff lists the tenant's memberships with the people's names.
func (s *Service) Staff(ctx context.Context) ([]Membership, error) {
	var rows []membershipRow
	if err := s.db.InTenant(ctx, func(tx *db.Tx) error { return tx.Order("created_at").Find(&rows).Error }); err != nil {
		return nil, fmt.Errorf("account.Staff: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	people := map[uuid.UUID]userRow{}
	if len(ids) > 0 {
		var us []userRow
		err := s.db.Platform(ctx, "staff list: names of members", func(tx *db.Tx) error {
			return tx.Where("id IN ?", ids).Find(&us).Error
		})
		if err != nil {
			return nil, fmt.Errorf("account.Staff: %w", err)
		}
		for _, u := range us {
			people[u.ID] = u
		}
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = r.view()
		out[i].User = people[r.UserID].user()
	}
	return out, nil
}
