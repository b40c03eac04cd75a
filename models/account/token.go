package account

import (
	"context"
	"errors"
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

// Token is an API token as its owner sees it (never the secret itself, which
// is shown once at creation).
type Token struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	Roles      []string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

type tokenRow struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	Roles      pq.StringArray `gorm:"type:text[]"`
	TokenHash  []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func (r tokenRow) view() Token {
	return Token{ID: r.ID, UserID: r.UserID, Name: r.Name, Roles: []string(r.Roles), CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

// MaxTokenTTL bounds an API token's life.
const MaxTokenTTL = 365 * 24 * time.Hour

// CreateToken makes an API token for the person's membership at the tenant
// in ctx, with a subset of its roles. The token is returned once.
func (s *Service) CreateToken(ctx context.Context, userID uuid.UUID, name string, roles []string, ttl time.Duration) (string, Token, error) {
	var f fault.Fields
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		f.Add("name", "give the token a name of 1–100 characters")
	}
	if ttl < time.Hour || ttl > MaxTokenTTL {
		f.Add("ttl", "choose an expiry between one hour and one year")
	}
	roles, rerr := CheckRoles(roles)
	if rerr != nil {
		f.Add("roles", "choose at least one of your roles")
	}
	if err := f.Err(); err != nil {
		return "", Token{}, fmt.Errorf("account.CreateToken: %w", err)
	}
	u, err := s.userByID(ctx, userID)
	if err != nil {
		return "", Token{}, fmt.Errorf("account.CreateToken: %w", err)
	}
	token, hash, err := NewToken("tuk")
	if err != nil {
		return "", Token{}, fmt.Errorf("account.CreateToken: %w", err)
	}
	var r tokenRow
	err = s.db.InTenant(ctx, func(tx *db.Tx) error {
		var m membershipRow
		if err := tx.Where("user_id = ? AND status = 'active'", userID).Take(&m).Error; err != nil {
			return fault.New(fault.KindForbidden, "you have no active membership here", err)
		}
		for _, role := range roles {
			if !slices.Contains([]string(m.Roles), role) {
				return fault.InvalidField("roles", "a token can carry only roles you hold here")
			}
		}
		// A token must not be a way round the tenant's MFA rule: clinical
		// roles in a token need the person's MFA on (RemoveMFA revokes them).
		if u.MFAEnabledAt == nil {
			var required *bool
			if err := tx.Raw(`SELECT mfa_required FROM tenant_settings WHERE tenant_id = ?`, tx.Tenant.ID).Scan(&required).Error; err != nil {
				return err
			}
			if (required == nil || *required) && (Membership{Roles: roles, MFARequired: true}).NeedsMFA() {
				return fault.InvalidField("roles", "set up two-step sign-in before making a token with clinical roles")
			}
		}
		now := s.now()
		r = tokenRow{TenantID: tx.Tenant.ID, ID: uuid.Must(uuid.NewV7()), UserID: userID, Name: name,
			Roles: roles, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: "token.create", ActorUserID: userID, SubjectUserID: userID,
			Object: "token", ObjectID: r.ID.String(), Detail: map[string]string{"name": name, "roles": strings.Join(roles, ",")}})
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("account.CreateToken: %w", err)
	}
	return token, r.view(), nil
}

// AuthenticateToken resolves a bearer token at the tenant in ctx to an actor
// carrying the token's roles. The token's membership must still be active.
// One statement: the lookup and the membership check are one query.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (tenants.Actor, error) {
	if !ParseToken(token, "tuk") {
		return tenants.Actor{}, ErrNoSession
	}
	hash := HashToken(token)
	now := s.now()
	var r tokenRow
	err := s.db.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT t.* FROM api_tokens t JOIN memberships m USING (tenant_id, user_id)
			WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND m.status = 'active'`, hash, now).
			Take(&r).Error
	})
	if errors.Is(err, fault.NotFound) {
		return tenants.Actor{}, ErrNoSession
	}
	if err != nil {
		return tenants.Actor{}, fmt.Errorf("account.AuthenticateToken: %w", err)
	}
	if r.LastUsedAt == nil || now.Sub(*r.LastUsedAt) >= touchEvery {
		// Last use is kept to the minute; one write a minute per token, not
		// one per request.
		s.db.InTenant(ctx, func(tx *db.Tx) error {
			return tx.Model(&tokenRow{}).Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", r.ID, now.Add(-touchEvery)).
				Update("last_used_at", now).Error
		})
	}
	return tenants.Actor{UserID: r.UserID, Roles: []string(r.Roles), Token: true}, nil
}

// Tokens lists the person's tokens at the tenant in ctx.
func (s *Service) Tokens(ctx context.Context, userID uuid.UUID) ([]Token, error) {
	var rows []tokenRow
	err := s.db.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Where("user_id = ?", userID).Order("created_at DESC").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account.Tokens: %w", err)
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}

// RevokeToken revokes one of the person's tokens at the tenant in ctx.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID uuid.UUID) error {
	err := s.db.InTenant(ctx, func(tx *db.Tx) error {
		res := tx.Model(&tokenRow{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", tokenID, userID).Update("revoked_at", s.now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fault.NotFound
		}
		return audit.Record(tx, audit.Event{Action: "token.revoke", ActorUserID: userID, SubjectUserID: userID, Object: "token", ObjectID: tokenID.String()})
	})
	if err != nil {
		return fmt.Errorf("account.RevokeToken: %w", err)
	}
	return nil
}
