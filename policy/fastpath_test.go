package policy

import (
	"testing"

	"github.com/google/uuid"
)

// The fast path (template set + role managers) must answer exactly as
// casbin's matcher does, for every role held in every kind of domain, asked
// in every kind of domain, for every object and action, and through the
// token path (one fixed role) too.
func TestFastPathAgreesWithCasbin(t *testing.T) {
	e, err := newEnforcer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tenant, other := TenantDomain(uuid.New()), TenantDomain(uuid.New())
	region, otherRegion, funder := RegionDomain(uuid.New()), RegionDomain(uuid.New()), FunderDomain(uuid.New())
	for _, link := range [][]string{{tenant, region}, {tenant, funder}, {other, otherRegion}} {
		if _, err := e.se.AddNamedGroupingPolicy("g2", link); err != nil {
			t.Fatal(err)
		}
	}
	domains := []string{tenant, other, region, otherRegion, funder, PlatformDomain}
	var users []uuid.UUID
	held := map[uuid.UUID]string{}
	for _, r := range roles {
		// Each role held once in every kind of domain, also where it grants
		// nothing (a hip linked in a region must not act anywhere).
		for _, d := range []string{tenant, region, funder, PlatformDomain} {
			u := uuid.New()
			users = append(users, u)
			held[u] = r.name
			if _, err := e.se.AddNamedGroupingPolicy("g", u.String(), r.name, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	checks, allows := 0, 0
	for _, u := range users {
		for _, d := range domains {
			for _, o := range objects {
				for _, a := range actionOrder {
					fast, slow := e.Allowed(u, d, o.name, a), e.enforce(u, d, o.name, a)
					if fast != slow {
						t.Fatalf("user %s in %s: %s %s: fast %v, casbin %v", u, d, o.name, a, fast, slow)
					}
					if fast {
						allows++
					}
					// The token path: the role held, and one not held.
					for _, r := range []string{held[u], "hip"} {
						fastAs := e.allowedAs(u, []string{r}, d, o.name, a)
						slowAs, err := e.se.Enforce(tokenCheck, u.String(), r, d, o.name, a)
						if err != nil {
							t.Fatal(err)
						}
						if fastAs != slowAs {
							t.Fatalf("user %s as %s in %s: %s %s: fast %v, casbin %v", u, r, d, o.name, a, fastAs, slowAs)
						}
					}
					checks++
				}
			}
		}
	}
	if allows == 0 || allows == checks {
		t.Fatalf("%d of %d allowed: the comparison proves nothing", allows, checks)
	}
	t.Logf("%d checks agree (%d allowed)", checks, allows)
}
