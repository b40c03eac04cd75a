package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// Break is a broken link of a chain. TenantID is uuid.Nil for the platform
// chain; Seq is the seal where the chain stops holding (0 for an event that
// was never sealed); EventID the event concerned, when known.
type Break struct {
	TenantID uuid.UUID
	Seq      int64
	EventID  uuid.UUID
	Why      string
}

func (b Break) String() string {
	return fmt.Sprintf("tenant %s seal %d event %s: %s", b.TenantID, b.Seq, b.EventID, b.Why)
}

// SealDeadline is how long an event may wait for its seal. The sealer runs
// every second or so; an event older than this and still unsealed, or sealed
// after events this much newer, was slipped in by hand (or the sealers have
// been down that long, which is worth knowing too).
const SealDeadline = 5 * time.Minute

// walkPage is how many seals one read of Verify takes (a variable for the
// tests of its windows).
var walkPage int64 = 2000

// Verify recomputes the chains of tenantIDs — or, when tenantIDs is empty,
// of every tenant and the platform (uuid.Nil in tenantIDs names the platform
// chain). For each chain it reports the first broken link (a gap in the
// sequence, a seal whose prev_hash or hash does not follow, a seal whose
// event is missing, an event sealed with a time far older than those sealed
// before it) and, separately, the oldest event left unsealed past
// SealDeadline. No breaks means every chain holds.
//
// It reads each tenant through its own wall, a page at a time, so it can run
// beside live traffic; seals added meanwhile are checked as they come.
func Verify(ctx context.Context, d *db.DB, tenantIDs []uuid.UUID) ([]Break, error) {
	chains, err := chainsOf(ctx, d, tenantIDs)
	if err != nil {
		return nil, fmt.Errorf("audit.Verify: %w", err)
	}
	var out []Break
	for _, c := range chains {
		bs, err := verifyChain(ctx, d, c)
		if err != nil {
			return out, fmt.Errorf("audit.Verify: chain of %s: %w", c.tenant, err)
		}
		out = append(out, bs...)
	}
	return out, nil
}

