package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/tenants"
)

// The audit-append scenario is measured in-process, not over HTTP: N
// goroutines (-c) each append one event per transaction through the app's
// pool, for -d, and the rate is compared with the same appends to a table
// without the chain.
//
//	audit-append  audit.Record inside db.InTenant, one event per
//	              transaction, with an audit.Sealer running
//	              (Run every 50 ms, as a server does every second);
//	              the measured time runs until the sealer has sealed
//	              every event of the window (the catch-up is counted)
//	plain-table   the same INSERT, with the same values, inside
//	              db.InTenant as the app role, into bench_audit_plain:
//	              audit_events' twin without the chain — same columns,
//	              defaults, CHECKs, indexes, foreign key to tenants and
//	              tenant policy, but no backlog trigger and no sealer
//
// So the ratio is the chain's share alone: the backlog row each event's
// trigger adds, and the sealer's work (reading the backlog and the events,
// hashing, inserting the seals, deleting the backlog) competing for the same
// PostgreSQL. Record's own validation of the event in Go is on the chain's
// side only (it is not exported); it costs microseconds against a
// transaction's round trips.

// sealEvery is the audit-append sealer's interval.
const sealEvery = 50 * time.Millisecond

// settleLimit bounds one wait for the sealer to catch up.
const settleLimit = time.Minute

// inProcess is a target driven by Go calls instead of HTTP requests.
type inProcess struct {
	Probe func(ctx context.Context) error
	Drive func(ctx context.Context, clients int, warmup, d, timeout time.Duration) (Result, error)
}

// plainAuditDDL makes bench_audit_plain as the owner. LIKE copies columns,
// defaults, CHECKs and indexes (the primary key too); the foreign key and the
// row-level security policy are audit_events' own, restated. The app role may
// SELECT and INSERT, as on audit_events. Idempotent.
const plainAuditDDL = `
CREATE TABLE IF NOT EXISTS bench_audit_plain (
    LIKE audit_events INCLUDING ALL,
    FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
ALTER TABLE bench_audit_plain ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench_audit_plain FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS bench_audit_plain_tenant ON bench_audit_plain;
CREATE POLICY bench_audit_plain_tenant ON bench_audit_plain
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
           OR tenant_id = ANY (nullif(current_setting('app.tenant_ids', true), '')::uuid[]))
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON bench_audit_plain TO tuhono_app;
`

// createPlainAudit runs plainAuditDDL on the owner's connection.
func createPlainAudit(ctx context.Context, ownerDSN string) error {
	c, err := pgx.Connect(ctx, ownerDSN)
	if err != nil {
		return fmt.Errorf("bench_audit_plain: %w", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, plainAuditDDL); err != nil {
		return fmt.Errorf("bench_audit_plain: %w", err)
	}
	return nil
}

// insertPlain is audit.Record's INSERT (models/audit/event.go), into the
// plain table.
const insertPlain = `INSERT INTO bench_audit_plain (tenant_id, id, action, actor_user_id, actor_roles,
	subject_user_id, patient_id, object, object_id, outcome, reason, ip, request_id, detail)
	VALUES (?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?, ?, ?::inet, ?, ?::jsonb)`

// benchEvent is what every append records: a practice admin reading a
// patient's record, as a request would.
func benchEvent(user, patient uuid.UUID, requestID string) audit.Event {
	return audit.Event{Action: audit.ActionRecordRead, ActorUserID: user, ActorRoles: []string{benchRole},
		PatientID: patient, Object: "patient", ObjectID: patient.String(), Reason: "care",
		IP: "127.0.0.1", RequestID: requestID, Detail: map[string]string{"via": "tuhono-bench"}}
}

// appendChained is one event through audit.Record in its own transaction.
func (s *stack) appendChained(ctx context.Context, e audit.Event) error {
	return s.db.InTenant(ctx, func(tx *db.Tx) error { return audit.Record(tx, e) })
}

// appendPlain is the same event's INSERT into bench_audit_plain, in its own
// transaction, with the values audit.Record sends.
func (s *stack) appendPlain(ctx context.Context, e audit.Event) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	return s.db.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(insertPlain, tx.Tenant.ID, id, e.Action, e.ActorUserID, `{"`+benchRole+`"}`, nil, e.PatientID,
			e.Object, e.ObjectID, audit.OutcomeOK, e.Reason, e.IP, e.RequestID, string(detail)).Error
	})
}

