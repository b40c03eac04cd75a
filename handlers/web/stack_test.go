package web

import (
	"context"
	"github.com/tuhono/tuhono/models/keys"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/outbox"
	"github.com/tuhono/tuhono/policy"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// stack is the site assembled the way handlers.New assembles it (which this
// package cannot import): the frame, sessions, CSRF, the real account
// service, the real policy enforcer and a real PostgreSQL.
type stack struct {
	env      *dbtest.Env
	app      *fiber.App
	site     *Site
	accounts *account.Service
	enforcer *policy.Enforcer
	billing  *billing.Service
	base     string // the origin the server believes it has (BaseURL)
}

var cheapArgon2 = account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// stackOptions change what newStack builds.
type stackOptions struct {
	// mailbox replaces the development mailbox's source (the outbox table).
	mailbox func(context.Context) ([]outbox.Message, error)
	// mount adds routes before the catch-all 404.
	mount func(*fiber.App)
	// doc is the OpenAPI document the reference page shows.
	doc *huma.OpenAPI
	// billing configures the billing service (billingtest.Config for
	// stripe-mock); the zero value is billing off, as without
	// STRIPE_SECRET_KEY.
	billing billing.Config
}

// newStack builds the site for base (e.g. http://127.0.0.1:41234); the frame
// sets the production security headers.
func newStack(t testing.TB, base string, opts ...stackOptions) *stack {
	t.Helper()
	env := dbtest.New(t)
	ctx := context.Background()
	pdb, closePolicy, err := policy.OpenDB(ctx, env.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closePolicy() })
	enforcer, err := policy.New(ctx, pdb, dbtest.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, account.SecretKeyLen)
	copy(key, "web tests seal key, not secret!")
	accounts := account.New(env.DB, enforcer, account.Config{
		Argon2: cheapArgon2, SealKey: key, BaseURL: base,
		// Every request of the test process comes from one address: keep
		// the per-address limit out of the way; the per-account one is
		// what the tests exercise.
		IPFailures: 1_000_000,
	})
	site, err := New(Config{BaseURL: base, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := tenants.NewDirectory(onboarding.BySlug(env.DB), 0)
	sessions := &httpx.Sessions{Accounts: accounts, BaseURL: base, Lifetime: 12 * time.Hour, Roles: enforcer.RolesIn}
	frame := &httpx.Frame{
		Log: dbtest.Quiet, RequestTimeout: 20 * time.Second, Pages: site, Directory: dir,
		Authenticate: sessions.Member, AuthenticateAPI: sessions.Bearer, Policy: enforcer, DB: env.DB,
	}
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		CaseSensitive:         true,
		ErrorHandler:          frame.ErrorHandler,
	})
	app.Use(frame.Begin, httpx.Hygiene)
	site.Routes(app)
	var o stackOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	bill := billing.New(env.DB, o.billing, dbtest.Quiet)
	box := func(ctx context.Context) ([]outbox.Message, error) { return outbox.Recent(ctx, env.DB, 200) }
	if o.mailbox != nil {
		box = o.mailbox
	}
	site.App(app, Deps{
		Accounts: accounts, Sessions: sessions, Frame: frame, Directory: dir,
		TenantByID: func(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
			return onboarding.ByID(ctx, env.DB, id)
		},
		Mailbox: box,
		DB:      env.DB,
		Allowed: enforcer.Allowed,
		Keyring: testKeyring(t),
		Billing: bill,
	})
	doc := o.doc
	if doc == nil {
		doc = &huma.OpenAPI{OpenAPI: "3.1.0", Info: &huma.Info{Title: "Tūhono API", Version: "1"}}
	}
	site.APIReference(app, referencePath, func() *huma.OpenAPI { return doc })
	app.Get(openAPIPath, func(c *fiber.Ctx) error { return c.JSON(doc) })
	if o.mount != nil {
		o.mount(app)
	}
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return &stack{env: env, app: app, site: site, accounts: accounts, enforcer: enforcer, billing: bill, base: base}
}

const testBase = "http://tuhono.test"

// tenant makes a fresh, active practice with a name of its own.
func (s *stack) tenant(t testing.TB, name ...string) tenants.Tenant {
	t.Helper()
	ctx := context.Background()
	r := s.env.Region(t)
	n := "Practice " + uuid.NewString()[:6]
	if len(name) > 0 {
		n = name[0]
	}
	tn, err := onboarding.CreateTenant(ctx, s.env.DB, onboarding.NewTenant{Kind: tenants.KindPractice, RegionID: r.ID,
		Slug: dbtest.Slug("practice"), Name: n})
	if err != nil {
		t.Fatal(err)
	}
	if err := onboarding.SetStatus(ctx, s.env.DB, tn.ID, tenants.StatusActive); err != nil {
		t.Fatal(err)
	}
	tn.Status = tenants.StatusActive
	return tn
}

const testPassword = "kōwhai tree by the harbour"

