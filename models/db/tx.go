package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Tx is a GORM session bound to one transaction whose row-level security
// scope is already set. Domain functions take a *Tx; they never open their own.
type Tx struct {
	*gorm.DB
	// Tenant is the tenant of an InTenant transaction (zero otherwise).
	Tenant tenants.Tenant

	atCommit []func(*Tx) error
}

// AtCommit runs fn when the transaction's function has returned without
// error, just before COMMIT; the last such fn's one statement is sent in the
// same batch as the COMMIT, so an append that must happen with the work (an
// audit event of a read) costs no round trip of its own. fn runs exactly one
// statement; a second is refused. It is not run if the transaction fails.
func (t *Tx) AtCommit(fn func(*Tx) error) { t.atCommit = append(t.atCommit, fn) }

// InTenant runs fn in one transaction scoped to the tenant in ctx: every
// tenant table's policy compares tenant_id with app.tenant_id, set here with
// a literal SET LOCAL (a validated uuid; Citus forwards only literal SET
// LOCAL). Without a tenant in ctx it fails before taking a connection.
// fn's error rolls the transaction back; a panic does too, and is re-raised.
func (d *DB) InTenant(ctx context.Context, fn func(*Tx) error) error {
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return fmt.Errorf("db.InTenant: %w", ErrNoTenant)
	}
	// uuid.UUID.String always yields 36 hex-and-hyphen characters: it can be
	// written as a literal without quoting concerns.
	set := "SET LOCAL app.tenant_id = '" + t.ID.String() + "'"
	return d.run(ctx, "db.InTenant", false, []string{"BEGIN ISOLATION LEVEL READ COMMITTED", set}, &Tx{Tenant: t}, fn)
}

// ReadInTenant is InTenant for a read of exactly one statement, the common
// case of an API read: BEGIN READ ONLY, SET LOCAL, the statement and COMMIT
// travel as one batch, one round trip in all. A second statement in fn is
// refused with an error, never run outside the wall.
func (d *DB) ReadInTenant(ctx context.Context, fn func(*Tx) error) error {
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return fmt.Errorf("db.ReadInTenant: %w", ErrNoTenant)
	}
	set := "SET LOCAL app.tenant_id = '" + t.ID.String() + "'"
	return d.run(ctx, "db.ReadInTenant", true, []string{"BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY", set}, &Tx{Tenant: t}, fn)
}

// AcrossTenants runs fn in one READ ONLY transaction that may read the rows of
// the given tenants (regional, PHO and funder aggregates). The purpose is
// recorded in cross_tenant_access, committed before fn runs, so the record
// stands even if fn fails.
func (d *DB) AcrossTenants(ctx context.Context, ids []uuid.UUID, purpose string, fn func(*Tx) error) error {
	if err := checkPurpose(purpose); err != nil {
		return fmt.Errorf("db.AcrossTenants: %w", err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("db.AcrossTenants: %w", fault.InvalidField("tenants", "at least one tenant is needed"))
	}
	list := make([]string, 0, len(ids))
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		if id == uuid.Nil {
			return fmt.Errorf("db.AcrossTenants: %w", fault.InvalidField("tenants", "nil tenant id"))
		}
		if !seen[id] {
			seen[id] = true
			list = append(list, id.String())
		}
	}
	if err := d.recordAccess(ctx, purpose, list); err != nil {
		return fmt.Errorf("db.AcrossTenants: %w", err)
	}
	set := "SET LOCAL app.tenant_ids = '{" + strings.Join(list, ",") + "}'"
	return d.run(ctx, "db.AcrossTenants", false, []string{"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", set}, &Tx{}, fn)
}

// AsUser runs fn in one transaction scoped to one person: their own user
// row, sessions and recovery codes, and read access to their own memberships
// and organisation grants (the tenant picker). It reaches no tenant's data.
func (d *DB) AsUser(ctx context.Context, userID uuid.UUID, fn func(*Tx) error) error {
	if userID == uuid.Nil {
		return fmt.Errorf("db.AsUser: %w", fault.InvalidField("user", "no user"))
	}
	set := "SET LOCAL app.user_id = '" + userID.String() + "'"
	return d.run(ctx, "db.AsUser", false, []string{"BEGIN ISOLATION LEVEL READ COMMITTED", set}, &Tx{}, fn)
}

// Platform runs fn in one transaction that may read and write the platform
// tables (regions, the tenant directory) and no tenant's rows. It logs its
// purpose; it carries no personal health information to audit.
func (d *DB) Platform(ctx context.Context, purpose string, fn func(*Tx) error) error {
	if err := checkPurpose(purpose); err != nil {
		return fmt.Errorf("db.Platform: %w", err)
	}
	d.log.DebugContext(ctx, "platform access", "purpose", purpose)
	return d.run(ctx, "db.Platform", false, platformBegin, &Tx{}, fn)
}

func checkPurpose(p string) error {
	if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > 200 || !utf8.ValidString(p) {
		return fault.InvalidField("purpose", "a purpose of 1–200 characters is required")
	}
	return nil
}

