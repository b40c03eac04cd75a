package httpx

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// X-Forwarded-For is believed only from a trusted peer, and read from the
// right: the leftmost entries are the client's to invent.
func TestClientIPBehindProxies(t *testing.T) {
	cases := []struct {
		name    string
		trusted []string
		xff     string
		want    string
	}{
		{"no proxies trusted: the peer", nil, "203.0.113.9", "0.0.0.0"},
		{"trusted peer: the entry it added", []string{"0.0.0.0/32"}, "198.51.100.7", "198.51.100.7"},
		{"spoofed leftmost entry ignored", []string{"0.0.0.0/32"}, "1.2.3.4, 198.51.100.7", "198.51.100.7"},
		{"our own proxies skipped", []string{"0.0.0.0/32", "10.0.0.0/8"}, "1.2.3.4, 198.51.100.7, 10.1.2.3", "198.51.100.7"},
		{"garbage stops the walk", []string{"0.0.0.0/32"}, "nonsense", "0.0.0.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &Frame{}
			for _, p := range c.trusted {
				f.TrustedProxies = append(f.TrustedProxies, netip.MustParsePrefix(p))
			}
			app := fiber.New()
			var got string
			app.Get("/", func(ctx *fiber.Ctx) error {
				got, _ = f.clientIP(ctx)
				return nil
			})
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("X-Forwarded-For", c.xff)
			if _, err := app.Test(r); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("client IP %q, want %q", got, c.want)
			}
		})
	}
}

// The page middleware resolves /t/:tenant and answers 404 alike for an
// unknown tenant and for one the caller is not a member of.
func TestTenantMiddleware(t *testing.T) {
	known := tenants.Tenant{ID: uuid.New(), Slug: "harbourside", Status: tenants.StatusActive}
	other := tenants.Tenant{ID: uuid.New(), Slug: "elsewhere", Status: tenants.StatusActive}
	dir := tenants.NewDirectory(func(_ context.Context, slug string) (tenants.Tenant, error) {
		for _, t := range []tenants.Tenant{known, other} {
			if t.Slug == slug {
				return t, nil
			}
		}
		return tenants.Tenant{}, tenants.ErrUnknown
	}, 0)
	f := &Frame{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RequestTimeout: time.Second, Directory: dir,
		Authenticate: func(c *fiber.Ctx, t tenants.Tenant) (tenants.Actor, error) {
			if t.Slug == known.Slug {
				return tenants.Actor{Name: "member"}, nil
			}
			return tenants.Actor{}, fault.NotFound
		}}
	app := fiber.New(fiber.Config{ErrorHandler: f.ErrorHandler})
	app.Use(f.Begin)
	app.Get("/t/:tenant", f.Tenant, func(c *fiber.Ctx) error {
		t, _ := tenants.FromContext(Context(c))
		a, _ := tenants.ActorFrom(Context(c))
		return c.SendString(t.ID.String() + " " + a.Name)
	})
	for path, want := range map[string]int{"/t/harbourside": 200, "/t/elsewhere": 404, "/t/nowhere": 404} {
		res, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s: %d, want %d", path, res.StatusCode, want)
		}
		if want == 200 && string(body) != known.ID.String()+" member" {
			t.Fatalf("%s: handler saw %q", path, body)
		}
		if want == 404 && strings.Contains(string(body), other.ID.String()) {
			t.Fatalf("%s leaked the tenant", path)
		}
	}
}

func TestArchivedTenantIsReadOnly(t *testing.T) {
	archived := tenants.Tenant{ID: uuid.New(), Slug: "closed", Status: tenants.StatusArchived}
	dir := tenants.NewDirectory(func(_ context.Context, slug string) (tenants.Tenant, error) {
		if slug == archived.Slug {
			return archived, nil
		}
		return tenants.Tenant{}, tenants.ErrUnknown
	}, 0)
	f := &Frame{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RequestTimeout: time.Second, Directory: dir,
		Authenticate: func(*fiber.Ctx, tenants.Tenant) (tenants.Actor, error) { return tenants.Actor{Name: "m"}, nil }}
	app := fiber.New(fiber.Config{ErrorHandler: f.ErrorHandler})
	app.Use(f.Begin)
	ok := func(c *fiber.Ctx) error { return c.SendString("ok") }
	app.Get("/t/:tenant", f.Tenant, ok)
	app.Post("/t/:tenant", f.Tenant, ok)
	for method, want := range map[string]int{"GET": 200, "POST": 403} {
		res, err := app.Test(httptest.NewRequest(method, "/t/closed", nil))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != want {
			t.Errorf("%s on an archived tenant: %d, want %d", method, res.StatusCode, want)
		}
	}
}
