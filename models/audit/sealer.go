package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// Sealer chains committed events into their tenant's (or the platform's)
// hash chain. Every server may run one: an advisory lock per chain keeps two
// sealers from extending the same chain at once, so they share the work.
type Sealer struct {
	d     *db.DB
	log   *slog.Logger
	batch int // events sealed per transaction

	mu    sync.Mutex
	heads map[uuid.UUID]int64 // the last seq this sealer saw of each chain
}

// NewSealer returns a sealer over d that logs to log.
func NewSealer(d *db.DB, log *slog.Logger) *Sealer {
	if log == nil {
		log = slog.Default()
	}
	return &Sealer{d: d, log: log, batch: 1000, heads: map[uuid.UUID]int64{}}
}

// sealLockClass is the first half of the advisory lock (pg_advisory_xact_lock
// of two int4) a sealer holds on a chain: "seal" in ASCII, apart from every
// other lock of the application.
const sealLockClass int32 = 0x7365616c

// SealOnce seals every event pending now: the platform chain, then each
// tenant with a backlog. It returns how many events it sealed. A failing
// chain does not stop the others; their errors are joined.
func (s *Sealer) SealOnce(ctx context.Context) (int, error) {
	chains, err := s.pending(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit.SealOnce: %w", err)
	}
	total := 0
	var errs []error
	for _, c := range chains {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		n, err := s.sealChain(ctx, c)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("chain of %s: %w", c.tenant, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return total, fmt.Errorf("audit.SealOnce: %w", err)
	}
	return total, nil
}

// Run seals every interval until ctx ends, logging failures (a failure is
// retried on the next round: the backlog keeps the work).
func (s *Sealer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.SealOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "audit sealing failed", "error", db.LogSafe(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pending lists the chains with unsealed events, the platform's first, in
// one statement: a skip scan of the tenant backlog's key (one index probe per
// tenant, however long each backlog) and a look at the platform's. An idle
// round is this one read.
func (s *Sealer) pending(ctx context.Context) ([]chain, error) {
	var chains []chain
	err := s.d.Platform(ctx, "find audit chains with unsealed events", func(tx *db.Tx) error {
		rows, err := tx.Raw(`SELECT NULL::uuid WHERE EXISTS (SELECT 1 FROM platform_audit_backlog)
			UNION ALL (
			WITH RECURSIVE t AS (
				(SELECT tenant_id FROM audit_backlog ORDER BY tenant_id LIMIT 1)
				UNION ALL
				SELECT (SELECT b.tenant_id FROM audit_backlog b WHERE b.tenant_id > t.tenant_id
				        ORDER BY b.tenant_id LIMIT 1)
				FROM t WHERE t.tenant_id IS NOT NULL)
			SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL)`).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.NullUUID // NULL: the platform chain
			if err := rows.Scan(&id); err != nil {
				return err
			}
			chains = append(chains, chain{tenant: id.UUID})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("pending chains: %w", err)
	}
	return chains, nil
}

// sealChain seals c's backlog a batch per transaction until it is empty.
func (s *Sealer) sealChain(ctx context.Context, c chain) (int, error) {
	total := 0
	for {
		n, more, err := s.sealBatch(ctx, c)
		total += n
		if err != nil || !more {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// sealBatch extends c by up to one batch of its backlog, in one transaction
// holding the chain's lock: read the head, read the backlog with its events
// (oldest id first), insert the seals, remove the backlog rows. The backlog
// row and its event were committed together, so nothing committed can be
// missed, and nothing is removed from the backlog that was not sealed here.
func (s *Sealer) sealBatch(ctx context.Context, c chain) (sealed int, more bool, err error) {
	q := c.sql()
	var last int64
	err = c.in(ctx, s.d, "seal the platform audit chain", func(tx *db.Tx) error {
		// A separate first statement: under READ COMMITTED, what follows
		// sees everything the previous holder of the lock committed.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?::int4, hashtext(?::text))`, sealLockClass, c.lockKey()).Error; err != nil {
			return err
		}
		seq, prev, err := s.head(tx, c)
		if err != nil {
			return err
		}

		rows, err := tx.Raw(q.pending, c.args(s.batch)...).Rows()
		if err != nil {
			return err
		}
		var done, ids, prevs, hashes []string
		n := 0
		for rows.Next() {
			n++
			var backlogID uuid.UUID
			var sealedAs sql.NullInt64
			var e stored
			if err := rows.Scan(append([]any{&backlogID, &sealedAs}, e.dest()...)...); err != nil {
				rows.Close()
				return err
			}
			done = append(done, backlogID.String())
			if sealedAs.Valid || !e.ID.Valid {
				// Only an owner's hand makes these; Verify reports
				// what matters (a missing event, a gap).
				s.log.WarnContext(ctx, "audit backlog row without an unsealed event dropped",
					"tenant", c.tenant, "event", backlogID, "sealed_as", sealedAs.Int64)
				continue
			}
			h := link(prev, &e)
			ids = append(ids, backlogID.String())
			prevs = append(prevs, hex.EncodeToString(prev))
			hashes = append(hashes, hex.EncodeToString(h))
			prev = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) > 0 {
			err := tx.Exec(q.seal, c.args(seq+1, uuidArray(ids), textArray(prevs), textArray(hashes))...).Error
			if err != nil {
				return err
			}
		}
		if len(done) > 0 {
			if err := tx.Exec(q.dequeue, c.args(uuidArray(done))...).Error; err != nil {
				return err
			}
		}
		sealed, more, last = len(ids), n == s.batch, seq+int64(len(ids))
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("seal: %w", err)
	}
	s.remember(c, last)
	return sealed, more, nil
}

// uuidArray writes uuids (already in their canonical text form) as an array
// literal; they need no quoting.
func uuidArray(ids []string) string { return "{" + strings.Join(ids, ",") + "}" }

// head returns the chain's last seq and hash (0 and genesis for an empty
// chain). It looks from the seq this sealer last saw on, so the read stays
// small however long the chain, and from the start when that finds nothing
// (first sight of the chain, or seals gone: Verify's business).
func (s *Sealer) head(tx *db.Tx, c chain) (int64, []byte, error) {
	s.mu.Lock()
	from := s.heads[c.tenant]
	s.mu.Unlock()
	for {
		var seq int64
		var hash []byte
		err := tx.Raw(c.sql().head, c.args(from)...).Row().Scan(&seq, &hash)
		switch {
		case errors.Is(err, sql.ErrNoRows) && from > 0:
			from = 0
		case errors.Is(err, sql.ErrNoRows):
			return 0, genesis, nil
		case err != nil:
			return 0, nil, err
		default:
			return seq, hash, nil
		}
	}
}

// remember notes a chain's last seq after a commit. Another sealer may move
// the head on meanwhile: a stale guess only costs a longer read, and a wrong
// one a second read from the start, never a wrong link (the lock and the
// primary key on seq see to that).
func (s *Sealer) remember(c chain, seq int64) {
	s.mu.Lock()
	s.heads[c.tenant] = seq
	s.mu.Unlock()
}
