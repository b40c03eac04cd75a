package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/db/dbtest"
)

// population is tenants × 5 users, one region per 50 tenants with a
// regional admin each, every tenant funded by one of three funders.
type population struct {
	tenants []string
	users   [][5]uuid.UUID // per tenant
	admins  []uuid.UUID    // regional admin of tenant i's region
	g, g2   [][]string
}

var staffRoles = [5]string{"gp", "nurse", "hip", "health_coach", "practice_admin"}

func populate(n int) population {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	ids := func() uuid.UUID {
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		u, _ := uuid.FromBytes(b[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		return u
	}
	funders := []string{FunderDomain(ids()), FunderDomain(ids()), FunderDomain(ids())}
	var p population
	var region string
	var admin uuid.UUID
	for i := range n {
		if i%50 == 0 {
			region, admin = RegionDomain(ids()), ids()
			p.g = append(p.g, []string{admin.String(), "regional_admin", region})
		}
		t := TenantDomain(ids())
		p.tenants = append(p.tenants, t)
		p.admins = append(p.admins, admin)
		p.g2 = append(p.g2, []string{t, region}, []string{t, funders[i%3]})
		var us [5]uuid.UUID
		for j, r := range staffRoles {
			us[j] = ids()
			p.g = append(p.g, []string{us[j].String(), r, t})
		}
		p.users = append(p.users, us)
	}
	return p
}

func (p population) load(tb testing.TB, e *Enforcer) {
	tb.Helper()
	if _, err := e.se.AddNamedGroupingPolicies("g", p.g); err != nil {
		tb.Fatal(err)
	}
	if _, err := e.se.AddNamedGroupingPolicies("g2", p.g2); err != nil {
		tb.Fatal(err)
	}
}

type request struct {
	user                   uuid.UUID
	domain, object, action string
	want                   bool
}

// BenchmarkAllowed shows a check costs the same with 10 tenants as with
// 1,000: the templates are shared and links are looked up by domain.
//
//	go test ./policy -run '^$' -bench Allowed
func BenchmarkAllowed(b *testing.B) {
	for _, n := range []int{10, 1000} {
		p := populate(n)
		e := memory(b)
		p.load(b, e)
		rng := rand.New(rand.NewPCG(7, uint64(n)))
		reqs := map[string][]request{}
		for range 1024 {
			i, j := rng.IntN(n), rng.IntN(5)
			u, t := p.users[i][j], p.tenants[i]
			clinical := staffRoles[j] != "practice_admin"
			reqs["own-tenant"] = append(reqs["own-tenant"], request{u, t, "note", "read", clinical})
			other := p.tenants[(i+1+rng.IntN(n-1))%n]
			reqs["other-tenant"] = append(reqs["other-tenant"], request{u, other, "note", "read", false})
			reqs["inherited"] = append(reqs["inherited"], request{p.admins[i], t, "tenant", "update", true})
		}
		for _, kind := range []string{"own-tenant", "other-tenant", "inherited"} {
			rs := reqs[kind]
			for _, r := range rs[:64] { // the benchmark measures right answers
				if got := e.Allowed(r.user, r.domain, r.object, r.action); got != r.want {
					b.Fatalf("%s: Allowed = %v, want %v", kind, got, r.want)
				}
			}
			b.Run(fmt.Sprintf("tenants=%d/%s", n, kind), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					r := rs[i%len(rs)]
					e.Allowed(r.user, r.domain, r.object, r.action)
					i++
				}
			})
		}
	}
}

// BenchmarkReload is what each instance pays per announced change: reading
// 1,000 tenants' links (5,000 grants, 2,000 domain links) and rebuilding.
func BenchmarkReload(b *testing.B) {
	ctx := context.Background()
	env := dbtest.New(b)
	p := populate(1000)
	super, err := pgx.Connect(ctx, env.SuperURL)
	if err != nil {
		b.Fatal(err)
	}
	defer super.Close(ctx)
	var rows [][]any
	var firsts []string
	for _, g := range p.g {
		rows = append(rows, []any{"g", g[0], g[1], g[2]})
		firsts = append(firsts, g[0])
	}
	for _, g := range p.g2 {
		rows = append(rows, []any{"g2", g[0], g[1], ""})
		firsts = append(firsts, g[0])
	}
	if _, err := super.CopyFrom(ctx, pgx.Identifier{"casbin_rule"}, []string{"ptype", "v0", "v1", "v2"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	defer super.Exec(ctx, `DELETE FROM casbin_rule WHERE v0 = ANY ($1)`, firsts)
	gdb, closeDB, err := OpenDB(ctx, env.AppURL)
	if err != nil {
		b.Fatal(err)
	}
	defer closeDB()
	e, err := New(ctx, gdb, dbtest.Quiet)
	if err != nil {
		b.Fatal(err)
	}
	if !e.Allowed(p.users[999][2], p.tenants[999], "note", "sign") {
		b.Fatal("loaded policy does not allow a hip to sign")
	}
	b.ResetTimer()
	for b.Loop() {
		if err := e.reload(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
