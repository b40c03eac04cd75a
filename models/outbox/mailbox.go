package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// Mailbox is the development Sender: it sends nothing and succeeds, so the
// deliverer marks each message delivered and the development mailbox page
// shows it from the outbox table (Recent). Mail "sent" through it reaches no
// one; never configure it in production.
type Mailbox struct{}

// Send accepts m without sending it anywhere.
func (Mailbox) Send(context.Context, Email) error { return nil }

// Message is one outbox row as the development mailbox shows it.
type Message struct {
	ID          uuid.UUID
	Kind        string // "email" or "sms"
	To          string
	Subject     string
	Text        string
	HTML        string
	TenantSlug  string
	CreatedAt   time.Time
	DeliveredAt *time.Time
	FailedAt    *time.Time // gave up
	Attempts    int
	LastError   string
}

// Recent returns the newest messages, newest first: at most limit, 50 when
// limit is not positive, never more than 500.
func Recent(ctx context.Context, d *db.DB, limit int) ([]Message, error) {
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	var out []Message
	err := d.Platform(ctx, "outbox: recent messages", func(tx *db.Tx) error {
		rows, err := tx.Raw(`SELECT id, kind, recipient, coalesce(subject, ''), body_text, coalesce(body_html, ''),
				coalesce(tenant_slug, ''), created_at, delivered_at, failed_at, attempts, coalesce(last_error, '')
			FROM outbox ORDER BY created_at DESC, id DESC LIMIT ?`, limit).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Message
			var delivered, failed sql.NullTime
			if err := rows.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.TenantSlug,
				&m.CreatedAt, &delivered, &failed, &m.Attempts, &m.LastError); err != nil {
				return err
			}
			if delivered.Valid {
				m.DeliveredAt = &delivered.Time
			}
			if failed.Valid {
				m.FailedAt = &failed.Time
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("outbox.Recent: %w", err)
	}
	return out, nil
}
