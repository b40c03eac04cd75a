package outbox

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

const kindSMS = "sms"

// SMS is one text message to one mobile number. Like an e-mail, its text
// carries no clinical content: an SMS is read on a lock screen by whoever
// holds the phone.
type SMS struct {
	To             string // a mobile number: "+64 21 123 4567", "021 123 4567"; stored as E.164
	Text           string // required; at most MaxSMSRunes characters
	IdempotencyKey string // as for Email: names the side effect, not the attempt
	TenantSlug     string // labels it in the development mailbox; the tenant's slug when empty
}

// MaxSMSRunes keeps a message to at most five concatenated segments (a
// macron makes a message UCS-2, 67 characters a segment): long enough for a
// practice name, a time and how to change it.
const MaxSMSRunes = 335

// SMSSender delivers one SMS, with the contract of Sender: nil only once the
// provider has accepted it; an error wrapping ErrRejected is permanent.
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) error
}

// SMSSink is the development SMSSender: it sends nothing and succeeds, so
// the message is marked delivered and the development mailbox lists it from
// the outbox (Recent, Kind "sms"). Tūhono has no real SMS provider yet; never
// configure the sink in production.
type SMSSink struct{}

// SendSMS accepts m without sending it anywhere.
func (SMSSink) SendSMS(context.Context, SMS) error { return nil }

// EnqueueSMS queues m in the caller's transaction, to be sent after it
// commits; the same idempotency key queued twice is one message. Bad input is
// a fault.Invalid naming the fields, and queues nothing.
func EnqueueSMS(tx *db.Tx, m SMS) error {
	if tx == nil || tx.DB == nil {
		return fmt.Errorf("outbox.EnqueueSMS: no transaction")
	}
	if err := m.normalise(); err != nil {
		return fmt.Errorf("outbox.EnqueueSMS: %w", err)
	}
	if m.TenantSlug == "" {
		m.TenantSlug = tx.Tenant.Slug
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("outbox.EnqueueSMS: %w", err)
	}
	// ON CONFLICT DO NOTHING without a target, for the reason given in Enqueue.
	err = tx.Exec(`INSERT INTO outbox (id, kind, idempotency_key, recipient, body_text, tenant_slug)
		VALUES (?, 'sms', ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, id, m.IdempotencyKey, m.To, m.Text, nullable(m.TenantSlug)).Error
	if err != nil {
		return fmt.Errorf("outbox.EnqueueSMS: %w", db.Translate(err))
	}
	return nil
}

func (m *SMS) normalise() error {
	var f fault.Fields
	if to, ok := NormalisePhone(m.To); ok {
		m.To = to
	} else {
		f.Add("to", "must be a mobile number, such as 021 123 4567 or +64 21 123 4567")
	}
	switch {
	case !utf8.ValidString(m.Text) || strings.ContainsRune(m.Text, 0) || hasControlExceptNewline(m.Text):
		f.Add("text", "contains characters that are not allowed")
	case strings.TrimSpace(m.Text) == "":
		f.Add("text", "is required")
	default:
		m.Text = norm.NFC.String(strings.TrimSpace(m.Text))
		if utf8.RuneCountInString(m.Text) > MaxSMSRunes {
			f.Add("text", fmt.Sprintf("must be at most %d characters", MaxSMSRunes))
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

func hasControlExceptNewline(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r != '\n' && (r < ' ' || r == 0x7f) }) >= 0
}

// NormalisePhone turns a phone number as people write it into E.164: spaces,
// hyphens, dots and brackets go; a New Zealand number written with its
// leading 0 (021 123 4567) gains +64. It reports false for anything that is
// not then + and 8 to 15 digits.
func NormalisePhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+"):
	case strings.HasPrefix(n, "00"):
		n = "+" + n[2:]
	case strings.HasPrefix(n, "0"):
		n = "+64" + n[1:]
	default:
		return "", false
	}
	if d := len(n) - 1; d < 8 || d > 15 || n[1] == '0' {
		return "", false
	}
	return n, true
}
