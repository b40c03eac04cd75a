package db_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type settings struct {
	TenantID                 uuid.UUID
	SupportContactTargetDays int
}

func (settings) TableName() string { return "tenant_settings" }

func writeSettings(t *testing.T, d *db.DB, ctx context.Context, days int) {
	t.Helper()
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Create(&settings{TenantID: tx.Tenant.ID, SupportContactTargetDays: days}).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTwoTenantsCannotSeeEachOther(t *testing.T) {
	env := dbtest.New(t)
	d := env.DB
	ctxA, a := env.Tenant(t)
	ctxB, _ := env.Tenant(t)
	writeSettings(t, d, ctxA, 3)

	t.Run("invisible", func(t *testing.T) {
		var n int64
		err := d.InTenant(ctxB, func(tx *db.Tx) error {
			return tx.Model(&settings{}).Where("tenant_id = ?", a.ID).Count(&n).Error
		})
		if err != nil || n != 0 {
			t.Fatalf("B counted %d of A's rows (err %v)", n, err)
		}
		var s settings
		err = d.InTenant(ctxB, func(tx *db.Tx) error { return tx.Where("tenant_id = ?", a.ID).Take(&s).Error })
		if !errors.Is(err, fault.NotFound) {
			t.Fatalf("B reading A's row: got %v, want not found", err)
		}
		// And A's own row of the tenants table is not B's to read either.
		var name string
		err = d.InTenant(ctxB, func(tx *db.Tx) error {
			return tx.Raw(`SELECT name FROM tenants WHERE id = ?`, a.ID).Row().Scan(&name)
		})
		if !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, fault.NotFound) {
			t.Fatalf("B reading A's tenant row: got %q, %v", name, err)
		}
	})
	t.Run("un-updatable", func(t *testing.T) {
		var affected int64
		err := d.InTenant(ctxB, func(tx *db.Tx) error {
			res := tx.Model(&settings{}).Where("tenant_id = ?", a.ID).Update("support_contact_target_days", 9)
			affected = res.RowsAffected
			return res.Error
		})
		if err != nil || affected != 0 {
			t.Fatalf("B updated %d of A's rows (err %v)", affected, err)
		}
	})
	t.Run("un-deletable", func(t *testing.T) {
		var affected int64
		err := d.InTenant(ctxB, func(tx *db.Tx) error {
			res := tx.Where("tenant_id = ?", a.ID).Delete(&settings{})
			affected = res.RowsAffected
			return res.Error
		})
		if err != nil || affected != 0 {
			t.Fatalf("B deleted %d of A's rows (err %v)", affected, err)
		}
	})
	t.Run("insert claiming A's id is refused", func(t *testing.T) {
		_, c := env.Tenant(t)
		err := d.InTenant(ctxB, func(tx *db.Tx) error {
			return tx.Create(&settings{TenantID: c.ID, SupportContactTargetDays: 1}).Error
		})
		if !errors.Is(err, fault.Forbidden) {
			t.Fatalf("B inserting a row for another tenant: got %v, want forbidden", err)
		}
	})
	t.Run("A's row is intact", func(t *testing.T) {
		var s settings
		if err := d.InTenant(ctxA, func(tx *db.Tx) error { return tx.Take(&s).Error }); err != nil {
			t.Fatal(err)
		}
		if s.TenantID != a.ID || s.SupportContactTargetDays != 3 {
			t.Fatalf("A's row changed: %+v", s)
		}
	})
}

