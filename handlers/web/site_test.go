package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
)

const testRequestID = "req-123"

// newTestApp wires the site the way cmd/tuhono is expected to: a request-id
// middleware that sets X-Request-ID on the response, an error handler that
// turns any returned error into the friendly page, and the API reference.
func newTestApp(t *testing.T, doc func() *huma.OpenAPI, middleware ...fiber.Handler) (*fiber.App, *Site) {
	t.Helper()
	site, err := New(Config{BaseURL: "http://127.0.0.1:8080", Version: "1.2.3-test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			status := fiber.StatusInternalServerError
			var fe *fiber.Error
			if errors.As(err, &fe) {
				status = fe.Code
			}
			return site.ErrorPage(c, status, requestID(c))
		},
	})
	app.Use(func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderXRequestID, testRequestID)
		return c.Next()
	})
	for _, mw := range middleware {
		app.Use(mw)
	}
	site.Routes(app)
	if doc == nil {
		doc = func() *huma.OpenAPI {
			return &huma.OpenAPI{OpenAPI: "3.1.0", Info: &huma.Info{Title: "Tūhono API", Version: "1"}}
		}
	}
	site.APIReference(app, referencePath, doc)
	// handlers/api serves the JSON document in production; stand in for it so
	// link checks can follow the footer link.
	app.Get(openAPIPath, func(c *fiber.Ctx) error { return c.JSON(doc()) })
	return app, site
}

func get(t *testing.T, app *fiber.App, path string) (*http.Response, string) {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp, string(body)
}

func TestLanding(t *testing.T) {
	app, site := newTestApp(t, nil)
	resp, body := get(t, app, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, want := range []string{
		`<html lang="en-NZ">`,
		"<title>Tūhono</title>",
		`<h1 id="hero-title">Tūhono</h1>`,
		`href="` + site.StaticURL("app.css") + `"`,
		`<a class="skip-link" href="#main">`,
		`<main id="main" tabindex="-1">`,
		`<span lang="mi">Kia ora</span>`,
		"Health Information Privacy Code 2020",
		`href="/api/v1/reference"`,
		`href="/api/v1/openapi.json"`,
		"1.2.3-test",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("landing page lacks %q", want)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "" {
		t.Errorf("pages must leave Cache-Control to the security middleware, got %q", cc)
	}
}

// Pages must not link to pages that do not exist: follow every same-origin
// link on every page, signed out and signed in.
func TestPagesLinkOnlyToExistingPages(t *testing.T) {
	s := newStack(t, testBase)
	a := s.tenant(t)
	u := s.person(t, "Link Person", &a, "practice_admin", "hip")
	br := s.agent(t)
	href := regexp.MustCompile(`(?:href|src)="(/[^"#]*)`)
	visit := func(pages ...string) {
		for _, page := range pages {
			r := br.follow(br.get(page))
			if r.status != http.StatusOK && r.status != http.StatusNotFound {
				t.Errorf("%s answers %d", page, r.status)
			}
			for _, m := range href.FindAllStringSubmatch(r.body, -1) {
				link := strings.ReplaceAll(m[1], "&amp;", "&")
				got := br.follow(br.get(link))
				if got.status != http.StatusOK {
					t.Errorf("%s links to %s, which answers %d", page, link, got.status)
				}
			}
		}
	}
	visit("/", referencePath, "/no-such-page", "/signin", "/reset", "/dev/mailbox")
	br.signIn(u)
	visit("/tenants", "/account", "/t/"+a.Slug+"/", "/t/"+a.Slug+"/staff", "/t/"+a.Slug+"/tokens", "/no-such-page")
}

func TestStaticURLServesHashedFile(t *testing.T) {
	app, site := newTestApp(t, nil)
	for _, tc := range []struct{ name, contentType, pattern string }{
		{"app.css", "text/css; charset=utf-8", `^/static/app\.[0-9a-f]{8}\.css$`},
		{"favicon.svg", "image/svg+xml", `^/static/favicon\.[0-9a-f]{8}\.svg$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := site.StaticURL(tc.name)
			if !regexp.MustCompile(tc.pattern).MatchString(u) {
				t.Fatalf("StaticURL(%q) = %q, want match %s", tc.name, u, tc.pattern)
			}
			resp, body := get(t, app, u)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", u, resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control = %q", got)
			}
			want, err := staticFS.ReadFile("static/" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if body != string(want) {
				t.Errorf("body differs from the embedded file")
			}
		})
	}
}

func TestStaticUnknownOrStaleHashIs404(t *testing.T) {
	app, site := newTestApp(t, nil)
	good := site.StaticURL("app.css")
	stale := regexp.MustCompile(`\.[0-9a-f]{8}\.`).ReplaceAllString(good, ".00000000.")
	for _, path := range []string{stale, "/static/app.css", "/static/nothing.12345678.css", strings.ToUpper(good)} {
		resp, body := get(t, app, path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
		if strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: a miss must not be cached as immutable", path)
		}
		if !strings.Contains(body, "Page not found") {
			t.Errorf("GET %s: not the friendly 404 page", path)
		}
	}
	if u := site.StaticURL("missing.css"); u != "/static/missing.css" {
		t.Errorf("StaticURL(unknown) = %q", u)
	}
}

func TestErrorPage(t *testing.T) {
	site, err := New(Config{Version: "t"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		status, wantStatus int
		heading            string
	}{
		{400, 400, "Bad request"},
		{401, 401, "Sign in needed"},
		{403, 403, `<span lang="mi">Kāore e whakaaetia</span>`},
		{404, 404, `<span lang="mi">Kāore i kitea</span>`},
		{413, 413, "Too large"},
		{415, 415, "Unsupported format"},
		{429, 429, "Too many requests"},
		{500, 500, `<span lang="mi">He raru</span>`},
		{503, 503, "Unavailable"},
		{405, 405, "Request not completed"},
		{502, 502, "Something went wrong"},
		{200, 500, "Something went wrong"},
		{302, 500, "Something went wrong"},
	}
	for _, tc := range cases {
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Get("/", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="report.csv"`)
			return site.ErrorPage(c, tc.status, testRequestID)
		})
		resp, body := get(t, app, "/")
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("ErrorPage(%d): status %d, want %d", tc.status, resp.StatusCode, tc.wantStatus)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("ErrorPage(%d): Content-Type %q", tc.status, ct)
		}
		if resp.Header.Get("Content-Disposition") != "" {
			t.Errorf("ErrorPage(%d): kept Content-Disposition", tc.status)
		}
		for _, want := range []string{tc.heading, "Reference: <span class=\"mono\">req-123</span>", `href="/"`} {
			if !strings.Contains(body, want) {
				t.Errorf("ErrorPage(%d): body lacks %q", tc.status, want)
			}
		}
	}
}

