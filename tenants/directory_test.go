package tenants

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/google/uuid"
)

type fakeStore struct {
	mu    sync.Mutex
	rows  map[string]Tenant
	loads atomic.Int32
	delay time.Duration
}

func (f *fakeStore) load(ctx context.Context, slug string) (Tenant, error) {
	f.loads.Add(1)
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.rows[slug]
	if !ok {
		return Tenant{}, ErrUnknown
	}
	return t, nil
}

func (f *fakeStore) set(t Tenant) {
	f.mu.Lock()
	f.rows[t.Slug] = t
	f.mu.Unlock()
}

func TestDirectoryCachesAndInvalidates(t *testing.T) {
	s := &fakeStore{rows: map[string]Tenant{}}
	a := Tenant{ID: uuid.New(), Slug: "harbourside", Name: "Harbourside", Status: StatusActive}
	s.set(a)
	d := NewDirectory(s.load, time.Hour)
	ctx := context.Background()

	for range 3 {
		got, err := d.Resolve(ctx, "harbourside")
		if err != nil || got.ID != a.ID {
			t.Fatalf("Resolve: %+v, %v", got, err)
		}
	}
	if n := s.loads.Load(); n != 1 {
		t.Fatalf("%d loads for three resolves, want 1", n)
	}

	a.Name = "Harbourside Medical"
	s.set(a)
	if got, _ := d.Resolve(ctx, "harbourside"); got.Name != "Harbourside" {
		t.Fatalf("cached answer changed before invalidation: %q", got.Name)
	}
	d.Invalidate("harbourside")
	if got, _ := d.Resolve(ctx, "harbourside"); got.Name != "Harbourside Medical" {
		t.Fatalf("after Invalidate: %q, want the new name", got.Name)
	}

	// Unknown slugs are cached too, and invalid ones never reach the store.
	before := s.loads.Load()
	for range 3 {
		if _, err := d.Resolve(ctx, "nobody-here"); !errors.Is(err, ErrUnknown) {
			t.Fatalf("unknown slug: %v", err)
		}
	}
	if _, err := d.Resolve(ctx, "Not A Slug!"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("invalid slug: %v", err)
	}
	if n := s.loads.Load() - before; n != 1 {
		t.Fatalf("%d loads for repeated unknown and invalid slugs, want 1", n)
	}
	// A tenant created later is found once the slug is invalidated (the
	// database announces the insert).
	s.set(Tenant{ID: uuid.New(), Slug: "nobody-here"})
	d.Invalidate("nobody-here")
	if _, err := d.Resolve(ctx, "nobody-here"); err != nil {
		t.Fatalf("new tenant after invalidation: %v", err)
	}
}

func TestDirectoryExpires(t *testing.T) {
	s := &fakeStore{rows: map[string]Tenant{"a": {ID: uuid.New(), Slug: "a"}}}
	d := NewDirectory(s.load, time.Minute)
	now := time.Now()
	d.now = func() time.Time { return now }
	d.Resolve(context.Background(), "a")
	now = now.Add(2 * time.Minute)
	d.Resolve(context.Background(), "a")
	if n := s.loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2 after the TTL passed", n)
	}
}

// A load that began before an invalidation must not put its stale answer
// back in the cache.
func TestDirectoryInvalidationDuringLoad(t *testing.T) {
	s := &fakeStore{rows: map[string]Tenant{"a": {ID: uuid.New(), Slug: "a", Name: "old"}}, delay: 50 * time.Millisecond}
	d := NewDirectory(s.load, time.Hour)
	done := make(chan struct{})
	go func() { d.Resolve(context.Background(), "a"); close(done) }()
	time.Sleep(10 * time.Millisecond)
	s.set(Tenant{ID: uuid.New(), Slug: "a", Name: "new"})
	d.Invalidate("a")
	<-done
	s.delay = 0
	if got, _ := d.Resolve(context.Background(), "a"); got.Name != "new" {
		t.Fatalf("stale answer cached across an invalidation: %q", got.Name)
	}
}

func TestDirectorySingleLoadForABurst(t *testing.T) {
	s := &fakeStore{rows: map[string]Tenant{"a": {ID: uuid.New(), Slug: "a"}}, delay: 30 * time.Millisecond}
	d := NewDirectory(s.load, time.Hour)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); d.Resolve(context.Background(), "a") }()
	}
	wg.Wait()
	if n := s.loads.Load(); n != 1 {
		t.Fatalf("%d loads for a burst of 20, want 1", n)
	}
}

func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"harbourside": true, "a": true, "totara-whanau": true, "a1-b2": true,
		"": false, "-a": false, "a-": false, "A": false, "tōtara": false, "a b": false,
		"a234567890123456789012345678901234567890123456789012345678901234": false,
	} {
		if ValidSlug(s) != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", s, !want, want)
		}
	}
}

// A slug that points into a reused request buffer (Fiber's zero-copy
// strings) must not become a cache key that later changes under the cache.
func TestDirectoryOwnsItsKeys(t *testing.T) {
	a := Tenant{ID: uuid.New(), Slug: "practice-a"}
	b := Tenant{ID: uuid.New(), Slug: "practice-b"}
	s := &fakeStore{rows: map[string]Tenant{a.Slug: a, b.Slug: b}}
	d := NewDirectory(s.load, time.Hour)
	buf := []byte("practice-a")
	if got, _ := d.Resolve(context.Background(), unsafe.String(&buf[0], len(buf))); got.ID != a.ID {
		t.Fatal("first resolve")
	}
	copy(buf, "practice-b") // the server reuses its buffer for the next request
	if got, _ := d.Resolve(context.Background(), "practice-a"); got.ID != a.ID {
		t.Fatalf("practice-a now resolves to %v: the cache key changed with the buffer", got.Slug)
	}
	if got, _ := d.Resolve(context.Background(), "practice-b"); got.ID != b.ID {
		t.Fatalf("practice-b resolves to %v", got.Slug)
	}
}
