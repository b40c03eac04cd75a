package httpx

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Cookie names. __Host- cookies are Secure, host-only and path-wide: no
// subdomain or sub-path can set or shadow them.
const (
	SessionCookie = "__Host-tuhono"
	CSRFCookie    = "__Host-tuhono-csrf"
	CSRFField     = "_csrf"
	localSession  = "tuhono.session"
)

// Sessions are the browser side of sign-in: the session cookie, CSRF
// protection and the per-request membership check on tenant pages.
type Sessions struct {
	Accounts *account.Service
	BaseURL  string
	Lifetime time.Duration
	// Roles gives the roles a person holds in a domain through a region or
	// funder (policy.Enforcer.RolesIn); nil means memberships only.
	Roles func(user uuid.UUID, domain string) []string
}

// orgRoles are the roles that reach a tenant without a membership there.
var orgRoles = []string{"regional_admin", "funder", "platform_operator"}

// Session returns the signed-in session of the request, if any.
func Session(c *fiber.Ctx) (account.Session, bool) {
	s, ok := c.Locals(localSession).(account.Session)
	return s, ok
}

// Load reads the session cookie (if any) for every page request. A stale
// cookie is cleared; nothing is refused here.
func (s *Sessions) Load(c *fiber.Ctx) error {
	token := c.Cookies(SessionCookie)
	if token == "" {
		return c.Next()
	}
	sess, err := s.Accounts.Authenticate(c.UserContext(), token)
	if err != nil {
		if fault.As(err).Kind != fault.KindUnauthenticated {
			return err
		}
		s.ClearCookie(c)
		return c.Next()
	}
	c.Locals(localSession, sess)
	return c.Next()
}

// SetCookie sends the session token.
func (s *Sessions) SetCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", Secure: true, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(s.Lifetime.Seconds())})
}

// CookieHeader is the Set-Cookie value for token (for the API's sign-in).
func (s *Sessions) CookieHeader(token string) string {
	return SessionCookie + "=" + token + "; Path=/; Max-Age=" + strconv.Itoa(int(s.Lifetime.Seconds())) +
		"; Secure; HttpOnly; SameSite=Lax"
}

// ClearCookie removes the session cookie.
func (s *Sessions) ClearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", Secure: true, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(1, 0)})
}

