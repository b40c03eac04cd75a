package web

import (
	"context"
	"github.com/tuhono/tuhono/models/onboarding"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/tenants"
)

func TestSignInPickerHome(t *testing.T) {
	s := newStack(t, testBase)
	a, b := s.tenant(t), s.tenant(t)
	admin := s.person(t, "Aroha Admin", &a, "practice_admin")
	if err := s.accounts.AddMember(tenants.WithTenant(context.Background(), b), admin.ID, admin.ID, []string{"hip"}); err != nil {
		t.Fatal(err)
	}
	br := s.agent(t)

	// Not signed in: a tenant page sends you to sign in, remembering where.
	wantRedirect(t, br.get("/t/"+a.Slug+"/"), "/signin?next="+url.QueryEscape("/t/"+a.Slug+"/"))
	want(t, br.get("/signin?next=/t/"+a.Slug+"/"), 200, `name="_csrf" value="`+br.cookies[httpx.CSRFCookie]+`"`,
		`name="next" value="/t/`+a.Slug+`/"`, `autocomplete="username"`, `autocomplete="current-password"`)

	// A wrong password: the one generic answer, the address kept, no session.
	r := br.post("/signin", url.Values{"email": {admin.Email}, "password": {"not the password at all"}})
	want(t, r, http.StatusUnprocessableEntity, "do not match an account", `value="`+admin.Email+`"`)
	if br.cookies[httpx.SessionCookie] != "" {
		t.Fatal("a failed sign-in set a session cookie")
	}
	unknown := br.post("/signin", url.Values{"email": {"nobody-" + a.Slug + "@example.co.nz"}, "password": {"whatever it is here"}})
	want(t, unknown, http.StatusUnprocessableEntity, "do not match an account")

	// Sign in: two places, so the picker.
	wantRedirect(t, br.signIn(admin), "/tenants")
	first := br.cookies[httpx.SessionCookie]
	p := br.get("/tenants")
	want(t, p, 200, a.Name, b.Name, "Practice administrator", "Health Improvement Practitioner (HIP)",
		`action="/tenants/`+a.Slug+`"`, "Takiputa", "Aroha Admin")

	// Choosing rotates the session token and goes in.
	wantRedirect(t, br.post("/tenants/"+a.Slug, nil), "/t/"+a.Slug+"/")
	if br.cookies[httpx.SessionCookie] == first || br.cookies[httpx.SessionCookie] == "" {
		t.Error("choosing a tenant did not rotate the session token")
	}
	old := s.agent(t)
	old.cookies[httpx.SessionCookie] = first
	wantRedirect(t, old.get("/account"), "/signin?next=%2Faccount")

	home := br.get("/t/" + a.Slug + "/")
	want(t, home, 200, a.Name, "Manage staff and invitations", "person working here", "open invitations",
		"Practice administrator", `href="/tenants"`, `href="/account"`, `href="/t/`+a.Slug+`/tokens"`,
		`<span lang="mi">Kaimahi</span>`)
	if strings.Contains(home.body, "Set up two-step sign-in") {
		t.Error("an administrator without clinical roles is told to set up MFA first")
	}

	// The HIP role at b: no staff panel, the MFA banner first.
	wantRedirect(t, br.post("/tenants/"+b.Slug, nil), "/t/"+b.Slug+"/")
	hip := br.get("/t/" + b.Slug + "/")
	want(t, hip, 200, "Set up two-step sign-in", "See who works here")
	if strings.Contains(hip.body, "Manage staff") {
		t.Error("a HIP sees the staff administration panel")
	}
	if i, j := strings.Index(hip.body, "Set up two-step sign-in"), strings.Index(hip.body, "You at "); i > j {
		t.Error("the MFA banner is not the first thing a clinician sees")
	}

	// A tenant one is not a member of does not exist.
	c := s.tenant(t)
	want(t, br.get("/t/"+c.Slug+"/"), 404)
	want(t, br.post("/tenants/"+c.Slug, nil), 404)
	want(t, br.post("/tenants/no-such-tenant", nil), 404)

	// One membership: straight in. None: a kind page.
	solo := s.person(t, "Solo Nurse", &c, "nurse")
	sb := s.agent(t)
	wantRedirect(t, sb.signIn(solo), "/tenants")
	wantRedirect(t, sb.get("/tenants"), "/t/"+c.Slug+"/")
	want(t, sb.get("/t/"+c.Slug+"/"), 200, c.Name, "Practice nurse")
	lonely := s.person(t, "Lonely Person", nil)
	lb := s.agent(t)
	lb.signIn(lonely)
	want(t, lb.get("/tenants"), 200, "not part of any practice or PHO", "practice administrator can invite you")
}

