package account

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// PrefixOrgToken marks an organisation-level API token: one bound to an
// organisation grant (a regional admin's region, the platform) rather than a
// tenant membership. A tenant token ("tuk") is refused where an
// organisation token is expected, and the other way round, before any
// look-up.
const PrefixOrgToken = "tuo"

// OrgToken is an organisation-level API token as its owner sees it (never
// the secret, which is shown once at creation).
type OrgToken struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Domain     string // "region:<id>" or "platform"
	Name       string
	Roles      []string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// OrgTokenActor is who an organisation token acts for, and where.
type OrgTokenActor struct {
	Actor  tenants.Actor // UserID, Roles (the token's), Token: true
	Domain string
}

type orgTokenRow struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Domain     string
	Name       string
	Roles      pq.StringArray `gorm:"type:text[]"`
	TokenHash  []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (orgTokenRow) TableName() string { return "org_tokens" }

func (r orgTokenRow) view() OrgToken {
	return OrgToken{ID: r.ID, UserID: r.UserID, Domain: r.Domain, Name: r.Name, Roles: []string(r.Roles),
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

// orgTokenRoles are the organisation roles a token may carry, with the kind
// of domain each is held in. A funder's work is reports, not the region API.
var orgTokenRoles = map[string]string{"regional_admin": "region:", "platform_operator": "platform"}

// validOrgTokenDomain accepts "platform" and "region:<uuid>" in the
// canonical (lower-case, hyphenated) spelling org_grants stores.
func validOrgTokenDomain(domain string) bool {
	if domain == "platform" {
		return true
	}
	id, ok := strings.CutPrefix(domain, "region:")
	if !ok {
		return false
	}
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// CreateOrgToken makes an organisation-level API token for the person's
// grant in domain ("region:<id>" or "platform"), carrying roles, each of
// which the person must hold in that domain (org_grants). The token is
// returned once.
func (s *Service) CreateOrgToken(ctx context.Context, userID uuid.UUID, domain, name string, roles []string, ttl time.Duration) (string, OrgToken, error) {
	var f fault.Fields
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
		f.Add("name", "give the token a name of 1–100 characters")
	}
	if ttl < time.Hour || ttl > MaxTokenTTL {
		f.Add("ttl", "choose an expiry between one hour and one year")
	}
	domainOK := validOrgTokenDomain(domain)
	if !domainOK {
		f.Add("domain", "must be region:<id> or platform")
	}
	var clean []string
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if !slices.Contains(clean, r) {
			clean = append(clean, r)
		}
	}
	slices.Sort(clean)
	if len(clean) == 0 {
		f.Add("roles", "choose at least one of your organisation roles")
	}
	for _, r := range clean {
		prefix, ok := orgTokenRoles[r]
		if !ok {
			f.Add("roles", "an organisation token carries regional_admin or platform_operator")
			break
		}
		if domainOK && !strings.HasPrefix(domain, prefix) {
			f.Add("roles", "regional_admin belongs to a region and platform_operator to the platform")
			break
		}
	}
	if err := f.Err(); err != nil {
		return "", OrgToken{}, fmt.Errorf("account.CreateOrgToken: %w", err)
	}
	if userID == uuid.Nil {
		return "", OrgToken{}, fmt.Errorf("account.CreateOrgToken: %w", fault.InvalidField("user", "no user"))
	}
	token, hash, err := NewToken(PrefixOrgToken)
	if err != nil {
		return "", OrgToken{}, fmt.Errorf("account.CreateOrgToken: %w", err)
	}
	var r orgTokenRow
	err = s.db.Platform(ctx, "create organisation token", func(tx *db.Tx) error {
		var held []string
		if err := tx.Raw(`SELECT g.role FROM org_grants g JOIN users u ON u.id = g.user_id AND u.disabled_at IS NULL
			WHERE g.user_id = ? AND g.domain = ?`, userID, domain).Scan(&held).Error; err != nil {
			return err
		}
		if len(held) == 0 {
			return fault.New(fault.KindForbidden, "you hold no organisation role there", nil)
		}
		for _, role := range clean {
			if !slices.Contains(held, role) {
				return fault.InvalidField("roles", "a token can carry only roles you hold there")
			}
		}
		now := s.now()
		r = orgTokenRow{ID: uuid.Must(uuid.NewV7()), UserID: userID, Domain: domain, Name: name, Roles: clean,
			TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		return tx.Create(&r).Error
	})
	if err != nil {
		return "", OrgToken{}, fmt.Errorf("account.CreateOrgToken: %w", err)
	}
	if err := audit.RecordPlatform(ctx, s.db, audit.Event{Action: "token.create", ActorUserID: userID, SubjectUserID: userID,
		Object: "token", ObjectID: r.ID.String(), Detail: map[string]string{"name": name, "domain": domain,
			"roles": strings.Join(clean, ","), "kind": "organisation"}}); err != nil {
		return "", OrgToken{}, fmt.Errorf("account.CreateOrgToken: %w", err)
	}
	return token, r.view(), nil
}

// AuthenticateOrgToken resolves an organisation token to the person, the
// token's roles and its domain. One platform-scope statement checks the
// token (not revoked, not expired), that the person is not disabled and
// that every role the token carries is still held in its domain
// (org_grants): removing the grant stops the token on the next request.
func (s *Service) AuthenticateOrgToken(ctx context.Context, token string) (OrgTokenActor, error) {
	if !ParseToken(token, PrefixOrgToken) {
		return OrgTokenActor{}, ErrNoSession
	}
	hash := HashToken(token)
	now := s.now()
	var rows []orgTokenRow
	err := s.db.Platform(ctx, "authenticate organisation token", func(tx *db.Tx) error {
		return tx.Raw(`SELECT t.* FROM org_tokens t JOIN users u ON u.id = t.user_id AND u.disabled_at IS NULL
			WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?
			  AND NOT EXISTS (SELECT 1 FROM unnest(t.roles) AS r(role)
			                  WHERE NOT EXISTS (SELECT 1 FROM org_grants g
			                                    WHERE g.user_id = t.user_id AND g.domain = t.domain AND g.role = r.role))`,
			hash, now).Scan(&rows).Error
	})
	if err != nil {
		return OrgTokenActor{}, fmt.Errorf("account.AuthenticateOrgToken: %w", err)
	}
	if len(rows) != 1 {
		return OrgTokenActor{}, ErrNoSession
	}
	r := rows[0]
	if r.LastUsedAt == nil || now.Sub(*r.LastUsedAt) >= touchEvery {
		// Kept to the minute: one write a minute per token, not one per request.
		_ = s.db.Platform(ctx, "organisation token last use", func(tx *db.Tx) error {
			return tx.Model(&orgTokenRow{}).Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", r.ID, now.Add(-touchEvery)).
				Update("last_used_at", now).Error
		})
	}
	return OrgTokenActor{Actor: tenants.Actor{UserID: r.UserID, Roles: []string(r.Roles), Token: true}, Domain: r.Domain}, nil
}

// OrgTokens lists the person's organisation tokens, newest first.
func (s *Service) OrgTokens(ctx context.Context, userID uuid.UUID) ([]OrgToken, error) {
	var rows []orgTokenRow
	err := s.db.AsUser(ctx, userID, func(tx *db.Tx) error {
		return tx.Where("user_id = ?", userID).Order("created_at DESC, id DESC").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account.OrgTokens: %w", err)
	}
	out := make([]OrgToken, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}

// RevokeOrgToken revokes one of the person's organisation tokens. A token
// that is not theirs, or already revoked, is not found.
func (s *Service) RevokeOrgToken(ctx context.Context, userID, tokenID uuid.UUID) error {
	var domains []string
	err := s.db.AsUser(ctx, userID, func(tx *db.Tx) error {
		return tx.Raw(`UPDATE org_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL RETURNING domain`,
			s.now(), tokenID, userID).Scan(&domains).Error
	})
	if err == nil && len(domains) == 0 {
		err = fault.NotFound
	}
	if err != nil {
		return fmt.Errorf("account.RevokeOrgToken: %w", err)
	}
	if err := audit.RecordPlatform(ctx, s.db, audit.Event{Action: "token.revoke", ActorUserID: userID, SubjectUserID: userID,
		Object: "token", ObjectID: tokenID.String(), Detail: map[string]string{"domain": domains[0], "kind": "organisation"}}); err != nil {
		return fmt.Errorf("account.RevokeOrgToken: %w", err)
	}
	return nil
}
