package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

func TestOrgTokens(t *testing.T) {
	clk := newClock()
	env, s := newService(t, clk)
	ctx := context.Background()
	u, other := person(t, s), person(t, s)
	region := "region:" + uuid.NewString()
	if err := s.GrantOrg(ctx, uuid.Nil, u.ID, "regional_admin", region); err != nil {
		t.Fatal(err)
	}

	// Roles must be held in the domain, and match its kind.
	for name, c := range map[string]struct {
		user   uuid.UUID
		domain string
		roles  []string
		kind   fault.Kind
	}{
		"not held":       {other.ID, region, []string{"regional_admin"}, fault.KindForbidden},
		"other region":   {u.ID, "region:" + uuid.NewString(), []string{"regional_admin"}, fault.KindForbidden},
		"platform":       {u.ID, "platform", []string{"platform_operator"}, fault.KindForbidden},
		"wrong kind":     {u.ID, region, []string{"platform_operator"}, fault.KindInvalid},
		"tenant role":    {u.ID, region, []string{"practice_admin"}, fault.KindInvalid},
		"no roles":       {u.ID, region, nil, fault.KindInvalid},
		"bad domain":     {u.ID, "region:" + strings.ToUpper(uuid.NewString()), []string{"regional_admin"}, fault.KindInvalid},
		"funder refused": {u.ID, "funder:" + uuid.NewString(), []string{"funder"}, fault.KindInvalid},
	} {
		if _, _, err := s.CreateOrgToken(ctx, c.user, c.domain, "t", c.roles, time.Hour); fault.As(err).Kind != c.kind {
			t.Errorf("%s: err = %v, want kind %v", name, err, c.kind)
		}
	}

	tok, view, err := s.CreateOrgToken(ctx, u.ID, region, "robot", []string{"regional_admin"}, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, account.PrefixOrgToken+"_") || view.Domain != region {
		t.Fatalf("token %q view %+v", tok[:4], view)
	}
	a, err := s.AuthenticateOrgToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if a.Actor.UserID != u.ID || a.Domain != region || !a.Actor.Token || len(a.Actor.Roles) != 1 || a.Actor.Roles[0] != "regional_admin" {
		t.Fatalf("actor %+v", a)
	}
	// A tenant token's shape is refused before any look-up, and junk too.
	for _, bad := range []string{"", "tuk_" + tok[4:], tok + "x"} {
		if _, err := s.AuthenticateOrgToken(ctx, bad); fault.As(err).Kind != fault.KindUnauthenticated {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	list, err := s.OrgTokens(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != view.ID || list[0].LastUsedAt == nil {
		t.Fatalf("list %+v err %v", list, err)
	}
	if l, _ := s.OrgTokens(ctx, other.ID); len(l) != 0 {
		t.Fatalf("another person sees %d tokens", len(l))
	}

	// Expiry.
	clk.Add(2*time.Hour + time.Second)
	if _, err := s.AuthenticateOrgToken(ctx, tok); fault.As(err).Kind != fault.KindUnauthenticated {
		t.Fatalf("expired token: %v", err)
	}

	// Revocation: only by its owner, once.
	tok2, v2, err := s.CreateOrgToken(ctx, u.ID, region, "robot 2", []string{"regional_admin"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeOrgToken(ctx, other.ID, v2.ID); fault.As(err).Kind != fault.KindNotFound {
		t.Fatalf("revoke by another: %v", err)
	}
	if _, err := s.AuthenticateOrgToken(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeOrgToken(ctx, u.ID, v2.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeOrgToken(ctx, u.ID, v2.ID); fault.As(err).Kind != fault.KindNotFound {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := s.AuthenticateOrgToken(ctx, tok2); fault.As(err).Kind != fault.KindUnauthenticated {
		t.Fatalf("revoked token: %v", err)
	}

	// Removing the grant stops the token.
	tok3, _, err := s.CreateOrgToken(ctx, u.ID, region, "robot 3", []string{"regional_admin"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateOrgToken(ctx, tok3); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Platform(ctx, "test: remove grant", func(tx *db.Tx) error {
		return tx.Exec(`DELETE FROM org_grants WHERE user_id = ? AND domain = ?`, u.ID, region).Error
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateOrgToken(ctx, tok3); fault.As(err).Kind != fault.KindUnauthenticated {
		t.Fatalf("token after its grant was removed: %v", err)
	}

	// Both events are in the platform trail with the domain.
	var n int64
	if err := env.DB.Platform(ctx, "test: audit", func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM platform_audit_events WHERE actor_user_id = ? AND action IN ('token.create', 'token.revoke')
			AND detail->>'domain' = ?`, u.ID, region).Scan(&n).Error
	}); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("%d token events, want 4 (three created, one revoked)", n)
	}
}
