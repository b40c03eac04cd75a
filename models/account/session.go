package account

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Session is a signed-in browser. Its token lives only in the person's cookie;
// the database keeps its SHA-256.
type Session struct {
	ID            uuid.UUID
	User          User
	MFAVerified   bool      // passed the MFA challenge in this session
	CurrentTenant uuid.UUID // the tenant last chosen, if any
	CreatedAt     time.Time
	LastSeenAt    time.Time
	ExpiresAt     time.Time
	IP            string
	UserAgent     string
}

type sessionRow struct {
	ID            uuid.UUID
	TokenHash     []byte
	UserID        uuid.UUID
	MFAVerified   bool `gorm:"column:mfa_verified"`
	CurrentTenant *uuid.UUID
	CreatedAt     time.Time
	LastSeenAt    time.Time
	ExpiresAt     time.Time
	RevokedAt     *time.Time
	IP            *string
	UserAgent     *string
}

func (sessionRow) TableName() string { return "sessions" }

// ErrNoSession is how every unusable session token looks from outside:
// unknown, expired, idle too long or revoked.
var ErrNoSession = fault.New(fault.KindUnauthenticated, "please sign in", nil)

// startSession makes a session with a fresh token.
func (s *Service) startSession(ctx context.Context, u userRow, mfaVerified bool, ip, ua string) (string, Session, error) {
	token, hash, err := NewToken("tus")
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	r := sessionRow{ID: uuid.Must(uuid.NewV7()), TokenHash: hash, UserID: u.ID, MFAVerified: mfaVerified,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.Lifetime), UserAgent: clip(ua, 300)}
	if a, err := netip.ParseAddr(ip); err == nil {
		str := a.String()
		r.IP = &str
	}
	if err := s.db.AsUser(ctx, u.ID, func(tx *db.Tx) error { return tx.Create(&r).Error }); err != nil {
		return "", Session{}, err
	}
	return token, s.view(r, u), nil
}

func (s *Service) view(r sessionRow, u userRow) Session {
	v := Session{ID: r.ID, User: u.user(), MFAVerified: r.MFAVerified, CreatedAt: r.CreatedAt,
		LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt}
	if r.CurrentTenant != nil {
		v.CurrentTenant = *r.CurrentTenant
	}
	if r.IP != nil {
		v.IP = *r.IP
	}
	if r.UserAgent != nil {
		v.UserAgent = *r.UserAgent
	}
	return v
}

func clip(s string, n int) *string {
	if len(s) > n {
		s = s[:n]
	}
	if s == "" {
		return nil
	}
	return &s
}

// touchEvery limits last-seen writes: the idle clock needs minutes, not
// milliseconds, and a write per request would double the cost of a page.
const touchEvery = time.Minute

// Authenticate returns the live session for token. Unknown, revoked,
// expired (absolute) and idle sessions are all ErrNoSession; so is a
// disabled person's.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if !ParseToken(token, "tus") {
		return Session{}, ErrNoSession
	}
	hash := HashToken(token)
	now := s.now()
	var r sessionRow
	var u userRow
	err := s.db.Platform(ctx, "session: authenticate", func(tx *db.Tx) error {
		if err := tx.Where("token_hash = ? AND revoked_at IS NULL", hash).Take(&r).Error; err != nil {
			return err
		}
		if !now.Before(r.ExpiresAt) || now.Sub(r.LastSeenAt) > s.cfg.IdleTimeout {
			return fault.NotFound
		}
		if err := tx.Where("id = ?", r.UserID).Take(&u).Error; err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return fault.NotFound
		}
		if now.Sub(r.LastSeenAt) >= touchEvery {
			r.LastSeenAt = now
			return tx.Model(&sessionRow{}).Where("id = ?", r.ID).Update("last_seen_at", now).Error
		}
		return nil
	})
	if errors.Is(err, fault.NotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("account.Authenticate: %w", err)
	}
	return s.view(r, u), nil
}

// Rotate replaces a session's token (on a privilege change: MFA passed, a
// tenant chosen) so a token seen before the change is worthless after it.
// mfaVerified and tenant, when set, are recorded on the session.
func (s *Service) Rotate(ctx context.Context, old Session, mfaVerified bool, tenant uuid.UUID) (string, error) {
	token, hash, err := NewToken("tus")
	if err != nil {
		return "", err
	}
	set := map[string]any{"token_hash": hash, "mfa_verified": old.MFAVerified || mfaVerified, "last_seen_at": s.now()}
	if tenant != uuid.Nil {
		set["current_tenant"] = tenant
	}
	err = s.db.AsUser(ctx, old.User.ID, func(tx *db.Tx) error {
		res := tx.Model(&sessionRow{}).Where("id = ? AND revoked_at IS NULL", old.ID).Updates(set)
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNoSession
		}
		return res.Error
	})
	if err != nil {
		return "", fmt.Errorf("account.Rotate: %w", err)
	}
	return token, nil
}

// SignOut ends one session.
func (s *Service) SignOut(ctx context.Context, sess Session) error {
	err := s.db.AsUser(ctx, sess.User.ID, func(tx *db.Tx) error {
		return tx.Model(&sessionRow{}).Where("id = ? AND revoked_at IS NULL", sess.ID).Update("revoked_at", s.now()).Error
	})
	if err != nil {
		return fmt.Errorf("account.SignOut: %w", err)
	}
	s.auditPlatform(ctx, "signout", sess.User.ID, sess.User.ID, "")
	return nil
}

// SignOutEverywhere ends every session of the person, except keep (if set).
func (s *Service) SignOutEverywhere(ctx context.Context, userID, keep uuid.UUID) error {
	err := s.db.AsUser(ctx, userID, func(tx *db.Tx) error {
		return tx.Model(&sessionRow{}).Where("user_id = ? AND id <> ? AND revoked_at IS NULL", userID, keep).
			Update("revoked_at", s.now()).Error
	})
	if err != nil {
		return fmt.Errorf("account.SignOutEverywhere: %w", err)
	}
	s.auditPlatform(ctx, "signout.everywhere", userID, userID, "")
	return nil
}

// Sessions lists the person's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID uuid.UUID) ([]Session, error) {
	var rows []sessionRow
	now := s.now()
	err := s.db.AsUser(ctx, userID, func(tx *db.Tx) error {
		return tx.Where("user_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ?",
			userID, now, now.Add(-s.cfg.IdleTimeout)).Order("last_seen_at DESC").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account.Sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = s.view(r, userRow{ID: userID})
	}
	return out, nil
}

// revokeTenantSessions ends the sessions whose chosen tenant is tenantID for
// one person: ending a membership signs them out of that tenant at once.
func (s *Service) revokeTenantSessions(ctx context.Context, userID, tenantID uuid.UUID) error {
	return s.db.AsUser(ctx, userID, func(tx *db.Tx) error {
		return tx.Model(&sessionRow{}).Where("user_id = ? AND current_tenant = ? AND revoked_at IS NULL", userID, tenantID).
			Update("revoked_at", s.now()).Error
	})
}
