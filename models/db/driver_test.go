package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
)

// The first statement of a transaction travels in a batch with BEGIN and SET
// LOCAL; every value must scan exactly as it does from a later statement.
func TestFirstStatementScansLikeAnyOther(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	const q = `SELECT true AS b, 7::int2 AS i2, 8::int4 AS i4, 9::int8 AS i8, 1.5::float4 AS f4, 2.5::float8 AS f8,
		'2026-11-22 10:00:00+13'::timestamptz AS ts, '2026-11-22'::date AS d, 'Māori'::text AS t,
		'{"a":1}'::jsonb AS j, '\x0102'::bytea AS by, 12.50::numeric AS n, NULL::text AS nul,
		'018f6b9e-5c1a-7000-8000-000000000001'::uuid AS u, ARRAY[1,2]::int[] AS arr,
		ARRAY['a b','c']::text[] AS tarr, '1 day 02:00'::interval AS iv, '10.0.0.1/32'::inet AS ip,
		'-0.000123'::numeric AS small, 'NaN'::numeric AS nan, '12:30'::time AS tm,
		'[2026-01-01 00:00+00,2026-01-02 00:00+00)'::tstzrange AS rng, ARRAY['018f6b9e-5c1a-7000-8000-000000000001']::uuid[] AS uarr,
		'{"b":[1,2]}'::json AS js, 'x'::varchar AS vc, 'y'::char(2) AS ch`
	var first, second []map[string]any
	err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.Raw(q).Scan(&first).Error; err != nil {
			return err
		}
		return tx.Raw(q).Scan(&second).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	// Compared as printed: NaN is never DeepEqual to itself.
	if len(first) != 1 || len(first[0]) != 26 || fmt.Sprintf("%#v", first) != fmt.Sprintf("%#v", second) {
		t.Fatalf("first statement scanned as\n%#v\nlater statement as\n%#v", first, second)
	}
}

func TestFirstStatementWrites(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	var affected int64
	err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		res := tx.Exec(`INSERT INTO tenant_settings (tenant_id, support_contact_target_days) VALUES (?, 2)`, tn.ID)
		affected = res.RowsAffected
		return res.Error
	})
	if err != nil || affected != 1 {
		t.Fatalf("insert as first statement: affected %d, %v", affected, err)
	}
}

