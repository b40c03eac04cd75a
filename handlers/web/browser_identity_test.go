package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/tuhono/tuhono/tenants"
)

// tab drives one page of the browser through the site and checks every page
// it lands on: no CSP violation or console error, no sideways scrolling.
type tab struct {
	t     *testing.T
	page  *rod.Page
	probs *pageProblems
	base  string
	dir   string
	width int
	// allow is the status of a form sent back with messages, which
	// Chromium logs as a failed load: expected once, on the next page.
	allow string
}

func (b *tab) element(selector string) *rod.Element {
	b.t.Helper()
	el, err := b.page.Timeout(5 * time.Second).Element(selector)
	if err != nil {
		b.t.Fatalf("no %s on %s: %v", selector, b.where(), err)
	}
	return el.CancelTimeout()
}

func (b *tab) fill(selector, value string) {
	b.t.Helper()
	el := b.element(selector)
	if err := el.SelectAllText(); err != nil {
		b.t.Fatal(err)
	}
	if err := el.Input(value); err != nil {
		b.t.Fatalf("type into %s: %v", selector, err)
	}
}

// click clicks selector and waits for the page it leads to.
func (b *tab) click(selector string) {
	b.t.Helper()
	b.clickElement(b.element(selector), selector)
}

func (b *tab) clickElement(el *rod.Element, what string) {
	b.t.Helper()
	wait := b.page.WaitNavigation(proto.PageLifecycleEventNameLoad)
	if err := el.Click(proto.InputMouseButtonLeft, 1); err != nil {
		b.t.Fatalf("click %s: %v", what, err)
	}
	wait()
	b.t.Logf("clicked %s, now at %s", what, b.where())
}

// where is the current address for a message, never blocking for long.
func (b *tab) where() string {
	info, err := b.page.Timeout(2 * time.Second).Info()
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return info.URL
}

func (b *tab) path() string {
	info, err := b.page.Info()
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(info.URL)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Path
}

