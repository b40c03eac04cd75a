package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/tuhono/tuhono/handlers/webhooks"
	"github.com/tuhono/tuhono/models/billing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tuhono/tuhono/handlers/api"
	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/handlers/web"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/outbox"
	"github.com/tuhono/tuhono/tenants"
)

// Options configure the server. cmd builds them from Config.
type Options struct {
	DB             *db.DB
	Directory      *tenants.Directory
	Log            *slog.Logger
	Version        string
	BaseURL        string
	BodyLimit      int           // bytes; 0 means 1 MiB
	ReadTimeout    time.Duration // 0 means 15 s: never unlimited
	WriteTimeout   time.Duration // 0 means 30 s
	IdleTimeout    time.Duration // 0 means 60 s
	RequestTimeout time.Duration // per-request context deadline; 0 means 20 s
	TrustedProxies []netip.Prefix
	// Ready reports whether the server can take traffic (database reachable,
	// schema current).
	Ready func(ctx context.Context) error
	// Accounts is the identity service; with it the server has sign-in
	// pages, session cookies and bearer tokens. Without it (some tests,
	// the load driver) Authenticate and AuthenticateAPI say who calls.
	Accounts        *account.Service
	Authenticate    httpx.Authenticator
	AuthenticateAPI httpx.Authenticator
	// Policy decides every tenant route's permission (default deny).
	Policy httpx.Authorizer
	// Roles lists a person's roles in a domain, including those inherited
	// from a region or funder (policy): how a regional admin reaches a
	// practice where they hold no membership.
	Roles func(user uuid.UUID, domain string) []string
	// Mailbox lists sent e-mail for the development mailbox page; nil in
	// production.
	Mailbox func(ctx context.Context) ([]outbox.Message, error)
	// Sessions' absolute lifetime, for the cookie.
	SessionLifetime time.Duration
	// Allowed answers the policy in any domain (region and platform pages).
	Allowed func(user uuid.UUID, domain, object, action string) bool
	// OrgChoices lists tenants reached through organisation roles.
	OrgChoices func(ctx context.Context, userID uuid.UUID) ([]account.Choice, error)
	// TenantByID finds a tenant by id (the tenant picker).
	TenantByID func(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
	// Keyring encrypts and decrypts clinical content (notes, handovers,
	// measure answers); without one those routes answer 503, never clear text.
	Keyring *keys.Keyring
	// Billing is the Stripe billing service: the billing pages, and with
	// billing configured the webhook at /webhooks/stripe.
	Billing *billing.Service
	// Mount adds routes before the catch-all 404 (the load driver's bare
	// handlers, tests' slow handlers).
	Mount func(app *fiber.App)
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// New builds the server.
func New(o Options) (*fiber.App, error) {
	if o.DB == nil || o.Directory == nil || o.Log == nil || o.Ready == nil {
		return nil, errors.New("handlers.New: DB, Directory, Log and Ready are required")
	}
	site, err := web.New(web.Config{BaseURL: o.BaseURL, Version: o.Version})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	frame := &httpx.Frame{
		Log:             o.Log,
		RequestTimeout:  orDefault(o.RequestTimeout, 20*time.Second),
		TrustedProxies:  o.TrustedProxies,
		Pages:           site,
		Directory:       o.Directory,
		Authenticate:    o.Authenticate,
		AuthenticateAPI: o.AuthenticateAPI,
		Policy:          o.Policy,
		DB:              o.DB,
		Metrics:         httpx.NewMetrics(reg, o.DB.Stats),
		HSTS:            len(o.BaseURL) > 8 && o.BaseURL[:8] == "https://",
	}
	app := fiber.New(fiber.Config{
		AppName:               "tuhono",
		ServerHeader:          "",
		DisableStartupMessage: true,
		CaseSensitive:         true, // /t/Foo must not reach /t/foo's routes
		// Values read from the request are copies, not views into a buffer
		// fasthttp reuses for the next request: a slug kept in a cache or a
		// string kept past the handler can never change under us.
		Immutable:      true,
		StrictRouting:  false,
		BodyLimit:      orDefault(o.BodyLimit, 1<<20),
		ReadTimeout:    orDefault(o.ReadTimeout, 15*time.Second),
		WriteTimeout:   orDefault(o.WriteTimeout, 30*time.Second),
		IdleTimeout:    orDefault(o.IdleTimeout, 60*time.Second),
		ReadBufferSize: 8192,
		ErrorHandler:   frame.ErrorHandler,
	})
	app.Use(frame.Begin, recover.New(), httpx.Hygiene)

	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", func(c *fiber.Ctx) error {
		if err := o.Ready(c.UserContext()); err != nil {
			o.Log.WarnContext(c.UserContext(), "not ready", "err", db.LogSafe(err))
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))

	var sessions *httpx.Sessions
	if o.Accounts != nil {
		sessions = &httpx.Sessions{Accounts: o.Accounts, BaseURL: o.BaseURL, Roles: o.Roles,
			Lifetime: orDefault(o.SessionLifetime, 12*time.Hour)}
		frame.Authenticate, frame.AuthenticateAPI, frame.RequireBearer = sessions.Member, sessions.Bearer, true
	}
	site.Routes(app)
	if sessions != nil {
		site.App(app, web.Deps{Accounts: o.Accounts, Sessions: sessions, Frame: frame, Directory: o.Directory,
			TenantByID: o.TenantByID, Mailbox: o.Mailbox, OrgChoices: o.OrgChoices, DB: o.DB, Allowed: o.Allowed,
			Keyring: o.Keyring, Billing: o.Billing})
	}
	if o.Billing != nil && o.Billing.Cfg.Enabled() {
		app.Post(webhooks.StripePath, webhooks.Stripe(o.Billing, o.Log))
	}
	a := api.New(app, api.Deps{DB: o.DB, Accounts: o.Accounts, Sessions: sessions, Frame: frame, Log: o.Log, Version: o.Version, Allowed: o.Allowed,
		Keyring: o.Keyring})
	site.APIReference(app, api.Prefix+"/reference", a.OpenAPI)
	if o.Mount != nil {
		o.Mount(app)
	}
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app, nil
}