func TestSignInNext(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Next Person", &a, "practice_admin")
	for _, tc := range []struct{ next, want string }{
		{"/t/" + a.Slug + "/staff", "/t/" + a.Slug + "/staff"},
		{"//evil.example/x", "/tenants"},
		{"https://evil.example/", "/tenants"},
		{`/\evil.example`, "/tenants"},
		{"/\t/evil.example", "/tenants"},
		{"", "/tenants"},
	} {
		br := s.agent(t)
		r := br.post("/signin", url.Values{"email": {u.Email}, "password": {testPassword}, "next": {tc.next}})
		wantRedirect(t, r, tc.want)
	}
	// Already signed in: the sign-in page sends you on.
	br := s.agent(t)
	br.signIn(u)
	wantRedirect(t, br.get("/signin"), "/tenants")
}

func TestSignInThrottled(t *testing.T) {
	s := newStack(t, testBase)
	u := s.person(t, "Throttled Person", nil)
	br := s.agent(t)
	for i := 0; i < 5; i++ {
		want(t, br.post("/signin", url.Values{"email": {u.Email}, "password": {"wrong password " + strconv.Itoa(i)}}), 422)
	}
	r := br.post("/signin", url.Values{"email": {u.Email}, "password": {testPassword}})
	want(t, r, http.StatusTooManyRequests, "Too many attempts. Please try again in 5 minutes.")
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 240 || ra > 300 {
		t.Errorf("Retry-After %q, want about 300 seconds", r.header.Get("Retry-After"))
	}
	if br.cookies[httpx.SessionCookie] != "" {
		t.Error("a throttled sign-in set a session")
	}
}

// A form without the token, or sent from another site, changes nothing.
func TestCSRF(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Careful Person", &a, "practice_admin")
	br := s.agent(t)
	br.signIn(u)
	const next = "a different passphrase entirely"
	change := url.Values{"current_password": {testPassword}, "new_password": {next}, "new_password_confirm": {next}}

	noToken := url.Values{httpx.CSRFField: {""}}
	for k, v := range change {
		noToken[k] = v
	}
	want(t, br.post("/account/password", noToken), 403)

	wrongToken := url.Values{httpx.CSRFField: {strings.Repeat("A", 43)}}
	for k, v := range change {
		wrongToken[k] = v
	}
	want(t, br.post("/account/password", wrongToken), 403)

	evil := s.agent(t)
	evil.cookies = br.cookies
	evil.origin = "https://evil.example"
	want(t, evil.post("/account/password", change), 403)
	want(t, evil.post("/signout", nil), 403)
	want(t, evil.post("/t/"+a.Slug+"/staff/invite", url.Values{"email": {"x@example.co.nz"}, "roles": {"hip"}}), 403)

	noOrigin := s.agent(t)
	noOrigin.cookies = br.cookies
	noOrigin.origin = ""
	want(t, noOrigin.post("/account/password", change), 403)

	// Nothing changed: the old password still works, the session is live,
	// no invitation went out.
	want(t, br.get("/account"), 200, "Careful Person")
	if _, _, err := s.accounts.SignIn(context.Background(), u.Email, testPassword, account.Client{IP: "192.0.2.1"}); err != nil {
		t.Errorf("the password changed after refused forms: %v", err)
	}
	invs, err := s.accounts.Invitations(tenants.WithTenant(context.Background(), a))
	if err != nil || len(invs) != 0 {
		t.Errorf("refused invite created %d invitations (%v)", len(invs), err)
	}

	// The real thing works.
	wantRedirect(t, br.post("/account/password", change), "/account?done=password")
}

