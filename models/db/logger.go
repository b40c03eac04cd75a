package db

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// gormLogger sends GORM's slow-query and error reports to slog. GORM hands
// Trace the statement with its values written in; values can be patient
// details, so only the statement's shape (placeholders) is ever logged.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// Info, Warn and Error carry GORM's own messages, which can embed values: log
// the template only.
func (l gormLogger) Info(ctx context.Context, msg string, _ ...any) {
	l.log.DebugContext(ctx, "gorm", "msg", msg)
}
func (l gormLogger) Warn(ctx context.Context, msg string, _ ...any) {
	l.log.WarnContext(ctx, "gorm", "msg", msg)
}
func (l gormLogger) Error(ctx context.Context, msg string, _ ...any) {
	l.log.ErrorContext(ctx, "gorm", "msg", msg)
}

func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		l.log.WarnContext(ctx, "query failed", "kind", kindOf(err), "ms", elapsed.Milliseconds())
	case elapsed > l.slow:
		l.log.WarnContext(ctx, "slow query", "ms", elapsed.Milliseconds())
	}
}

// kindOf names an error's class without its text (which may quote values).
func kindOf(err error) string {
	if code := pgCode(err); code != "" {
		return "sqlstate " + code
	}
	return "other"
}