// person makes someone with a password and, when tn is set, roles there.
func (s *stack) person(t testing.TB, name string, tn *tenants.Tenant, roles ...string) account.User {
	t.Helper()
	ctx := context.Background()
	u, err := s.accounts.CreateUser(ctx, "p-"+uuid.NewString()[:8]+"@example.co.nz", name, testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	if tn != nil {
		if err := s.accounts.AddMember(tenants.WithTenant(ctx, *tn), u.ID, u.ID, roles); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// agent is one browser: it keeps cookies (by name, as the server set them)
// and sends forms with the CSRF token and an Origin, as a browser would.
type agent struct {
	t       testing.TB
	s       *stack
	cookies map[string]string
	origin  string
}

func (s *stack) agent(t testing.TB) *agent {
	return &agent{t: t, s: s, cookies: map[string]string{}, origin: s.base}
}

type answer struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (a *agent) do(req *http.Request) answer {
	a.t.Helper()
	var parts []string
	for k, v := range a.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36")
	res, err := a.s.app.Test(req, 30_000)
	if err != nil {
		a.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(a.cookies, c.Name)
			continue
		}
		if !c.Secure || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode {
			a.t.Errorf("cookie %s is not Secure, HttpOnly, Path=/, SameSite=Lax: %+v", c.Name, c)
		}
		a.cookies[c.Name] = c.Value
	}
	// Whatever a page shows, the CSP must let it run: check every page.
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		for _, v := range htmlViolations(string(b)) {
			a.t.Errorf("%s %s: %s", req.Method, req.URL.Path, v)
		}
	}
	return answer{status: res.StatusCode, body: string(b), location: res.Header.Get("Location"), header: res.Header}
}

func (a *agent) get(path string) answer {
	a.t.Helper()
	return a.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post sends a form with this browser's CSRF token (fetching a page first if
// it has none yet).
func (a *agent) post(path string, form url.Values) answer {
	a.t.Helper()
	if a.cookies[httpx.CSRFCookie] == "" {
		a.get("/signin")
	}
	if form == nil {
		form = url.Values{}
	}
	if !form.Has(httpx.CSRFField) {
		form.Set(httpx.CSRFField, a.cookies[httpx.CSRFCookie])
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a.origin != "" {
		req.Header.Set("Origin", a.origin)
	}
	return a.do(req)
}

// follow GETs redirects until a page answers.
func (a *agent) follow(r answer) answer {
	a.t.Helper()
	for i := 0; i < 10 && r.status >= 300 && r.status < 400; i++ {
		r = a.get(r.location)
	}
	return r
}

// signIn signs u in with the password and follows the redirects.
func (a *agent) signIn(u account.User) answer {
	a.t.Helper()
	r := a.post("/signin", url.Values{"email": {u.Email}, "password": {testPassword}})
	if r.status != http.StatusSeeOther {
		a.t.Fatalf("sign in %s: %d\n%s", u.Email, r.status, r.body)
	}
	return r
}

func want(t testing.TB, r answer, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (location %q)\n%s", r.status, status, r.location, r.body)
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func wantRedirect(t testing.TB, r answer, to string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.location != to {
		t.Fatalf("got %d to %q, want 303 to %q\n%s", r.status, r.location, to, r.body)
	}
}

var secretPattern = regexp.MustCompile(`<code id="mfa-secret">([A-Z2-7 ]+)</code>`)

// mfaSecret reads the TOTP secret from the enrolment page.
func mfaSecret(t testing.TB, body string) string {
	t.Helper()
	m := secretPattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", body)
	}
	return strings.ReplaceAll(m[1], " ", "")
}

var linkPattern0 = regexp.MustCompile(`href="(https?://[^"]+/(?:invite|reset)/[^"]+)"`)

// mailLink finds the newest link in the development mailbox to a page under
// kind ("invite", "reset") in a message to addr.
func (a *agent) mailLink(addr, kind string) string {
	a.t.Helper()
	r := a.get("/dev/mailbox")
	want(a.t, r, 200)
	for _, art := range strings.Split(r.body, `<article class="mail"`)[1:] {
		if !strings.Contains(art, "<dd>"+addr+"</dd>") {
			continue
		}
		for _, m := range linkPattern0.FindAllStringSubmatch(art, -1) {
			if strings.Contains(m[1], "/"+kind+"/") {
				u, err := url.Parse(m[1])
				if err != nil {
					a.t.Fatal(err)
				}
				return u.Path
			}
		}
	}
	a.t.Fatalf("no %s link for %s in the mailbox", kind, addr)
	return ""
}

// testKeyring is a keyring over a fixed test master key.
func testKeyring(t testing.TB) *keys.Keyring {
	t.Helper()
	p, err := keys.NewLocal([]byte("web tests master key, not secret"))
	if err != nil {
		t.Fatal(err)
	}
	return keys.NewKeyring(p)
}
