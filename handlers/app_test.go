package handlers_test

import (
	"context"
	"encoding/json"
	"github.com/tuhono/tuhono/models/keys"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// member is a stand-in authenticator for tests until sign-in exists: the
// caller is a member of exactly the tenants named in allowed.
func member(allowed ...string) httpx.Authenticator {
	return func(c *fiber.Ctx, t tenants.Tenant) (tenants.Actor, error) {
		for _, s := range allowed {
			if s == t.Slug {
				return tenants.Actor{Name: "test", Roles: []string{"practice_admin"}}, nil
			}
		}
		return tenants.Actor{}, fault.NotFound
	}
}

// tenantReaders is a stand-in policy for the frame tests: anyone may read
// the tenant, nothing else (the real policy has its own tests and the HTTP
// matrix).
type tenantReaders struct{}

func (tenantReaders) Check(_ context.Context, object, action string) error {
	if object == "tenant" && action == "read" {
		return nil
	}
	return fault.Forbidden
}

func newApp(t *testing.T, o handlers.Options) *fiber.App {
	t.Helper()
	env := dbtest.New(t)
	o.DB = env.DB
	o.Log = dbtest.Quiet
	o.Version = "test"
	if o.Directory == nil {
		o.Directory = tenants.NewDirectory(onboarding.BySlug(env.DB), 0)
	}
	if o.Authenticate != nil && o.AuthenticateAPI == nil {
		o.AuthenticateAPI = o.Authenticate
	}
	if o.Policy == nil {
		o.Policy = tenantReaders{}
	}
	if o.Ready == nil {
		o.Ready = func(ctx context.Context) error { return env.DB.Ping(ctx) }
	}
	if o.Keyring == nil {
		o.Keyring = testKeyring(t)
	}
	app, err := handlers.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// listen serves app on a real loopback socket: body limits and timeouts are
// enforced by the server, which app.Test bypasses.
func listen(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	return "http://" + ln.Addr().String()
}

func do(t *testing.T, app *fiber.App, r *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := app.Test(r, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func TestBadInputOnTheFrame(t *testing.T) {
	env := dbtest.New(t)
	_, tn := env.Tenant(t)
	app := newApp(t, handlers.Options{BodyLimit: 1024, Authenticate: member(tn.Slug)})
	base := listen(t, app)
	big := strings.Repeat("x", 4096)
	cases := []struct {
		name, method, path, ctype, body string
		want                            int
		problem                         bool
	}{
		{"oversized body", "POST", "/api/v1/t/" + tn.Slug, "application/json", `{"a":"` + big + `"}`, 413, true},
		{"wrong content type", "POST", "/api/v1/t/" + tn.Slug, "text/plain", "hello", 415, true},
		{"form to the API", "POST", "/api/v1/t/" + tn.Slug, "application/x-www-form-urlencoded", "a=b", 415, true},
		{"invalid UTF-8", "POST", "/api/v1/t/" + tn.Slug, "application/json", "{\"a\":\"\xff\xfe\"}", 400, true},
		{"raw NUL", "POST", "/api/v1/t/" + tn.Slug, "application/json", "{\"a\":\"x\x00y\"}", 400, true},
		{"escaped NUL", "POST", "/api/v1/t/" + tn.Slug, "application/json", `{"a":"x\u0000y"}`, 400, true},
		{"NUL in the query", "GET", "/api/v1/t/" + tn.Slug + "?q=%00", "", "", 400, true},
		{"bad UTF-8 in the path", "GET", "/api/v1/t/%ff%fe", "", "", 400, true},
		{"unknown API route", "GET", "/api/v1/nowhere", "", "", 404, true},
		{"unknown page", "GET", "/nowhere", "", "", 404, false},
		{"wrong method", "DELETE", "/healthz", "", "", 404, false},
		{"upper-case tenant slug", "GET", "/api/v1/t/" + strings.ToUpper(tn.Slug), "", "", 404, true},
		{"NUL in a page form", "POST", "/", "application/x-www-form-urlencoded", "a=%00", 400, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body := string(b)
			if res.StatusCode != c.want {
				t.Fatalf("status %d, want %d; body %s", res.StatusCode, c.want, body)
			}
			ct := res.Header.Get("Content-Type")
			if c.problem {
				var p httpx.Problem
				if !strings.HasPrefix(ct, httpx.ProblemType) || json.Unmarshal([]byte(body), &p) != nil || p.Status != c.want || p.RequestID == "" {
					t.Fatalf("want problem+json with status and request id, got %s %s", ct, body)
				}
			} else if !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("a page error should be a page, got %s", ct)
			}
			if strings.Contains(body, "sqlstate") || strings.Contains(body, "goroutine") {
				t.Fatalf("internal text leaked: %s", body)
			}
		})
	}
}

func TestTenantAPIWalls(t *testing.T) {
	env := dbtest.New(t)
	_, a := env.Tenant(t)
	_, b := env.Tenant(t)
	get := func(app *fiber.App, slug string) (*http.Response, string) {
		return do(t, app, httptest.NewRequest("GET", "/api/v1/t/"+slug, nil))
	}
	t.Run("no authenticator: nothing is reachable", func(t *testing.T) {
		res, _ := get(newApp(t, handlers.Options{}), a.Slug)
		if res.StatusCode != 404 {
			t.Fatalf("status %d, want 404 until sign-in exists", res.StatusCode)
		}
	})
	app := newApp(t, handlers.Options{Authenticate: member(a.Slug)})
	t.Run("member reads own tenant", func(t *testing.T) {
		res, body := get(app, a.Slug)
		var got struct{ ID, Slug, Status string }
		if res.StatusCode != 200 || json.Unmarshal([]byte(body), &got) != nil || got.ID != a.ID.String() || got.Slug != a.Slug {
			t.Fatalf("status %d body %s", res.StatusCode, body)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q, want no-store", cc)
		}
	})
	t.Run("non-member and unknown look the same", func(t *testing.T) {
		r1, b1 := get(app, b.Slug)
		r2, b2 := get(app, "no-such-practice")
		if r1.StatusCode != 404 || r2.StatusCode != 404 {
			t.Fatalf("statuses %d %d, want 404 404", r1.StatusCode, r2.StatusCode)
		}
		if strings.Contains(b1, b.Name) || strings.Contains(b1, b.ID.String()) {
			t.Fatalf("the other tenant's details leaked: %s", b1)
		}
		_ = b2
	})
	t.Run("suspended tenant stays readable", func(t *testing.T) {
		if err := onboarding.SetStatus(context.Background(), env.DB, a.ID, tenants.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		fresh := newApp(t, handlers.Options{Authenticate: member(a.Slug)})
		res, body := get(fresh, a.Slug)
		if res.StatusCode != 200 || !strings.Contains(body, `"suspended"`) {
			t.Fatalf("status %d %s, want 200 with the suspended status", res.StatusCode, body)
		}
	})
	t.Run("archived tenant is read-only", func(t *testing.T) {
		if err := onboarding.SetStatus(context.Background(), env.DB, a.ID, tenants.StatusArchived); err != nil {
			t.Fatal(err)
		}
		fresh := newApp(t, handlers.Options{Authenticate: member(a.Slug)})
		if res, _ := get(fresh, a.Slug); res.StatusCode != 200 {
			t.Fatalf("reading an archived tenant: %d", res.StatusCode)
		}
		// Writes are refused by the frame: see httpx's TestArchivedTenantIsReadOnly.
	})
}

func TestFrameHeadersAndOperations(t *testing.T) {
	app := newApp(t, handlers.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	res, body := do(t, app, httptest.NewRequest("GET", "/", nil))
	if res.StatusCode != 200 {
		t.Fatalf("landing: %d", res.StatusCode)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "same-origin",
		"Cache-Control":           "no-store",
	} {
		if !strings.Contains(res.Header.Get(h), want) {
			t.Errorf("%s = %q, want it to contain %q", h, res.Header.Get(h), want)
		}
	}
	if res.Header.Get("X-Request-ID") == "" {
		t.Error("no X-Request-ID")
	}
	_ = body

	// A client that is not a trusted proxy cannot choose its request id.
	r := httptest.NewRequest("GET", "/healthz", nil)
	r.Header.Set("X-Request-ID", "chosen-by-client-123")
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	res, _ = do(t, app, r)
	if res.Header.Get("X-Request-ID") == "chosen-by-client-123" {
		t.Error("an untrusted client set its own request id")
	}

	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready"`} {
		res, body := do(t, app, httptest.NewRequest("GET", path, nil))
		if res.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
	res, body = do(t, app, httptest.NewRequest("GET", "/metrics", nil))
	for _, series := range []string{"tuhono_http_requests_total", `route="/healthz"`, "tuhono_http_request_duration_seconds_bucket", "tuhono_db_pool_open_connections"} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if strings.Contains(body, `route="/nowhere"`) {
		t.Error("raw paths must not become metric labels")
	}

	res, body = do(t, app, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi.json: %d %.200s", res.StatusCode, body)
	}
	if _, ok := doc.Paths["/api/v1/t/{tenant}"]; !ok {
		t.Errorf("openapi.json lacks /api/v1/t/{tenant}: %v", doc.Paths)
	}
	res, body = do(t, app, httptest.NewRequest("GET", "/api/v1/reference", nil))
	if res.StatusCode != 200 || !strings.Contains(body, "/api/v1/t/{tenant}") || strings.Contains(body, "https://") {
		t.Errorf("reference page: %d, offline=%v", res.StatusCode, !strings.Contains(body, "https://"))
	}
}

func TestNotReadyAnswers503(t *testing.T) {
	app := newApp(t, handlers.Options{Ready: func(context.Context) error { return fault.Unavailable }})
	res, _ := do(t, app, httptest.NewRequest("GET", "/readyz", nil))
	if res.StatusCode != 503 {
		t.Fatalf("status %d, want 503", res.StatusCode)
	}
}

// testKeyring is a keyring over a fixed test master key.
func testKeyring(t testing.TB) *keys.Keyring {
	t.Helper()
	p, err := keys.NewLocal([]byte("handler tests master key, public"))
	if err != nil {
		t.Fatal(err)
	}
	return keys.NewKeyring(p)
}
