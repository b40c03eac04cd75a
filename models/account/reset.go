package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/outbox"
)

type resetRow struct {
	TokenHash []byte
	UserID    uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
}

func (resetRow) TableName() string { return "password_resets" }

var errBadReset = fault.New(fault.KindNotFound, "this reset link is not valid: it may have been used already or have expired", nil)

// RequestReset e-mails a reset link if the address has an account, and says
// nothing either way (no account discovery). Throttled like sign-in.
func (s *Service) RequestReset(ctx context.Context, email string, c Client) error {
	email, err := NormaliseEmail(email)
	if err != nil {
		return fmt.Errorf("account.RequestReset: %w", err)
	}
	if err := s.throttled(ctx, accountKey(email), ipKey(c.IP)); err != nil {
		return fmt.Errorf("account.RequestReset: %w", err)
	}
	u, err := s.userByEmail(ctx, email)
	if errors.Is(err, fault.NotFound) {
		s.fail(ctx, "", c.IP) // probing for accounts counts against the address
		return nil
	}
	if err != nil {
		return fmt.Errorf("account.RequestReset: %w", err)
	}
	token, hash, err := NewToken("tur")
	if err != nil {
		return fmt.Errorf("account.RequestReset: %w", err)
	}
	now := s.now()
	link := s.cfg.BaseURL + "/reset/" + token
	err = s.db.Platform(ctx, "password reset: issue link", func(tx *db.Tx) error {
		if err := tx.Create(&resetRow{TokenHash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ResetTTL)}).Error; err != nil {
			return err
		}
		return outbox.Enqueue(tx, outbox.Email{
			To:      email,
			Subject: "Reset your Tūhono password",
			Text: "Kia ora " + u.Name + ",\n\nSomeone (hopefully you) asked to reset your Tūhono password. The link works once, for " +
				s.cfg.ResetTTL.String() + ":\n\n" + link + "\n\nAfter the new password you will still be asked for your two-step sign-in code.\n" +
				"If you did not ask for this, ignore this e-mail: your password stays as it is.\n\nNgā mihi,\nTūhono\n",
			IdempotencyKey: "reset:" + uuid.NewString(),
		})
	})
	if err != nil {
		return fmt.Errorf("account.RequestReset: %w", err)
	}
	s.auditPlatform(ctx, "password.reset.request", uuid.Nil, u.ID, "")
	return nil
}

// ResetPassword redeems a reset link: sets the new password, ends every
// session and returns a new one that has NOT passed MFA — a reset never
// bypasses the MFA challenge.
func (s *Service) ResetPassword(ctx context.Context, token, password string, c Client) (string, Session, error) {
	if !ParseToken(token, "tur") {
		return "", Session{}, errBadReset
	}
	now := s.now()
	var userID uuid.UUID
	err := s.db.Platform(ctx, "password reset: redeem link", func(tx *db.Tx) error {
		return tx.Raw(`UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
			now, HashToken(token), now).Row().Scan(&userID)
	})
	if err != nil || userID == uuid.Nil {
		return "", Session{}, errBadReset
	}
	u, err := s.userByID(ctx, userID)
	if err != nil {
		return "", Session{}, fmt.Errorf("account.ResetPassword: %w", err)
	}
	if err := s.setPassword(ctx, u, password); err != nil {
		// The link is spent only if the password was accepted.
		s.db.Platform(ctx, "password reset: give the link back", func(tx *db.Tx) error {
			return tx.Exec(`UPDATE password_resets SET used_at = NULL WHERE token_hash = ?`, HashToken(token)).Error
		})
		return "", Session{}, fmt.Errorf("account.ResetPassword: %w", err)
	}
	if err := s.SignOutEverywhere(ctx, u.ID, uuid.Nil); err != nil {
		return "", Session{}, err
	}
	tok, sess, err := s.startSession(ctx, u, false, c.IP, c.UserAgent)
	if err != nil {
		return "", Session{}, fmt.Errorf("account.ResetPassword: %w", err)
	}
	s.auditPlatform(ctx, "password.reset", u.ID, u.ID, "")
	return tok, sess, nil
}
