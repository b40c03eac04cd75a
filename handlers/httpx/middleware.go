package httpx

import (
	"bytes"
	"context"
	"mime"
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// ContentSecurityPolicy allows our own scripts, styles and images only: no
// inline code, no third-party origin, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,128}$`)

// Begin is the first middleware: client IP, request id, deadline, security
// headers and no-store caching. Static files override the caching.
func (f *Frame) Begin(c *fiber.Ctx) error {
	start := time.Now()
	f.stamp(c)
	ctx, cancel := context.WithTimeout(context.Background(), f.RequestTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, requestIDKey, RequestID(c))
	ctx = context.WithValue(ctx, clientIPKey, ClientIP(c))
	ctx = context.WithValue(ctx, userAgentKey, c.Get(fiber.HeaderUserAgent))
	c.SetUserContext(ctx)

	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	f.finish(c, start)
	return nil
}

// stamp gives the request its client IP and id and the response its
// security headers. The error handler stamps requests that fasthttp refused
// before any middleware ran (an oversized body, say).
func (f *Frame) stamp(c *fiber.Ctx) {
	remote, trusted := f.clientIP(c)
	c.Locals(localClientIP, remote)

	id := string(c.Request().Header.Peek("X-Request-ID"))
	if !trusted || !goodRequestID.MatchString(id) {
		id = uuid.Must(uuid.NewV7()).String()
	}
	c.Locals(localRequestID, id)
	c.Set("X-Request-ID", id)

	h := &c.Response().Header
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin: our own pages get a Referer (and browsers a real Origin
	// on form posts, which the CSRF check reads); other sites get nothing.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if f.HSTS {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	// Health pages and API answers may hold personal health information:
	// never cached by a browser or a proxy. Static files override this.
	h.Set("Cache-Control", "no-store")
}

// finish writes the access log line and the metrics: the route pattern, not
// the raw path, so no identifier ever lands in a label or a log.
func (f *Frame) finish(c *fiber.Ctx, start time.Time) {
	elapsed := time.Since(start)
	route := RoutePattern(c)
	status := c.Response().StatusCode()
	if f.Metrics != nil {
		f.Metrics.observe(c.Method(), route, status, elapsed)
	}
	level := slogInfo
	if status >= 500 {
		level = slogError
	}
	slug, _ := c.Locals(localTenant).(string)
	f.Log.Log(c.UserContext(), level, "request", "id", RequestID(c), "method", c.Method(), "route", route,
		"status", status, "ms", float64(elapsed.Microseconds())/1000, "tenant", slug, "ip", ClientIP(c))
}

// RoutePattern is the matched route's pattern, or "unmatched".
func RoutePattern(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || r.Method == "USE" || c.Response().StatusCode() == fiber.StatusNotFound && r.Path == "/" {
		return "unmatched"
	}
	return r.Path
}

// clientIP is the caller's address. X-Forwarded-For is believed only when the
// direct peer is a trusted proxy, and then read from the right, skipping our
// own proxies: the leftmost entries are whatever the client chose to send.
func (f *Frame) clientIP(c *fiber.Ctx) (string, bool) {
	peer, _ := netip.ParseAddr(c.Context().RemoteIP().String())
	if !f.trusted(peer) {
		return peer.String(), false
	}
	xff := string(c.Request().Header.Peek("X-Forwarded-For"))
	parts := strings.Split(xff, ",")
	for i := len(parts) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
		if err != nil {
			break
		}
		if !f.trusted(a) {
			return a.String(), true
		}
	}
	return peer.String(), true
}

func (f *Frame) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range f.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Hygiene refuses malformed input before any handler sees it: a body of the
// wrong media type (415), invalid UTF-8 or a NUL anywhere in the path, query
// or a text body (400). PostgreSQL would refuse NUL in text with a 500.
func Hygiene(c *fiber.Ctx) error {
	if bad(c.Path()) || bad(string(c.Request().URI().Path())) || bad(string(c.Request().URI().QueryString())) {
		return badInput("the address contains invalid characters")
	}
	var queryErr bool
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if !utf8.Valid(k) || !utf8.Valid(v) || bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0 {
			queryErr = true
		}
	})
	if queryErr {
		return badInput("the query string contains invalid characters")
	}
	body := c.Body()
	if len(body) == 0 {
		return c.Next()
	}
	mt, _, err := mime.ParseMediaType(string(c.Request().Header.ContentType()))
	if err != nil {
		mt = ""
	}
	api := strings.HasPrefix(c.Path(), "/api/")
	switch {
	case api && (mt == "application/json" || mt == "application/merge-patch+json"):
		if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 || bytes.Contains(body, []byte(`\u0000`)) {
			return badInput("the body must be UTF-8 text without NUL characters")
		}
	case mt == "application/json" && c.Path() == "/webhooks/stripe":
		// Stripe's events: the handler verifies their signature over these
		// exact bytes; they are JSON, UTF-8 without NUL.
		if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
			return badInput("the body must be UTF-8 text without NUL characters")
		}
	case mt == "text/csv" && strings.HasPrefix(c.Path(), "/api/v1/regions/"):
		// The region API's bulk imports: the importer checks the encoding,
		// NUL and every row itself, and reports each bad line.
	case !api && mt == "application/x-www-form-urlencoded":
		if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 || bytes.Contains(body, []byte("%00")) {
			return badInput("the form must be UTF-8 text without NUL characters")
		}
	case !api && mt == "multipart/form-data":
		// Files may be binary; each upload handler checks its own parts.
	default:
		if api {
			return &Problem{Type: "about:blank", Title: "Unsupported Media Type", Status: fiber.StatusUnsupportedMediaType,
				Detail: "send application/json"}
		}
		return fiber.ErrUnsupportedMediaType
	}
	return c.Next()
}

func bad(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }

func badInput(detail string) error {
	return &Problem{Type: "about:blank", Title: "Bad Request", Status: fiber.StatusBadRequest, Detail: detail}
}
