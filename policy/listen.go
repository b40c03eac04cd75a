package policy

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// channel is where casbin_rule's trigger announces every committed change
// (migration 00006_policy.sql), whoever made it: Grant on any instance, or
// an operator's DELETE in psql during an incident.
const channel = "tuhono_policy"

// keepalive is how long a quiet feed waits before it checks its connection:
// a half-open TCP connection would otherwise wait forever while revocations
// go unheard.
var keepalive = 30 * time.Second

// Listen keeps the enforcer in step with the database: it LISTENs on
// tuhono_policy and reloads the policy after each announcement, so a change
// made on another instance is seen here within a second. It reloads too
// whenever the feed (re)connects, since announcements may have been missed
// meanwhile. Announcements arriving during a reload are folded into one more
// reload. It returns when ctx ends; run it in its own goroutine.
func (e *Enforcer) Listen(ctx context.Context, url string) {
	kick := make(chan struct{}, 1)
	signal := func() {
		select {
		case kick <- struct{}{}:
		default: // a reload is already due
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.reloader(ctx, kick, signal)
	}()
	defer func() { <-done }()

	backoff := time.Second
	for ctx.Err() == nil {
		err := e.listenOnce(ctx, url, signal, func() { backoff = time.Second })
		if ctx.Err() != nil {
			return
		}
		e.log.WarnContext(ctx, "policy change feed lost; reconnecting", "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}

func (e *Enforcer) listenOnce(ctx context.Context, url string, signal, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, url)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	connected()
	signal() // whatever changed while nobody was listening
	for {
		wctx, cancel := context.WithTimeout(ctx, keepalive)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			signal()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// pgx keeps the connection open after a timed-out wait.
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// reloader reloads once per kick; a failed reload is retried after a second.
func (e *Enforcer) reloader(ctx context.Context, kick <-chan struct{}, signal func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := e.reload(rctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			continue
		}
		e.log.ErrorContext(ctx, "policy reload failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
			signal()
		}
	}
}
