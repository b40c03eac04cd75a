package policy

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Matrix renders the whole role × object × action table as stable text, one
// row per object and action, one column per role: "Y" where the role may.
// It is computed by the real model and matcher (an in-memory enforcer with
// one user holding each role in its home domain), not read off policy.csv,
// so a change to either shows up in testdata/matrix.golden.
func Matrix() string {
	e, err := newEnforcer(nil, nil)
	if err != nil {
		panic("policy.Matrix: " + err.Error()) // the embedded model or templates are broken: a build error
	}
	users := make([]uuid.UUID, len(roles))
	domains := make([]string, len(roles))
	home := map[string]string{
		kindTenant:   TenantDomain(uuid.MustParse("00000000-0000-4000-8000-000000000001")),
		kindRegion:   RegionDomain(uuid.MustParse("00000000-0000-4000-8000-000000000002")),
		kindFunder:   FunderDomain(uuid.MustParse("00000000-0000-4000-8000-000000000003")),
		kindPlatform: PlatformDomain,
	}
	for i, r := range roles {
		users[i] = uuid.NewSHA1(uuid.NameSpaceOID, []byte("tuhono.policy.matrix."+r.name))
		domains[i] = home[r.home]
		if _, err := e.se.AddNamedGroupingPolicy("g", users[i].String(), r.name, domains[i]); err != nil {
			panic("policy.Matrix: " + err.Error())
		}
	}

	var b strings.Builder
	b.WriteString("# Tūhono permissions: role × object × action (policy.Matrix; regenerate with\n")
	b.WriteString("# go test ./policy -run Matrix -update). Y = allowed where the role is held:\n")
	for _, r := range roles {
		fmt.Fprintf(&b, "#   %-17s held in %s\n", r.name, pattern(r.home))
	}
	b.WriteString("# regional_admin and funder also act in every tenant linked to their region or\n")
	b.WriteString("# funder. Anything not marked is denied.\n\n")

	head := []string{"object", "action"}
	width := []int{len("object"), len("action")}
	for _, o := range objects {
		width[0] = max(width[0], len(o.name))
	}
	for _, a := range actionOrder {
		width[1] = max(width[1], len(a))
	}
	for _, r := range roles {
		head = append(head, r.name)
		width = append(width, len(r.name))
	}
	row := func(cells []string) {
		for i, c := range cells {
			if i == len(cells)-1 {
				b.WriteString(strings.TrimRight(c, " "))
				break
			}
			fmt.Fprintf(&b, "%-*s  ", width[i], c)
		}
		b.WriteString("\n")
	}
	row(head)
	for _, o := range objects {
		for _, a := range actionOrder {
			if !admits(o.name, a) {
				continue
			}
			cells := []string{o.name, a}
			for i := range roles {
				mark := "."
				if e.Allowed(users[i], domains[i], o.name, a) {
					mark = "Y"
				}
				cells = append(cells, mark)
			}
			row(cells)
		}
	}
	return b.String()
}
