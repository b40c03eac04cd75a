package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
)

// One answer to every failed sign-in: it never says whether the address has
// an account.
const badCredentials = "That e-mail address and password do not match an account. Check them and try again."

type signinPage struct {
	layout
	Form     *form
	Notice   string
	Next     string
	Email    inputView
	Password inputView
}

func (h *handler) renderSignin(c *fiber.Ctx, status int, f *form, next string) error {
	p := signinPage{
		layout: h.page(c, "Sign in", "Sign in to Tūhono.", "/signin"),
		Form:   f,
		Notice: notice(c),
		Next:   safeNext(next),
	}
	p.Email = f.Input("email", "E-mail address", "email", "username")
	p.Password = f.Input("password", "Password", "password", "current-password")
	return h.render(c, status, pageSignin, p)
}

// signinForm shows the sign-in form; someone already signed in goes on.
func (h *handler) signinForm(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if sess, ok := httpx.Session(c); ok {
		if sess.User.MFAEnabled && !sess.MFAVerified {
			return redirect(c, withNext("/signin/mfa", next))
		}
		return redirect(c, afterSignin(next))
	}
	return h.renderSignin(c, fiber.StatusOK, newForm(c), next)
}

func afterSignin(next string) string {
	if next = safeNext(next); next != "" {
		return next
	}
	return "/tenants"
}

func (h *handler) signin(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	f := newForm(c)
	next := safeNext(formValue(c, "next"))
	email := formValue(c, "email")
	f.Set("email", email)
	token, sess, err := h.Accounts.SignIn(ctx, email, formValue(c, "password"), client(c))
	if err != nil {
		if msg, ok := tooMany(c, err); ok {
			f.Message = msg
			return h.renderSignin(c, fiber.StatusTooManyRequests, f, next)
		}
		if fault.As(err).Kind == fault.KindUnauthenticated {
			f.Message = badCredentials
			return h.renderSignin(c, fiber.StatusUnprocessableEntity, f, next)
		}
		return err
	}
	// A session this browser already had is ended, not left alive beside
	// the new one.
	if old, ok := httpx.Session(c); ok {
		if err := h.Accounts.SignOut(ctx, old); err != nil {
			return err
		}
	}
	h.Sessions.SetCookie(c, token)
	if sess.User.MFAEnabled {
		return redirect(c, withNext("/signin/mfa", next))
	}
	return redirect(c, afterSignin(next))
}
