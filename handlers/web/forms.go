package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/fault"
)

// form is what a page shows in and around one form: the CSRF token, the
// values typed (never passwords or codes), a message per field and one about
// the whole form. A form that comes back with messages changed nothing.
type form struct {
	CSRF    string
	Values  map[string]string
	Lists   map[string][]string // repeated fields: the boxes ticked
	Errors  map[string]string
	Order   []string // fields in page order, for the error summary
	Labels  map[string]string
	Message string // about the whole form: failed sign-in, too many attempts
}

func newForm(c *fiber.Ctx) *form {
	return &form{CSRF: httpx.CSRFToken(c), Values: map[string]string{}, Lists: map[string][]string{}, Errors: map[string]string{}, Labels: map[string]string{}}
}

// Set keeps a value to show again.
func (f *form) Set(name, value string) { f.Values[name] = value }

// SetList keeps the values of a repeated field to show again.
func (f *form) SetList(name string, values []string) { f.Lists[name] = values }

// Fail records a message for a field (the first one wins).
func (f *form) Fail(name, message string) {
	if _, ok := f.Errors[name]; !ok {
		f.Errors[name] = sentence(message)
	}
}

// Failed reports whether any field or the form has a message.
func (f *form) Failed() bool { return len(f.Errors) > 0 || f.Message != "" }

// Adopt takes the field messages of a fault.Invalid error. fields maps the
// service's field names to this form's ("password" -> "current_password");
// every field the form has must be listed, and a message for any other goes
// to the form as a whole, so nothing is lost. It reports whether err was an
// invalid-input error.
func (f *form) Adopt(err error, fields map[string]string) bool {
	fe := fault.As(err)
	if fe.Kind != fault.KindInvalid {
		return false
	}
	for _, x := range fe.Fields {
		if name, ok := fields[x.Field]; ok {
			f.Fail(name, x.Message)
		} else if f.Message == "" {
			f.Message = sentence(x.Message)
		}
	}
	if len(fe.Fields) == 0 && f.Message == "" {
		f.Message = sentence(fe.Message)
	}
	return true
}

// summaryItem is one line of the error summary, linking to its field.
type summaryItem struct{ ID, Text string }

// Summary lists the field messages in page order.
func (f *form) Summary() []summaryItem {
	var out []summaryItem
	for _, name := range f.Order {
		if m, ok := f.Errors[name]; ok {
			out = append(out, summaryItem{ID: fieldID(name), Text: m})
		}
	}
	return out
}

// inputView is one labelled input with its hint and message, wired together
// with aria-describedby and aria-invalid (WCAG 2.2: 1.3.1, 3.3.1, 3.3.2).
type inputView struct {
	ID, Name, Label, Type string
	Value                 string
	Autocomplete          string
	Inputmode             string
	Hint                  string
	Error                 string
	Min, Max              string
	Spellcheck            bool
}

// DescribedBy lists the ids of the hint and the message.
func (v inputView) DescribedBy() string {
	var ids []string
	if v.Hint != "" {
		ids = append(ids, v.ID+"-hint")
	}
	if v.Error != "" {
		ids = append(ids, v.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// Input describes a field for the "input" template and registers it with the
// form, so the error summary follows the page's order. Pages build their
// inputs in Go, before rendering. opts are key=value: hint, inputmode, min,
// max, and "nospell"; password fields never show a value again.
func (f *form) Input(name, label, typ, autocomplete string, opts ...string) inputView {
	f.register(name, label)
	v := inputView{ID: fieldID(name), Name: name, Label: label, Type: typ, Autocomplete: autocomplete,
		Error: f.Errors[name], Spellcheck: true}
	if typ != "password" {
		v.Value = f.Values[name]
	}
	for _, o := range opts {
		k, val, _ := strings.Cut(o, "=")
		switch k {
		case "hint":
			v.Hint = val
		case "inputmode":
			v.Inputmode = val
		case "min":
			v.Min = val
		case "max":
			v.Max = val
		case "nospell":
			v.Spellcheck = false
		}
	}
	if typ == "email" || typ == "password" {
		v.Spellcheck = false
	}
	return v
}

func (f *form) register(name, label string) {
	if _, ok := f.Labels[name]; !ok {
		f.Order = append(f.Order, name)
	}
	f.Labels[name] = label
}

// choiceView is a group of checkboxes in a fieldset.
type choiceView struct {
	ID, Name, Legend, Hint, Error string
	Options                       []option
}

type option struct {
	ID, Value, Label string
	Checked          bool
}

// Choices describes a checkbox group; checked holds the values ticked.
func (f *form) Choices(name, legend, hint string, values []string, checked []string) choiceView {
	f.register(name, legend)
	v := choiceView{ID: fieldID(name), Name: name, Legend: legend, Hint: hint, Error: f.Errors[name]}
	for _, val := range values {
		on := false
		for _, c := range checked {
			on = on || c == val
		}
		v.Options = append(v.Options, option{ID: fieldID(name + "-" + val), Value: val, Label: roleLabel(val), Checked: on})
	}
	return v
}

// fieldID makes an element id from a field name.
func fieldID(name string) string { return "f-" + strings.ReplaceAll(name, "_", "-") }

// sentence starts a service message with a capital letter and ends it with a
// full stop, as a page shows it.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// formValue reads a form field as an independent string: Fiber reuses the
// request buffer after the handler returns.
func formValue(c *fiber.Ctx, name string) string { return strings.Clone(c.FormValue(name)) }

// formValues reads every value of a repeated field (checkboxes).
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		for _, v := range mf.Value[name] {
			out = append(out, strings.Clone(v))
		}
		return out
	}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	return out
}

// client describes the request for throttling and the audit trail.
func client(c *fiber.Ctx) account.Client {
	return account.Client{IP: httpx.ClientIP(c), UserAgent: strings.Clone(c.Get(fiber.HeaderUserAgent)), RequestID: httpx.RequestID(c)}
}

// maxNext bounds the return address carried through sign-in.
const maxNext = 1000

// safeNext returns s when it is a path on this site ("/t/x/staff"), and ""
// for anything that could leave it: another origin ("//evil.example",
// "https://…"), a backslash that some browsers read as a slash, control
// characters that browsers strip.
func safeNext(s string) string {
	if s == "" || len(s) > maxNext || s[0] != '/' || strings.HasPrefix(s, "//") {
		return ""
	}
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) {
			return ""
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return s
}

// withNext appends a safe next to a local path.
func withNext(path, next string) string {
	if next = safeNext(next); next == "" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

// minutes says how long to wait, rounded up, never "0 minutes".
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "1 minute"
	}
	return strconv.Itoa(m) + " minutes"
}

