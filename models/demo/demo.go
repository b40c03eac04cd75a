// Package demo seeds the embedded development database with a fictional
// region: a PHO, two practices and one person per role, including a HIP who
// works at both practices. Every name is invented; nothing here runs against
// a production database unless someone asks for it by name (tuhono seed demo).
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// Person is one demo sign-in.
type Person struct {
	Email string
	Name  string
	Roles string // as printed: "hip at Harbourside, Tōtara Whānau"
}

// Seeded is what the demo holds.
type Seeded struct {
	onboarding.Demo
	People []Person
}

// Links receives the tenant → region links of new tenants (policy).
type Links interface {
	LinkDomain(ctx context.Context, child, parent string) error
}

type person struct {
	email, name string
	tenantRoles map[string][]string // tenant slug → roles
	org         *account.OrgGrant
}

func people(region tenants.Region, funder contract.Funder) []person {
	return []person{
		{email: "gp@harbourside.example", name: "Dr Aroha Ngata", tenantRoles: map[string][]string{"harbourside": {"gp"}}},
		{email: "nurse@harbourside.example", name: "Mele Tupou", tenantRoles: map[string][]string{"harbourside": {"nurse"}}},
		{email: "hip@kowhai.example", name: "Sam Patel", tenantRoles: map[string][]string{"harbourside": {"hip"}, "totara-whanau": {"hip"}}},
		{email: "coach@totara.example", name: "Wiremu Rāwiri", tenantRoles: map[string][]string{"totara-whanau": {"health_coach"}}},
		{email: "support@kowhai.example", name: "Grace Liu", tenantRoles: map[string][]string{"harbourside": {"support_worker"}, "totara-whanau": {"support_worker"}}},
		{email: "admin@harbourside.example", name: "Jo Williams", tenantRoles: map[string][]string{"harbourside": {"practice_admin"}}},
		{email: "admin@totara.example", name: "Hana Parata", tenantRoles: map[string][]string{"totara-whanau": {"practice_admin"}}},
		{email: "pho@kowhai.example", name: "Ravi Singh", tenantRoles: map[string][]string{"kowhai-pho": {"pho_admin"}}},
		{email: "region@demo.example", name: "Kiri Walker", org: &account.OrgGrant{Role: "regional_admin", Domain: "region:" + region.ID.String()}},
		{email: "funder@demo.example", name: "Mereana Funder", org: &account.OrgGrant{Role: "funder", Domain: funder.Domain()}},
		{email: "operator@demo.example", name: "Platform Operator", org: &account.OrgGrant{Role: "platform_operator", Domain: "platform"}},
	}
}

// Seed creates the demo (or finds it) and returns whether it made it and the
// demo password (only when it made it: the password exists nowhere else).
func Seed(ctx context.Context, d *db.DB, accounts *account.Service, links Links) (Seeded, string, error) {
	demo, created, err := onboarding.SeedDemo(ctx, d)
	if err != nil {
		return Seeded{}, "", fmt.Errorf("demo.Seed: %w", err)
	}
	out := Seeded{Demo: demo}
	bySlug := map[string]tenants.Tenant{}
	for _, t := range demo.Tenants {
		bySlug[t.Slug] = t
		if links != nil {
			if err := links.LinkDomain(ctx, account.TenantDomain(t.ID), "region:"+demo.Region.ID.String()); err != nil {
				return Seeded{}, "", fmt.Errorf("demo.Seed: %w", err)
			}
		}
	}
	password := ""
	if created {
		password = Password()
	}
	funder, err := demoFunderFor(ctx, d)
	if err != nil {
		return Seeded{}, "", fmt.Errorf("demo.Seed: %w", err)
	}
	for _, p := range people(demo.Region, funder) {
		out.People = append(out.People, Person{Email: p.email, Name: p.name, Roles: describe(p, bySlug)})
		if !created {
			continue
		}
		u, err := accounts.CreateUser(ctx, p.email, p.name, password, p.org != nil && p.org.Role == "platform_operator")
		if errors.Is(err, fault.Conflict) {
			continue
		}
		if err != nil {
			return Seeded{}, "", fmt.Errorf("demo.Seed: %w", err)
		}
		for slug, roles := range p.tenantRoles {
			tctx := tenants.WithTenant(ctx, bySlug[slug])
			if err := accounts.AddMember(tctx, u.ID, u.ID, roles); err != nil {
				return Seeded{}, "", fmt.Errorf("demo.Seed: %w", err)
			}
		}
		if p.org != nil {
			if err := accounts.GrantOrg(ctx, u.ID, u.ID, p.org.Role, p.org.Domain); err != nil {
				return Seeded{}, "", fmt.Errorf("demo.Seed: %w", err)
			}
		}
	}
	if err := seedHistory(ctx, d, accounts, bySlug); err != nil {
		return Seeded{}, "", fmt.Errorf("demo.Seed: %w", err)
	}
	if created {
		if err := seedFunding(ctx, d, accounts, demo.Region, funder, bySlug); err != nil {
			return Seeded{}, "", fmt.Errorf("demo.Seed: funding: %w", err)
		}
	}
	return out, password, nil
}

// Who covers both demo practices splits the week between them, as HIPs do.
var demoWeek = map[string]map[string][]time.Weekday{
	"harbourside":   {"hip@kowhai.example": {time.Monday, time.Tuesday, time.Wednesday}, "support@kowhai.example": {time.Monday, time.Tuesday}},
	"totara-whanau": {"hip@kowhai.example": {time.Thursday, time.Friday}, "support@kowhai.example": {time.Wednesday, time.Thursday, time.Friday}},
}

// seedHistory gives each demo practice a year of generated history and its
// practitioners weekly schedules, so the day board, reports and "who is free
// now" have something to show. History leaves a practice that already has
// appointments alone: seeding again changes nothing.
func seedHistory(ctx context.Context, d *db.DB, accounts *account.Service, bySlug map[string]tenants.Tenant) error {
	for i, slug := range []string{"harbourside", "totara-whanau"} {
		t, ok := bySlug[slug]
		if !ok {
			continue
		}
		week := map[uuid.UUID][]time.Weekday{}
		for email, days := range demoWeek[slug] {
			u, err := accounts.UserByEmail(ctx, email)
			if err != nil {
				return err
			}
			week[u.ID] = days
		}
		if _, err := History(tenants.WithTenant(ctx, t), d, HistoryOptions{Seed: uint64(2026 + i)}, week); err != nil {
			return err
		}
	}
	return nil
}

func describe(p person, bySlug map[string]tenants.Tenant) string {
	if p.org != nil {
		return p.org.Role
	}
	s := ""
	for _, slug := range []string{"kowhai-pho", "harbourside", "totara-whanau"} {
		if roles, ok := p.tenantRoles[slug]; ok {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%v at %s", roles, bySlug[slug].Name)
		}
	}
	return s
}

// Password makes a demo password that passes the password rules: four
// random words' worth of letters and digits, 20 characters.
func Password() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b[:5]) + "-" + string(b[5:10]) + "-" + string(b[10:15]) + "-" + string(b[15:])
}
