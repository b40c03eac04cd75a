package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/db"
)

// Deliverer sends due messages. One runs in every server process; they share
// the work through row locks and leases. Set the tuning fields, if at all,
// before the first use.
type Deliverer struct {
	db   *db.DB
	send Sender
	log  *slog.Logger

	// SMS sends kind 'sms' messages. Nil: no SMS provider, and each SMS is
	// given up at its first attempt (recorded in last_error) rather than
	// retried for two days.
	SMS SMSSender

	// Batch is how many messages one claim takes (default 20).
	Batch int
	// Lease is how long a claim holds a message before another deliverer
	// may take it (default 2 min). A send is cut short before its lease ends.
	Lease time.Duration
	// MaxAttempts is how many tries a message gets before it is given up
	// (default 8).
	MaxAttempts int
	// Poll is Run's backstop when no notification comes (default 30 s).
	Poll time.Duration
}

// NewDeliverer returns a deliverer sending through s.
func NewDeliverer(d *db.DB, s Sender, log *slog.Logger) *Deliverer {
	if log == nil {
		log = slog.Default()
	}
	return &Deliverer{db: d, send: s, log: log, Batch: 20, Lease: 2 * time.Minute, MaxAttempts: 8, Poll: 30 * time.Second}
}

// retryAfter is the wait after the nth failed attempt (n from 1): quick at
// first for a relay's brief hiccup, then spread over about two days.
var retryAfter = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

func backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(retryAfter) {
		return retryAfter[len(retryAfter)-1]
	}
	return retryAfter[attempt-1]
}

const purpose = "outbox delivery"

// claimed is a message this deliverer holds a lease on; attempts is the
// count its claim set, which proves the lease is still ours when we mark it.
type claimed struct {
	id       uuid.UUID
	attempts int
	kind     string // 'email' or 'sms'; an SMS uses email's To, Text and key
	email    Email
}

// DeliverOnce sends every message that is due now and returns how many were
// delivered. A message that fails is scheduled for a retry (or given up) and
// is not an error; the error is for the database, or ctx ending.
func (dl *Deliverer) DeliverOnce(ctx context.Context) (delivered int, err error) {
	for {
		start := time.Now()
		batch, err := dl.claim(ctx)
		if err != nil {
			return delivered, fmt.Errorf("outbox.DeliverOnce: %w", err)
		}
		n, err := dl.deliver(ctx, batch, start.Add(dl.lease()))
		delivered += n
		if err != nil {
			return delivered, fmt.Errorf("outbox.DeliverOnce: %w", err)
		}
		if len(batch) < dl.batch() {
			return delivered, nil
		}
	}
}

