package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// The table is the contract the HTTP matrix walks: every tenant route names a
// permission, only invitation links under /t/ skip the membership check, and
// App registers exactly what Routes lists.
func TestRouteTable(t *testing.T) {
	s := newStack(t, testBase)
	registered := map[string]bool{}
	for _, r := range s.app.GetRoutes(true) {
		registered[r.Method+" "+r.Path] = true
	}
	seen := map[string]bool{}
	for _, r := range Routes() {
		key := r.Method + " " + r.Path
		if seen[key] {
			t.Errorf("%s is listed twice", key)
		}
		seen[key] = true
		if !registered[key] {
			t.Errorf("%s is listed but not registered", key)
		}
		if r.Tenant && r.Public {
			t.Errorf("%s is both a tenant route and public", key)
		}
		if r.Tenant && (r.Perm.Object == "" || r.Perm.Action == "") {
			t.Errorf("tenant route %s has no permission", key)
		}
		under := strings.HasPrefix(r.Path, "/t/:tenant/")
		invite := strings.HasPrefix(r.Path, "/t/:tenant/invite/")
		if under && !invite && !r.Tenant {
			t.Errorf("%s is under /t/:tenant but skips the membership check", key)
		}
		if invite && !r.Public {
			t.Errorf("%s: an invitation link must work before its person has an account", key)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			t.Errorf("%s: pages are GET and POST only", key)
		}
	}
	if n := len(Routes()); n < 25 {
		t.Errorf("only %d routes", n)
	}
}

func TestAppRefusesTenantRouteWithoutPermission(t *testing.T) {
	s := newStack(t, testBase)
	saved := table
	t.Cleanup(func() { table = saved })
	table = append([]page{{"GET", "/t/:tenant/oops", member, none, (*handler).home, false}}, saved...)
	defer func() {
		if recover() == nil {
			t.Error("App mounted a tenant route without a permission")
		}
	}()
	s.site.App(fiber.New(), Deps{Sessions: nil})
}

func TestDevMailboxOnlyWhenConfigured(t *testing.T) {
	s := newStack(t, testBase)
	app := fiber.New()
	s.site.App(app, Deps{Accounts: s.accounts})
	for _, r := range app.GetRoutes(true) {
		if r.Path == "/dev/mailbox" {
			t.Error("/dev/mailbox is registered without a mailbox")
		}
	}
}