// Every POST form on every page carries the CSRF token of the browser.
func TestFormsCarryCSRFToken(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Form Person", &a, "practice_admin", "hip")
	br := s.agent(t)
	form := regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*>.*?</form>`)
	check := func(path string, r answer) {
		t.Helper()
		forms := form.FindAllString(r.body, -1)
		for _, f := range forms {
			if !strings.Contains(f, `name="_csrf" value="`+br.cookies[httpx.CSRFCookie]+`"`) {
				t.Errorf("%s: a form lacks the CSRF token:\n%s", path, f)
			}
		}
	}
	for _, p := range []string{"/signin", "/reset"} {
		check(p, br.get(p))
	}
	br.signIn(u)
	for _, p := range []string{"/account", "/t/" + a.Slug + "/", "/t/" + a.Slug + "/staff", "/t/" + a.Slug + "/tokens"} {
		r := br.get(p)
		want(t, r, 200, `action="/signout"`)
		check(p, r)
	}
}

func TestMFAEnrolAndChallenge(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Mere HIP", &a, "hip")
	br := s.agent(t)
	br.signIn(u)
	want(t, br.follow(br.get("/tenants")), 200, "Set up two-step sign-in")

	// The password is asked again; a wrong one changes nothing.
	r := br.post("/account/mfa", url.Values{"mfa_password": {"not my password!"}})
	want(t, r, 422, "That is not your current password.", `aria-invalid="true"`, `aria-describedby="f-mfa-password-hint f-mfa-password-error"`)
	r = br.post("/account/mfa", url.Values{"mfa_password": {testPassword}})
	want(t, r, 200, `<img src="data:image/png;base64,`, `id="mfa-secret"`, `autocomplete="one-time-code"`)
	secret := mfaSecret(t, r.body)

	want(t, br.post("/account/mfa/confirm", url.Values{"code": {"000000"}}), 422, "That code is not right")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = br.post("/account/mfa/confirm", url.Values{"code": {code}})
	want(t, r, 200, "Save your recovery codes now", "only time these codes are shown")
	codes := regexp.MustCompile(`<li><code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code></li>`).FindAllStringSubmatch(r.body, -1)
	if len(codes) != account.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), account.RecoveryCodeCount)
	}
	// Enrolling proved the factor for this session: no challenge now, and
	// clinical work is no longer closed.
	home := br.get("/t/" + a.Slug + "/")
	want(t, home, 200, "Mere HIP")
	if strings.Contains(home.body, "Set up two-step sign-in") {
		t.Error("the MFA banner stays after enrolment")
	}
	want(t, br.get("/account"), 200, `<span class="status status-on">On</span>`)

	// Sign out, sign in: the challenge, and nothing else until it is met.
	wantRedirect(t, br.post("/signout", nil), "/signin?done=signed-out")
	if br.cookies[httpx.SessionCookie] != "" {
		t.Error("sign-out left the session cookie")
	}
	wantRedirect(t, br.signIn(u), "/signin/mfa")
	wantRedirect(t, br.get("/t/"+a.Slug+"/"), "/signin/mfa")
	wantRedirect(t, br.get("/account"), "/signin/mfa")
	want(t, br.get("/signin/mfa"), 200, "Two-step sign-in", `name="code"`)
	want(t, br.post("/signin/mfa", url.Values{"code": {"123456"}}), 422, "That code is not right")

	// A recovery code works once.
	recovery := codes[3][1]
	wantRedirect(t, br.post("/signin/mfa", url.Values{"code": {strings.ToLower(recovery)}}), "/tenants")
	want(t, br.follow(br.get("/tenants")), 200, a.Name)
	br.post("/signout", nil)
	br.signIn(u)
	want(t, br.post("/signin/mfa", url.Values{"code": {recovery}}), 422, "That code is not right")

	// A TOTP code from the next time step works (the enrolment's step is spent).
	next, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, br.post("/signin/mfa", url.Values{"code": {next}}), "/tenants")

	// Turning it off needs the password.
	want(t, br.post("/account/mfa/remove", url.Values{"mfa_password": {"wrong password here"}}), 422, "That is not your current password.")
	wantRedirect(t, br.post("/account/mfa/remove", url.Values{"mfa_password": {testPassword}}), "/account?done=mfa-removed")
	want(t, br.get("/account?done=mfa-removed"), 200, "Two-step sign-in is off", `<span class="status status-off">Off</span>`)
}

