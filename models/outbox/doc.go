// Package outbox owns side effects that leave Tūhono — e-mail now, SMS and
// Stripe calls later — and delivers them only after the business transaction
// that asked for them has committed (DESIGN.md; STYLE.md rule 6).
//
// Domain code calls Enqueue with its own *db.Tx (any scope: a tenant's, a
// user's or the platform's), in the same transaction as the change the message
// is about. If that transaction rolls back, the message never existed; if it
// commits, a trigger NOTIFYs tuhono_outbox (PostgreSQL sends notifications at
// commit only) and the Deliverer, woken by Run, sends it. Every message has an
// idempotency key: enqueueing the same key twice (a retried request or job)
// queues one message.
//
// Delivery is at least once. A Deliverer claims due messages in a short
// Platform transaction by leasing them (next_attempt_at moves to the end of
// the lease, attempts counts up), commits, sends outside any transaction, and
// then marks each delivered or schedules a retry (1 min, 5 min, 30 min, 2 h,
// 6 h, 12 h, 24 h; the eighth failure gives up, as does a permanent 5xx
// rejection). A deliverer that dies between sending and marking leaves the
// message to be claimed again when the lease ends, so it is sent again: the
// SMTP sender puts the idempotency key in the Message-ID header so receivers
// can tell. Several deliverers (one per server) share the work through
// SELECT … FOR UPDATE SKIP LOCKED and normally send each message once.
//
// The outbox is a platform table without tenant_id: any scope may insert, only
// the Platform scope reads or updates. Its rows are messages, not health
// records, and they are readable by platform operators (the development
// mailbox, delivery diagnostics): a message body must never carry clinical
// content — no note text, no reason for referral, nothing a patient said.
// Send a link to sign in instead. last_error never carries a secret, and the
// log never carries a recipient or a body.
//
// Senders: SMTP (any relay, STARTTLS, PLAIN auth only over TLS or to
// localhost) for real mail; Mailbox for development, which sends nothing and
// lets the dev mailbox page show the delivered rows through Recent.
//
// The package never sends inside a transaction, never imports net/http or
// Fiber, and never reads configuration from the environment: cmd builds the
// SMTP value (SMTP_ADDR, SMTP_FROM, SMTP_USERNAME, SMTP_PASSWORD,
// SMTP_STARTTLS) and passes it down.
package outbox