// The integration that matters: a handler fails with internal text, the
// app's error handler renders the page, and the text stays in the server.
func TestErrorPageNeverShowsInternalText(t *testing.T) {
	app, _ := newTestApp(t, nil)
	const secret = `pq: duplicate key value violates unique constraint "notes_pkey"`
	app.Get("/fails", func(c *fiber.Ctx) error { return errors.New(secret) })
	resp, body := get(t, app, "/fails")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if strings.Contains(body, "duplicate key") || strings.Contains(body, "pq:") {
		t.Errorf("error page leaks internal text:\n%s", body)
	}
	if !strings.Contains(body, "Reference: <span class=\"mono\">"+testRequestID) {
		t.Errorf("error page lacks the reference")
	}
}

func TestErrorPageEscapesAndBoundsRequestID(t *testing.T) {
	site, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		return site.ErrorPage(c, 404, `<script>alert(1)</script>`+strings.Repeat("x", 500))
	})
	_, body := get(t, app, "/")
	if strings.Contains(body, "<script>") {
		t.Error("request id was not escaped")
	}
	if strings.Contains(body, strings.Repeat("x", maxRequestIDRunes)) {
		t.Error("request id was not truncated")
	}
	noID := fiber.New(fiber.Config{DisableStartupMessage: true})
	noID.Get("/", func(c *fiber.Ctx) error { return site.ErrorPage(c, 404, "") })
	if _, body := get(t, noID, "/"); strings.Contains(body, "Reference:") {
		t.Error("an empty reference is shown")
	}
}

// A template error must produce a plain 500, never half a page.
func TestRenderFailureIsPlain500(t *testing.T) {
	site, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	// struct{}{} has none of the fields the layout reads, so execution fails
	// after the doctype has already been written to the buffer.
	app.Get("/", func(c *fiber.Ctx) error { return site.render(c, 200, pageLanding, struct{}{}) })
	resp, body := get(t, app, "/")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if strings.Contains(body, "<") {
		t.Errorf("partial page written: %q", body)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:8080", "ftp://x", "http://", "::"} {
		if _, err := New(Config{BaseURL: u}); err == nil {
			t.Errorf("New(BaseURL %q) accepted", u)
		}
	}
	if _, err := New(Config{BaseURL: "https://tuhono.example.nz/"}); err != nil {
		t.Errorf("New(valid) = %v", err)
	}
}
