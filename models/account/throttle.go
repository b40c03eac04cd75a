package account

import (
	"context"
	"fmt"
	"time"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Sign-in throttling lives in PostgreSQL so that every app instance counts
// the same failures: per account (guessing one person's password) and per
// client IP (spraying many accounts). Too many failures in a window pause
// that key for a while — never a permanent lockout, which would let anyone
// lock a clinician out of their day.

func accountKey(email string) string { return "account:" + email }
func ipKey(ip string) string         { return "ip:" + ip }

// throttled returns a TooMany fault if any key is paused now.
func (s *Service) throttled(ctx context.Context, keys ...string) error {
	var until []time.Time
	err := s.db.Platform(ctx, "sign-in: throttle check", func(tx *db.Tx) error {
		return tx.Raw(`SELECT blocked_until FROM signin_throttle WHERE key IN ? AND blocked_until > ?`, keys, s.now()).
			Scan(&until).Error
	})
	if err != nil {
		return err
	}
	var latest time.Time
	for _, u := range until {
		if u.After(latest) {
			latest = u
		}
	}
	if latest.IsZero() {
		return nil
	}
	return &fault.Error{Kind: fault.KindTooMany, Message: "too many sign-in attempts: wait a few minutes and try again",
		RetryAfter: latest.Sub(s.now())}
}

// fail counts one failure against each key, pausing a key that reaches its
// limit within the window.
func (s *Service) fail(ctx context.Context, email, ip string) error {
	now := s.now()
	type kl struct {
		key   string
		limit int
	}
	keys := []kl{{ipKey(ip), s.cfg.IPFailures}}
	if email != "" {
		keys = append(keys, kl{accountKey(email), s.cfg.AccountFailures})
	}
	return s.db.Platform(ctx, "sign-in: count failure", func(tx *db.Tx) error {
		for _, k := range keys {
			err := tx.Exec(`
				INSERT INTO signin_throttle AS t (key, window_start, failures) VALUES (@key, @now, 1)
				ON CONFLICT (key) DO UPDATE SET
				    failures = CASE WHEN t.window_start < @since THEN 1 ELSE t.failures + 1 END,
				    window_start = CASE WHEN t.window_start < @since THEN @now ELSE t.window_start END,
				    blocked_until = CASE
				        WHEN t.window_start >= @since AND t.failures + 1 >= @limit THEN @until
				        ELSE t.blocked_until END`,
				map[string]any{"key": k.key, "now": now, "since": now.Add(-s.cfg.Window), "limit": k.limit,
					"until": now.Add(s.cfg.Block)}).Error
			if err != nil {
				return fmt.Errorf("throttle %s: %w", k.key[:2], err)
			}
		}
		return nil
	})
}

// succeed clears the account's count after a good sign-in (the IP's stays:
// one success must not reset a spray from that address).
func (s *Service) succeed(ctx context.Context, email string) error {
	return s.db.Platform(ctx, "sign-in: clear account throttle", func(tx *db.Tx) error {
		return tx.Exec(`DELETE FROM signin_throttle WHERE key = ?`, accountKey(email)).Error
	})
}
