package tenants

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ErrUnknown is returned by a Directory for a slug that names no tenant.
var ErrUnknown = errors.New("tenants: no such tenant")

// Loader fetches one tenant by slug from wherever tenants live. It returns
// ErrUnknown (possibly wrapped) when there is none.
type Loader func(ctx context.Context, slug string) (Tenant, error)

// Directory resolves /t/{slug} to a tenant. Answers are cached for TTL;
// Invalidate drops one slug at once (the database announces every change to a
// tenant row, see models/onboarding.Listen), and the TTL bounds how stale an
// answer can be if such an announcement is ever missed.
type Directory struct {
	load  Loader
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	mu      sync.RWMutex
	entries map[string]entry
	gen     uint64 // bumped by Invalidate so a load begun before it is not cached
}

type entry struct {
	tenant  Tenant
	missing bool
	expires time.Time
}

// NewDirectory returns a directory over load. A ttl of zero means 30 seconds.
func NewDirectory(load Loader, ttl time.Duration) *Directory {
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	return &Directory{load: load, ttl: ttl, now: time.Now, entries: map[string]entry{}}
}

// Resolve returns the tenant named by slug, or ErrUnknown. Unknown slugs are
// cached too, so probing random slugs does not reach the database each time.
func (d *Directory) Resolve(ctx context.Context, slug string) (Tenant, error) {
	if !ValidSlug(slug) {
		return Tenant{}, ErrUnknown
	}
	// The slug may point into a request buffer that the HTTP server reuses
	// (Fiber's zero-copy strings): a cache key must own its bytes.
	slug = strings.Clone(slug)
	now := d.now()
	d.mu.RLock()
	e, ok := d.entries[slug]
	d.mu.RUnlock()
	if ok && now.Before(e.expires) {
		if e.missing {
			return Tenant{}, ErrUnknown
		}
		return e.tenant, nil
	}
	v, err, _ := d.group.Do(slug, func() (any, error) {
		d.mu.RLock()
		gen := d.gen
		d.mu.RUnlock()
		// The load serves every request waiting on this slug, so it must not
		// die with the first caller's deadline.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		t, err := d.load(lctx, slug)
		switch {
		case errors.Is(err, ErrUnknown):
			d.store(slug, gen, entry{missing: true, expires: d.now().Add(d.ttl)})
			return Tenant{}, ErrUnknown
		case err != nil:
			return Tenant{}, err
		}
		d.store(slug, gen, entry{tenant: t, expires: d.now().Add(d.ttl)})
		return t, nil
	})
	if err != nil {
		return Tenant{}, err
	}
	return v.(Tenant), nil
}

func (d *Directory) store(slug string, gen uint64, e entry) {
	d.mu.Lock()
	if d.gen == gen {
		d.entries[slug] = e
	}
	d.mu.Unlock()
}

// Invalidate forgets slug, so the next Resolve reads it afresh. An empty slug
// forgets everything (used when the change feed reconnects and may have missed
// announcements).
func (d *Directory) Invalidate(slug string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if slug == "" {
		d.entries = map[string]entry{}
		return
	}
	delete(d.entries, slug)
	d.group.Forget(slug)
}
