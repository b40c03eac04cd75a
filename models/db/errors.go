package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/tuhono/tuhono/models/fault"
)

// ErrNoTenant is returned by InTenant when the context carries no tenant. It is
// a programming error (a route without tenant resolution, a job that forgot to
// set one) and is raised before any connection is taken.
var ErrNoTenant = errors.New("db: no tenant in context")

// Translate maps driver and GORM errors into the fault vocabulary, keeping the
// original as the cause for the log. Errors already classified pass through.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var f *fault.Error
	if errors.As(err, &f) {
		return err
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows), errors.Is(err, pgx.ErrNoRows):
		return fault.New(fault.KindNotFound, "not found", err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fault.New(fault.KindUnavailable, "the request took too long", err)
	}
	code := pgCode(err)
	switch {
	case code == "23505": // unique_violation
		return fault.New(fault.KindConflict, "already exists", err)
	case code == "23P01": // exclusion_violation: e.g. a double booking
		return fault.New(fault.KindConflict, "conflicts with an existing record", err)
	case code == "40001" || code == "40P01": // serialization failure, deadlock: retryable
		return fault.New(fault.KindConflict, "changed at the same time by someone else; try again", err)
	case code == "23503": // foreign_key_violation
		return fault.New(fault.KindInvalid, "refers to something that does not exist", err)
	case code == "23502" || code == "23514": // not_null, check
		return fault.New(fault.KindInvalid, "invalid input", err)
	case code == "42501": // insufficient_privilege, including a row refused by an RLS policy
		return fault.New(fault.KindForbidden, "not allowed", err)
	case code == "25006": // read_only_sql_transaction
		return fault.New(fault.KindForbidden, "not allowed in a read-only context", err)
	case strings.HasPrefix(code, "22"): // data exceptions: bad encoding, NUL, out of range, too long
		return fault.New(fault.KindInvalid, "invalid input", err)
	case code == "57014" || strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") ||
		code == "57P01" || code == "57P03": // cancelled, connection, resources, shutdown
		return fault.New(fault.KindUnavailable, "the database is unavailable", err)
	}
	return err
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// LogSafe describes err for a log line. Driver messages can quote the values
// of a row ('invalid input syntax for type uuid: "…"'), and values can be
// patient details, so a PostgreSQL error is reduced to its code and
// constraint; other errors keep their text, which Tūhono writes without values.
func LogSafe(err error) string {
	if err == nil {
		return ""
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s := "sqlstate " + pe.Code
		if pe.ConstraintName != "" {
			s += " constraint " + pe.ConstraintName
		}
		if pe.TableName != "" {
			s += " table " + pe.TableName
		}
		return s
	}
	var f *fault.Error
	if errors.As(err, &f) && f.Cause != nil {
		return f.Message + ": " + LogSafe(f.Cause)
	}
	return err.Error()
}
