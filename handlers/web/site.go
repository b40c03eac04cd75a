package web

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
)

// Where the API reference (mounted by the caller with APIReference) and the
// OpenAPI JSON (served by handlers/api) live. Every page's footer links to
// them, and a fiber.Router cannot tell us its group prefix, so they are fixed.
const (
	referencePath = "/api/v1/reference"
	openAPIPath   = "/api/v1/openapi.json"
)

// Config is what the page frame needs from the process configuration.
type Config struct {
	BaseURL string // e.g. http://127.0.0.1:8080; used for canonical links and the API base shown in the reference
	Version string // shown in the footer
}

// Site renders the server-side pages. It is immutable after New and safe for
// concurrent use.
type Site struct {
	cfg    Config
	pages  pages
	static *staticFiles
}

// New parses the embedded templates and hashes the embedded static files, so
// that a broken template or an unservable asset stops the process at start-up
// instead of failing a request.
func New(cfg Config) (*Site, error) {
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("web.New: BaseURL must be an absolute http(s) URL")
		}
	}
	st, err := loadStatic(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web.New: %w", err)
	}
	p, err := parsePages(templateFS)
	if err != nil {
		return nil, fmt.Errorf("web.New: %w", err)
	}
	return &Site{cfg: cfg, pages: p, static: st}, nil
}

// Routes mounts the landing page and the static files.
func (s *Site) Routes(r fiber.Router) {
	r.Get("/", s.landing)
	r.Get("/static/:file", s.serveStatic)
}

// StaticURL returns the content-hashed URL of an embedded static file
// ("app.css" -> "/static/app.3f9a1c2b.css"). An unknown name yields the
// unhashed path, which 404s, so a typo shows up in the browser tests instead
// of silently pointing at the current page.
func (s *Site) StaticURL(name string) string {
	if u, ok := s.static.urls[name]; ok {
		return u
	}
	return "/static/" + name
}

// layout is embedded in every page's view struct: what the frame around the
// page needs.
type layout struct {
	Title        string // page-specific part of <title>; the frame appends the product name
	Description  string // <meta name="description">
	Canonical    string // absolute URL of this page, empty without Config.BaseURL
	CSS          string
	Favicon      string
	Nav          []navItem
	Version      string
	ReferenceURL string
	OpenAPIURL   string

	// Who is signed in (nil: nobody) and the CSRF token their sign-out
	// button carries; filled by page.
	User *userNav
	// The tenant a page belongs to, with its own navigation; nil elsewhere.
	Tenant *tenantNav
}

// userNav is the signed-in part of the header.
type userNav struct {
	Name string
	// Ready: past the MFA challenge, so the account and tenant links work.
	Ready bool
	CSRF  string
}

// tenantNav is the bar under the header on a tenant's pages.
type tenantNav struct {
	Name string
	Nav  []navItem
	// Billing is the past-due or paused-bookings banner, for those who
	// read billing; nil when all is well.
	Billing *billingBanner
}

// navItem is one bilingual navigation link. Only pages that exist are listed.
type navItem struct {
	Mi, En  string
	Href    string
	Current bool
}

func (s *Site) newLayout(title, description, path string) layout {
	nav := []navItem{
		{Mi: "Kāinga", En: "Home", Href: "/"},
		{Mi: "Tohutoro API", En: "API reference", Href: referencePath},
	}
	markCurrent(nav, path)
	canonical := ""
	if s.cfg.BaseURL != "" && path != "" {
		canonical = strings.TrimRight(s.cfg.BaseURL, "/") + path
	}
	return layout{
		Title:        title,
		Description:  description,
		Canonical:    canonical,
		CSS:          s.StaticURL("app.css"),
		Favicon:      s.StaticURL("favicon.svg"),
		Nav:          nav,
		Version:      s.cfg.Version,
		ReferenceURL: referencePath,
		OpenAPIURL:   openAPIPath,
	}
}

func markCurrent(nav []navItem, path string) {
	for i := range nav {
		nav[i].Current = nav[i].Href == path
	}
}

// page is newLayout for a request that went through the session middleware:
// the header shows who is signed in, with their sign-out button, or the
// sign-in link.
func (s *Site) page(c *fiber.Ctx, title, description, path string) layout {
	l := s.newLayout(title, description, path)
	sess, ok := httpx.Session(c)
	if !ok {
		l.Nav = append(l.Nav, navItem{Mi: "Takiuru", En: "Sign in", Href: "/signin", Current: path == "/signin"})
		return l
	}
	l.User = &userNav{Name: sess.User.Name, Ready: !sess.User.MFAEnabled || sess.MFAVerified, CSRF: httpx.CSRFToken(c)}
	if l.User.Ready {
		// Signed in, the header is for getting about; the API reference
		// stays a click away in the footer.
		l.Nav = []navItem{
			{Mi: "Kāinga", En: "Home", Href: "/"},
			{En: "Switch organisation", Href: "/tenants"},
			{Mi: "Pūkete", En: "Account", Href: "/account"},
		}
		markCurrent(l.Nav, path)
	}
	return l
}

type landingPage struct {
	layout
}

func (s *Site) landing(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, pageLanding, landingPage{
		layout: s.page(c, "",
			"Tūhono joins up integrated primary mental health and addiction care in New Zealand general practice: HIPs, Health Coaches and Support Workers, bookings, notes and contract reporting.",
			"/"),
	})
}