// chainsOf names the chains of tenantIDs; none means all, the platform first.
func chainsOf(ctx context.Context, d *db.DB, tenantIDs []uuid.UUID) ([]chain, error) {
	if len(tenantIDs) == 0 {
		tenantIDs = []uuid.UUID{uuid.Nil}
		err := d.Platform(ctx, "list tenants to verify their audit chains", func(tx *db.Tx) error {
			var ids []uuid.UUID
			if err := tx.Raw(`SELECT id FROM tenants ORDER BY id`).Scan(&ids).Error; err != nil {
				return err
			}
			tenantIDs = append(tenantIDs, ids...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	seen := make(map[uuid.UUID]bool, len(tenantIDs))
	chains := make([]chain, 0, len(tenantIDs))
	for _, id := range tenantIDs {
		if !seen[id] {
			seen[id] = true
			chains = append(chains, chain{tenant: id})
		}
	}
	return chains, nil
}

func verifyChain(ctx context.Context, d *db.DB, c chain) ([]Break, error) {
	q := c.sql()
	var out []Break
	brk := func(seq int64, event uuid.UUID, why string) {
		out = append(out, Break{TenantID: c.tenant, Seq: seq, EventID: event, Why: why})
	}
	var (
		expect = int64(1)
		prev   = genesis
		latest time.Time // the newest event time among the seals checked
		after  int64
		broken bool
	)
	for !broken {
		var n int64
		err := c.read(ctx, d, "verify the platform audit chain", func(tx *db.Tx) error {
			rows, err := tx.Raw(q.walk, c.args(after, after+walkPage)...).Rows()
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() && !broken {
				n++
				var seq int64
				var event uuid.UUID
				var prevHash, hash []byte
				var e stored
				if err := rows.Scan(append([]any{&seq, &event, &prevHash, &hash}, e.dest()...)...); err != nil {
					return err
				}
				after = seq
				broken = true
				switch {
				case seq != expect:
					brk(expect, uuid.Nil, fmt.Sprintf("gap in sequence: seal %d is missing (the next is %d)", expect, seq))
				case !bytes.Equal(prevHash, prev):
					brk(seq, event, "prev_hash does not match the previous seal's hash")
				case !e.ID.Valid:
					brk(seq, event, "missing event")
				case !bytes.Equal(link(prev, &e), hash):
					brk(seq, event, "hash mismatch")
				case e.At.Valid && latest.Sub(e.At.Time) > SealDeadline:
					brk(seq, event, fmt.Sprintf("event dated %s was sealed after one dated %s: inserted later with an old time",
						e.At.Time.UTC().Format(time.RFC3339), latest.UTC().Format(time.RFC3339)))
				default:
					broken = false
				}
				prev, expect = hash, expect+1
				if e.At.Valid && e.At.Time.After(latest) {
					latest = e.At.Time
				}
			}
			return rows.Err()
		})
		if err != nil {
			return out, err
		}
		if n < walkPage {
			break
		}
	}
	if !broken {
		// The walk stops at the first short window: any seal beyond it
		// lies past a gap.
		var last int64
		var hash []byte
		err := c.read(ctx, d, "verify the platform audit chain", func(tx *db.Tx) error {
			return tx.Raw(q.head, c.args(after+1)...).Row().Scan(&last, &hash)
		})
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return out, err
		default:
			brk(expect, uuid.Nil, fmt.Sprintf("gap in sequence: seal %d is missing (the chain goes on to %d)", expect, last))
		}
	}

	var id uuid.UUID
	var at time.Time
	err := c.read(ctx, d, "verify the platform audit chain", func(tx *db.Tx) error {
		return tx.Raw(q.unsealed, c.args(fmt.Sprintf("%d seconds", int(SealDeadline.Seconds())))...).Row().Scan(&id, &at)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return out, err
	default:
		brk(0, id, fmt.Sprintf("event not sealed for over %s (dated %s)", SealDeadline, at.UTC().Format(time.RFC3339)))
	}
	return out, nil
}

// Head is the newest seal of a chain (TenantID uuid.Nil: the platform's).
// The chain alone cannot stop the owner role from recomputing every seal
// after an edit; heads kept outside the database (shipped to the log store,
// printed in a signed report) can: CheckHeads finds the seal at Seq changed.
type Head struct {
	TenantID uuid.UUID
	Seq      int64
	Hash     []byte
}

// Heads returns the current head of each chain of tenantIDs (none: every
// tenant and the platform). A chain without seals has no head.
func Heads(ctx context.Context, d *db.DB, tenantIDs []uuid.UUID) ([]Head, error) {
	chains, err := chainsOf(ctx, d, tenantIDs)
	if err != nil {
		return nil, fmt.Errorf("audit.Heads: %w", err)
	}
	var out []Head
	for _, c := range chains {
		h := Head{TenantID: c.tenant}
		err := c.read(ctx, d, "read the platform audit chain head", func(tx *db.Tx) error {
			return tx.Raw(c.sql().head, c.args(0)...).Row().Scan(&h.Seq, &h.Hash)
		})
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return out, fmt.Errorf("audit.Heads: chain of %s: %w", c.tenant, err)
		default:
			out = append(out, h)
		}
	}
	return out, nil
}

// CheckHeads reports every head that its chain no longer holds: the seal at
// its Seq is gone or has another hash. Together with Verify (every later
// link still follows) it shows the chain up to the head is the one recorded.
func CheckHeads(ctx context.Context, d *db.DB, heads []Head) ([]Break, error) {
	var out []Break
	for _, h := range heads {
		c := chain{tenant: h.TenantID}
		var hash []byte
		var event uuid.UUID
		err := c.read(ctx, d, "check a platform audit chain head", func(tx *db.Tx) error {
			return tx.Raw(c.sql().at, c.args(h.Seq)...).Row().Scan(&hash, &event)
		})
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out = append(out, Break{TenantID: h.TenantID, Seq: h.Seq, Why: "recorded head: seal missing"})
		case err != nil:
			return out, fmt.Errorf("audit.CheckHeads: chain of %s: %w", h.TenantID, err)
		case !bytes.Equal(hash, h.Hash):
			out = append(out, Break{TenantID: h.TenantID, Seq: h.Seq, EventID: event,
				Why: "recorded head: the seal's hash differs (the chain was rewritten)"})
		}
	}
	return out, nil
}