func TestInvitationEndToEnd(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	admin := s.person(t, "Tama Admin", &a, "practice_admin")
	br := s.agent(t)
	br.signIn(admin)
	staff := "/t/" + a.Slug + "/staff"
	want(t, br.get(staff), 200, "Invite someone", `name="roles" value="hip"`, "Tama Admin")

	// Bad input: every message next to its field, nothing sent.
	r := br.post(staff+"/invite", url.Values{"email": {"not an address"}, "name": {"Hemi"}})
	want(t, r, 422, "There is a problem", `href="#f-email"`, `href="#f-roles"`,
		`id="f-email-error"`, `aria-describedby="f-email-hint f-email-error"`, `aria-invalid="true"`,
		`value="not an address"`, `value="Hemi"`)
	if invs, _ := s.accounts.Invitations(tenants.WithTenant(context.Background(), a)); len(invs) != 0 {
		t.Fatalf("a refused invitation was created")
	}

	email := "hemi-" + a.Slug + "@example.co.nz"
	wantRedirect(t, br.post(staff+"/invite", url.Values{"email": {email}, "name": {"Hemi Walker"}, "roles": {"hip", "health_coach"}}), staff+"?done=invited")
	want(t, br.get(staff+"?done=invited"), 200, "The invitation is on its way", email, "Health Coach")

	// The invitee follows the link from the development mailbox.
	guest := s.agent(t)
	link := guest.mailLink(email, "invite")
	inv := guest.get(link)
	want(t, inv, 200, "Join "+a.Name, email, "Health Improvement Practitioner (HIP)", "Health Coach", `value="Hemi Walker"`)
	want(t, guest.post(link, url.Values{"name": {"Hemi Walker"}, "password": {"a fine long passphrase"}, "password_confirm": {"a different one"}}),
		422, "The two passwords are not the same")
	want(t, guest.post(link, url.Values{"name": {"Hemi Walker"}, "password": {"short"}, "password_confirm": {"short"}}),
		422, "Use at least 12 characters")
	const pw = "tūī sing at dawn"
	r = guest.post(link, url.Values{"name": {"Hemi Walker"}, "password": {pw}, "password_confirm": {pw}})
	wantRedirect(t, r, "/signin?done=accepted&next="+url.QueryEscape("/t/"+a.Slug+"/"))
	want(t, guest.get(r.location), 200, "Your invitation is accepted")

	// Used once: the link is now the friendly not-found page.
	used := guest.get(link)
	want(t, used, 404, "This invitation link is not valid")
	want(t, guest.post(link, url.Values{"name": {"X"}, "password": {pw}, "password_confirm": {pw}}), 404)
	want(t, guest.get("/t/"+a.Slug+"/invite/tui_nonsense"), 404, "This invitation link is not valid")
	want(t, guest.get("/t/no-such-tenant/invite/"+strings.TrimPrefix(link, "/t/"+a.Slug+"/invite/")), 404, "This invitation link is not valid")

	// Sign in as the new person: straight to where they were invited.
	sr := guest.post("/signin", url.Values{"email": {email}, "password": {pw}, "next": {"/t/" + a.Slug + "/"}})
	wantRedirect(t, sr, "/t/"+a.Slug+"/")
	want(t, guest.get(sr.location), 200, "Hemi Walker", "Set up two-step sign-in")

	// An existing account is invited elsewhere: accept adds the membership.
	b := s.tenant(t)
	badmin := s.person(t, "B Admin", &b, "practice_admin")
	bb := s.agent(t)
	bb.signIn(badmin)
	wantRedirect(t, bb.post("/t/"+b.Slug+"/staff/invite", url.Values{"email": {email}, "roles": {"support_worker"}}), "/t/"+b.Slug+"/staff?done=invited")
	link2 := guest.mailLink(email, "invite")
	if !strings.HasPrefix(link2, "/t/"+b.Slug+"/") {
		t.Fatalf("newest invitation link %s is not for %s", link2, b.Slug)
	}
	want(t, guest.get(link2), 200, "You already have a Tūhono account", "Support Worker")
	wantRedirect(t, guest.post(link2, nil), "/signin?done=accepted&next="+url.QueryEscape("/t/"+b.Slug+"/"))
	want(t, guest.get("/tenants"), 200, a.Name, b.Name)
}

