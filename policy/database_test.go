package policy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tuhono/tuhono/models/db/dbtest"
)

// stored returns an enforcer over the test database through OpenDB's pool.
func stored(t *testing.T) (*Enforcer, *dbtest.Env) {
	t.Helper()
	env := dbtest.New(t)
	g, closeDB, err := OpenDB(context.Background(), env.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB() })
	e, err := New(context.Background(), g, dbtest.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	return e, env
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// within polls cond until it holds or d passes, and says how long it took.
func within(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A regional admin acts in the tenants linked to their region — also those
// linked after the grant — and in no tenant of another region; a fresh
// enforcer loads the same from the table.
func TestRegionalAdminInheritsIntoLinkedTenants(t *testing.T) {
	ctx := context.Background()
	e, _ := stored(t)
	region, otherRegion := RegionDomain(id()), RegionDomain(id())
	early, late, foreign := TenantDomain(id()), TenantDomain(id()), TenantDomain(id())
	must(t, e.LinkDomain(ctx, early, region))
	must(t, e.LinkDomain(ctx, foreign, otherRegion))
	ra := id()
	must(t, e.Grant(ctx, ra, "regional_admin", region))
	must(t, e.LinkDomain(ctx, late, region)) // after the grant

	check := func(e *Enforcer, label string) {
		for _, c := range []struct {
			domain string
			want   bool
		}{{region, true}, {early, true}, {late, true}, {foreign, false}, {otherRegion, false}} {
			if got := e.Allowed(ra, c.domain, "tenant", "update"); got != c.want {
				t.Errorf("%s: regional admin updates tenant in %s = %v, want %v", label, c.domain, got, c.want)
			}
		}
		if e.Allowed(ra, late, "note", "read") {
			t.Errorf("%s: regional admin reads notes", label)
		}
	}
	check(e, "same enforcer")
	fresh, _ := stored(t)
	check(fresh, "fresh enforcer")

	must(t, e.UnlinkDomain(ctx, late, region))
	if e.Allowed(ra, late, "tenant", "update") {
		t.Error("still allowed after UnlinkDomain")
	}
}

func TestFunderSeesReportsOfFundedTenantsOnly(t *testing.T) {
	ctx := context.Background()
	e, _ := stored(t)
	funder := FunderDomain(id())
	funded, unfunded := TenantDomain(id()), TenantDomain(id())
	f := id()
	must(t, e.Grant(ctx, f, "funder", funder))
	must(t, e.LinkDomain(ctx, funded, funder))
	must(t, e.LinkDomain(ctx, funded, RegionDomain(id())))
	for _, c := range []struct {
		domain, object, action string
		want                   bool
	}{
		{funder, "report", "export", true},
		{funded, "report", "read", true},
		{funded, "report", "export", true},
		{funded, "patient", "read", false},
		{funded, "contract", "read", false},
		{unfunded, "report", "read", false},
	} {
		if got := e.Allowed(f, c.domain, c.object, c.action); got != c.want {
			t.Errorf("funder %s %s in %s = %v, want %v", c.action, c.object, c.domain, got, c.want)
		}
	}
}

// A revocation is seen by the next check on the same enforcer, and within a
// second by another instance that Listens; so is a grant.
func TestRevocationReachesEveryInstance(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e1, env := stored(t)
	e2, _ := stored(t)
	done := make(chan struct{})
	go func() { e2.Listen(ctx, env.AppURL); close(done) }()
	defer func() { cancel(); <-done }()

	tenant, u := TenantDomain(id()), id()
	// Wait until e2's feed is up: a grant made before it is caught up by the
	// reload on connect anyway, so either way e2 must see it.
	must(t, e1.Grant(ctx, u, "hip", tenant))
	if !e1.Allowed(u, tenant, "note", "sign") {
		t.Fatal("grant not seen by the same enforcer")
	}
	if took, ok := within(5*time.Second, func() bool { return e2.Allowed(u, tenant, "note", "sign") }); !ok {
		t.Fatalf("grant not seen by the other instance after %v", took)
	}

	must(t, e1.Revoke(ctx, u, "hip", tenant))
	if e1.Allowed(u, tenant, "note", "sign") {
		t.Fatal("the same enforcer still allows after Revoke")
	}
	took, ok := within(time.Second, func() bool { return !e2.Allowed(u, tenant, "note", "sign") })
	if !ok {
		t.Fatalf("the other instance still allows %v after Revoke", took)
	}
	t.Logf("revocation reached the other instance in %v", took)

	// RevokeAll too.
	must(t, e1.Grant(ctx, u, "gp", tenant))
	must(t, e1.Grant(ctx, u, "nurse", tenant))
	if _, ok := within(time.Second, func() bool { return e2.Allowed(u, tenant, "note", "read") }); !ok {
		t.Fatal("grants not seen by the other instance")
	}
	must(t, e1.RevokeAll(ctx, u, tenant))
	if e1.Allowed(u, tenant, "note", "read") || len(e1.RolesIn(u, tenant)) != 0 {
		t.Fatal("RevokeAll left a role on the same enforcer")
	}
	if took, ok := within(time.Second, func() bool { return len(e2.RolesIn(u, tenant)) == 0 }); !ok {
		t.Fatalf("RevokeAll not seen by the other instance after %v", took)
	}
}

// A change made by hand in the database (an incident) reaches the enforcers
// too: the table announces every change, not the Go code.
func TestHandMadeRevocationIsAnnounced(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, env := stored(t)
	done := make(chan struct{})
	go func() { e.Listen(ctx, env.AppURL); close(done) }()
	defer func() { cancel(); <-done }()

	tenant, u := TenantDomain(id()), id()
	must(t, e.Grant(ctx, u, "hip", tenant))
	super := connect(t, env.SuperURL)
	if _, err := super.Exec(ctx, `DELETE FROM casbin_rule WHERE ptype = 'g' AND v0 = $1`, u.String()); err != nil {
		t.Fatal(err)
	}
	if took, ok := within(time.Second, func() bool { return !e.Allowed(u, tenant, "note", "read") }); !ok {
		t.Fatalf("hand-made revocation not seen after %v", took)
	}
}

// When the feed drops, changes made meanwhile are caught up on reconnect.
func TestListenCatchesUpAfterReconnect(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e1, env := stored(t)
	e2, _ := stored(t)
	tenant, u := TenantDomain(id()), id()
	must(t, e1.Grant(ctx, u, "hip", tenant))

	// e2's feed, with a recognisable application_name.
	url := env.AppURL + "&application_name=tuhono-policy-listen-test"
	if !containsQuery(env.AppURL) {
		url = env.AppURL + "?application_name=tuhono-policy-listen-test"
	}
	done := make(chan struct{})
	go func() { e2.Listen(ctx, url); close(done) }()
	defer func() { cancel(); <-done }()
	if _, ok := within(5*time.Second, func() bool { return e2.Allowed(u, tenant, "note", "read") }); !ok {
		t.Fatal("e2 never loaded the grant")
	}

	super := connect(t, env.SuperURL)
	var killed int
	if _, ok := within(5*time.Second, func() bool {
		err := super.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = 'tuhono-policy-listen-test'`).Scan(&killed)
		return err == nil && killed > 0
	}); !ok {
		t.Fatal("found no listening connection to drop")
	}
	must(t, e1.Revoke(ctx, u, "hip", tenant)) // announced while e2 is not listening
	if took, ok := within(10*time.Second, func() bool { return !e2.Allowed(u, tenant, "note", "read") }); !ok {
		t.Fatalf("revocation made during the outage not seen after %v", took)
	} else {
		t.Logf("caught up %v after the drop", took)
	}
}

func containsQuery(u string) bool {
	for i := range len(u) {
		if u[i] == '?' {
			return true
		}
	}
	return false
}

// The walls on casbin_rule: the app role sees no row outside the policy and
// platform scopes and cannot write one; the policy pool reaches nothing but
// casbin_rule; templates cannot be stored.
func TestCasbinRuleWalls(t *testing.T) {
	ctx := context.Background()
	e, env := stored(t)
	u, tenant := id(), TenantDomain(id())
	must(t, e.Grant(ctx, u, "hip", tenant))

	app := connect(t, env.AppURL)
	var n int
	if err := app.QueryRow(ctx, `SELECT count(*) FROM casbin_rule`).Scan(&n); err != nil || n != 0 {
		t.Errorf("app role without scope sees %d casbin_rule rows (%v), want 0", n, err)
	}
	_, err := app.Exec(ctx, `INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('g', $1, 'practice_admin', $2)`, u.String(), tenant)
	if sqlState(err) != "42501" {
		t.Errorf("app role without scope inserted a link: %v", err)
	}
	tag, err := app.Exec(ctx, `DELETE FROM casbin_rule`)
	if err != nil || tag.RowsAffected() != 0 {
		t.Errorf("app role without scope deleted %d rows (%v)", tag.RowsAffected(), err)
	}

	// The policy pool's scope opens casbin_rule and nothing else.
	_, _ = env.Tenant(t)
	g, closeDB, err := OpenDB(ctx, env.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	for _, table := range []string{"tenants", "cross_tenant_access"} {
		var n int64
		if err := g.WithContext(ctx).Table(table).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("policy pool sees %d rows of %s (%v), want 0", n, table, err)
		}
	}
	if err := g.WithContext(ctx).Table("casbin_rule").Where("v0 = ?", u.String()).Count(new(int64)).Error; err != nil {
		t.Errorf("policy pool cannot read casbin_rule: %v", err)
	}

	super := connect(t, env.SuperURL)
	var tenantRows int
	if err := super.QueryRow(ctx, `SELECT count(*) FROM tenants`).Scan(&tenantRows); err != nil || tenantRows == 0 {
		t.Fatalf("control: %d tenant rows (%v); the count above proves nothing", tenantRows, err)
	}
	_, err = super.Exec(ctx, `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', 'hip', '*', 'audit', 'read')`)
	if sqlState(err) != "23514" {
		t.Errorf("a template row was stored: %v", err)
	}
}

// Rows no Grant could have written are ignored on load, never honoured.
func TestMalformedRowsGrantNothing(t *testing.T) {
	ctx := context.Background()
	env := dbtest.New(t)
	super := connect(t, env.SuperURL)
	u, tenant, region := id(), TenantDomain(id()), RegionDomain(id())
	rows := [][]string{
		{"g", u.String(), "hip", region},          // a tenant role in a region
		{"g", u.String(), "root", tenant},         // no such role
		{"g", "someone", "hip", tenant},           // not a user id
		{"g", u.String(), "hip", "tenant:*"},      // a pattern
		{"g", u.String(), "hip", tenant, "extra"}, // stray field
		{"g2", tenant, TenantDomain(id())},        // tenant under tenant
		{"g2", region, RegionDomain(id())},        // region under region
		{"g2", "TENANT:" + tenant[len("tenant:"):], region},
	}
	for _, r := range rows {
		vals := append(r, "", "", "", "", "", "")[:7]
		if _, err := super.Exec(ctx, `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		super.Exec(context.Background(), `DELETE FROM casbin_rule WHERE v0 IN ($1, 'someone', $2, $3)`, u.String(), tenant, region)
	})
	e, _ := stored(t)
	for _, d := range []string{tenant, region} {
		if r := e.RolesIn(u, d); len(r) != 0 {
			t.Errorf("malformed rows gave roles %v in %s", r, d)
		}
		if e.Allowed(u, d, "note", "read") {
			t.Errorf("malformed rows allowed note read in %s", d)
		}
	}
	// A good grant beside them still works.
	must(t, e.Grant(ctx, u, "hip", tenant))
	if !e.Allowed(u, tenant, "note", "read") {
		t.Error("good grant not honoured")
	}
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Checks run while links change and the policy reloads (go test -race).
func TestChecksDuringChangesAndReloads(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, env := stored(t)
	done := make(chan struct{})
	go func() { e.Listen(ctx, env.AppURL); close(done) }()
	defer func() { cancel(); <-done }()

	tenant, region := TenantDomain(id()), RegionDomain(id())
	must(t, e.LinkDomain(ctx, tenant, region))
	steady, flapping, ra := id(), id(), id()
	must(t, e.Grant(ctx, steady, "hip", tenant))
	must(t, e.Grant(ctx, ra, "regional_admin", region))

	stop := make(chan struct{})
	errs := make(chan string, 100)
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !e.Allowed(steady, tenant, "note", "sign") || !e.Allowed(ra, tenant, "tenant", "update") {
					errs <- "a steady grant was denied during changes"
					return
				}
				e.Allowed(flapping, tenant, "note", "read")
				e.RolesIn(flapping, tenant)
			}
		}()
	}
	for range 20 {
		must(t, e.Grant(ctx, flapping, "gp", tenant))
		must(t, e.Revoke(ctx, flapping, "gp", tenant))
	}
	must(t, e.reload(ctx))
	close(stop)
	readers.Wait()
	close(errs)
	for msg := range errs {
		t.Fatal(msg)
	}
	if e.Allowed(flapping, tenant, "note", "read") {
		t.Error("the last revocation did not stick")
	}
}
