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

var errBadCode = fault.InvalidField("code", "that code is not right, or was already used")

// Enrolment is what the enrolment page shows: the secret as text and as a
// QR code. It is not active until Confirm proves the person's app has it.
type Enrolment struct {
	Secret     string
	OTPAuthURL string
	QRPNG      []byte
}

// BeginMFA starts enrolment; it needs the person's password again.
func (s *Service) BeginMFA(ctx context.Context, sess Session, password string) (Enrolment, error) {
	u, err := s.userByID(ctx, sess.User.ID)
	if err != nil {
		return Enrolment{}, fmt.Errorf("account.BeginMFA: %w", err)
	}
	if u.MFAEnabledAt != nil {
		return Enrolment{}, fmt.Errorf("account.BeginMFA: %w", fault.New(fault.KindConflict, "two-step sign-in is already on: remove it first", nil))
	}
	if err := s.checkPassword(u, password); err != nil {
		return Enrolment{}, fmt.Errorf("account.BeginMFA: %w", err)
	}
	secret, url, err := NewTOTP("Tūhono", u.Email)
	if err != nil {
		return Enrolment{}, fmt.Errorf("account.BeginMFA: %w", err)
	}
	sealed, err := SealSecret(s.cfg.SealKey, secret)
	if err != nil {
		return Enrolment{}, fmt.Errorf("account.BeginMFA: %w", err)
	}
	err = s.db.AsUser(ctx, u.ID, func(tx *db.Tx) error {
		return tx.Model(&userRow{}).Where("id = ? AND mfa_enabled_at IS NULL", u.ID).Update("mfa_secret", sealed).Error
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("account.BeginMFA: %w", err)
	}
	png, err := QRCodePNG(url, 220)
	if err != nil {
		return Enrolment{}, fmt.Errorf("account.BeginMFA: %w", err)
	}
	return Enrolment{Secret: secret, OTPAuthURL: url, QRPNG: png}, nil
}

// ConfirmMFA switches MFA on once a code from the new secret checks out, and
// returns recovery codes — shown once, stored hashed.
func (s *Service) ConfirmMFA(ctx context.Context, sess Session, code string) ([]string, error) {
	u, err := s.userByID(ctx, sess.User.ID)
	if err != nil {
		return nil, fmt.Errorf("account.ConfirmMFA: %w", err)
	}
	if u.MFASecret == nil || u.MFAEnabledAt != nil {
		return nil, fmt.Errorf("account.ConfirmMFA: %w", fault.New(fault.KindConflict, "start the set-up again", nil))
	}
	secret, err := OpenSecret(s.cfg.SealKey, *u.MFASecret)
	if err != nil {
		return nil, fmt.Errorf("account.ConfirmMFA: %w", err)
	}
	step, ok := ValidateTOTP(secret, code, s.now())
	if !ok {
		return nil, fmt.Errorf("account.ConfirmMFA: %w", errBadCode)
	}
	codes, hashes, err := NewRecoveryCodes(10)
	if err != nil {
		return nil, fmt.Errorf("account.ConfirmMFA: %w", err)
	}
	err = s.db.AsUser(ctx, u.ID, func(tx *db.Tx) error {
		res := tx.Model(&userRow{}).Where("id = ? AND mfa_enabled_at IS NULL", u.ID).
			Updates(map[string]any{"mfa_enabled_at": s.now(), "mfa_last_step": step, "updated_at": s.now()})
		if res.Error != nil || res.RowsAffected == 0 {
			return firstErr(res.Error, fault.Conflict)
		}
		if err := tx.Exec(`DELETE FROM recovery_codes WHERE user_id = ?`, u.ID).Error; err != nil {
			return err
		}
		for _, h := range hashes {
			if err := tx.Exec(`INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, u.ID, h).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("account.ConfirmMFA: %w", err)
	}
	s.auditPlatform(ctx, "mfa.enrol", u.ID, u.ID, "")
	return codes, nil
}

// RemoveMFA switches MFA off; it needs the password again.
func (s *Service) RemoveMFA(ctx context.Context, sess Session, password string) error {
	u, err := s.userByID(ctx, sess.User.ID)
	if err != nil {
		return fmt.Errorf("account.RemoveMFA: %w", err)
	}
	if err := s.checkPassword(u, password); err != nil {
		return fmt.Errorf("account.RemoveMFA: %w", err)
	}
	err = s.db.AsUser(ctx, u.ID, func(tx *db.Tx) error {
		if err := tx.Model(&userRow{}).Where("id = ?", u.ID).
			Updates(map[string]any{"mfa_secret": nil, "mfa_enabled_at": nil, "mfa_last_step": nil, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM recovery_codes WHERE user_id = ?`, u.ID).Error; err != nil {
			return err
		}
		// API tokens were made under MFA: they go with it.
		return tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, s.now(), u.ID).Error
	})
	if err != nil {
		return fmt.Errorf("account.RemoveMFA: %w", err)
	}
	s.auditPlatform(ctx, "mfa.remove", u.ID, u.ID, "")
	return nil
}

// VerifyMFA is the challenge after the password: a TOTP code (each time step
// is good once) or an unused recovery code (good once). On success the
// session gets a new token and is marked verified.
func (s *Service) VerifyMFA(ctx context.Context, sess Session, code string, c Client) (string, error) {
	if err := s.throttled(ctx, accountKey(sess.User.Email), ipKey(c.IP)); err != nil {
		return "", fmt.Errorf("account.VerifyMFA: %w", err)
	}
	u, err := s.userByID(ctx, sess.User.ID)
	if err != nil {
		return "", fmt.Errorf("account.VerifyMFA: %w", err)
	}
	if u.MFAEnabledAt == nil || u.MFASecret == nil {
		return "", fmt.Errorf("account.VerifyMFA: %w", fault.New(fault.KindConflict, "two-step sign-in is not set up", nil))
	}
	ok, recovery, err := s.checkCode(ctx, u, code)
	if err != nil {
		return "", fmt.Errorf("account.VerifyMFA: %w", err)
	}
	if !ok {
		s.fail(ctx, u.Email, c.IP)
		s.audit(ctx, audit.Event{Action: "mfa.failure", SubjectUserID: u.ID, Outcome: "failed", IP: c.IP, RequestID: c.RequestID})
		return "", fmt.Errorf("account.VerifyMFA: %w", errBadCode)
	}
	if recovery {
		s.audit(ctx, audit.Event{Action: "recovery.used", ActorUserID: u.ID, SubjectUserID: u.ID, IP: c.IP, RequestID: c.RequestID})
	}
	token, err := s.Rotate(ctx, sess, true, uuid.Nil)
	if err != nil {
		return "", err
	}
	s.audit(ctx, audit.Event{Action: "mfa.success", ActorUserID: u.ID, SubjectUserID: u.ID, IP: c.IP, RequestID: c.RequestID})
	return token, nil
}

// checkCode accepts a TOTP code once per time step, or a recovery code once.
func (s *Service) checkCode(ctx context.Context, u userRow, code string) (ok, recovery bool, err error) {
	code = strings.TrimSpace(code)
	secret, err := OpenSecret(s.cfg.SealKey, *u.MFASecret)
	if err != nil {
		return false, false, err
	}
	if step, good := ValidateTOTP(secret, code, s.now()); good {
		var affected int64
		err := s.db.AsUser(ctx, u.ID, func(tx *db.Tx) error {
			res := tx.Model(&userRow{}).Where("id = ? AND (mfa_last_step IS NULL OR mfa_last_step < ?)", u.ID, step).
				Update("mfa_last_step", step)
			affected = res.RowsAffected
			return res.Error
		})
		return affected == 1, false, err
	}
	if !ValidRecoveryCode(code) {
		return false, false, nil
	}
	var affected int64
	err = s.db.AsUser(ctx, u.ID, func(tx *db.Tx) error {
		res := tx.Exec(`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
			s.now(), u.ID, HashRecoveryCode(code))
		affected = res.RowsAffected
		return res.Error
	})
	return affected == 1, affected == 1, err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
