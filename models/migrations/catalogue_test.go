package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func superConn(t *testing.T) *pgx.Conn {
	t.Helper()
	env := dbtest.New(t)
	c, err := pgx.Connect(context.Background(), env.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func strings(t *testing.T, c *pgx.Conn, q string, args ...any) []string {
	t.Helper()
	rows, err := c.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Wall 4: a table with tenant_id but without forced RLS and a policy that
// both filters and checks fails the build.
func TestCatalogueEveryTenantTableHasForcedRLS(t *testing.T) {
	c := superConn(t)
	tables := strings(t, c, `
		SELECT cl.relname FROM pg_class cl
		JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE cl.relkind IN ('r', 'p') ORDER BY 1`)
	if len(tables) == 0 {
		t.Fatal("no tenant-owned tables found: the catalogue query is wrong")
	}
	bad := strings(t, c, `
		SELECT cl.relname FROM pg_class cl
		JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE cl.relkind IN ('r', 'p')
		  AND (NOT cl.relrowsecurity OR NOT cl.relforcerowsecurity
		       OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = cl.oid
		                      AND p.polcmd = '*' AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL
		                      AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app.tenant_id%'
		                      AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%app.tenant_id%'))
		ORDER BY 1`)
	if len(bad) > 0 {
		t.Errorf("tenant tables without forced RLS and a USING + WITH CHECK policy on app.tenant_id: %v", bad)
	}
	// Every other table of ours has RLS too (platform tables guard their
	// writes with app.scope); only goose's bookkeeping is exempt.
	open := strings(t, c, `
		SELECT cl.relname FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = 'public'
		WHERE cl.relkind IN ('r', 'p') AND cl.relname <> 'goose_db_version'
		  AND (NOT cl.relrowsecurity OR NOT cl.relforcerowsecurity) ORDER BY 1`)
	if len(open) > 0 {
		t.Errorf("tables without forced RLS: %v", open)
	}
}

func TestCatalogueAppRoleIsPowerless(t *testing.T) {
	c := superConn(t)
	var super, bypass, createRole, createDB bool
	err := c.QueryRow(context.Background(),
		`SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'tuhono_app'`).
		Scan(&super, &bypass, &createRole, &createDB)
	if err != nil {
		t.Fatal(err)
	}
	if super || bypass || createRole || createDB {
		t.Errorf("tuhono_app: superuser=%v bypassrls=%v createrole=%v createdb=%v; want all false", super, bypass, createRole, createDB)
	}
	owned := strings(t, c, `
		SELECT relname FROM pg_class WHERE relowner = 'tuhono_app'::regrole
		UNION ALL SELECT nspname FROM pg_namespace WHERE nspowner = 'tuhono_app'::regrole
		UNION ALL SELECT proname FROM pg_proc WHERE proowner = 'tuhono_app'::regrole`)
	if len(owned) > 0 {
		t.Errorf("tuhono_app owns %v; it must own nothing", owned)
	}
	member := strings(t, c, `
		SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
		WHERE m.member = 'tuhono_app'::regrole`)
	if len(member) > 0 {
		t.Errorf("tuhono_app is a member of %v; it must hold only its own grants", member)
	}
	var canCreate bool
	if err := c.QueryRow(context.Background(), `SELECT has_schema_privilege('tuhono_app', 'public', 'CREATE')`).Scan(&canCreate); err != nil {
		t.Fatal(err)
	}
	if canCreate {
		t.Error("tuhono_app may create objects in schema public")
	}
}

// Citus shards by tenant_id: every primary, unique and exclusion key of a
// tenant table must include it first, and every foreign key to another
// tenant table must carry it (a key to a platform table — users, regions —
// points at a reference table, which Citus allows).
func TestCatalogueKeysLeadWithTenantID(t *testing.T) {
	c := superConn(t)
	bad := strings(t, c, `
		SELECT cl.relname || '.' || co.conname FROM pg_constraint co
		JOIN pg_class cl ON cl.oid = co.conrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE (co.contype IN ('p', 'u', 'x') AND co.conkey[1] <> a.attnum)
		   OR (co.contype = 'f' AND NOT a.attnum = ANY (co.conkey)
		       AND EXISTS (SELECT 1 FROM pg_attribute ra WHERE ra.attrelid = co.confrelid
		                   AND ra.attname = 'tenant_id' AND NOT ra.attisdropped))
		ORDER BY 1`)
	if len(bad) > 0 {
		t.Errorf("keys of tenant tables that do not lead with (or carry) tenant_id: %v", bad)
	}
}

func openRunner(t *testing.T, url string) *migrations.Runner {
	t.Helper()
	r, err := migrations.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Every migration's Down undoes its Up: all the way down and up again.
func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	owner, _ := dbtest.EmptyDatabase(t)
	r := openRunner(t, owner)
	ctx := context.Background()
	if err := r.Up(ctx, dbtest.Quiet); err != nil {
		t.Fatal(err)
	}
	for range migrations.Latest() {
		if err := r.Down(ctx, dbtest.Quiet); err != nil {
			t.Fatal(err)
		}
	}
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Applied {
			t.Fatalf("migration %d still applied after going all the way down", s.Version)
		}
	}
	if err := r.Up(ctx, dbtest.Quiet); err != nil {
		t.Fatal(err)
	}
	st, _ = r.Status(ctx)
	if len(st) != int(migrations.Latest()) {
		t.Fatalf("status lists %d migrations, want %d", len(st), migrations.Latest())
	}
	for _, s := range st {
		if !s.Applied {
			t.Errorf("migration %d not applied after going up again", s.Version)
		}
	}
}

// A wall that admits a list of tenants reads the list once per statement
// (a sub-select, migration 00027): cast inside the row check, the list is
// parsed again for every row, which made region reports take seconds.
func TestCatalogueTenantListReadOncePerStatement(t *testing.T) {
	c := superConn(t)
	slow := strings(t, c, `
		SELECT pol.polrelid::regclass::text FROM pg_policy pol
		WHERE pg_get_expr(pol.polqual, pol.polrelid) LIKE '%app.tenant_ids%'
		  AND pg_get_expr(pol.polqual, pol.polrelid) NOT LIKE '%ANY (( SELECT (NULLIF(current_setting(''app.tenant_ids''::text, true), ''''::text))::uuid[] AS "nullif")::uuid[])%'
		ORDER BY 1`)
	if len(slow) > 0 {
		t.Errorf("policies that parse app.tenant_ids for every row: %v", slow)
	}
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_policy pol
		WHERE pg_get_expr(pol.polqual, pol.polrelid) LIKE '%app.tenant_ids%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Errorf("only %d policies admit a list of tenants: the catalogue query is wrong", n)
	}
}
