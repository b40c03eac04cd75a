package report

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/db"
)

// versionSQL sums the practices' report_versions (migration 00026): each
// practice's only grows, with every rebuild of its facts and every change to
// its enrolment, FTE or leave, so the sum changes whenever any input of
// their report does.
const versionSQL = `SELECT coalesce(sum(version), 0)::bigint FROM report_versions WHERE tenant_id = ANY(?)`

// inputsVersion returns what the report inputs of the practices are at, and
// whether any of them has facts waiting to be rebuilt (then no kept report
// is current, whatever the version says).
func inputsVersion(ctx context.Context, d *db.DB, purpose string, practices []uuid.UUID) (version int64, stale bool, err error) {
	err = d.AcrossTenants(ctx, practices, purpose, func(tx *db.Tx) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM report_stale WHERE tenant_id = ANY(?)`, pq.Array(practices)).
			Scan(&n).Error; err != nil {
			return err
		}
		stale = n > 0
		return tx.Raw(versionSQL, pq.Array(practices)).Scan(&version).Error
	})
	if err != nil {
		return 0, false, fmt.Errorf("report.inputsVersion: %w", err)
	}
	return version, stale, nil
}

// Cache keeps computed, finished reports for dashboards: a region's report
// has a quarter of a million cells and takes about a second to compute and
// protect, while its inputs change a few times a day. A kept report is used
// only while the version of its practices' inputs is the one it was computed
// at, so a dashboard never shows a figure the report of the same moment
// would not.
//
// Reports in the cache are shared: nobody may change one after Put.
type Cache struct {
	mu       sync.Mutex
	maxCells int
	cells    int
	order    *list.List // most recently used first
	entries  map[string]*list.Element
}

type cached struct {
	key string
	r   *Report
}

// NewCache keeps reports up to maxCells cells in all (about 200 bytes
// each), dropping the least recently used first.
func NewCache(maxCells int) *Cache {
	return &Cache{maxCells: maxCells, order: list.New(), entries: map[string]*list.Element{}}
}

// CacheKey names a report for the cache: how it is finished (kind: the
// privacy rules it was protected under, or exact), and its scope and
// period.
func CacheKey(kind string, s Scope, p Period) string {
	// Names too: a report shows them, and a practice may be renamed.
	ids := make([]string, len(s.Practices))
	for i, pr := range s.Practices {
		ids[i] = pr.ID.String() + "=" + strconv.Quote(pr.Name)
	}
	slices.Sort(ids)
	lines := slices.Clone(s.Lines)
	slices.Sort(lines)
	return kind + "|" + p.Label + "|" + strings.Join(lines, ",") + "|" + strconv.FormatBool(s.TotalResponse) +
		"|" + strings.Join(ids, ",")
}

// Finished returns the report of scope s for period p, finished by finish
// (protected, or made exact): the kept one when the practices' inputs are
// still at its version, else a new one computed, finished and kept.
func (c *Cache) Finished(ctx context.Context, d *db.DB, purpose, kind string, s Scope, p Period, finish func(*Report)) (*Report, error) {
	ids := make([]uuid.UUID, len(s.Practices))
	for i, pr := range s.Practices {
		ids[i] = pr.ID
	}
	key := CacheKey(kind, s, p)
	if len(ids) > 0 {
		v, stale, err := inputsVersion(ctx, d, purpose, ids)
		if err != nil {
			return nil, err
		}
		if r := c.get(key, v); r != nil && !stale {
			return r, nil
		}
	}
	r, err := Compute(ctx, d, purpose, s, p)
	if err != nil {
		return nil, err
	}
	finish(r)
	c.put(key, r)
	return r, nil
}

func (c *Cache) get(key string, version int64) *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil
	}
	r := e.Value.(cached).r
	if r.Version != version {
		return nil
	}
	c.order.MoveToFront(e)
	return r
}

func (c *Cache) put(key string, r *Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.cells -= len(e.Value.(cached).r.Cells)
		c.order.Remove(e)
		delete(c.entries, key)
	}
	if len(r.Cells) > c.maxCells {
		return
	}
	c.entries[key] = c.order.PushFront(cached{key: key, r: r})
	c.cells += len(r.Cells)
	for c.cells > c.maxCells {
		last := c.order.Back()
		old := last.Value.(cached)
		c.order.Remove(last)
		delete(c.entries, old.key)
		c.cells -= len(old.r.Cells)
	}
}