// claim leases up to Batch due messages in one short transaction: SKIP LOCKED
// lets concurrent deliverers take disjoint rows, and the lease (a future
// next_attempt_at) keeps the rows from being claimed again once this
// transaction commits, while the sends happen outside it.
func (dl *Deliverer) claim(ctx context.Context) ([]claimed, error) {
	var out []claimed
	err := dl.db.Platform(ctx, purpose, func(tx *db.Tx) error {
		out = out[:0]
		// A lease that ran out on the final attempt: the deliverer died
		// mid-send. There is no attempt left to give.
		if err := tx.Exec(`UPDATE outbox SET failed_at = now(),
				last_error = coalesce(last_error, 'interrupted during the final attempt')
			WHERE delivered_at IS NULL AND failed_at IS NULL AND attempts >= ? AND next_attempt_at <= now()`,
			dl.maxAttempts()).Error; err != nil {
			return err
		}
		rows, err := tx.Raw(`WITH due AS (
				SELECT id FROM outbox
				WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now() AND attempts < ?
				ORDER BY next_attempt_at
				LIMIT ?
				FOR UPDATE SKIP LOCKED)
			UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => ?)
			FROM due WHERE o.id = due.id
			RETURNING o.id, o.attempts, o.kind, o.idempotency_key, o.recipient, coalesce(o.subject, ''), o.body_text,
				coalesce(o.body_html, ''), coalesce(o.tenant_slug, '')`,
			dl.maxAttempts(), dl.batch(), dl.lease().Seconds()).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			e := &c.email
			if err := rows.Scan(&c.id, &c.attempts, &c.kind, &e.IdempotencyKey, &e.To, &e.Subject, &e.Text, &e.HTML, &e.TenantSlug); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return out, nil
}

// deliver sends each claimed message and records the outcome. It stops
// before a lease could run out mid-send (another deliverer could then send
// the same message) and when ctx ends, giving the unsent messages back.
func (dl *Deliverer) deliver(ctx context.Context, batch []claimed, leaseEnd time.Time) (int, error) {
	margin := min(dl.lease()/10, 10*time.Second)
	delivered := 0
	for i, c := range batch {
		deadline := leaseEnd.Add(-margin)
		if ctx.Err() != nil || time.Until(deadline) < margin {
			dl.release(ctx, batch[i:])
			return delivered, ctx.Err()
		}
		sctx, cancel := context.WithDeadline(ctx, deadline)
		err := dl.sendOne(sctx, c)
		cancel()
		switch {
		case err == nil:
			if err := dl.markDelivered(ctx, c); err != nil {
				// Sent but not marked: the lease will run out and the message
				// go again (at least once). Leave the rest to their leases.
				return delivered, err
			}
			delivered++
		case ctx.Err() != nil:
			// Shutting down mid-send: whether it went is unknown, so it
			// goes again — now, not after the lease.
			dl.release(ctx, batch[i:])
			return delivered, ctx.Err()
		default:
			if err := dl.markFailed(ctx, c, err); err != nil {
				return delivered, err
			}
		}
	}
	return delivered, nil
}

// errNoSMS gives an SMS up at once: retrying cannot conjure a provider.
var errNoSMS = fmt.Errorf("%w: no SMS provider is configured", ErrRejected)

// sendOne routes a message to the sender of its kind.
func (dl *Deliverer) sendOne(ctx context.Context, c claimed) error {
	if c.kind != kindSMS {
		return dl.send.Send(ctx, c.email)
	}
	if dl.SMS == nil {
		return errNoSMS
	}
	return dl.SMS.SendSMS(ctx, SMS{To: c.email.To, Text: c.email.Text,
		IdempotencyKey: c.email.IdempotencyKey, TenantSlug: c.email.TenantSlug})
}

// afterSend is the context for recording an outcome: the send has happened,
// so a shutdown must not stop it being written down (which would re-send).
func afterSend(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (dl *Deliverer) markDelivered(ctx context.Context, c claimed) error {
	ctx, cancel := afterSend(ctx)
	defer cancel()
	// Delivered wins over anything another deliverer recorded after our lease
	// ran out: the message did go.
	err := dl.db.Platform(ctx, purpose, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE outbox SET delivered_at = now(), failed_at = NULL, last_error = NULL
			WHERE id = ? AND delivered_at IS NULL`, c.id).Error
	})
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	dl.log.DebugContext(ctx, "outbox message delivered", "id", c.id, "attempt", c.attempts)
	return nil
}

func (dl *Deliverer) markFailed(ctx context.Context, c claimed, sendErr error) error {
	ctx, cancel := afterSend(ctx)
	defer cancel()
	giveUp := c.attempts >= dl.maxAttempts() || errors.Is(sendErr, ErrRejected)
	wait := backoff(c.attempts)
	msg := lastError(sendErr)
	// attempts = ? : only while our lease stands; after it, the message is
	// another deliverer's to record.
	err := dl.db.Platform(ctx, purpose, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE outbox SET last_error = ?,
				failed_at = CASE WHEN ? THEN now() END,
				next_attempt_at = CASE WHEN ? THEN next_attempt_at ELSE now() + make_interval(secs => ?) END
			WHERE id = ? AND attempts = ? AND delivered_at IS NULL AND failed_at IS NULL`,
			msg, giveUp, giveUp, wait.Seconds(), c.id, c.attempts).Error
	})
	if err != nil {
		return fmt.Errorf("mark failed: %w", err)
	}
	if giveUp {
		dl.log.ErrorContext(ctx, "outbox message given up", "id", c.id, "attempts", c.attempts, "err", msg)
	} else {
		dl.log.WarnContext(ctx, "outbox message failed; will retry", "id", c.id, "attempt", c.attempts, "retry_in", wait, "err", msg)
	}
	return nil
}

// release gives claimed but unsent messages back: the attempt did not happen.
func (dl *Deliverer) release(ctx context.Context, batch []claimed) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := afterSend(ctx)
	defer cancel()
	err := dl.db.Platform(ctx, purpose, func(tx *db.Tx) error {
		for _, c := range batch {
			if err := tx.Exec(`UPDATE outbox SET attempts = attempts - 1, next_attempt_at = now()
				WHERE id = ? AND attempts = ? AND delivered_at IS NULL AND failed_at IS NULL`, c.id, c.attempts).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Their leases run out on their own.
		dl.log.WarnContext(ctx, "outbox: could not release unsent messages", "n", len(batch), "err", db.LogSafe(err))
	}
}

// lastError is what last_error keeps: one line of valid UTF-8, short. Senders
// keep secrets out of their errors (SMTP redacts its password); the recipient
// may appear, as it does in the row itself.
func lastError(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 500 {
		s = string([]rune(s)[:500]) + "…"
	}
	return s
}

func (dl *Deliverer) batch() int {
	if dl.Batch <= 0 {
		return 20
	}
	return dl.Batch
}

func (dl *Deliverer) lease() time.Duration {
	if dl.Lease <= 0 {
		return 2 * time.Minute
	}
	return dl.Lease
}

func (dl *Deliverer) maxAttempts() int {
	if dl.MaxAttempts <= 0 {
		return 8
	}
	return dl.MaxAttempts
}

func (dl *Deliverer) poll() time.Duration {
	if dl.Poll <= 0 {
		return 30 * time.Second
	}
	return dl.Poll
}

// Run delivers until ctx ends: at once, on every notification from the
// outbox trigger (sent when an enqueueing transaction commits), and every
// Poll as a backstop for retries that come due and notifications missed
// while the listening connection was down. url is a DSN the LISTEN
// connection uses (the app role's); the connection is separate from the
// pool and is re-made after a drop. Run returns when ctx ends.
func (dl *Deliverer) Run(ctx context.Context, url string) {
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		dl.listen(ctx, url, poke)
	}()
	defer wg.Wait()

	tick := time.NewTicker(dl.poll())
	defer tick.Stop()
	for {
		if _, err := dl.DeliverOnce(ctx); err != nil && ctx.Err() == nil {
			dl.log.ErrorContext(ctx, "outbox delivery round failed", "err", db.LogSafe(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
		}
	}
}

// listen keeps a LISTEN tuhono_outbox connection, poking on each
// notification, and once more after each (re)connect for whatever committed
// while it was not listening.
func (dl *Deliverer) listen(ctx context.Context, url string, poke func()) {
	wait := time.Second
	for ctx.Err() == nil {
		connected, err := listenOnce(ctx, url, poke)
		if ctx.Err() != nil {
			return
		}
		if connected {
			wait = time.Second
		}
		dl.log.WarnContext(ctx, "outbox notification feed lost; reconnecting", "err", db.LogSafe(err), "after", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

func listenOnce(ctx context.Context, url string, poke func()) (connected bool, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return false, errors.New("invalid connection string")
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "tuhono-outbox"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN tuhono_outbox"); err != nil {
		return false, err
	}
	poke()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		poke()
	}
}
