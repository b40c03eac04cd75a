package account_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// grantLog is the policy engine as ChangeRoles sees it: the roles it was
// last told per person and domain.
type grantLog struct {
	mu    sync.Mutex
	roles map[string][]string
}

func (g *grantLog) Grant(_ context.Context, user uuid.UUID, role, domain string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.roles[user.String()+" "+domain] = append(g.roles[user.String()+" "+domain], role)
	return nil
}

func (g *grantLog) RevokeAll(_ context.Context, user uuid.UUID, domain string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.roles, user.String()+" "+domain)
	return nil
}

func TestChangeRoles(t *testing.T) {
	clk := newClock()
	env, _ := newService(t, clk)
	grants := &grantLog{roles: map[string][]string{}}
	s := account.New(env.DB, grants, account.Config{Argon2: cheap, SealKey: make([]byte, 32), Now: clk.Now, BaseURL: "http://tuhono.test"})
	ctx, tn := env.Tenant(t)
	admin, hip := person(t, s), person(t, s)
	if err := s.AddMember(ctx, admin.ID, admin.ID, []string{"practice_admin"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, admin.ID, hip.ID, []string{"hip"}); err != nil {
		t.Fatal(err)
	}

	// Bad roles change nothing.
	for _, roles := range [][]string{nil, {"surgeon"}, {"hip", "regional_admin"}} {
		if err := s.ChangeRoles(ctx, admin.ID, hip.ID, roles); fault.As(err).Kind != fault.KindInvalid {
			t.Errorf("roles %v: %v, want invalid", roles, err)
		}
	}
	if err := s.ChangeRoles(ctx, admin.ID, hip.ID, []string{"nurse", "health_coach"}); err != nil {
		t.Fatal(err)
	}
	m, err := s.Member(ctx, hip.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Roles, []string{"health_coach", "nurse"}) {
		t.Fatalf("roles %v", m.Roles)
	}
	got := grants.roles[hip.ID.String()+" "+account.TenantDomain(tn.ID)]
	slices.Sort(got)
	if !slices.Equal(got, []string{"health_coach", "nurse"}) {
		t.Fatalf("policy told %v", got)
	}

	// Not one's own roles; never the last administrator; not a stranger.
	if err := s.ChangeRoles(ctx, admin.ID, admin.ID, []string{"gp"}); fault.As(err).Kind != fault.KindConflict {
		t.Errorf("own roles: %v, want conflict", err)
	}
	if err := s.ChangeRoles(ctx, uuid.Nil, admin.ID, []string{"gp"}); fault.As(err).Kind != fault.KindConflict {
		t.Errorf("last administrator: %v, want conflict", err)
	}
	if err := s.ChangeRoles(ctx, admin.ID, uuid.Must(uuid.NewV7()), []string{"gp"}); !errors.Is(err, fault.NotFound) {
		t.Errorf("stranger: %v, want not found", err)
	}
	// Another tenant's member is not found from here.
	other, _ := env.Tenant(t)
	if err := s.ChangeRoles(other, admin.ID, hip.ID, []string{"gp"}); !errors.Is(err, fault.NotFound) {
		t.Errorf("from another tenant: %v, want not found", err)
	}

	var events []audit.Entry
	err = env.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		events, err = audit.List(tx, time.Time{}, 50)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == "membership.roles" {
			n++
			if e.ActorUserID != admin.ID || e.SubjectUserID != hip.ID || e.Detail["before.roles"] != "hip" ||
				e.Detail["after.roles"] != "health_coach,nurse" {
				t.Errorf("event %+v", e)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d role-change events, want 1 (refusals change nothing)", n)
	}
}