// tooMany prepares a 429 answer: the Retry-After header and what to say.
func tooMany(c *fiber.Ctx, err error) (string, bool) {
	fe := fault.As(err)
	if fe.Kind != fault.KindTooMany {
		return "", false
	}
	wait := fe.RetryAfter
	if wait <= 0 {
		wait = time.Minute
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	return "Too many attempts. Please try again in " + minutes(wait) + ".", true
}

// redirect is the answer to every successful POST: 303 See Other, so a reload
// does not send the form again.
func redirect(c *fiber.Ctx, to string) error { return c.Redirect(to, fiber.StatusSeeOther) }

// Page-level notices after a redirect, chosen by a fixed key in the query so
// no text from the address is ever shown.
var notices = map[string]string{
	"signed-out":       "You have signed out. Ka kite anō.",
	"reset-sent":       "If the address has an account, a link to reset its password is on its way. Check your e-mail.",
	"accepted":         "Your invitation is accepted. Sign in to start.",
	"password":         "Your password is changed. Any other devices signed in to your account have been signed out.",
	"mfa-removed":      "Two-step sign-in is off. Turn it on again soon: clinical work needs it.",
	"others-signedout": "You have signed out on every other device.",
	"invited":          "The invitation is on its way by e-mail.",
	"suspended":        "The membership is suspended. The person was signed out here.",
	"restored":         "The membership is active again.",
	"ended":            "The membership has ended. The person was signed out here.",
	"revoked":          "The token is revoked. Anything using it stops working now.",
	"not-active":       "That token is not active: there is nothing to revoke.",
	"settings":         "The settings are saved.",
}

func notice(c *fiber.Ctx) string { return notices[c.Query("done")] }

// Role names as people read them.
var roleLabels = map[string]string{
	"gp":             "GP",
	"nurse":          "Practice nurse",
	"hip":            "Health Improvement Practitioner (HIP)",
	"health_coach":   "Health Coach",
	"support_worker": "Support Worker",
	"practice_admin": "Practice administrator",
	"pho_admin":      "PHO administrator",
	// held in a region or funder, reaching a tenant through it
	"regional_admin":    "Regional programme administrator",
	"funder":            "Funder",
	"platform_operator": "Platform operator",
}

func roleLabel(r string) string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return r
}

func roleLabelList(roles []string) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = roleLabel(r)
	}
	return out
}

// nzZone is where times are shown outside a tenant (the account pages).
var nzZone = func() *time.Location {
	if loc, err := time.LoadLocation("Pacific/Auckland"); err == nil {
		return loc
	}
	return time.UTC
}()

// timeView is a moment as a <time> element shows it.
type timeView struct{ ISO, Text string }

func showTime(t time.Time, loc *time.Location) timeView {
	if t.IsZero() {
		return timeView{}
	}
	return timeView{ISO: t.UTC().Format(time.RFC3339), Text: t.In(loc).Format("2 Jan 2006, 3:04 pm")}
}
