// Package dbtest gives tests a real PostgreSQL: the server named by
// TEST_DATABASE_URL (a superuser DSN) when set, otherwise a throwaway embedded
// cluster of the test process. Each test process gets its own migrated
// database; each test makes its own tenants. A test that needs PostgreSQL
// fails, never skips, when none can be had.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/migrations"
	"github.com/tuhono/tuhono/tenants"
)

// Env is one migrated test database.
type Env struct {
	DB       *db.DB
	SuperURL string // superuser on the test database: for catalogue checks only
	OwnerURL string
	AppURL   string
	Name     string
}

var (
	once     sync.Once
	shared   *Env
	setupErr error
	cleanup  []func()
	cluster  string // superuser DSN of the test server
)

// Main runs the package's tests and then removes what the harness made. Every
// package that uses New calls it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	for i := len(cleanup) - 1; i >= 0; i-- {
		cleanup[i]()
	}
	os.Exit(code)
}

// Quiet is a logger for tests that discards everything.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// New returns the process's test database, creating and migrating it on
// first use.
func New(tb testing.TB) *Env {
	tb.Helper()
	once.Do(func() { shared, setupErr = setup() })
	if setupErr != nil {
		tb.Fatalf("dbtest: no PostgreSQL for the tests: %v", setupErr)
	}
	return shared
}

// Test roles share one cluster-wide password so that concurrent test processes
// on one TEST_DATABASE_URL server never lock each other out.
const testPassword = "tuhono-test-only"

func setup() (*Env, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	super := os.Getenv("TEST_DATABASE_URL")
	ownerPW, appPW := testPassword, testPassword
	if super == "" {
		dir, err := os.MkdirTemp("", "tuhono-test-pg-")
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { os.RemoveAll(dir) })
		emb, err := db.StartEmbedded(ctx, dir, os.Getenv("PG_BIN_DIR"), Quiet)
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { emb.Stop(context.Background()) })
		super = emb.SuperURL()
	}
	cluster = super
	if err := db.EnsureRoles(ctx, super, ownerPW, appPW); err != nil {
		return nil, err
	}
	name := "tuhono_test_" + randomHex(6)
	if err := db.EnsureDatabase(ctx, super, name); err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { dropDatabase(super, name) })
	env := &Env{Name: name}
	var err error
	if env.SuperURL, err = withDatabase(super, name); err != nil {
		return nil, err
	}
	if env.OwnerURL, err = db.WithCredentials(super, "tuhono_owner", ownerPW, name); err != nil {
		return nil, err
	}
	if env.AppURL, err = db.WithCredentials(super, "tuhono_app", appPW, name); err != nil {
		return nil, err
	}
	r, err := migrations.Open(env.OwnerURL)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.Up(ctx, Quiet); err != nil {
		return nil, err
	}
	env.DB, err = db.Open(ctx, db.Config{URL: env.AppURL, MaxConns: 8, Logger: Quiet})
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { env.DB.Close() })
	return env, nil
}

// EmptyDatabase makes another database on the test server, with the roles
// but without migrations, dropped when tb ends; it returns the owner's and
// the app's DSNs.
func EmptyDatabase(tb testing.TB) (ownerURL, appURL string) {
	tb.Helper()
	New(tb)
	name := "tuhono_test_" + randomHex(6)
	if err := db.EnsureDatabase(context.Background(), cluster, name); err != nil {
		tb.Fatalf("dbtest.EmptyDatabase: %v", err)
	}
	tb.Cleanup(func() { dropDatabase(cluster, name) })
	var err error
	if ownerURL, err = db.WithCredentials(cluster, "tuhono_owner", testPassword, name); err != nil {
		tb.Fatal(err)
	}
	if appURL, err = db.WithCredentials(cluster, "tuhono_app", testPassword, name); err != nil {
		tb.Fatal(err)
	}
	return ownerURL, appURL
}

func dropDatabase(super, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, super)
	if err != nil {
		return
	}
	defer c.Close(ctx)
	c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// withDatabase points a URL-form DSN at another database, keeping its user.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("TEST_DATABASE_URL must be a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Region makes a fresh region.
func (e *Env) Region(tb testing.TB) tenants.Region {
	tb.Helper()
	r := tenants.Region{ID: uuid.Must(uuid.NewV7()), Slug: "region-" + randomHex(4), Name: "Test region"}
	err := e.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO regions (id, slug, name) VALUES (?, ?, ?)`, r.ID, r.Slug, r.Name).Error
	})
	if err != nil {
		tb.Fatalf("dbtest.Region: %v", err)
	}
	return r
}

// Tenant makes a fresh practice in a fresh region and returns a context
// carrying it.
func (e *Env) Tenant(tb testing.TB) (context.Context, tenants.Tenant) {
	tb.Helper()
	r := e.Region(tb)
	t := tenants.Tenant{
		ID: uuid.Must(uuid.NewV7()), Kind: tenants.KindPractice, RegionID: r.ID,
		Slug: "practice-" + randomHex(5), Name: "Test practice", TimeZone: "Pacific/Auckland",
		Status: tenants.StatusActive,
	}
	err := e.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO tenants (id, kind, region_id, slug, name, time_zone, status)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Kind, t.RegionID, t.Slug, t.Name, t.TimeZone, t.Status).Error
	})
	if err != nil {
		tb.Fatalf("dbtest.Tenant: %v", err)
	}
	return tenants.WithTenant(context.Background(), t), t
}

// Slug returns a random valid slug with prefix.
func Slug(prefix string) string { return strings.TrimSuffix(prefix, "-") + "-" + randomHex(4) }