func TestNoTenantFailsBeforeTheDatabase(t *testing.T) {
	env := dbtest.New(t)
	before := env.DB.Stats()
	called := false
	err := env.DB.InTenant(context.Background(), func(*db.Tx) error { called = true; return nil })
	if !errors.Is(err, db.ErrNoTenant) || called {
		t.Fatalf("got %v (fn called: %v), want ErrNoTenant without calling fn", err, called)
	}
	// A context with a zero tenant is no tenant either.
	err = env.DB.InTenant(tenants.WithTenant(context.Background(), tenants.Tenant{}), func(*db.Tx) error { called = true; return nil })
	if !errors.Is(err, db.ErrNoTenant) || called {
		t.Fatalf("zero tenant: got %v (fn called: %v)", err, called)
	}
	if after := env.DB.Stats(); after.WaitCount != before.WaitCount || after.OpenConnections > before.OpenConnections {
		t.Fatalf("a connection was taken: before %+v after %+v", before, after)
	}
}

// poolOfOne opens the app's handle with a single connection, so that
// successive transactions share one server session.
func poolOfOne(t *testing.T, env *dbtest.Env) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), db.Config{URL: env.AppURL, MaxConns: 1, Logger: dbtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// With a pool of one connection, A's and B's transactions alternate on the
// same server session: the setting must never survive its transaction.
func TestPoolOfOneNeverLeaksTheTenant(t *testing.T) {
	env := dbtest.New(t)
	d := poolOfOne(t, env)
	ctxA, a := env.Tenant(t)
	ctxB, b := env.Tenant(t)
	writeSettings(t, d, ctxA, 2)
	writeSettings(t, d, ctxB, 5)
	var pids = map[int]bool{}
	for i := range 20 {
		ctx, want, days := ctxA, a.ID, 2
		if i%2 == 1 {
			ctx, want, days = ctxB, b.ID, 5
		}
		var rows []settings
		var setting string
		var pid int
		err := d.InTenant(ctx, func(tx *db.Tx) error {
			if err := tx.Find(&rows).Error; err != nil {
				return err
			}
			return tx.Raw(`SELECT current_setting('app.tenant_id'), pg_backend_pid()`).Row().Scan(&setting, &pid)
		})
		if err != nil {
			t.Fatal(err)
		}
		pids[pid] = true
		if len(rows) != 1 || rows[0].TenantID != want || rows[0].SupportContactTargetDays != days || setting != want.String() {
			t.Fatalf("round %d: saw %+v with setting %s, want only %s", i, rows, setting, want)
		}
		// Between transactions, on the same session, nothing is set.
		var between string
		if err := d.Platform(context.Background(), "test: setting between transactions", func(tx *db.Tx) error {
			return tx.Raw(`SELECT coalesce(current_setting('app.tenant_id', true), '')`).Row().Scan(&between)
		}); err != nil {
			t.Fatal(err)
		}
		if between != "" {
			t.Fatalf("round %d: app.tenant_id %q leaked past its transaction", i, between)
		}
	}
	if len(pids) != 1 {
		t.Fatalf("the pool of one used %d server sessions; the test proves nothing", len(pids))
	}
	// A failed transaction does not leak either.
	boom := errors.New("boom")
	if err := d.InTenant(ctxA, func(tx *db.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	var rows []settings
	if err := d.InTenant(ctxB, func(tx *db.Tx) error { return tx.Find(&rows).Error }); err != nil || len(rows) != 1 || rows[0].TenantID != b.ID {
		t.Fatalf("after a failed A transaction B saw %+v (%v)", rows, err)
	}
}

func TestPanicRollsBack(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	func() {
		defer func() { recover() }()
		env.DB.InTenant(ctx, func(tx *db.Tx) error {
			tx.Create(&settings{TenantID: tx.Tenant.ID, SupportContactTargetDays: 4})
			panic("mid-transaction")
		})
	}()
	var n int64
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return tx.Model(&settings{}).Count(&n).Error }); err != nil || n != 0 {
		t.Fatalf("after a panic: %d rows (%v), want 0", n, err)
	}
}

func TestAcrossTenantsReadsOnlyTheListAndWritesNothing(t *testing.T) {
	env := dbtest.New(t)
	ctxA, a := env.Tenant(t)
	ctxB, b := env.Tenant(t)
	ctxC, _ := env.Tenant(t)
	writeSettings(t, env.DB, ctxA, 1)
	writeSettings(t, env.DB, ctxB, 2)
	writeSettings(t, env.DB, ctxC, 3)
	var rows []settings
	err := env.DB.AcrossTenants(context.Background(), []uuid.UUID{a.ID, b.ID}, "test: regional aggregate", func(tx *db.Tx) error {
		return tx.Order("support_contact_target_days").Find(&rows).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].TenantID != a.ID || rows[1].TenantID != b.ID {
		t.Fatalf("AcrossTenants saw %+v, want exactly A and B", rows)
	}
	err = env.DB.AcrossTenants(context.Background(), []uuid.UUID{a.ID}, "test: write attempt", func(tx *db.Tx) error {
		return tx.Where("tenant_id = ?", a.ID).Delete(&settings{}).Error
	})
	if !errors.Is(err, fault.Forbidden) {
		t.Fatalf("a write inside AcrossTenants: got %v, want forbidden", err)
	}
	if err := env.DB.AcrossTenants(context.Background(), []uuid.UUID{a.ID}, " ", func(*db.Tx) error { return nil }); !errors.Is(err, fault.Invalid) {
		t.Fatalf("blank purpose: got %v, want invalid", err)
	}
	// The purpose was recorded, with the tenants it covered.
	var purposes []string
	err = env.DB.Platform(context.Background(), "test: read access log", func(tx *db.Tx) error {
		return tx.Raw(`SELECT purpose FROM cross_tenant_access WHERE ? = ANY (tenant_ids) ORDER BY at`, a.ID).Scan(&purposes).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(purposes) != 2 || purposes[0] != "test: regional aggregate" {
		t.Fatalf("recorded purposes %v", purposes)
	}
}

func TestPlatformSeesNoTenantRows(t *testing.T) {
	env := dbtest.New(t)
	ctxA, _ := env.Tenant(t)
	writeSettings(t, env.DB, ctxA, 1)
	var n int64
	if err := env.DB.Platform(context.Background(), "test: platform scope", func(tx *db.Tx) error {
		return tx.Model(&settings{}).Count(&n).Error
	}); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("Platform saw %d tenant rows, want 0", n)
	}
	// And a tenant cannot write platform tables.
	err := env.DB.InTenant(ctxA, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO regions (id, slug, name) VALUES (?, ?, 'x')`, uuid.Must(uuid.NewV7()), dbtest.Slug("r")).Error
	})
	if !errors.Is(err, fault.Forbidden) {
		t.Fatalf("a tenant writing regions: got %v, want forbidden", err)
	}
}

func TestErrorsAreTranslated(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	writeSettings(t, env.DB, ctx, 1)
	cases := []struct {
		name string
		fn   func(tx *db.Tx) error
		want error
	}{
		{"unique", func(tx *db.Tx) error {
			return tx.Create(&settings{TenantID: tx.Tenant.ID, SupportContactTargetDays: 2}).Error
		}, fault.Conflict},
		{"check", func(tx *db.Tx) error {
			return tx.Model(&settings{}).Where("true").Update("support_contact_target_days", 99).Error
		}, fault.Invalid},
		{"not found", func(tx *db.Tx) error {
			var s settings
			return tx.Where("support_contact_target_days = 77").Take(&s).Error
		}, fault.NotFound},
		{"bad text", func(tx *db.Tx) error {
			return tx.Exec(`SELECT ?::uuid`, "not-a-uuid").Error
		}, fault.Invalid},
		{"NUL", func(tx *db.Tx) error {
			return tx.Exec(`SELECT ?::text`, "a\x00b").Error
		}, fault.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := env.DB.InTenant(ctx, c.fn)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if s := db.LogSafe(err); c.name == "bad text" && strings.Contains(s, "not-a-uuid") {
				t.Fatalf("LogSafe kept the value: %s", s)
			}
		})
	}
}
