package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"

	"github.com/gofiber/fiber/v2"
)

//go:embed templates
var templateFS embed.FS

// Page template files; each defines "main" and is parsed together with
// layout.html, which defines the frame and executes "main".
const (
	pageLanding       = "landing.html"
	pageError         = "error.html"
	pageAPIRef        = "apiref.html"
	pageSignin        = "signin.html"
	pageMFA           = "mfa.html"
	pageReset         = "reset.html"
	pageResetPassword = "reset_password.html"
	pagePicker        = "picker.html"
	pageAccount       = "account.html"
	pageEnrol         = "enrol.html"
	pageRecovery      = "recovery.html"
	pageHome          = "home.html"
	pageStaff         = "staff.html"
	pageTokens        = "tokens.html"
	pageTokenCreated  = "token_created.html"
	pageInvitation    = "invitation.html"
	pageMailbox       = "mailbox.html"
	pageSettings      = "settings.html"
)

// pageFiles is every page template; each is parsed with the layout and the
// partials.
var pageFiles = []string{
	pageLanding, pageError, pageAPIRef, pageSignin, pageMFA, pageReset, pageResetPassword, pagePicker,
	pageAccount, pageEnrol, pageRecovery, pageHome, pageStaff, pageTokens, pageTokenCreated, pageInvitation,
	pageMailbox, pageSettings,
}

const (
	layoutFile   = "layout.html"
	partialsFile = "partials.html"
)

// pages holds one template set per page so that each page's "main" block
// cannot collide with another's.
type pages map[string]*template.Template

func parsePages(fsys fs.FS) (pages, error) {
	p := pages{}
	for _, name := range pageFiles {
		t, err := template.New(name).ParseFS(fsys, "templates/"+layoutFile, "templates/"+partialsFile, "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if t.Lookup("layout") == nil || t.Lookup("main") == nil {
			return nil, fmt.Errorf("templates: %s must define \"main\" and %s \"layout\"", name, layoutFile)
		}
		p[name] = t
	}
	return p, nil
}

// render executes the page into a buffer and writes it only when complete, so
// a template error can never send half a page with a 200 status.
func (s *Site) render(c *fiber.Ctx, status int, page string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return s.plainError(c, fmt.Errorf("no page template %q", page))
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return s.plainError(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// plainError is the last resort when a page cannot be rendered. It does not go
// through the error page (that template may be the broken one) nor back to
// Fiber's error handler (which would render a page again); the cause goes to
// the log only.
func (s *Site) plainError(c *fiber.Ctx, err error) error {
	slog.ErrorContext(c.UserContext(), "web: render failed",
		"err", err, "path", c.Path(), "request_id", requestID(c))
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(fiber.StatusInternalServerError).SendString("Something went wrong. Please try again later.\n")
}

// requestID is the id the request-id middleware put on the response, so the
// reference a person reads out matches the log line. The request header is
// not read: a client could put anything there.
func requestID(c *fiber.Ctx) string {
	return c.GetRespHeader(fiber.HeaderXRequestID)
}