// RequireSignIn sends people who are not signed in (or have not passed MFA)
// to the sign-in page, remembering where they were going.
func (s *Sessions) RequireSignIn(c *fiber.Ctx) error {
	sess, ok := Session(c)
	if !ok {
		if c.Method() != fiber.MethodGet {
			// A form posted after the session ended cannot be replayed
			// after sign-in: go back to the start rather than to a POST path.
			return c.Redirect("/signin", fiber.StatusSeeOther)
		}
		return c.Redirect("/signin?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	if sess.User.MFAEnabled && !sess.MFAVerified {
		return c.Redirect("/signin/mfa", fiber.StatusSeeOther)
	}
	return c.Next()
}

// Member is the page Authenticator: the signed-in person must hold a live
// membership at t, checked on every request (so suspending or ending one
// takes effect on the next request, on every instance).
func (s *Sessions) Member(c *fiber.Ctx, t tenants.Tenant) (tenants.Actor, error) {
	sess, ok := Session(c)
	if !ok || (sess.User.MFAEnabled && !sess.MFAVerified) {
		return tenants.Actor{}, fault.NotFound
	}
	m, err := s.Accounts.Member(tenants.WithTenant(c.UserContext(), t), sess.User.ID)
	if fault.As(err).Kind == fault.KindNotFound && s.Roles != nil {
		// No membership: a regional admin or funder may still reach the
		// tenant through their organisation (policy decides what they see).
		var held []string
		for _, r := range s.Roles(sess.User.ID, account.TenantDomain(t.ID)) {
			if slices.Contains(orgRoles, r) {
				held = append(held, r)
			}
		}
		if len(held) > 0 {
			return tenants.Actor{UserID: sess.User.ID, Name: sess.User.Name, Roles: held,
				MFAVerified: sess.MFAVerified, SessionID: sess.ID}, nil
		}
	}
	if err != nil {
		if fault.As(err).Kind == fault.KindNotFound {
			return tenants.Actor{}, fault.NotFound
		}
		return tenants.Actor{}, err
	}
	return tenants.Actor{UserID: sess.User.ID, Name: sess.User.Name, Roles: m.Roles,
		MFAVerified: sess.MFAVerified, SessionID: sess.ID, MFAMissing: m.NeedsMFA() && !sess.User.MFAEnabled}, nil
}

// ErrNoBearer answers an API request without credentials, before the tenant
// is even looked up (so a 401 says nothing about whether a tenant exists).
var ErrNoBearer = fault.New(fault.KindUnauthenticated, "send an API token: Authorization: Bearer …", nil)

// BearerToken returns the request's bearer token, if it has one.
func BearerToken(c *fiber.Ctx) (string, bool) {
	// The scheme is case-insensitive (RFC 9110 §11.1).
	scheme, token, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// Bearer is the API Authenticator: an API token bound to the tenant in the
// path, whose membership must still be live. A token that is not valid at
// this tenant gets the same 404 as a tenant that does not exist.
func (s *Sessions) Bearer(c *fiber.Ctx, t tenants.Tenant) (tenants.Actor, error) {
	token, ok := BearerToken(c)
	if !ok {
		return tenants.Actor{}, ErrNoBearer
	}
	a, err := s.Accounts.AuthenticateToken(tenants.WithTenant(c.UserContext(), t), token)
	if err != nil {
		if fault.As(err).Kind == fault.KindUnauthenticated {
			return tenants.Actor{}, fault.NotFound
		}
		return tenants.Actor{}, err
	}
	return a, nil
}

// CSRF protects every state-changing page request: the form must carry the
// token from the CSRF cookie (double submit) and the browser's Origin (or,
// failing that, Referer) must be ours. GET requests get the cookie.
func (s *Sessions) CSRF(c *fiber.Ctx) error {
	token := c.Cookies(CSRFCookie)
	if !validCSRF(token) {
		token = newCSRF()
		c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: token, Path: "/", Secure: true, HTTPOnly: true,
			SameSite: fiber.CookieSameSiteLaxMode})
		c.Locals(CSRFField, token)
		if unsafe(c.Method()) {
			return csrfRefused
		}
		return c.Next()
	}
	c.Locals(CSRFField, token)
	if !unsafe(c.Method()) {
		return c.Next()
	}
	if !s.sameOrigin(c) {
		return csrfRefused
	}
	got := c.FormValue(CSRFField)
	if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		return csrfRefused
	}
	return c.Next()
}

var csrfRefused = fault.New(fault.KindForbidden, "this form has expired or came from another site: reload the page and try again", nil)

// CSRFToken is the token for forms on this page.
func CSRFToken(c *fiber.Ctx) string {
	s, _ := c.Locals(CSRFField).(string)
	return s
}

func unsafe(method string) bool {
	return method != fiber.MethodGet && method != fiber.MethodHead && method != fiber.MethodOptions
}

func (s *Sessions) sameOrigin(c *fiber.Ctx) bool {
	want, err := url.Parse(s.BaseURL)
	if err != nil {
		return false
	}
	src := c.Get(fiber.HeaderOrigin)
	if src == "" || src == "null" {
		// Some browsers send Origin: null on same-origin posts under a
		// strict Referrer-Policy; Sec-Fetch-Site is set only by the browser
		// itself and cannot be forged by a page or a cross-site form.
		if c.Get("Sec-Fetch-Site") == "same-origin" {
			return true
		}
		src = c.Get(fiber.HeaderReferer)
	}
	got, err := url.Parse(src)
	if err != nil || src == "" {
		return false
	}
	return got.Scheme == want.Scheme && got.Host == want.Host
}

func newCSRF() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func validCSRF(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}
