package web

import (
	"encoding/base64"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
)

type enrolPage struct {
	layout
	Form *form
	// QR is a data: URL of the PNG the service drew (the CSP allows data:
	// images; the secret never goes to a QR service). Empty when the page
	// comes back after a wrong code: the secret is not kept anywhere we
	// could show it from again.
	QR     template.URL
	Secret string // in groups of four, as people type it
	Code   inputView
}

func (h *handler) renderEnrol(c *fiber.Ctx, status int, f *form, qr []byte, secret string) error {
	p := enrolPage{
		layout: h.page(c, "Set up two-step sign-in", "Add Tūhono to your authenticator app.", ""),
		Form:   f,
		Secret: groups(secret, 4),
	}
	if len(qr) > 0 {
		// Trusted: bytes we encoded ourselves, under a fixed media type.
		p.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(qr))
	}
	p.Code = f.Input("code", "Code from your app", "text", "one-time-code", "inputmode=numeric", "nospell",
		"hint=The 6 digits your app shows for Tūhono now.")
	return h.render(c, status, pageEnrol, p)
}

// beginMFA checks the password and shows the new secret: as a QR code and as
// text, with a field for the first code.
func (h *handler) beginMFA(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	f := newForm(c)
	pw := formValue(c, "mfa_password")
	if pw == "" {
		f.Fail("mfa_password", "enter your password")
		return h.renderAccount(c, fiber.StatusUnprocessableEntity, accountForms{mfa: f})
	}
	enr, err := h.Accounts.BeginMFA(httpx.Context(c), sess, pw)
	if err != nil {
		if f.Adopt(err, map[string]string{"password": "mfa_password"}) {
			return h.renderAccount(c, fiber.StatusUnprocessableEntity, accountForms{mfa: f})
		}
		if ok, rerr := h.mfaConflict(c, err); ok {
			return rerr
		}
		return err
	}
	return h.renderEnrol(c, fiber.StatusOK, newForm(c), enr.QRPNG, enr.Secret)
}

type recoveryPage struct {
	layout
	Codes []string
}

// confirmMFA turns two-step sign-in on once the first code checks out, and
// shows the recovery codes: once, never again.
func (h *handler) confirmMFA(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	f := newForm(c)
	code := formValue(c, "code")
	if code == "" || len(code) > maxCode {
		f.Fail("code", "enter the 6 digits your app shows")
		return h.renderEnrol(c, fiber.StatusUnprocessableEntity, f, nil, "")
	}
	ctx := httpx.Context(c)
	codes, err := h.Accounts.ConfirmMFA(ctx, sess, code)
	if err != nil {
		if f.Adopt(err, map[string]string{"code": "code"}) {
			return h.renderEnrol(c, fiber.StatusUnprocessableEntity, f, nil, "")
		}
		if ok, rerr := h.mfaConflict(c, err); ok {
			return rerr
		}
		return err
	}
	// The code just given proves the second factor for this session too;
	// the new token marks it so, and the old one is worthless.
	token, err := h.Accounts.Rotate(ctx, sess, true, uuid.Nil)
	if err != nil {
		return err
	}
	h.Sessions.SetCookie(c, token)
	return h.render(c, fiber.StatusOK, pageRecovery, recoveryPage{
		layout: h.page(c, "Save your recovery codes", "Your Tūhono recovery codes.", ""),
		Codes:  codes,
	})
}

// groups splits s into space-separated groups of n characters.
func groups(s string, n int) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i > 0 && i%n == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
