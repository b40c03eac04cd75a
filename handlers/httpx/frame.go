package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// ErrorPages renders the friendly page for an error status (handlers/web).
type ErrorPages interface {
	ErrorPage(c *fiber.Ctx, status int, requestID string) error
}

// Authenticator says who is calling and with which roles at tenant t. It
// returns fault.Unauthenticated when no one is signed in and fault.NotFound
// when the caller has no membership there (a tenant one cannot see does not
// exist, as far as one can tell). Until sign-in exists no authenticator is
// configured and every tenant route answers 404.
type Authenticator func(c *fiber.Ctx, t tenants.Tenant) (tenants.Actor, error)

// Frame holds what the middleware needs. It is built once in cmd and never
// changed after.
type Frame struct {
	Log             *slog.Logger
	RequestTimeout  time.Duration
	TrustedProxies  []netip.Prefix
	Pages           ErrorPages
	Directory       *tenants.Directory
	Authenticate    Authenticator // pages: the session's person and membership
	AuthenticateAPI Authenticator // the API: a bearer token bound to the tenant
	RequireBearer   bool          // answer 401 to API calls without a token before any look-up
	Policy          Authorizer
	DB              *db.DB // for recording denials in the tenant's audit trail
	Metrics         *Metrics
	HSTS            bool // send Strict-Transport-Security (BASE_URL is https)
}

const (
	localRequestID = "tuhono.request_id"
	localClientIP  = "tuhono.client_ip"
	localTenant    = "tuhono.tenant"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	clientIPKey
	userAgentKey
)

// UserAgentFrom returns the request's User-Agent carried by ctx.
func UserAgentFrom(ctx context.Context) string {
	s, _ := ctx.Value(userAgentKey).(string)
	return s
}

// ClientIPFrom returns the client address carried by ctx.
func ClientIPFrom(ctx context.Context) string {
	s, _ := ctx.Value(clientIPKey).(string)
	return s
}

// RequestIDFrom returns the request id carried by ctx.
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// RequestID returns the request's id.
func RequestID(c *fiber.Ctx) string {
	s, _ := c.Locals(localRequestID).(string)
	return s
}

// ClientIP returns the caller's address as worked out by the frame.
func ClientIP(c *fiber.Ctx) string {
	s, _ := c.Locals(localClientIP).(string)
	return s
}

// Context returns the request's context: cancelled at the request deadline,
// carrying the request id and, on tenant routes, the tenant and actor. Fiber's
// own c.Context() is never cancelled per request.
func Context(c *fiber.Ctx) context.Context { return c.UserContext() }

// ResolveTenant resolves slug through the directory, checks the caller may
// see that tenant and returns the request context carrying both. Every
// failure is a 404 to the caller, so tenants cannot be discovered by probing.
func (f *Frame) ResolveTenant(c *fiber.Ctx, slug string, auth Authenticator) (context.Context, error) {
	ctx := c.UserContext()
	t, err := f.Directory.Resolve(ctx, slug)
	if errors.Is(err, tenants.ErrUnknown) {
		return nil, fault.NotFound
	}
	if err != nil {
		return nil, err
	}
	if auth == nil {
		return nil, fault.NotFound
	}
	actor, err := auth(c, t)
	if err != nil {
		return nil, err
	}
	// A suspended organisation keeps working for what it already has
	// (sign-in, reading, exporting); the domain refuses what is new
	// (invitations, bookings). An archived one is read-only.
	if t.Status == tenants.StatusArchived && c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return nil, fault.New(fault.KindForbidden, "this organisation is archived: its records can be read but not changed", nil)
	}
	c.Locals(localTenant, t.Slug)
	ctx = tenants.WithActor(tenants.WithTenant(ctx, t), actor)
	c.SetUserContext(ctx)
	return ctx, nil
}

// Tenant is the page middleware for /t/:tenant/… routes.
func (f *Frame) Tenant(c *fiber.Ctx) error {
	if _, err := f.ResolveTenant(c, c.Params("tenant"), f.Authenticate); err != nil {
		return err
	}
	return c.Next()
}

// logSafe describes err for a log line without values that may be personal.
func logSafe(err error) string { return db.LogSafe(err) }
