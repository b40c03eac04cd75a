package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Deps is what the API's handlers need.
type Deps struct {
	DB       *db.DB
	Accounts *account.Service // nil: no sign-in operations
	Sessions *httpx.Sessions
	Frame    *httpx.Frame
	Log      *slog.Logger
	Version  string
	// Allowed answers the policy in any domain (policy.Enforcer.Allowed):
	// the region API's organisation tokens. nil refuses every region call.
	Allowed func(user uuid.UUID, domain, object, action string) bool
	// Keyring encrypts and decrypts clinical content; nil refuses it.
	Keyring *keys.Keyring
}

// New registers the API on app and returns the huma API (its OpenAPI
// document feeds the reference page).
func New(app *fiber.App, d Deps) huma.API {
	cfg := huma.DefaultConfig("Tūhono API", d.Version)
	cfg.OpenAPI.Info.Description = "Tūhono: integrated primary mental health and addiction services for " +
		"New Zealand general practice. Every tenant-scoped path starts /api/v1/t/{tenant}."
	cfg.OpenAPIPath = Prefix + "/openapi"
	cfg.DocsPath = "" // the reference page is ours and works offline (handlers/web)
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil // no $schema links back to a schemas endpoint
	cfg.Servers = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API token made for one membership: " +
			"`tuhono token create` or the account page. It carries a subset of the membership's roles."},
	}
	a := humafiber.New(app, cfg)
	a.UseMiddleware(tenantMiddleware(a, d.Frame))
	a.UseMiddleware(idempotencyMiddleware(a, d)) // after the tenant: keys live in its wall
	registerTenant(a, d)
	registerSignIn(a, d)
	registerRegions(a, d)
	registerPatients(a, d)
	registerBooking(a, d)
	registerHandover(a, d)
	registerReferrals(a, d)
	registerNotes(a, d)
	registerRecords(a, d)
	return a
}

// tenantMiddleware resolves {tenant} for every operation whose path has one:
// the first tenant wall, for the API.
func tenantMiddleware(a huma.API, f *httpx.Frame) func(huma.Context, func(huma.Context)) {
	return func(hc huma.Context, next func(huma.Context)) {
		op := hc.Operation()
		if op == nil || !hasTenant(op) {
			next(hc)
			return
		}
		c := humafiber.Unwrap(hc)
		var ctx context.Context
		var err error
		if _, ok := httpx.BearerToken(c); !ok && f.RequireBearer {
			err = httpx.ErrNoBearer
		} else {
			ctx, err = f.ResolveTenant(c, hc.Param("tenant"), f.AuthenticateAPI)
		}
		if err == nil {
			// Default deny: an operation that names no permission is refused.
			perm, _ := op.Metadata["perm"].(httpx.Perm)
			err = f.Authorize(ctx, perm)
		}
		if err != nil {
			huma.WriteErr(a, hc, httpx.Status(err), "", err)
			return
		}
		next(huma.WithContext(hc, ctx))
	}
}

func hasTenant(op *huma.Operation) bool {
	for _, p := range op.Parameters {
		if p.In == "path" && p.Name == "tenant" {
			return true
		}
	}
	return false
}

// problem is huma's error constructor: the fault vocabulary decides the
// status, and an internal error's text never reaches the client.
func problem(hc huma.Context, status int, msg string, errs ...error) huma.StatusError {
	var instance, id string
	if hc != nil {
		c := humafiber.Unwrap(hc)
		instance, id = c.Path(), httpx.RequestID(c)
	}
	for _, e := range errs {
		var p *httpx.Problem
		var f *fault.Error
		if e != nil && (errors.As(e, &p) || errors.As(e, &f)) {
			if f != nil && f.Kind == fault.KindTooMany && f.RetryAfter > 0 && hc != nil {
				hc.SetHeader("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds()+0.999)))
			}
			return httpx.NewProblem(e, instance, id)
		}
	}
	p := &httpx.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Instance: instance, RequestID: id}
	if status >= 500 {
		return p
	}
	p.Detail = msg
	for _, e := range errs {
		var d *huma.ErrorDetail
		if errors.As(e, &d) {
			// Location and message only: the offending value is not echoed.
			p.Errors = append(p.Errors, httpx.FieldProblem{Location: d.Location, Message: d.Message})
		}
	}
	return p
}

func init() {
	huma.NewErrorWithContext = problem
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return problem(nil, status, msg, errs...)
	}
}

// fail logs an internal error with the request id; huma then hands err to
// problem, which answers 500 without its text, or the fault's own status.
func fail(ctx context.Context, log *slog.Logger, err error) error {
	if httpx.Status(err) >= 500 {
		log.ErrorContext(ctx, "api operation failed", "id", httpx.RequestIDFrom(ctx), "err", db.LogSafe(err))
	}
	return err
}