func TestPasswordReset(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Forgetful Person", &a, "practice_admin")
	br := s.agent(t)
	want(t, br.get("/reset"), 200, "Reset your password")
	want(t, br.post("/reset", url.Values{"email": {"nope"}}), 422, "Enter one e-mail address")
	// Known and unknown addresses get the same answer.
	wantRedirect(t, br.post("/reset", url.Values{"email": {"nobody-" + a.Slug + "@example.co.nz"}}), "/reset?done=reset-sent")
	wantRedirect(t, br.post("/reset", url.Values{"email": {u.Email}}), "/reset?done=reset-sent")
	want(t, br.get("/reset?done=reset-sent"), 200, "If the address has an account, a link to reset its password is on its way")

	link := br.mailLink(u.Email, "reset")
	want(t, br.get(link), 200, "Choose a new password", `autocomplete="new-password"`)
	want(t, br.post(link, url.Values{"password": {"one long passphrase"}, "password_confirm": {"another"}}), 422, "not the same")
	const pw = "a brand new passphrase"
	wantRedirect(t, br.post(link, url.Values{"password": {pw}, "password_confirm": {pw}}), "/tenants")
	wantRedirect(t, br.get("/tenants"), "/t/"+a.Slug+"/")
	want(t, br.post(link, url.Values{"password": {pw}, "password_confirm": {pw}}), 404, "This reset link is not valid")
	want(t, br.get("/reset/tur_rubbish"), 404, "This reset link is not valid")
	if _, _, err := s.accounts.SignIn(context.Background(), u.Email, testPassword, account.Client{IP: "192.0.2.9"}); err == nil {
		t.Error("the old password still works")
	}
}

// A reset never skips the MFA challenge.
func TestPasswordResetKeepsMFA(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Guarded Person", &a, "gp")
	br := s.agent(t)
	br.signIn(u)
	r := br.post("/account/mfa", url.Values{"mfa_password": {testPassword}})
	code, _ := totp.GenerateCode(mfaSecret(t, r.body), time.Now())
	want(t, br.post("/account/mfa/confirm", url.Values{"code": {code}}), 200)

	other := s.agent(t)
	other.post("/reset", url.Values{"email": {u.Email}})
	link := other.mailLink(u.Email, "reset")
	const pw = "the reset passphrase"
	wantRedirect(t, other.post(link, url.Values{"password": {pw}, "password_confirm": {pw}}), "/signin/mfa")
	wantRedirect(t, other.get("/t/"+a.Slug+"/"), "/signin/mfa")
	// The reset signed out every other session.
	wantRedirect(t, br.get("/account"), "/signin?next=%2Faccount")
}

func TestStaffSuspendRestoreEnd(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	admin := s.person(t, "Admin Person", &a, "practice_admin")
	worker := s.person(t, "Sione Support", &a, "support_worker")
	ab, wb := s.agent(t), s.agent(t)
	ab.signIn(admin)
	wb.signIn(worker)
	want(t, wb.follow(wb.get("/tenants")), 200, a.Name)
	// A support worker may read the staff list but not change it.
	staffPage := wb.get("/t/" + a.Slug + "/staff")
	want(t, staffPage, 200, "Admin Person")
	if strings.Contains(staffPage.body, "Invite someone") || strings.Contains(staffPage.body, "/suspend") {
		t.Error("a support worker is offered staff administration")
	}
	want(t, wb.post("/t/"+a.Slug+"/staff/"+admin.ID.String()+"/suspend", nil), 403)

	base := "/t/" + a.Slug + "/staff/" + worker.ID.String()
	wantRedirect(t, ab.post(base+"/suspend", nil), "/t/"+a.Slug+"/staff?done=suspended")
	// Suspending signed them out of this tenant at once; signed in again,
	// the tenant is not there for them.
	wantRedirect(t, wb.get("/t/"+a.Slug+"/"), "/signin?next="+url.QueryEscape("/t/"+a.Slug+"/"))
	wb.signIn(worker)
	want(t, wb.get("/t/"+a.Slug+"/"), 404)
	want(t, wb.get("/tenants"), 200, "not part of any practice")
	want(t, ab.get("/t/"+a.Slug+"/staff"), 200, "Suspended")
	wantRedirect(t, ab.post(base+"/restore", nil), "/t/"+a.Slug+"/staff?done=restored")
	wantRedirect(t, ab.post(base+"/end", nil), "/t/"+a.Slug+"/staff?done=ended")
	want(t, ab.post(base+"/restore", nil), 409, "cannot be restored")
	want(t, ab.post("/t/"+a.Slug+"/staff/"+admin.ID.String()+"/suspend", nil), 409, "cannot change your own membership")
	want(t, ab.post("/t/"+a.Slug+"/staff/not-a-uuid/suspend", nil), 404)
}

