package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/outbox"
	"github.com/tuhono/tuhono/tenants"
)

// Invitation is an open invitation as its tenant's admins see it.
type Invitation struct {
	ID         uuid.UUID
	Email      string
	Name       string
	Roles      []string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
	// ExistingUser says the e-mail already has an account: accepting only
	// adds the membership and sets no password.
	ExistingUser bool
}

type invitationRow struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	Email      string
	Name       string
	Roles      pq.StringArray `gorm:"type:text[]"`
	TokenHash  []byte
	InvitedBy  *uuid.UUID
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
	AcceptedBy *uuid.UUID
	RevokedAt  *time.Time
}

func (invitationRow) TableName() string { return "invitations" }

func (r invitationRow) view() Invitation {
	return Invitation{ID: r.ID, Email: r.Email, Name: r.Name, Roles: []string(r.Roles), CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, AcceptedAt: r.AcceptedAt}
}

var errBadInvitation = fault.New(fault.KindNotFound, "this invitation link is not valid: it may have been used already or have expired", nil)

// Invite invites an e-mail address to the tenant in ctx with roles. The link
// goes out by e-mail through the outbox, after commit; the token exists only
// in that e-mail and is returned for the caller's tests and CLI.
func (s *Service) Invite(ctx context.Context, actor uuid.UUID, email, name string, roles []string) (Invitation, string, error) {
	var f fault.Fields
	email, err := NormaliseEmail(email)
	if err != nil {
		f.Add("email", "enter one e-mail address, like name@example.co.nz")
	}
	name = strings.TrimSpace(name)
	if name != "" {
		if name, err = CleanName(name); err != nil {
			f.Add("name", "enter a name of 1–200 characters")
		}
	}
	if roles, err = CheckRoles(roles); err != nil {
		f.Add("roles", "choose at least one role")
	}
	if err := f.Err(); err != nil {
		return Invitation{}, "", fmt.Errorf("account.Invite: %w", err)
	}
	t, _ := tenants.FromContext(ctx)
	if !t.Live() {
		// A suspended or archived organisation takes on no one new; its
		// records stay readable.
		return Invitation{}, "", fmt.Errorf("account.Invite: %w", fault.New(fault.KindConflict,
			"this organisation is "+string(t.Status)+": it cannot invite anyone until it is active again", nil))
	}
	token, hash, err := NewToken("tui")
	if err != nil {
		return Invitation{}, "", fmt.Errorf("account.Invite: %w", err)
	}
	now := s.now()
	r := invitationRow{ID: uuid.Must(uuid.NewV7()), Email: email, Name: name, Roles: roles, TokenHash: hash,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.InvitationTTL)}
	if actor != uuid.Nil {
		r.InvitedBy = &actor
	}
	link := s.cfg.BaseURL + "/t/" + t.Slug + "/invite/" + token
	err = s.db.InTenant(ctx, func(tx *db.Tx) error {
		r.TenantID = tx.Tenant.ID
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		if err := outbox.Enqueue(tx, outbox.Email{
			To:             email,
			Subject:        "Kia ora — you are invited to " + t.Name + " on Tūhono",
			Text:           invitationText(name, t.Name, roles, link, r.ExpiresAt),
			IdempotencyKey: "invitation:" + r.ID.String(),
			TenantSlug:     t.Slug,
		}); err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: "invitation.create", ActorUserID: actor, Object: "staff",
			ObjectID: r.ID.String(), Detail: map[string]string{"roles": strings.Join(roles, ",")}})
	})
	if err != nil {
		return Invitation{}, "", fmt.Errorf("account.Invite: %w", err)
	}
	return r.view(), token, nil
}

func invitationText(name, tenant string, roles []string, link string, expires time.Time) string {
	greet := "Kia ora"
	if name != "" {
		greet += " " + name
	}
	labels := make([]string, len(roles))
	for i, r := range roles {
		labels[i] = RoleLabels[r]
	}
	return greet + ",\n\nYou have been invited to join " + tenant + " on Tūhono as " + strings.Join(labels, " and ") +
		".\n\nAccept the invitation here (the link works once, until " + expires.In(nzst()).Format("2 January 2006 3:04 pm") + "):\n\n" +
		link + "\n\nIf you were not expecting this, you can ignore this e-mail.\n\nNgā mihi,\nTūhono\n"
}

func nzst() *time.Location {
	if loc, err := time.LoadLocation("Pacific/Auckland"); err == nil {
		return loc
	}
	return time.UTC
}

// InvitationByToken shows the invitation behind a link at the tenant in ctx.
func (s *Service) InvitationByToken(ctx context.Context, token string) (Invitation, error) {
	if !ParseToken(token, "tui") {
		return Invitation{}, errBadInvitation
	}
	var r invitationRow
	err := s.db.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Where("token_hash = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?", HashToken(token), s.now()).Take(&r).Error
	})
	if errors.Is(err, fault.NotFound) {
		return Invitation{}, errBadInvitation
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("account.InvitationByToken: %w", err)
	}
	v := r.view()
	if u, err := s.userByEmail(ctx, r.Email); err == nil && u.PasswordHash != nil {
		v.ExistingUser = true
	}
	return v, nil
}

// AcceptInvitation redeems a link: it creates the person (with name and
// password) or, for an existing account, only adds the membership. The link
// works once: of any number of concurrent accepts exactly one succeeds.
func (s *Service) AcceptInvitation(ctx context.Context, token, name, password string) (User, error) {
	inv, err := s.InvitationByToken(ctx, token)
	if err != nil {
		return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
	}
	u, err := s.userByEmail(ctx, inv.Email)
	newUser := errors.Is(err, fault.NotFound) || (err == nil && u.PasswordHash == nil)
	if err != nil && !errors.Is(err, fault.NotFound) {
		return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
	}
	if newUser {
		if name == "" {
			name = inv.Name
		}
		if name, err = CleanName(name); err != nil {
			return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
		}
		if err := CheckNewPassword(password, inv.Email, name); err != nil {
			return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
		}
		if u, _, err = s.ensureUser(ctx, inv.Email, name); err != nil {
			return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
		}
	}
	var roles []string
	err = s.db.InTenant(ctx, func(tx *db.Tx) error {
		var r invitationRow
		res := tx.Raw(`UPDATE invitations SET accepted_at = ?, accepted_by = ?
			WHERE token_hash = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ? RETURNING *`,
			s.now(), u.ID, HashToken(token), s.now()).Scan(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errBadInvitation
		}
		roles = []string(r.Roles)
		if err := upsertMember(tx, u.ID, roles, s.now()); err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: "invitation.accept", ActorUserID: u.ID, SubjectUserID: u.ID,
			Object: "staff", ObjectID: r.ID.String(), Detail: map[string]string{"roles": strings.Join(roles, ",")}})
	})
	if err != nil {
		return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
	}
	if newUser {
		// Only the one accept that won the link sets the password.
		if err := s.setPassword(ctx, u, password); err != nil {
			return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
		}
		u.PasswordHash = new(string)
	}
	if err := s.mirror(ctx, u.ID, roles); err != nil {
		return User{}, fmt.Errorf("account.AcceptInvitation: %w", err)
	}
	return u.user(), nil
}

// Invitations lists the tenant's open invitations.
func (s *Service) Invitations(ctx context.Context) ([]Invitation, error) {
	var rows []invitationRow
	err := s.db.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Where("accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?", s.now()).Order("created_at DESC").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account.Invitations: %w", err)
	}
	out := make([]Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}
