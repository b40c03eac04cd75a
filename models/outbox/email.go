package outbox

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Email is one message to one person. Its body must carry no clinical content
// (see the package documentation): say that something is waiting and link to it.
type Email struct {
	To      string // one address, "aroha@example.nz" or "Aroha Ngata <aroha@example.nz>"
	Subject string // one line
	Text    string // the plain-text body; required
	HTML    string // optional HTML alternative
	// IdempotencyKey names the side effect, not the attempt: the same key
	// enqueued twice is one message ("invite:<membership id>",
	// "password-reset:<token id>"). Printable ASCII without spaces, 1–200 bytes.
	IdempotencyKey string
	// TenantSlug labels the message in the development mailbox. Left empty in
	// a tenant transaction it is that tenant's slug.
	TenantSlug string
}

// Limits of an e-mail, in bytes unless said otherwise.
const (
	maxAddress = 254 // RFC 5321's limit on a forward path
	maxTo      = 400
	maxSubject = 200 // runes
	maxText    = 100_000
	maxHTML    = 300_000
	maxKey     = 200
)

// Enqueue queues m in the caller's transaction, to be sent after it commits.
// A message with the same idempotency key already queued (or sent) makes it a
// no-op. Bad input is a fault.Invalid naming the fields, and queues nothing.
func Enqueue(tx *db.Tx, m Email) error {
	if tx == nil || tx.DB == nil {
		return fmt.Errorf("outbox.Enqueue: no transaction")
	}
	if err := m.normalise(); err != nil {
		return fmt.Errorf("outbox.Enqueue: %w", err)
	}
	if m.TenantSlug == "" {
		m.TenantSlug = tx.Tenant.Slug
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("outbox.Enqueue: %w", err)
	}
	// No RETURNING, no DO UPDATE and no conflict target: each would make
	// PostgreSQL check the SELECT policy, which only the platform scope passes
	// (a tenant may add to the outbox, never read it). Without a target DO
	// NOTHING covers every unique key; the only one that can clash is the
	// idempotency key, the id being a fresh UUIDv7.
	err = tx.Exec(`INSERT INTO outbox (id, kind, idempotency_key, recipient, subject, body_text, body_html, tenant_slug)
		VALUES (?, 'email', ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		id, m.IdempotencyKey, m.To, m.Subject, m.Text, nullable(m.HTML), nullable(m.TenantSlug)).Error
	if err != nil {
		return fmt.Errorf("outbox.Enqueue: %w", db.Translate(err))
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// normalise checks m and puts it in the form it is stored in: NFC text, the
// recipient in canonical form. A CR or LF in a header field is refused, not
// stripped: it is either a bug or an attempt to add headers (Bcc: …).
func (m *Email) normalise() error {
	var f fault.Fields
	clean := func(field, s string) bool {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			f.Add(field, "contains characters that are not allowed")
			return false
		}
		return true
	}

	switch {
	case !clean("to", m.To):
	case strings.ContainsAny(m.To, "\r\n"):
		f.Add("to", "must be a single line")
	case strings.TrimSpace(m.To) == "":
		f.Add("to", "is required")
	case len(m.To) > maxTo:
		f.Add("to", "is too long")
	default:
		a, err := mail.ParseAddress(strings.TrimSpace(m.To))
		switch {
		case err != nil:
			f.Add("to", "must be one e-mail address")
		case len(a.Address) > maxAddress:
			f.Add("to", "is too long")
		case a.Name != "" && hasControl(a.Name):
			f.Add("to", "contains characters that are not allowed")
		case a.Name != "":
			m.To = a.String()
		default:
			m.To = a.Address
		}
	}

	if clean("subject", m.Subject) {
		single := !strings.ContainsAny(m.Subject, "\r\n")
		m.Subject = strings.TrimSpace(norm.NFC.String(m.Subject))
		switch {
		case !single:
			f.Add("subject", "must be a single line")
		case hasControl(m.Subject):
			f.Add("subject", "contains characters that are not allowed")
		case m.Subject == "":
			f.Add("subject", "is required")
		case utf8.RuneCountInString(m.Subject) > maxSubject:
			f.Add("subject", fmt.Sprintf("must be at most %d characters", maxSubject))
		}
	}

	if clean("text", m.Text) {
		m.Text = norm.NFC.String(m.Text)
		switch {
		case strings.TrimSpace(m.Text) == "":
			f.Add("text", "is required")
		case len(m.Text) > maxText:
			f.Add("text", "is too long")
		}
	}

	if clean("html", m.HTML) {
		m.HTML = norm.NFC.String(m.HTML)
		if len(m.HTML) > maxHTML {
			f.Add("html", "is too long")
		}
	}

	switch {
	case m.IdempotencyKey == "":
		f.Add("idempotency_key", "is required")
	case len(m.IdempotencyKey) > maxKey:
		f.Add("idempotency_key", "is too long")
	case strings.IndexFunc(m.IdempotencyKey, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		f.Add("idempotency_key", "must be printable ASCII without spaces")
	}

	if m.TenantSlug != "" && !tenants.ValidSlug(m.TenantSlug) {
		f.Add("tenant_slug", "is not a tenant slug")
	}
	return f.Err()
}

// hasControl reports a control character other than tab: none belongs in a
// header, and some terminals and mail clients act on them.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) >= 0
}