func TestAPITokens(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Token Person", &a, "practice_admin", "hip")
	br := s.agent(t)
	br.signIn(u)
	tokens := "/t/" + a.Slug + "/tokens"
	want(t, br.get(tokens), 200, "You have no API tokens here", `value="90"`, `name="roles" value="hip" checked`)

	want(t, br.post(tokens, url.Values{"name": {"Dashboard"}, "roles": {"practice_admin"}, "expires_days": {"9999"}}), 422, "from 1 to 365")
	want(t, br.post(tokens, url.Values{"name": {""}, "roles": {"practice_admin"}, "expires_days": {"30"}}), 422, "Give the token a name")
	want(t, br.post(tokens, url.Values{"name": {"Sneaky"}, "roles": {"gp"}, "expires_days": {"30"}}), 422, "only roles you hold")
	// Clinical roles in a token need MFA on (the tenant requires it by default).
	want(t, br.post(tokens, url.Values{"name": {"Clinical"}, "roles": {"hip"}, "expires_days": {"30"}}), 422, "two-step sign-in")

	r := br.post(tokens, url.Values{"name": {"Dashboard"}, "roles": {"practice_admin"}, "expires_days": {"30"}})
	want(t, r, 200, "shown only this once", `<code id="api-token">tuk_`)
	secret := regexp.MustCompile(`<code id="api-token">(tuk_[A-Za-z0-9_-]+)</code>`).FindStringSubmatch(r.body)[1]
	list := br.get(tokens)
	want(t, list, 200, "Dashboard", "Practice administrator", "Never")
	if strings.Contains(list.body, secret) {
		t.Fatal("the token list shows the secret again")
	}
	revoke := regexp.MustCompile(`action="(/t/[^"]+/revoke)"`).FindStringSubmatch(list.body)[1]
	wantRedirect(t, br.post(revoke, nil), tokens+"?done=revoked")
	want(t, br.get(tokens+"?done=revoked"), 200, "The token is revoked", "Revoked")
	wantRedirect(t, br.post(revoke, nil), tokens+"?done=not-active")
	want(t, br.post(tokens+"/not-a-uuid/revoke", nil), 404)
}

func TestAccountPage(t *testing.T) {
	s := newStack(t, testBase)
	u := s.person(t, "Ānaru Account", nil)
	br, other := s.agent(t), s.agent(t)
	br.signIn(u)
	other.signIn(u)
	r := br.get("/account")
	want(t, r, 200, "Ānaru Account", u.Email, "Chrome on Linux", "This device", "Sign out everywhere else",
		`<span lang="mi">Pūkete</span>`, `aria-current="page"`)

	// Password change: each mistake by its field, nothing changed.
	r = br.post("/account/password", url.Values{"current_password": {"wrong one, sorry"}, "new_password": {"a good new passphrase"}, "new_password_confirm": {"a good new passphrase"}})
	want(t, r, 422, `id="f-current-password-error"`, "That is not your current password.")
	r = br.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {"short"}, "new_password_confirm": {"short"}})
	want(t, r, 422, `id="f-new-password-error"`, "Use at least 12 characters.")
	want(t, other.get("/account"), 200)

	wantRedirect(t, br.post("/signout/everywhere", nil), "/account?done=others-signedout")
	wantRedirect(t, other.get("/account"), "/signin?next=%2Faccount")
	want(t, br.get("/account?done=others-signedout"), 200, "You have signed out on every other device")
}

