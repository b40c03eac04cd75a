package onboarding

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Settings are the tenant's own rules.
type Settings struct {
	// MFARequired blocks clinical records for people with clinical roles
	// until they set up two-step sign-in. On by default.
	MFARequired bool
	// SupportContactTargetDays: how soon a Support Worker aims to contact a
	// person referred (no published rule: 1–2 days is usual).
	SupportContactTargetDays int
	// DefaultSessionMinutes: a HIP or Health Coach session's usual length.
	DefaultSessionMinutes int
	// SameDaySharePercent: the share of a HIP's day kept open for same-day
	// warm handovers (about half in the model of care).
	SameDaySharePercent int
	// CoachCoSignRequired: Health Coach notes wait for a HIP's co-signature
	// (a supervision choice of the practice; off by default).
	CoachCoSignRequired bool
	// PrivacyOfficerEmail is told of every break-glass access to a
	// restricted note; empty: the practice's contact e-mail.
	PrivacyOfficerEmail string
}

// DefaultSettings are what a tenant has until it changes them.
var DefaultSettings = Settings{MFARequired: true, SupportContactTargetDays: 2, DefaultSessionMinutes: 30, SameDaySharePercent: 50}

type settingsRow struct {
	TenantID                 uuid.UUID
	SupportContactTargetDays int
	DefaultSessionMinutes    int
	SameDaySharePercent      int
	MFARequired              bool `gorm:"column:mfa_required"`
	CoachCosignRequired      bool
	PrivacyOfficerEmail      *string
	UpdatedAt                time.Time
}

func (settingsRow) TableName() string { return "tenant_settings" }

// Validate checks every setting and reports each bad one.
func (s Settings) Validate() error {
	var f fault.Fields
	if s.SupportContactTargetDays < 1 || s.SupportContactTargetDays > 14 {
		f.Add("support_contact_target_days", "choose from 1 to 14 days")
	}
	if s.DefaultSessionMinutes < 10 || s.DefaultSessionMinutes > 90 {
		f.Add("default_session_minutes", "choose from 10 to 90 minutes")
	}
	if s.SameDaySharePercent < 0 || s.SameDaySharePercent > 100 {
		f.Add("same_day_share_percent", "choose from 0 to 100 per cent")
	}
	if e := s.PrivacyOfficerEmail; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
			f.Add("privacy_officer_email", "enter one e-mail address, like privacy@practice.nz")
		}
	}
	return f.Err()
}

// GetSettings reads the settings of the tenant in ctx (the defaults until
// it has saved its own).
func GetSettings(ctx context.Context, d *db.DB) (Settings, error) {
	var rows []settingsRow
	if err := d.ReadInTenant(ctx, func(tx *db.Tx) error { return tx.Limit(1).Find(&rows).Error }); err != nil {
		return Settings{}, fmt.Errorf("onboarding.GetSettings: %w", err)
	}
	if len(rows) == 0 {
		return DefaultSettings, nil
	}
	r := rows[0]
	out := Settings{MFARequired: r.MFARequired, SupportContactTargetDays: r.SupportContactTargetDays,
		DefaultSessionMinutes: r.DefaultSessionMinutes, SameDaySharePercent: r.SameDaySharePercent,
		CoachCoSignRequired: r.CoachCosignRequired}
	if r.PrivacyOfficerEmail != nil {
		out.PrivacyOfficerEmail = *r.PrivacyOfficerEmail
	}
	return out, nil
}

// SaveSettings stores the settings of the tenant in ctx and records who
// changed them.
func SaveSettings(ctx context.Context, d *db.DB, actor uuid.UUID, s Settings) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("onboarding.SaveSettings: %w", err)
	}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var officer any
		if s.PrivacyOfficerEmail != "" {
			officer = s.PrivacyOfficerEmail
		}
		if err := tx.Exec(`INSERT INTO tenant_settings (tenant_id, support_contact_target_days, default_session_minutes,
				same_day_share_percent, mfa_required, coach_cosign_required, privacy_officer_email, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, now())
			ON CONFLICT (tenant_id) DO UPDATE SET support_contact_target_days = EXCLUDED.support_contact_target_days,
				default_session_minutes = EXCLUDED.default_session_minutes, same_day_share_percent = EXCLUDED.same_day_share_percent,
				mfa_required = EXCLUDED.mfa_required, coach_cosign_required = EXCLUDED.coach_cosign_required,
				privacy_officer_email = EXCLUDED.privacy_officer_email, updated_at = now()`,
			tx.Tenant.ID, s.SupportContactTargetDays, s.DefaultSessionMinutes, s.SameDaySharePercent, s.MFARequired,
			s.CoachCoSignRequired, officer).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: "tenant.settings", ActorUserID: actor, Object: "tenant",
			ObjectID: tx.Tenant.ID.String(), Detail: map[string]string{"mfa_required": fmt.Sprint(s.MFARequired),
				"coach_cosign_required": fmt.Sprint(s.CoachCoSignRequired)}})
	})
	if err != nil {
		return fmt.Errorf("onboarding.SaveSettings: %w", err)
	}
	return nil
}
