package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm/clause"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// User is a person as the rest of the system sees them.
type User struct {
	ID               uuid.UUID
	Email            string
	Name             string
	HasPassword      bool
	MFAEnabled       bool
	PlatformOperator bool
	Disabled         bool
}

type userRow struct {
	ID               uuid.UUID
	Email            string
	Name             string
	PasswordHash     *string
	PasswordSetAt    *time.Time
	MFASecret        *string    `gorm:"column:mfa_secret"`
	MFAEnabledAt     *time.Time `gorm:"column:mfa_enabled_at"`
	MFALastStep      *int64     `gorm:"column:mfa_last_step"`
	PlatformOperator bool
	DisabledAt       *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) user() User {
	return User{ID: r.ID, Email: r.Email, Name: r.Name, HasPassword: r.PasswordHash != nil,
		MFAEnabled: r.MFAEnabledAt != nil, PlatformOperator: r.PlatformOperator, Disabled: r.DisabledAt != nil}
}

// NormaliseEmail trims and lower-cases an address and checks it is one plain
// address: e-mail is the person's global identity, compared case-insensitively.
func NormaliseEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(norm.NFC.String(s)))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 || strings.ContainsAny(s, "\r\n") {
		return "", fault.InvalidField("email", "enter one e-mail address, like name@example.co.nz")
	}
	return s, nil
}

// CleanName trims and NFC-normalises a person's name.
func CleanName(s string) (string, error) {
	s = norm.NFC.String(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(s); n < 1 || n > 200 || strings.ContainsAny(s, "\x00\r\n") {
		return "", fault.InvalidField("name", "enter a name of 1–200 characters")
	}
	return s, nil
}

func (s *Service) userByEmail(ctx context.Context, email string) (userRow, error) {
	var r userRow
	err := s.db.Platform(ctx, "sign-in: find user by e-mail", func(tx *db.Tx) error {
		return tx.Where("email = ?", email).Take(&r).Error
	})
	return r, err
}

func (s *Service) userByID(ctx context.Context, id uuid.UUID) (userRow, error) {
	var r userRow
	err := s.db.AsUser(ctx, id, func(tx *db.Tx) error { return tx.Where("id = ?", id).Take(&r).Error })
	return r, err
}

// UserByID returns a person.
func (s *Service) UserByID(ctx context.Context, id uuid.UUID) (User, error) {
	r, err := s.userByID(ctx, id)
	if err != nil {
		return User{}, fmt.Errorf("account.UserByID: %w", err)
	}
	return r.user(), nil
}

// ensureUser finds the user with email or creates them (without a password).
// Concurrent calls for one e-mail make one user.
func (s *Service) ensureUser(ctx context.Context, email, name string) (userRow, bool, error) {
	var r userRow
	created := false
	err := s.db.Platform(ctx, "account: find or create user", func(tx *db.Tx) error {
		n := userRow{ID: uuid.Must(uuid.NewV7()), Email: email, Name: name}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
		if res.Error != nil {
			return res.Error
		}
		created = res.RowsAffected == 1
		return tx.Where("email = ?", email).Take(&r).Error
	})
	return r, created, err
}

// CreateUser makes a person with a password (administration and the demo).
func (s *Service) CreateUser(ctx context.Context, email, name, password string, platformOperator bool) (User, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return User{}, fmt.Errorf("account.CreateUser: %w", err)
	}
	if name, err = CleanName(name); err != nil {
		return User{}, fmt.Errorf("account.CreateUser: %w", err)
	}
	if err := CheckNewPassword(password, email, name); err != nil {
		return User{}, fmt.Errorf("account.CreateUser: %w", err)
	}
	hash, err := HashPassword(password, s.cfg.Argon2)
	if err != nil {
		return User{}, fmt.Errorf("account.CreateUser: %w", err)
	}
	r := userRow{ID: uuid.Must(uuid.NewV7()), Email: email, Name: name, PasswordHash: &hash, PlatformOperator: platformOperator}
	now := s.now()
	r.PasswordSetAt = &now
	err = s.db.Platform(ctx, "account: create user", func(tx *db.Tx) error { return tx.Create(&r).Error })
	if errors.Is(err, fault.Conflict) {
		return User{}, fmt.Errorf("account.CreateUser: %w", fault.New(fault.KindConflict, "someone already uses this e-mail address", err))
	}
	if err != nil {
		return User{}, fmt.Errorf("account.CreateUser: %w", err)
	}
	return r.user(), nil
}

// UserByEmail finds a person by e-mail (administration commands).
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return User{}, fmt.Errorf("account.UserByEmail: %w", err)
	}
	r, err := s.userByEmail(ctx, email)
	if err != nil {
		return User{}, fmt.Errorf("account.UserByEmail: %w", err)
	}
	return r.user(), nil
}
