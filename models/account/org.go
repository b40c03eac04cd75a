package account

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// OrgGrant is a role held above any one tenant: regional_admin in
// "region:<id>", funder in "funder:<id>", platform_operator on "platform".
type OrgGrant struct {
	Domain string
	Role   string
}

var orgRoles = map[string]string{"regional_admin": "region:", "funder": "funder:", "platform_operator": "platform"}

// GrantOrg gives a person an organisation-level role (platform work).
func (s *Service) GrantOrg(ctx context.Context, actor, userID uuid.UUID, role, domain string) error {
	prefix, ok := orgRoles[role]
	if !ok || !strings.HasPrefix(domain, prefix) {
		return fault.InvalidField("role", "an organisation role must match its domain (regional_admin in a region, funder in a funder)")
	}
	err := s.db.Platform(ctx, "grant organisation role", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO org_grants (user_id, domain, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, userID, domain, role).Error
	})
	if err != nil {
		return fmt.Errorf("account.GrantOrg: %w", err)
	}
	s.audit(ctx, audit.Event{Action: "role.grant", ActorUserID: actor, SubjectUserID: userID, Object: "staff",
		Detail: map[string]string{"role": role, "domain": domain}})
	if s.grants != nil {
		return s.grants.Grant(ctx, userID, role, domain)
	}
	return nil
}

// OrgGrants lists a person's organisation-level roles.
func (s *Service) OrgGrants(ctx context.Context, userID uuid.UUID) ([]OrgGrant, error) {
	var out []OrgGrant
	err := s.db.AsUser(ctx, userID, func(tx *db.Tx) error {
		return tx.Raw(`SELECT domain, role FROM org_grants WHERE user_id = ? ORDER BY domain, role`, userID).Scan(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account.OrgGrants: %w", err)
	}
	return out, nil
}