func (d *DB) recordAccess(ctx context.Context, purpose string, ids []string) error {
	actor, _ := tenants.ActorFrom(ctx)
	var user any
	if actor.UserID != uuid.Nil {
		user = actor.UserID
	}
	return d.run(ctx, "db.recordAccess", false, platformBegin, &Tx{}, func(tx *Tx) error {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO cross_tenant_access (id, purpose, tenant_ids, actor_user_id, actor_system)
			VALUES (?, ?, ?::uuid[], ?, ?)`, id, purpose, "{"+strings.Join(ids, ",")+"}", user, actor.System).Error
	})
}

var platformBegin = []string{"BEGIN ISOLATION LEVEL READ COMMITTED", "SET LOCAL app.scope = 'platform'"}

// run takes one connection, leaves the begin statements (BEGIN and the SET
// LOCAL of the scope) pending on it so they travel in one batch with fn's
// first statement (see driver.go), hands fn a GORM session on that
// connection, then commits or rolls back. A connection whose transaction
// could not be closed is discarded, never returned to the pool with a
// setting or a transaction still open.
func (d *DB) run(ctx context.Context, where string, oneStatement bool, begin []string, tx *Tx, fn func(*Tx) error) (err error) {
	c, err := d.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", where, Translate(err))
	}
	open := true
	defer func() {
		if open && sent(c) {
			if rerr := rollback(c); rerr != nil {
				discard(c)
			}
		}
		c.Close()
	}()
	if err := c.Raw(func(dc any) error { dc.(*conn).hold(oneStatement, begin...); return nil }); err != nil {
		return fmt.Errorf("%s: begin: %w", where, Translate(err))
	}
	tx.DB = d.gorm.Session(&gorm.Session{Context: ctx, NewDB: true})
	tx.DB.Statement.ConnPool = connPool{c}

	// A panic in fn unwinds through the deferred rollback above.
	if err := fn(tx); err != nil {
		return fmt.Errorf("%s: %w", where, Translate(err))
	}
	if !sent(c) {
		open = false
		return nil // fn ran no statement: there is no transaction to commit
	}
	if oneStatement {
		if len(tx.atCommit) > 0 {
			return fmt.Errorf("%s: %w", where, errOneStatement)
		}
		if !finished(c) {
			// The batch's COMMIT was not confirmed: the deferred rollback
			// closes whatever is left open.
			return fmt.Errorf("%s: %w", where, errOneStatement)
		}
		open = false
		return nil
	}
	if n := len(tx.atCommit); n > 0 {
		for _, f := range tx.atCommit[:n-1] {
			if err := f(tx); err != nil {
				return fmt.Errorf("%s: %w", where, Translate(err))
			}
		}
		if err := c.Raw(func(dc any) error { dc.(*conn).commitWithNext(); return nil }); err != nil {
			return fmt.Errorf("%s: %w", where, Translate(err))
		}
		if err := tx.atCommit[n-1](tx); err != nil {
			return fmt.Errorf("%s: %w", where, Translate(err))
		}
		if finished(c) {
			open = false
			return nil
		}
		// The last fn ran no statement: COMMIT on its own below.
		c.Raw(func(dc any) error { dc.(*conn).commitNext = false; return nil })
	}
	open = false
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		discard(c)
		return fmt.Errorf("%s: commit: %w", where, Translate(err))
	}
	return nil
}

// sent reports whether the held begin statements went out (so a transaction
// is open), and drops them if they did not.
func sent(c *sql.Conn) bool {
	held := false
	if err := c.Raw(func(dc any) error { held = dc.(*conn).held(); return nil }); err != nil {
		return true // cannot tell: treat it as open, so it is rolled back or discarded
	}
	return !held
}

// finished reports whether a one-statement transaction committed in its batch.
func finished(c *sql.Conn) bool {
	done := false
	c.Raw(func(dc any) error { done = dc.(*conn).finished(); return nil })
	return done
}

// rollback ends an open transaction even when the request's context is done.
func rollback(conn *sql.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := conn.ExecContext(ctx, "ROLLBACK")
	return err
}

// discard makes database/sql close conn instead of pooling it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// connPool is the gorm.ConnPool of one transaction: every statement runs on
// the connection that holds the transaction.
type connPool struct{ conn *sql.Conn }

func (p connPool) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return p.conn.PrepareContext(ctx, q)
}
func (p connPool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return p.conn.ExecContext(ctx, q, args...)
}
func (p connPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.conn.QueryContext(ctx, q, args...)
}
func (p connPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return p.conn.QueryRowContext(ctx, q, args...)
}

// Commit and Rollback make GORM treat the session as a transaction already
// open, so a nested tx.Transaction(...) uses a SAVEPOINT rather than trying
// to begin another. The outer transaction is closed by run alone.
func (p connPool) Commit() error   { return errNested }
func (p connPool) Rollback() error { return errNested }

var errNested = errors.New("db: the transaction is committed by InTenant, not by the caller")