// auditTargets are audit-append and its ceiling.
func (s *stack) auditTargets() (chained, plain target) {
	probe := func(appendFn func(context.Context, audit.Event) error) func(context.Context) error {
		return func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(tenants.WithTenant(ctx, s.Tenant), 10*time.Second)
			defer cancel()
			return appendFn(ctx, benchEvent(s.UserID, uuid.New(), "bench-probe"))
		}
	}
	chained = target{Name: "audit-append", InProcess: &inProcess{
		Probe: probe(s.appendChained),
		Drive: func(ctx context.Context, clients int, warmup, d, timeout time.Duration) (Result, error) {
			return s.driveAudit(ctx, true, clients, warmup, d, timeout)
		},
	}}
	plain = target{Name: "plain-table", InProcess: &inProcess{
		Probe: probe(s.appendPlain),
		Drive: func(ctx context.Context, clients int, warmup, d, timeout time.Duration) (Result, error) {
			return s.driveAudit(ctx, false, clients, warmup, d, timeout)
		},
	}}
	return chained, plain
}

// driveAudit runs clients goroutines appending events for warmup, then
// (with the chain: once the sealer has caught up) for d, measured. With the
// chain a sealer runs throughout, and the measured time ends when the
// sealer has sealed every event (Result.Settle is that catch-up).
func (s *stack) driveAudit(ctx context.Context, chained bool, clients int, warmup, d, timeout time.Duration) (Result, error) {
	appendFn := s.appendPlain
	if chained {
		appendFn = s.appendChained
		sctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			audit.NewSealer(s.db, s.log).Run(sctx, sealEvery)
		}()
		defer func() { stop(); <-done }()
	}
	var warm Result
	if warmup > 0 {
		ws := s.appendFor(ctx, clients, warmup, timeout, appendFn)
		warm = merge(ws, time.Now())
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("audit-append: interrupted: %w", err)
	}
	if chained {
		// The warm-up's events (and any earlier backlog, such as the
		// sign-ins' platform events) are sealed before the window opens.
		if _, err := s.waitSealed(ctx); err != nil {
			return Result{}, err
		}
	}
	start := time.Now()
	ws := s.appendFor(ctx, clients, d, timeout, appendFn)
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("audit-append: interrupted: %w", err)
	}
	r := merge(ws, start)
	if chained {
		at, err := s.waitSealed(ctx)
		if err != nil {
			return Result{}, err
		}
		if end := start.Add(r.Elapsed); at.After(end) {
			r.Settle = at.Sub(end)
			r.Elapsed = at.Sub(start)
		}
	}
	r.Conns = clients
	r.Errors += warm.Errors
	for k, v := range warm.ErrorKind {
		r.ErrorKind[k] += v
	}
	return r, nil
}

// appendFor runs clients goroutines, each appending one event per
// transaction until d has passed, and returns their tallies: every
// transaction's latency, and its error if it failed.
func (s *stack) appendFor(ctx context.Context, clients int, d, timeout time.Duration, appendFn func(context.Context, audit.Event) error) []*worker {
	end := time.Now().Add(d)
	ws := make([]*worker, clients)
	var wg sync.WaitGroup
	for i := range ws {
		w := &worker{lat: make([]time.Duration, 0, int(d.Seconds()*5000)/clients+64)}
		ws[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			tctx := tenants.WithTenant(ctx, s.Tenant)
			patient := uuid.New() // each goroutine reads its own patient's record
			prefix := "bench-" + strconv.Itoa(i) + "-"
			for n := 0; ; n++ {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					return
				}
				ectx, cancel := context.WithTimeout(tctx, timeout)
				err := appendFn(ectx, benchEvent(s.UserID, patient, prefix+strconv.Itoa(n)))
				cancel()
				t1 := time.Now()
				w.lastEnd = t1
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					w.fail(describeDB(err))
					continue
				}
				w.lat = append(w.lat, t1.Sub(t0))
			}
		}()
	}
	wg.Wait()
	return ws
}

// describeDB reduces a database error to a stable description for counting.
func describeDB(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "db: timeout"
	}
	msg := db.LogSafe(err)
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return "db: " + msg
}

// waitSealed waits until no audit event, of any tenant or the platform,
// awaits its seal, and returns when that was seen. It looks every 2 ms, as
// the superuser (whom row-level security does not bind), on a connection of
// its own.
func (s *stack) waitSealed(parent context.Context) (time.Time, error) {
	ctx, cancel := context.WithTimeout(parent, settleLimit)
	defer cancel()
	late := func() error {
		if err := parent.Err(); err != nil {
			return fmt.Errorf("audit-append: interrupted: %w", err)
		}
		return fmt.Errorf("audit-append: the sealer did not catch up within %s (-v shows its log)", settleLimit)
	}
	c, err := s.super.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return time.Time{}, late()
		}
		return time.Time{}, fmt.Errorf("audit-append: %w", err)
	}
	defer c.Release()
	for {
		var pending bool
		err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_backlog) OR EXISTS (SELECT 1 FROM platform_audit_backlog)`).Scan(&pending)
		now := time.Now()
		switch {
		case err != nil && ctx.Err() != nil:
			return time.Time{}, late()
		case err != nil:
			return time.Time{}, fmt.Errorf("audit-append: watching the backlog: %w", err)
		case !pending:
			return now, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, late()
		case <-time.After(2 * time.Millisecond):
		}
	}
}