func TestTransactionWithoutStatementsSendsNothing(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	if err := env.DB.InTenant(ctx, func(*db.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := env.DB.InTenant(ctx, func(*db.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

// A failing first statement leaves an aborted transaction that must be rolled
// back before the connection is used again.
func TestFailedFirstStatementLeavesTheConnectionClean(t *testing.T) {
	env := dbtest.New(t)
	d := poolOfOne(t, env)
	ctxA, _ := env.Tenant(t)
	ctxB, b := env.Tenant(t)
	err := d.InTenant(ctxA, func(tx *db.Tx) error { return tx.Exec(`SELECT 1/0`).Error })
	if !errors.Is(err, fault.Invalid) {
		t.Fatalf("division by zero: got %v, want invalid", err)
	}
	var setting string
	err = d.InTenant(ctxB, func(tx *db.Tx) error {
		return tx.Raw(`SELECT current_setting('app.tenant_id')`).Row().Scan(&setting)
	})
	if err != nil || setting != b.ID.String() {
		t.Fatalf("next transaction on the same connection: %q, %v", setting, err)
	}
	// A cancelled context mid-transaction does not poison the pool either.
	cctx, cancel := context.WithCancel(ctxA)
	err = d.InTenant(cctx, func(tx *db.Tx) error {
		cancel()
		return tx.Exec(`SELECT pg_sleep(0.2)`).Error
	})
	if err == nil {
		t.Fatal("a cancelled transaction succeeded")
	}
	err = d.InTenant(ctxB, func(tx *db.Tx) error {
		return tx.Raw(`SELECT current_setting('app.tenant_id')`).Row().Scan(&setting)
	})
	if err != nil || setting != b.ID.String() {
		t.Fatalf("after a cancelled transaction: %q, %v", setting, err)
	}
}

func TestReadInTenantIsOneStatement(t *testing.T) {
	env := dbtest.New(t)
	d := poolOfOne(t, env)
	ctxA, a := env.Tenant(t)
	ctxB, b := env.Tenant(t)
	writeSettings(t, d, ctxA, 4)

	read := func(ctx context.Context) ([]settings, error) {
		var rows []settings
		err := d.ReadInTenant(ctx, func(tx *db.Tx) error { return tx.Find(&rows).Error })
		return rows, err
	}
	if rows, err := read(ctxA); err != nil || len(rows) != 1 || rows[0].TenantID != a.ID {
		t.Fatalf("A reads its own row: %+v %v", rows, err)
	}
	if rows, err := read(ctxB); err != nil || len(rows) != 0 {
		t.Fatalf("B reads A's row: %+v %v", rows, err)
	}
	// A second statement is refused, not run outside the wall.
	var n int64
	err := d.ReadInTenant(ctxA, func(tx *db.Tx) error {
		var rows []settings
		if err := tx.Find(&rows).Error; err != nil {
			return err
		}
		return tx.Model(&settings{}).Count(&n).Error
	})
	if err == nil || n != 0 {
		t.Fatalf("second statement: n=%d err=%v, want refused", n, err)
	}
	// It is read only.
	err = d.ReadInTenant(ctxA, func(tx *db.Tx) error {
		return tx.Model(&settings{}).Where("true").Update("support_contact_target_days", 5).Error
	})
	if !errors.Is(err, fault.Forbidden) {
		t.Fatalf("write in ReadInTenant: %v, want forbidden", err)
	}
	// A failing statement leaves nothing open on the single connection.
	if err := d.ReadInTenant(ctxA, func(tx *db.Tx) error { return tx.Exec(`SELECT 1/0`).Error }); err == nil {
		t.Fatal("1/0 succeeded")
	}
	var setting string
	err = d.InTenant(ctxB, func(tx *db.Tx) error {
		return tx.Raw(`SELECT current_setting('app.tenant_id') || ':' || (SELECT count(*) FROM tenant_settings)::text`).Row().Scan(&setting)
	})
	if err != nil || setting != b.ID.String()+":0" {
		t.Fatalf("after the failed read: %q %v", setting, err)
	}
	if _, err := read(ctxA); err != nil {
		t.Fatalf("pool poisoned: %v", err)
	}
}

// A statement registered with AtCommit goes out with the COMMIT: it is
// written with the work, not without it, and not at all when the work fails.
func TestAtCommit(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	count := func() int64 {
		var n int64
		if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
			return tx.Raw(`SELECT count(*) FROM audit_events WHERE action = 'record.read'`).Scan(&n).Error
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	appendRead := func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO audit_events (tenant_id, id, action, outcome) VALUES (?, gen_random_uuid(), 'record.read', 'ok')`,
			tn.ID).Error
	}
	// Work, then the append with the COMMIT: both stand.
	var seen int64
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		tx.AtCommit(appendRead)
		return tx.Raw(`SELECT count(*) FROM tenant_settings`).Scan(&seen).Error
	}); err != nil {
		t.Fatal(err)
	}
	if count() != 1 {
		t.Fatalf("after a committed transaction: %d events, want 1", count())
	}
	// The work fails: the append is never run.
	boom := errors.New("boom")
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		tx.AtCommit(appendRead)
		if err := tx.Exec(`SELECT 1`).Error; err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	// The append fails: the work is rolled back with it.
	err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		tx.AtCommit(func(tx *db.Tx) error { return tx.Exec(`INSERT INTO audit_events (tenant_id) VALUES (NULL)`).Error })
		return tx.Exec(`INSERT INTO tenant_settings (tenant_id, support_contact_target_days) VALUES (?, 3)`, tn.ID).Error
	})
	if err == nil {
		t.Fatal("a failing append committed")
	}
	var settings int64
	env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM tenant_settings`).Scan(&settings).Error
	})
	if settings != 0 || count() != 1 {
		t.Fatalf("after a failed append: %d settings rows, %d events; want 0 and 1", settings, count())
	}
	// Two statements in the last AtCommit break its contract: the second is
	// refused with an error (the first went out with the COMMIT and stands).
	err = env.DB.InTenant(ctx, func(tx *db.Tx) error {
		tx.AtCommit(func(tx *db.Tx) error {
			if err := appendRead(tx); err != nil {
				return err
			}
			return appendRead(tx)
		})
		return tx.Exec(`SELECT 1`).Error
	})
	if err == nil {
		t.Fatal("two statements after COMMIT were accepted")
	}
	// An AtCommit that runs nothing still commits; and the connection is
	// clean for the next transaction in the pool.
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		tx.AtCommit(func(*db.Tx) error { return nil })
		return appendRead(tx)
	}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 3 {
		t.Fatalf("%d events, want 3 (one from the refused pair, committed before its second statement, and one more)", got)
	}
	// ReadInTenant has no room for one.
	if err := env.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
		tx.AtCommit(appendRead)
		return tx.Raw(`SELECT 1`).Scan(&seen).Error
	}); err == nil {
		t.Fatal("ReadInTenant accepted an AtCommit")
	}
}
