package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
	"github.com/tuhono/tuhono/tenants"
)

// Two app instances over one database: a session made on the first works on
// the second; ending the membership on the first shuts the person out of
// the tenant on the second at the very next request.
func TestMembershipEndReachesEveryInstance(t *testing.T) {
	w := buildWorld(t)
	env := dbtest.New(t)
	ctx := context.Background()
	pdb, closePolicy, err := policy.OpenDB(ctx, env.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closePolicy() })
	enforcer2, err := policy.New(ctx, pdb, dbtest.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	listenCtx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	go enforcer2.Listen(listenCtx, env.AppURL)
	accounts2 := account.New(env.DB, enforcer2, account.Config{SealKey: make([]byte, 32)})
	second := listen(t, newApp(t, handlers.Options{Accounts: accounts2, Policy: enforcer2, Roles: enforcer2.RolesIn,
		TenantByID: func(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
			return onboarding.ByID(ctx, env.DB, id)
		},
		BaseURL: "http://matrix.test"}))

	cookie := w.session(t, "nurse")
	get := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/t/"+w.A.Slug+"/", nil)
		req.Header.Set("Cookie", "__Host-tuhono="+cookie)
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if a, b := get(w.base), get(second); a != 200 || b != 200 {
		t.Fatalf("before: first %d, second %d, want 200 on both", a, b)
	}
	if err := w.accounts.SetStatus(tenants.WithTenant(ctx, w.A), w.people["practice_admin"].ID, w.people["nurse"].ID, "ended"); err != nil {
		t.Fatal(err)
	}
	if b := get(second); b == 200 {
		t.Fatalf("the second instance still lets an ended member in: %d", b)
	}
	if a := get(w.base); a == 200 {
		t.Fatalf("the first instance still lets an ended member in: %d", a)
	}
}
