package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// errBadCredentials is the one answer to every failed sign-in: it does not
// say whether the e-mail is known.
var errBadCredentials = fault.New(fault.KindUnauthenticated, "that e-mail and password do not match an account", nil)

// Client is where a request comes from, for throttling and the audit record.
type Client struct {
	IP        string
	UserAgent string
	RequestID string
}

// SignIn checks a password and starts a session. The session still needs the
// MFA challenge when the person has MFA (Session.MFAVerified is false).
// Unknown e-mail and wrong password fail alike, in similar time.
func (s *Service) SignIn(ctx context.Context, email, password string, c Client) (string, Session, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		DummyVerify(password)
		return "", Session{}, fmt.Errorf("account.SignIn: %w", errBadCredentials)
	}
	if err := s.throttled(ctx, accountKey(email), ipKey(c.IP)); err != nil {
		return "", Session{}, fmt.Errorf("account.SignIn: %w", err)
	}
	u, err := s.userByEmail(ctx, email)
	switch {
	case errors.Is(err, fault.NotFound):
		DummyVerify(password)
		s.signInFailed(ctx, email, uuid.Nil, c, "unknown e-mail")
		return "", Session{}, fmt.Errorf("account.SignIn: %w", errBadCredentials)
	case err != nil:
		return "", Session{}, fmt.Errorf("account.SignIn: %w", err)
	}
	ok := false
	if u.PasswordHash != nil {
		ok, _, err = VerifyPassword(*u.PasswordHash, password)
		if err != nil {
			return "", Session{}, fmt.Errorf("account.SignIn: %w", err)
		}
	} else {
		DummyVerify(password)
	}
	if !ok || u.DisabledAt != nil {
		s.signInFailed(ctx, email, u.ID, c, "wrong password")
		return "", Session{}, fmt.Errorf("account.SignIn: %w", errBadCredentials)
	}
	if err := s.succeed(ctx, email); err != nil {
		return "", Session{}, fmt.Errorf("account.SignIn: %w", err)
	}
	token, sess, err := s.startSession(ctx, u, false, c.IP, c.UserAgent)
	if err != nil {
		return "", Session{}, fmt.Errorf("account.SignIn: %w", err)
	}
	s.audit(ctx, audit.Event{Action: "signin.success", ActorUserID: u.ID, SubjectUserID: u.ID, IP: c.IP, RequestID: c.RequestID})
	return token, sess, nil
}

func (s *Service) signInFailed(ctx context.Context, email string, user uuid.UUID, c Client, why string) {
	if err := s.fail(ctx, email, c.IP); err != nil {
		// Counting failed: the attempt was still refused. Nothing else to do.
		_ = err
	}
	s.audit(ctx, audit.Event{Action: "signin.failure", SubjectUserID: user, Outcome: "failed", Reason: why,
		IP: c.IP, RequestID: c.RequestID})
}

// audit records a platform-level event; a failure to record is logged by the
// caller's frame as it surfaces nowhere else — it must not undo a sign-out.
func (s *Service) audit(ctx context.Context, e audit.Event) {
	_ = audit.RecordPlatform(ctx, s.db, e)
}

func (s *Service) auditPlatform(ctx context.Context, action string, actor, subject uuid.UUID, reason string) {
	s.audit(ctx, audit.Event{Action: action, ActorUserID: actor, SubjectUserID: subject, Reason: reason})
}

// ChangePassword needs the current password; other sessions are ended.
func (s *Service) ChangePassword(ctx context.Context, sess Session, current, next string) error {
	u, err := s.userByID(ctx, sess.User.ID)
	if err != nil {
		return fmt.Errorf("account.ChangePassword: %w", err)
	}
	if err := s.checkPassword(u, current); err != nil {
		return fmt.Errorf("account.ChangePassword: %w", err)
	}
	if err := s.setPassword(ctx, u, next); err != nil {
		return fmt.Errorf("account.ChangePassword: %w", err)
	}
	if err := s.SignOutEverywhere(ctx, u.ID, sess.ID); err != nil {
		return err
	}
	s.auditPlatform(ctx, "password.change", u.ID, u.ID, "")
	return nil
}

// Reauthenticate is the fresh-password check of a sensitive act by someone
// already signed in (break-glass to a restricted note): nil when pw is theirs.
func (s *Service) Reauthenticate(ctx context.Context, userID uuid.UUID, pw string) error {
	u, err := s.userByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("account.Reauthenticate: %w", err)
	}
	return s.checkPassword(u, pw)
}

// checkPassword is the "fresh password" step of sensitive changes.
func (s *Service) checkPassword(u userRow, pw string) error {
	if u.PasswordHash == nil {
		DummyVerify(pw)
		return fault.InvalidField("password", "that is not your current password")
	}
	ok, _, err := VerifyPassword(*u.PasswordHash, pw)
	if err != nil {
		return err
	}
	if !ok {
		return fault.InvalidField("password", "that is not your current password")
	}
	return nil
}

func (s *Service) setPassword(ctx context.Context, u userRow, pw string) error {
	if err := CheckNewPassword(pw, u.Email, u.Name); err != nil {
		return err
	}
	hash, err := HashPassword(pw, s.cfg.Argon2)
	if err != nil {
		return err
	}
	return s.db.AsUser(ctx, u.ID, func(tx *db.Tx) error {
		return tx.Model(&userRow{}).Where("id = ?", u.ID).
			Updates(map[string]any{"password_hash": hash, "password_set_at": s.now(), "updated_at": s.now()}).Error
	})
}