// Pages that need a person send everyone else to sign in; none of them shows
// anything first.
func TestSignedInRoutesNeedASession(t *testing.T) {
	s := newStack(t, testBase)
	br := s.agent(t)
	for _, r := range Routes() {
		if r.Public || r.Method != http.MethodGet {
			continue
		}
		path := strings.NewReplacer(":tenant", "no-such-tenant").Replace(r.Path)
		got := br.get(path)
		if got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, "/signin") {
			t.Errorf("GET %s without a session: %d to %q, want a redirect to /signin", path, got.status, got.location)
		}
	}
	for _, path := range []string{"/signout", "/signout/everywhere", "/account/password", "/tenants/x"} {
		got := br.post(path, nil)
		if got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, "/signin") {
			t.Errorf("POST %s without a session: %d to %q", path, got.status, got.location)
		}
	}
}

func TestTenantSettings(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	admin := s.person(t, "Settings Admin", &a, "practice_admin")
	hip := s.person(t, "Settings HIP", &a, "hip")
	br := s.agent(t)
	br.signIn(admin)
	page := "/t/" + a.Slug + "/settings"
	want(t, br.get(page), 200, "Required for clinical roles", `name="mfa_required" checked`, `value="2"`)
	// Bad input comes back with a message and changes nothing.
	want(t, br.post(page, url.Values{"mfa_required": {"on"}, "support_contact_target_days": {"40"},
		"default_session_minutes": {"30"}, "same_day_share_percent": {"50"}}), 422, "1 to 14 days")
	want(t, br.get(page), 200, `value="2"`)
	wantRedirect(t, br.post(page, url.Values{"support_contact_target_days": {"1"},
		"default_session_minutes": {"25"}, "same_day_share_percent": {"60"}}), page+"?done=settings")
	got := br.get(page)
	want(t, got, 200, `value="1"`, `value="25"`, `value="60"`)
	if strings.Contains(got.body, `name="mfa_required" checked`) {
		t.Fatal("MFA requirement still on after turning it off")
	}
	// Health Coach co-signing and the privacy officer: a bad address is
	// refused and changes nothing; a good one is kept with the switch.
	want(t, br.post(page, url.Values{"support_contact_target_days": {"1"}, "default_session_minutes": {"25"},
		"same_day_share_percent": {"60"}, "coach_cosign_required": {"on"}, "privacy_officer_email": {"not an address"}}),
		422, "e-mail address, like privacy@practice.nz")
	if set, _ := onboarding.GetSettings(tenants.WithTenant(context.Background(), a), s.env.DB); set.CoachCoSignRequired {
		t.Fatal("a refused form switched co-signing on")
	}
	wantRedirect(t, br.post(page, url.Values{"support_contact_target_days": {"1"}, "default_session_minutes": {"25"},
		"same_day_share_percent": {"60"}, "coach_cosign_required": {"on"}, "privacy_officer_email": {"privacy@practice.example"}}),
		page+"?done=settings")
	want(t, br.get(page), 200, `name="coach_cosign_required" checked`, `value="privacy@practice.example"`)
	if set, _ := onboarding.GetSettings(tenants.WithTenant(context.Background(), a), s.env.DB); !set.CoachCoSignRequired ||
		set.PrivacyOfficerEmail != "privacy@practice.example" {
		t.Fatalf("settings after saving: %+v", set)
	}
	// With the requirement off, a HIP without MFA is no longer held back.
	m, err := s.accounts.Member(tenants.WithTenant(context.Background(), a), hip.ID)
	if err != nil || m.NeedsMFA() {
		t.Fatalf("HIP still needs MFA after the tenant turned it off: %v", err)
	}
	// A HIP may not change the settings.
	hb := s.agent(t)
	hb.signIn(hip)
	want(t, hb.get(page), 403)
}
