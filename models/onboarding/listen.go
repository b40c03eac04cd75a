package onboarding

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen keeps the directory fresh: it LISTENs on the channel the tenants
// table's trigger announces changes on and calls invalidate with each changed
// slug. After a dropped connection it reconnects and invalidates everything,
// since announcements may have been missed meanwhile. It returns when ctx ends.
func Listen(ctx context.Context, url string, log *slog.Logger, invalidate func(slug string)) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := listenOnce(ctx, url, invalidate)
		if ctx.Err() != nil {
			return
		}
		log.WarnContext(ctx, "tenant change feed lost; reconnecting", "err", err, "after", backoff)
		invalidate("")
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

func listenOnce(ctx context.Context, url string, invalidate func(string)) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN tuhono_tenants"); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		invalidate(n.Payload)
	}
}
