package web

import (
	"context"
	"fmt"
	"slices"

	"github.com/tuhono/tuhono/models/billing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/outbox"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/tenants"
)

// Deps is what the identity and tenant pages need; handlers/app.go builds it.
type Deps struct {
	Accounts   *account.Service
	Sessions   *httpx.Sessions
	Frame      *httpx.Frame
	Directory  *tenants.Directory
	TenantByID func(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
	Mailbox    func(ctx context.Context) ([]outbox.Message, error) // nil in production
	DB         *db.DB                                              // the tenant's settings
	// Allowed answers the policy for a person in any domain (region,
	// platform): policy.Enforcer.Allowed.
	Allowed func(user uuid.UUID, domain, object, action string) bool
	// OrgChoices lists the tenants a person reaches through an organisation
	// role (a regional admin's region) rather than a membership; may be nil.
	OrgChoices func(ctx context.Context, userID uuid.UUID) ([]account.Choice, error)
	// Keyring encrypts and decrypts clinical content; nil refuses it.
	Keyring *keys.Keyring
	// Billing is the Stripe billing service; nil: no billing pages work.
	Billing *billing.Service
}

// Route is one page route as the outside sees it: the HTTP matrix test walks
// Routes() and drives each as every role from another tenant.
//
// Tenant routes sit behind the membership check (a tenant the caller cannot
// see is a 404) and Perm; Public routes need no sign-in; every other route
// needs a signed-in person.
type Route struct {
	Method, Path string
	Perm         httpx.Perm
	Tenant       bool
	Public       bool
	Region       bool // /regions/:region/…: the Perm in that region's domain
	Platform     bool // the Perm on the platform
	Funder       bool // /funders/:funder/…: the Perm in that funder's domain
}

// access is what a route asks of the caller before its handler runs.
type access int

const (
	anyone   access = iota // no sign-in: sign-in itself, resets, invitation links
	password               // a session, even one still waiting for its MFA code
	signedIn               // a session that has passed MFA when the person has it
	member                 // signedIn, a live member of /t/:tenant, and the route's Perm
	regional               // signedIn, and the route's Perm in /regions/:region (a regional admin there, or the platform)
	platform               // signedIn, and the route's Perm on the platform (the platform operator)
	funding                // signedIn, and the route's Perm in /funders/:funder (the funder's people, or the platform)
)

type page struct {
	method string
	path   string
	access access
	perm   httpx.Perm
	handle func(*handler, *fiber.Ctx) error
	dev    bool // registered only with a development mailbox (Deps.Mailbox)
}

var (
	tenantRead   = httpx.Perm{Object: "tenant", Action: "read"}
	staffRead    = httpx.Perm{Object: "staff", Action: "read"}
	staffInvite  = httpx.Perm{Object: "staff", Action: "invite"}
	staffSuspend = httpx.Perm{Object: "staff", Action: "suspend"}
	// tenantSettings: the tenant's own rules (MFA required, contact target…).
	tenantSettings = httpx.Perm{Object: "tenant", Action: "settings"}
	none           = httpx.Perm{}
)

// table is every page route App registers: the identity and tenant pages
// below, then each area's own list in the file that holds its handlers. A
// member, regional or platform route without a Perm does not exist: App
// refuses to start.
var table = slices.Concat(identityPages, regionPages, importPages, practicePages, phoPages,
	patientPages, calendarPages, handoverPages, referralPages, schedulePages, notePages, inboxPages,
	contractPages, workforcePages, reportPages, funderPages, dashboardPages, billingPages)

var identityPages = []page{
	// Sign-in and out: signin.go, mfa.go, signout.go
	{"GET", "/signin", anyone, none, (*handler).signinForm, false},
	{"POST", "/signin", anyone, none, (*handler).signin, false},
	{"GET", "/signin/mfa", password, none, (*handler).mfaForm, false},
	{"POST", "/signin/mfa", password, none, (*handler).mfa, false},
	{"POST", "/signout", password, none, (*handler).signout, false},
	{"POST", "/signout/everywhere", signedIn, none, (*handler).signoutEverywhere, false},

	// Forgotten passwords: reset.go
	{"GET", "/reset", anyone, none, (*handler).resetForm, false},
	{"POST", "/reset", anyone, none, (*handler).resetRequest, false},
	{"GET", "/reset/:token", anyone, none, (*handler).resetPasswordForm, false},
	{"POST", "/reset/:token", anyone, none, (*handler).resetPassword, false},

	// Choosing where to work: picker.go
	{"GET", "/tenants", signedIn, none, (*handler).picker, false},
	{"POST", "/tenants/:slug", signedIn, none, (*handler).choose, false},

	// The person's own account: account.go, enrol.go
	{"GET", "/account", signedIn, none, (*handler).account, false},
	{"POST", "/account/password", signedIn, none, (*handler).changePassword, false},
	{"POST", "/account/mfa", signedIn, none, (*handler).beginMFA, false},
	{"POST", "/account/mfa/confirm", signedIn, none, (*handler).confirmMFA, false},
	{"POST", "/account/mfa/remove", signedIn, none, (*handler).removeMFA, false},

	// Inside a tenant: home.go, staff.go, tokens.go
	{"GET", "/t/:tenant/", member, tenantRead, (*handler).home, false},
	{"GET", "/t/:tenant/staff", member, staffRead, (*handler).staff, false},
	{"POST", "/t/:tenant/staff/invite", member, staffInvite, (*handler).invite, false},
	{"POST", "/t/:tenant/staff/:user/suspend", member, staffSuspend, (*handler).suspend, false},
	{"POST", "/t/:tenant/staff/:user/restore", member, staffSuspend, (*handler).restore, false},
	{"POST", "/t/:tenant/staff/:user/end", member, staffSuspend, (*handler).end, false},
	{"GET", "/t/:tenant/settings", member, tenantSettings, (*handler).settings, false},
	{"POST", "/t/:tenant/settings", member, tenantSettings, (*handler).saveSettings, false},
	{"GET", "/t/:tenant/tokens", member, tenantRead, (*handler).tokens, false},
	{"POST", "/t/:tenant/tokens", member, tenantRead, (*handler).createToken, false},
	{"POST", "/t/:tenant/tokens/:id/revoke", member, tenantRead, (*handler).revokeToken, false},

	// An invitation link works before its person has an account, so it is
	// not behind the membership check: the token is the credential.
	// invitation.go
	{"GET", "/t/:tenant/invite/:token", anyone, none, (*handler).invitation, false},
	{"POST", "/t/:tenant/invite/:token", anyone, none, (*handler).acceptInvitation, false},

	// Development only: mailbox.go
	{"GET", "/dev/mailbox", anyone, none, (*handler).mailbox, true},
}

// Routes lists every page route App registers, with its permission.
// /dev/mailbox is registered only when Deps.Mailbox is set.
func Routes() []Route {
	out := make([]Route, len(table))
	for i, p := range table {
		out[i] = Route{Method: p.method, Path: p.path, Perm: p.perm, Tenant: p.access == member, Public: p.access == anyone,
			Region: p.access == regional, Platform: p.access == platform, Funder: p.access == funding}
	}
	return out
}

// handler is the site with its dependencies: what every page handler reads.
type handler struct {
	*Site
	Deps
	// reports keeps the dashboards' finished reports while their inputs
	// stand (report.Cache).
	reports *report.Cache
}

// dashboardCells bounds the dashboards' kept reports: about 200 bytes a
// cell, so some 120 MB, two regions' contract reports of 200 practices.
const dashboardCells = 600_000

// App mounts the identity and tenant pages. Every route loads the session and
// checks CSRF (which also issues the token on a GET); signed-in routes send
// people without a session to /signin; tenant routes then check the
// membership and the route's permission on every request.
func (s *Site) App(r fiber.Router, d Deps) {
	h := &handler{Site: s, Deps: d, reports: report.NewCache(dashboardCells)}
	for _, p := range table {
		if p.dev && d.Mailbox == nil {
			continue
		}
		chain := []fiber.Handler{d.Sessions.Load, d.Sessions.CSRF}
		switch p.access {
		case password:
			chain = append(chain, requireSession)
		case signedIn:
			chain = append(chain, d.Sessions.RequireSignIn)
		case member:
			if p.perm.Object == "" || p.perm.Action == "" {
				panic(fmt.Sprintf("web.App: tenant route %s %s has no permission", p.method, p.path))
			}
			chain = append(chain, d.Sessions.RequireSignIn, d.Frame.Tenant, d.Frame.Guard(p.perm))
		case regional, platform, funding:
			if p.perm.Object == "" || p.perm.Action == "" {
				panic(fmt.Sprintf("web.App: route %s %s has no permission", p.method, p.path))
			}
			chain = append(chain, d.Sessions.RequireSignIn, h.orgGuard(p.access, p.perm))
		}
		handle := p.handle
		chain = append(chain, func(c *fiber.Ctx) error { return handle(h, c) })
		switch p.method {
		case fiber.MethodGet:
			r.Get(p.path, chain...)
		case fiber.MethodPost:
			r.Post(p.path, chain...)
		default:
			panic("web.App: unsupported method " + p.method)
		}
	}
}

// requireSession lets through any session, including one still waiting for
// its MFA code (the challenge page and sign-out need exactly that).
func requireSession(c *fiber.Ctx) error {
	if _, ok := httpx.Session(c); !ok {
		return c.Redirect("/signin", fiber.StatusSeeOther)
	}
	return c.Next()
}
