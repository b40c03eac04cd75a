package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
)

type mfaPage struct {
	layout
	Form *form
	Next string
	Code inputView
}

func (h *handler) renderMFA(c *fiber.Ctx, status int, f *form, next string) error {
	p := mfaPage{
		layout: h.page(c, "Two-step sign-in", "Enter the code from your authenticator app.", "/signin/mfa"),
		Form:   f,
		Next:   safeNext(next),
	}
	p.Code = f.Input("code", "Code", "text", "one-time-code", "nospell",
		"hint=The 6-digit code from your authenticator app, or one of your recovery codes.")
	return h.render(c, status, pageMFA, p)
}

// mfaForm is the challenge after the password, for people with MFA.
func (h *handler) mfaForm(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	next := safeNext(c.Query("next"))
	if !sess.User.MFAEnabled || sess.MFAVerified {
		return redirect(c, afterSignin(next))
	}
	return h.renderMFA(c, fiber.StatusOK, newForm(c), next)
}

// maxCode bounds what is taken as a code: a TOTP code is 6 digits, a
// recovery code 14 characters; anything much longer is not worth checking.
const maxCode = 40

func (h *handler) mfa(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	next := safeNext(formValue(c, "next"))
	if !sess.User.MFAEnabled || sess.MFAVerified {
		return redirect(c, afterSignin(next))
	}
	f := newForm(c)
	code := formValue(c, "code")
	if code == "" || len(code) > maxCode {
		f.Fail("code", "enter the 6-digit code from your app, or a recovery code")
		return h.renderMFA(c, fiber.StatusUnprocessableEntity, f, next)
	}
	token, err := h.Accounts.VerifyMFA(httpx.Context(c), sess, code, client(c))
	if err != nil {
		if msg, ok := tooMany(c, err); ok {
			f.Message = msg
			return h.renderMFA(c, fiber.StatusTooManyRequests, f, next)
		}
		if f.Adopt(err, map[string]string{"code": "code"}) {
			return h.renderMFA(c, fiber.StatusUnprocessableEntity, f, next)
		}
		if fault.As(err).Kind == fault.KindUnauthenticated {
			return redirect(c, "/signin")
		}
		return err
	}
	h.Sessions.SetCookie(c, token)
	return redirect(c, afterSignin(next))
}
