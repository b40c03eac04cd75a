package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/fault"
)

type resetPage struct {
	layout
	Form   *form
	Notice string
	Email  inputView
}

func (h *handler) renderReset(c *fiber.Ctx, status int, f *form) error {
	p := resetPage{
		layout: h.page(c, "Reset your password", "Ask for a link to set a new Tūhono password.", "/reset"),
		Form:   f,
		Notice: notice(c),
	}
	p.Email = f.Input("email", "E-mail address", "email", "username",
		"hint=The address you sign in with. We send the link there.")
	return h.render(c, status, pageReset, p)
}

func (h *handler) resetForm(c *fiber.Ctx) error {
	return h.renderReset(c, fiber.StatusOK, newForm(c))
}

// resetRequest always answers the same way for a well-formed address, known
// or not, so the page cannot be used to find out who has an account.
func (h *handler) resetRequest(c *fiber.Ctx) error {
	f := newForm(c)
	email := formValue(c, "email")
	f.Set("email", email)
	err := h.Accounts.RequestReset(httpx.Context(c), email, client(c))
	if err != nil {
		if msg, ok := tooMany(c, err); ok {
			f.Message = msg
			return h.renderReset(c, fiber.StatusTooManyRequests, f)
		}
		if f.Adopt(err, map[string]string{"email": "email"}) {
			return h.renderReset(c, fiber.StatusUnprocessableEntity, f)
		}
		return err
	}
	return redirect(c, "/reset?done=reset-sent")
}

type resetPasswordPage struct {
	layout
	Form     *form
	Action   string
	Password inputView
	Confirm  inputView
}

func (h *handler) renderResetPassword(c *fiber.Ctx, status int, f *form) error {
	// The token is in the path; the page's own address is never shown or
	// linked beyond the form's action (Referrer-Policy keeps it from leaking).
	p := resetPasswordPage{
		layout: h.page(c, "Choose a new password", "Set a new Tūhono password.", ""),
		Form:   f,
		Action: "/reset/" + c.Params("token"),
	}
	p.Password = f.Input("password", "New password", "password", "new-password", passwordHint)
	p.Confirm = f.Input("password_confirm", "New password again", "password", "new-password")
	return h.render(c, status, pageResetPassword, p)
}

// passwordHint is the rule for a new password, as the form says it.
const passwordHint = "hint=At least 12 characters. A few unrelated words make a strong password that is easy to remember."

func (h *handler) resetPasswordForm(c *fiber.Ctx) error {
	if !tokenShaped(c.Params("token"), account.PrefixReset) {
		return h.messagePage(c, errBadResetLink)
	}
	return h.renderResetPassword(c, fiber.StatusOK, newForm(c))
}

var errBadResetLink = fault.New(fault.KindNotFound, "this reset link is not valid: it may have been used already or have expired. Ask for a new one", nil)

func (h *handler) resetPassword(c *fiber.Ctx) error {
	token := c.Params("token")
	if !tokenShaped(token, account.PrefixReset) {
		return h.messagePage(c, errBadResetLink)
	}
	f := newForm(c)
	pw := formValue(c, "password")
	if !confirmPassword(f, "password", "password_confirm", pw, formValue(c, "password_confirm")) {
		return h.renderResetPassword(c, fiber.StatusUnprocessableEntity, f)
	}
	tok, sess, err := h.Accounts.ResetPassword(httpx.Context(c), token, pw, client(c))
	if err != nil {
		if f.Adopt(err, map[string]string{"password": "password"}) {
			return h.renderResetPassword(c, fiber.StatusUnprocessableEntity, f)
		}
		if fault.As(err).Kind == fault.KindNotFound {
			return h.messagePage(c, err)
		}
		return err
	}
	h.Sessions.SetCookie(c, tok)
	// A reset proves the e-mail, not the second factor: MFA still applies.
	if sess.User.MFAEnabled {
		return redirect(c, "/signin/mfa")
	}
	return redirect(c, "/tenants")
}

// confirmPassword checks the two copies of a new password match, and that
// one was given, before anything is sent to the service.
func confirmPassword(f *form, field, confirmField, pw, again string) bool {
	switch {
	case pw == "":
		f.Fail(field, "enter a new password")
	case pw != again:
		f.Fail(confirmField, "the two passwords are not the same: type the new password twice")
	}
	return !f.Failed()
}

// tokenShaped refuses what cannot be a token before it reaches the service
// (which checks it again and does the look-up).
func tokenShaped(token, prefix string) bool { return account.ParseToken(token, prefix) }
