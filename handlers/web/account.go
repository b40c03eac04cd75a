package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/fault"
)

type accountPage struct {
	layout
	Notice     string
	Name       string
	Email      string
	MFAEnabled bool
	CSRF       string

	Password        *form
	CurrentPassword inputView
	NewPassword     inputView
	NewConfirm      inputView

	MFA         *form // turning two-step sign-in on, or off
	MFAPassword inputView

	Sessions []sessionView
	Others   int // sessions besides this one
}

type sessionView struct {
	Device   string
	IP       string
	Started  timeView
	LastSeen timeView
	ThisOne  bool
}

// accountForms are the forms of the account page; the one that was sent
// comes back with its messages, the others empty.
type accountForms struct {
	password, mfa *form
}

func (h *handler) renderAccount(c *fiber.Ctx, status int, forms accountForms) error {
	sess, _ := httpx.Session(c)
	list, err := h.Accounts.Sessions(httpx.Context(c), sess.User.ID)
	if err != nil {
		return err
	}
	if forms.password == nil {
		forms.password = newForm(c)
	}
	if forms.mfa == nil {
		forms.mfa = newForm(c)
	}
	// What the page shows about the person is read fresh: the session in
	// hand was loaded before this request changed anything.
	user, err := h.Accounts.UserByID(httpx.Context(c), sess.User.ID)
	if err != nil {
		return err
	}
	p := accountPage{
		layout:     h.page(c, "Your account", "Your Tūhono account: password, two-step sign-in and where you are signed in.", "/account"),
		Notice:     notice(c),
		Name:       user.Name,
		Email:      user.Email,
		MFAEnabled: user.MFAEnabled,
		CSRF:       httpx.CSRFToken(c),
		Password:   forms.password,
		MFA:        forms.mfa,
	}
	p.CurrentPassword = forms.password.Input("current_password", "Current password", "password", "current-password")
	p.NewPassword = forms.password.Input("new_password", "New password", "password", "new-password", passwordHint)
	p.NewConfirm = forms.password.Input("new_password_confirm", "New password again", "password", "new-password")
	hint := "hint=To set up two-step sign-in, confirm it is you."
	if user.MFAEnabled {
		hint = "hint=To turn two-step sign-in off, confirm it is you."
	}
	p.MFAPassword = forms.mfa.Input("mfa_password", "Your password", "password", "current-password", hint)
	for _, s := range list {
		v := sessionView{Device: device(s.UserAgent), IP: s.IP, Started: showTime(s.CreatedAt, nzZone),
			LastSeen: showTime(s.LastSeenAt, nzZone), ThisOne: s.ID == sess.ID}
		if !v.ThisOne {
			p.Others++
		}
		p.Sessions = append(p.Sessions, v)
	}
	return h.render(c, status, pageAccount, p)
}

func (h *handler) account(c *fiber.Ctx) error {
	return h.renderAccount(c, fiber.StatusOK, accountForms{})
}

func (h *handler) changePassword(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	f := newForm(c)
	current, next := formValue(c, "current_password"), formValue(c, "new_password")
	if current == "" {
		f.Fail("current_password", "enter your current password")
	}
	if confirmPassword(f, "new_password", "new_password_confirm", next, formValue(c, "new_password_confirm")) {
		// Checked here first so that the service's one field name,
		// "password", can mean the current password below.
		f.Adopt(account.CheckNewPassword(next, sess.User.Email, sess.User.Name), map[string]string{"password": "new_password"})
	}
	if f.Failed() {
		return h.renderAccount(c, fiber.StatusUnprocessableEntity, accountForms{password: f})
	}
	if err := h.Accounts.ChangePassword(httpx.Context(c), sess, current, next); err != nil {
		if f.Adopt(err, map[string]string{"password": "current_password"}) {
			return h.renderAccount(c, fiber.StatusUnprocessableEntity, accountForms{password: f})
		}
		return err
	}
	return redirect(c, "/account?done=password")
}

func (h *handler) removeMFA(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	f := newForm(c)
	pw := formValue(c, "mfa_password")
	if pw == "" {
		f.Fail("mfa_password", "enter your password")
		return h.renderAccount(c, fiber.StatusUnprocessableEntity, accountForms{mfa: f})
	}
	if err := h.Accounts.RemoveMFA(httpx.Context(c), sess, pw); err != nil {
		if f.Adopt(err, map[string]string{"password": "mfa_password"}) {
			return h.renderAccount(c, fiber.StatusUnprocessableEntity, accountForms{mfa: f})
		}
		return err
	}
	return redirect(c, "/account?done=mfa-removed")
}

// mfaConflict shows a domain conflict ("two-step sign-in is already on") on
// the account page's MFA form; it reports whether err was one.
func (h *handler) mfaConflict(c *fiber.Ctx, err error) (bool, error) {
	fe := fault.As(err)
	if fe.Kind != fault.KindConflict {
		return false, nil
	}
	f := newForm(c)
	f.Message = sentence(fe.Message)
	return true, h.renderAccount(c, fiber.StatusConflict, accountForms{mfa: f})
}

// device names a browser from its User-Agent well enough for a person to
// recognise their own ("Firefox on Windows"), without echoing the header.
func device(ua string) string {
	browser := "A browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "a Mac"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			return browser + " on " + o.name
		}
	}
	return browser
}