func (b *tab) text(selector string) string {
	b.t.Helper()
	s, err := b.element(selector).Text()
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// at checks the page is path and shows every text in want, and then the
// checks every page gets; shot names a screenshot (full page) when set.
func (b *tab) at(path, shot string, want ...string) {
	b.t.Helper()
	b.t.Logf("at %s", path)
	if got := b.path(); got != path {
		b.t.Fatalf("on %s, want %s; the page says:\n%s", got, path, b.text("main"))
	}
	body := b.text("body")
	for _, w := range want {
		if !strings.Contains(body, w) {
			b.t.Errorf("%s lacks %q", path, w)
		}
	}
	for _, v := range cspViolations(b.t, b.page, b.probs) {
		if b.allow != "" && strings.HasPrefix(v, "log network:") && strings.Contains(v, "status of "+b.allow) {
			continue
		}
		b.t.Errorf("%s: %s", path, v)
	}
	b.allow = ""
	var m struct{ ScrollWidth, ClientWidth int }
	evalJSON(b.t, b.page, `() => ({scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth})`, &m)
	if m.ScrollWidth > m.ClientWidth {
		b.t.Errorf("%s scrolls sideways at %dpx: %d > %d", path, b.width, m.ScrollWidth, m.ClientWidth)
	}
	if shot != "" {
		screenshot(b.t, b.page, b.dir, shot, true)
	}
}

func (b *tab) resize(width, height int) {
	b.t.Helper()
	b.width = width
	if err := b.page.SetViewport(&proto.EmulationSetDeviceMetricsOverride{
		Width: width, Height: height, DeviceScaleFactor: 1, Mobile: width < 600,
	}); err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowserIdentity walks a new HIP from invitation to work in a real
// Chromium: an administrator invites them; they follow the link from the
// development mailbox, choose a password, set up two-step sign-in with the
// secret on the page, sign out, sign in with a code, choose a practice, see
// their home and sign out.
func TestBrowserIdentity(t *testing.T) {
	browser := launchBrowser(t)
	s, base := serveSite(t)
	ctx := context.Background()
	a, other := s.tenant(t, "Ōtautahi Health Centre"), s.tenant(t, "Riverside Family Practice")
	admin := s.person(t, "Aroha Ngata", &a, "practice_admin")
	page, err := browser.Page(proto.TargetCreateTarget{})
	if err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, page: page, probs: watch(t, page), base: base, dir: screenshotDir(t)}
	b.resize(390, 844)
	home := "/t/" + a.Slug + "/"

	// The administrator signs in (one practice: straight in) and invites.
	open(t, page, base+"/", 390, 844)
	b.click(`main a[href="/signin"]`)
	b.at("/signin", "", "Takiuru")
	b.fill("#f-email", admin.Email)
	b.fill("#f-password", testPassword)
	b.click(`main form[action="/signin"] button[type="submit"]`)
	b.at(home, "home-admin-390.png", "Aroha Ngata", "Manage staff and invitations", "person working here", "Practice administrator")
	b.click(`main a[href="` + home + `staff"]`)
	// Sent empty, the form comes back with each message by its field.
	b.click(`main form[action$="/staff/invite"] button[type="submit"]`)
	b.allow = "422"
	b.at(home+"staff/invite", "staff-invite-errors-390.png", "There is a problem", "Enter one e-mail address", "Choose at least one role")
	var invalid struct {
		Invalid   string
		Described string
	}
	evalJSON(t, page, `() => { const e = document.querySelector("#f-email");
		return {invalid: e.getAttribute("aria-invalid"), described: document.getElementById("f-email-error").textContent}; }`, &invalid)
	if invalid.Invalid != "true" || !strings.Contains(invalid.Described, "e-mail address") {
		t.Errorf("the e-mail field is not marked invalid with its message: %+v", invalid)
	}
	email := "mere-" + a.Slug + "@example.co.nz"
	b.fill("#f-email", email)
	b.fill("#f-name", "Mere Tawhiri")
	if err := b.element(`#f-roles-hip`).Click(proto.InputMouseButtonLeft, 1); err != nil {
		t.Fatal(err)
	}
	b.click(`main form[action$="/staff/invite"] button[type="submit"]`)
	b.at(home+"staff", "staff-390.png", "The invitation is on its way", email, "Health Improvement Practitioner (HIP)")
	b.click(`header form.signout button`)
	b.at("/signin", "", "You have signed out")

	// The invitee opens the e-mail in the development mailbox.
	open(t, page, base+"/dev/mailbox", 390, 844)
	b.at("/dev/mailbox", "mailbox-390.png", email)
	art, err := page.ElementR("article.mail", email)
	if err != nil {
		t.Fatal(err)
	}
	link, err := art.Element(`a[href*="/invite/"]`)
	if err != nil {
		t.Fatal(err)
	}
	b.clickElement(link, "the invitation link")
	invitation := b.path()
	if !strings.HasPrefix(invitation, home+"invite/") {
		t.Fatalf("the mailbox link led to %s", invitation)
	}
	b.at(invitation, "invitation-390.png", "Join "+a.Name, email, "Health Improvement Practitioner (HIP)")
	const pw = "pōhutukawa blooms in december"
	b.fill("#f-password", pw)
	b.fill("#f-password-confirm", pw)
	b.click(`main form button[type="submit"]`)
	b.at("/signin", "", "Your invitation is accepted")
	b.fill("#f-email", email)
	b.fill("#f-password", pw)
	b.click(`main form[action="/signin"] button[type="submit"]`)

	// First thing a clinician without two-step sign-in sees: set it up.
	b.at(home, "home-hip-no-mfa-390.png", "Set up two-step sign-in", "Mere Tawhiri")
	b.click(`main .banner a`)
	b.at("/account", "account-390.png", "Two-step sign-in", "Off")
	b.fill("#f-mfa-password", pw)
	b.click(`main form[action="/account/mfa"] button[type="submit"]`)
	b.at("/account/mfa", "enrol-390.png", "Scan this code")
	var qr struct {
		Complete bool
		Width    int
	}
	evalJSON(t, page, `() => { const i = document.querySelector(".qr img"); return {complete: i.complete, width: i.naturalWidth}; }`, &qr)
	if !qr.Complete || qr.Width == 0 {
		t.Errorf("the QR code image did not load: %+v", qr)
	}
	secret := strings.ReplaceAll(b.text("#mfa-secret"), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	b.fill("#f-code", code)
	b.click(`main form[action="/account/mfa/confirm"] button[type="submit"]`)
	b.at("/account/mfa/confirm", "recovery-390.png", "Save your recovery codes now", "only time these codes are shown")
	codes, err := page.Elements(".codes code")
	if err != nil || len(codes) != 10 {
		t.Errorf("%d recovery codes on the page (%v)", len(codes), err)
	}

	// Meanwhile a second practice takes Mere on: now there is a choice.
	mere := findUser(t, s, a, email)
	if err := s.accounts.AddMember(tenants.WithTenant(ctx, other), admin.ID, mere, []string{"hip"}); err != nil {
		t.Fatal(err)
	}
	b.click(`header form.signout button`)
	b.at("/signin", "")

	// Signing in again asks for the code.
	b.fill("#f-email", email)
	b.fill("#f-password", pw)
	b.click(`main form[action="/signin"] button[type="submit"]`)
	b.at("/signin/mfa", "mfa-390.png", "Two-step sign-in")
	// The enrolment spent this time step's code; the next step's is good.
	code, err = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.fill("#f-code", code)
	b.click(`main form[action="/signin/mfa"] button[type="submit"]`)
	b.at("/tenants", "picker-390.png", "Choose where to work", a.Name, other.Name)
	b.click(`main form[action="/tenants/` + a.Slug + `"] button`)

	// Home for a HIP with two-step sign-in: their roles and what exists.
	b.at(home, "home-hip-390.png", "Mere Tawhiri", "Health Improvement Practitioner (HIP)", "Your API tokens", "Switch to another practice or PHO")
	if body := b.text("main"); strings.Contains(body, "Set up two-step sign-in") || strings.Contains(body, "Manage staff") {
		t.Errorf("a HIP with MFA sees the banner or the admin panel:\n%s", body)
	}
	b.resize(1280, 900)
	b.at(home, "home-hip-1280.png")
	b.click(`main a[href="` + home + `tokens"]`)
	b.at(home+"tokens", "tokens-1280.png", "Your API tokens", "Create a token")
	b.click(`header a[href="/account"]`)
	b.at("/account", "account-1280.png", "On", "This device")
	b.click(`header form.signout button`)
	b.at("/signin", "signed-out-1280.png", "You have signed out")
	if cookies, err := page.Cookies([]string{base}); err == nil {
		for _, c := range cookies {
			if c.Name == "__Host-tuhono" {
				t.Error("the session cookie survived sign-out")
			}
		}
	}
}

// findUser finds a member of tn by e-mail address.
func findUser(t *testing.T, s *stack, tn tenants.Tenant, email string) uuid.UUID {
	t.Helper()
	staff, err := s.accounts.Staff(tenants.WithTenant(context.Background(), tn))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range staff {
		if m.User.Email == email {
			return m.UserID
		}
	}
	t.Fatalf("%s is not a member of %s", email, tn.Slug)
	return uuid.Nil
}
