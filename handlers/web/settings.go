package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

type settingsPage struct {
	layout
	Notice      string
	Form        *form
	SaveURL     string
	MFARequired bool
	CoSign      bool
	ContactDays inputView
	Officer     inputView
	Minutes     inputView
	SameDay     inputView
}

func (h *handler) renderSettings(c *fiber.Ctx, status int, f *form, mfa, cosign bool) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	p := settingsPage{
		layout:      h.tenantPage(c, "Settings", "/settings"),
		Notice:      notice(c),
		Form:        f,
		SaveURL:     tenantPath(t.Slug, "/settings"),
		MFARequired: mfa,
		CoSign:      cosign,
	}
	p.ContactDays = f.Input("support_contact_target_days", "Support Worker contact target (days)", "number", "off",
		"inputmode=numeric", "min=1", "max=14", "hint=How soon a Support Worker aims to contact someone referred: 1–14 days.")
	p.Minutes = f.Input("default_session_minutes", "Usual session length (minutes)", "number", "off",
		"inputmode=numeric", "min=10", "max=90", "hint=HIP and Health Coach sessions are brief: usually 20–30 minutes.")
	p.SameDay = f.Input("same_day_share_percent", "Share of a HIP's day kept for same-day handovers (%)", "number", "off",
		"inputmode=numeric", "min=0", "max=100", "hint=About half keeps room for warm handovers on the day.")
	p.Officer = f.Input("privacy_officer_email", "Privacy officer’s e-mail (optional)", "email", "email",
		"hint=Told at once of every break-glass access to a restricted note. Empty: the practice’s contact e-mail.")
	return h.render(c, status, pageSettings, p)
}

// settings shows the tenant's own rules.
func (h *handler) settings(c *fiber.Ctx) error {
	s, err := onboarding.GetSettings(httpx.Context(c), h.DB)
	if err != nil {
		return err
	}
	f := newForm(c)
	f.Set("support_contact_target_days", strconv.Itoa(s.SupportContactTargetDays))
	f.Set("default_session_minutes", strconv.Itoa(s.DefaultSessionMinutes))
	f.Set("same_day_share_percent", strconv.Itoa(s.SameDaySharePercent))
	f.Set("privacy_officer_email", s.PrivacyOfficerEmail)
	return h.renderSettings(c, fiber.StatusOK, f, s.MFARequired, s.CoachCoSignRequired)
}

// saveSettings changes them; bad numbers come back with messages and change
// nothing.
func (h *handler) saveSettings(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	num := func(name string) int {
		v := strings.TrimSpace(formValue(c, name))
		f.Set(name, v)
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Fail(name, "enter a whole number")
		}
		return n
	}
	s := onboarding.Settings{
		MFARequired:              formValue(c, "mfa_required") == "on",
		SupportContactTargetDays: num("support_contact_target_days"),
		DefaultSessionMinutes:    num("default_session_minutes"),
		SameDaySharePercent:      num("same_day_share_percent"),
		CoachCoSignRequired:      formValue(c, "coach_cosign_required") == "on",
		PrivacyOfficerEmail:      strings.TrimSpace(formValue(c, "privacy_officer_email")),
	}
	f.Set("privacy_officer_email", s.PrivacyOfficerEmail)
	if f.Failed() {
		return h.renderSettings(c, fiber.StatusUnprocessableEntity, f, s.MFARequired, s.CoachCoSignRequired)
	}
	if err := onboarding.SaveSettings(ctx, h.DB, actor.UserID, s); err != nil {
		if f.Adopt(err, map[string]string{"support_contact_target_days": "support_contact_target_days",
			"default_session_minutes": "default_session_minutes", "same_day_share_percent": "same_day_share_percent",
			"privacy_officer_email": "privacy_officer_email"}) {
			return h.renderSettings(c, fiber.StatusUnprocessableEntity, f, s.MFARequired, s.CoachCoSignRequired)
		}
		return err
	}
	return c.Redirect(tenantPath(t.Slug, "/settings")+"?done=settings", fiber.StatusSeeOther)
}
