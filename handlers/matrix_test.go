package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/handlers/web"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
	"github.com/tuhono/tuhono/tenants"
)

// world is a small country: region R1 with PHO P1 (practices A and B) and
// PHO P2 (practice C); region R2 with PHO P3 (practice D). Every tenant role
// has one person at A; a regional admin holds R1; a platform operator
// exists, and a funder's person holds F1 (which funds A); F2 is another
// funder.
type world struct {
	base       string
	accounts   *account.Service
	enforcer   *policy.Enforcer
	A, B, C, D tenants.Tenant
	R1, R2     tenants.Region
	F1, F2     contract.Funder
	people     map[string]account.User // by role
	tokens     map[string]string       // API token at A, by tenant role
	target     account.User            // a member of A whom the staff routes act on
	codes      map[string][]string     // recovery codes of the people with MFA, by role
}

const matrixPW = "a long matrix passphrase"

func buildWorld(t *testing.T) *world {
	t.Helper()
	env := dbtest.New(t)
	ctx := context.Background()
	w := &world{people: map[string]account.User{}, tokens: map[string]string{}, codes: map[string][]string{}}
	pdb, closePolicy, err := policy.OpenDB(ctx, env.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closePolicy() })
	if w.enforcer, err = policy.New(ctx, pdb, dbtest.Quiet); err != nil {
		t.Fatal(err)
	}
	w.accounts = account.New(env.DB, w.enforcer, account.Config{
		Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, SealKey: make([]byte, 32),
		AccountFailures: 1000, IPFailures: 100000,
	})
	region := func() tenants.Region {
		r, err := onboarding.CreateRegion(ctx, env.DB, dbtest.Slug("region"), "Region "+uuid.NewString()[:6])
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tenant := func(kind tenants.Kind, r tenants.Region, parent uuid.UUID, name string) tenants.Tenant {
		tn, err := onboarding.CreateTenant(ctx, env.DB, onboarding.NewTenant{Kind: kind, RegionID: r.ID, ParentID: parent, Slug: dbtest.Slug(strings.ToLower(name)), Name: name + " " + uuid.NewString()[:6]})
		if err != nil {
			t.Fatal(err)
		}
		if err := onboarding.SetStatus(ctx, env.DB, tn.ID, tenants.StatusActive); err != nil {
			t.Fatal(err)
		}
		tn.Status = tenants.StatusActive
		if err := w.enforcer.LinkDomain(ctx, policy.TenantDomain(tn.ID), policy.RegionDomain(r.ID)); err != nil {
			t.Fatal(err)
		}
		return tn
	}
	r1, r2 := region(), region()
	w.R1, w.R2 = r1, r2
	p1 := tenant(tenants.KindPHO, r1, uuid.Nil, "PHO-one")
	w.A = tenant(tenants.KindPractice, r1, p1.ID, "Practice-A")
	w.B = tenant(tenants.KindPractice, r1, p1.ID, "Practice-B")
	p2 := tenant(tenants.KindPHO, r1, uuid.Nil, "PHO-two")
	w.C = tenant(tenants.KindPractice, r1, p2.ID, "Practice-C")
	p3 := tenant(tenants.KindPHO, r2, uuid.Nil, "PHO-three")
	w.D = tenant(tenants.KindPractice, r2, p3.ID, "Practice-D")
	for _, f := range []*contract.Funder{&w.F1, &w.F2} {
		if *f, err = contract.CreateFunder(ctx, env.DB, uuid.Nil, dbtest.Slug("funder"), "Funder "+uuid.NewString()[:6]); err != nil {
			t.Fatal(err)
		}
	}
	funder := w.F1.Domain()
	if err := w.enforcer.LinkDomain(ctx, policy.TenantDomain(w.A.ID), funder); err != nil {
		t.Fatal(err)
	}

	ctxA := tenants.WithTenant(ctx, w.A)
	for _, role := range account.TenantRoles {
		u, err := w.accounts.CreateUser(ctx, role+"-"+uuid.NewString()[:6]+"@matrix.example", "Person "+role, matrixPW, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.accounts.AddMember(ctxA, u.ID, u.ID, []string{role}); err != nil {
			t.Fatal(err)
		}
		w.people[role] = u
		if slices.Contains(account.ClinicalRoles, role) {
			// Clinical people have MFA on, as the tenant requires.
			_, sess, err := w.accounts.SignIn(ctx, u.Email, matrixPW, account.Client{IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			enr, err := w.accounts.BeginMFA(ctx, sess, matrixPW)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := totp.GenerateCode(enr.Secret, time.Now())
			if w.codes[role], err = w.accounts.ConfirmMFA(ctx, sess, code); err != nil {
				t.Fatal(err)
			}
		}
		tok, _, err := w.accounts.CreateToken(ctxA, u.ID, "matrix", []string{role}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[role] = tok
	}
	tu, err := w.accounts.CreateUser(ctx, "target-"+uuid.NewString()[:6]+"@matrix.example", "Target Person", matrixPW, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.accounts.AddMember(ctxA, tu.ID, tu.ID, []string{"support_worker"}); err != nil {
		t.Fatal(err)
	}
	w.target = tu
	for role, dom := range map[string]string{"regional_admin": policy.RegionDomain(r1.ID), "funder": funder, "platform_operator": "platform"} {
		u, err := w.accounts.CreateUser(ctx, role+"-"+uuid.NewString()[:6]+"@matrix.example", "Person "+role, matrixPW, role == "platform_operator")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.accounts.GrantOrg(ctx, u.ID, u.ID, role, dom); err != nil {
			t.Fatal(err)
		}
		w.people[role] = u
	}

	app := newApp(t, handlers.Options{Accounts: w.accounts, Policy: w.enforcer, Roles: w.enforcer.RolesIn, Allowed: w.enforcer.Allowed,
		TenantByID: func(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
			return onboarding.ByID(ctx, env.DB, id)
		},
		BaseURL: "http://matrix.test"})
	w.base = listen(t, app)
	return w
}

// session signs role's person in and returns their cookie.
func (w *world) session(t *testing.T, role string) string {
	t.Helper()
	tok, sess, err := w.accounts.SignIn(context.Background(), w.people[role].Email, matrixPW, account.Client{IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if codes := w.codes[role]; len(codes) > 0 {
		// Pass the MFA challenge with a recovery code (each works once).
		w.codes[role] = codes[1:]
		if tok, err = w.accounts.VerifyMFA(context.Background(), sess, codes[0], account.Client{IP: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	return tok
}

func csrfPair() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestHTTPMatrix drives every tenant page and API route as every role, at
// its own tenant, a sibling practice, another PHO's practice and another
// region's, and checks each answer against the policy: a tenant the person
// cannot reach is a 404 with none of its data; a reachable one answers as
// the role's permission says (403 when denied), never a 5xx.
// anyParam is a route parameter left after the named ones are filled.
var anyParam = regexp.MustCompile(`:[a-zA-Z_]+`)

func TestHTTPMatrix(t *testing.T) {
	w := buildWorld(t)
	var routes []web.Route
	for _, r := range web.Routes() {
		if r.Tenant {
			routes = append(routes, r)
		}
	}
	if len(routes) < 5 {
		t.Fatalf("only %d tenant page routes registered: the matrix would prove little", len(routes))
	}
	targets := map[string]tenants.Tenant{"own": w.A, "sibling": w.B, "other PHO": w.C, "other region": w.D}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ctx := context.Background()
	checked := 0
	for role, person := range w.people {
		cookie := w.session(t, role)
		csrf := csrfPair()
		for where, tn := range targets {
			dom := policy.TenantDomain(tn.ID)
			_, memberErr := w.accounts.Member(tenants.WithTenant(ctx, tn), person.ID)
			reach := memberErr == nil
			for _, held := range w.enforcer.RolesIn(person.ID, dom) {
				if slices.Contains([]string{"regional_admin", "funder", "platform_operator"}, held) {
					reach = true
				}
			}
			for _, r := range routes {
				path := strings.ReplaceAll(r.Path, ":tenant", tn.Slug)
				path = strings.ReplaceAll(path, ":user", w.target.ID.String())
				// A record parameter gets a fresh id nobody has: allowed
				// through the guards, the handler answers 404 for it.
				record := strings.Contains(path, ":id") || anyParam.MatchString(strings.ReplaceAll(path, ":user", ""))
				path = strings.ReplaceAll(path, ":id", uuid.NewString())
				path = anyParam.ReplaceAllStringFunc(path, func(string) string { return uuid.NewString() })
				var body io.Reader
				if r.Method != http.MethodGet {
					body = strings.NewReader(url.Values{httpx.CSRFField: {csrf}}.Encode())
				}
				req, _ := http.NewRequest(r.Method, w.base+path, body)
				req.Header.Set("Cookie", httpx.SessionCookie+"="+cookie+"; "+httpx.CSRFCookie+"="+csrf)
				if body != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Origin", "http://matrix.test")
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(res.Body)
				res.Body.Close()
				allowed := w.enforcer.Allowed(person.ID, dom, r.Perm.Object, r.Perm.Action)
				name := fmt.Sprintf("%s at %s: %s %s", role, where, r.Method, r.Path)
				switch {
				case res.StatusCode >= 500:
					t.Errorf("%s: %d", name, res.StatusCode)
				case !reach && res.StatusCode != 404:
					t.Errorf("%s: %d, want 404 (no way in)", name, res.StatusCode)
				case reach && !allowed && res.StatusCode != 403:
					t.Errorf("%s: %d, want 403 (policy denies)", name, res.StatusCode)
				case reach && allowed && (res.StatusCode == 403 || (res.StatusCode == 404 && !record)):
					t.Errorf("%s: %d, want it allowed", name, res.StatusCode)
				}
				if res.StatusCode == 404 || res.StatusCode == 403 {
					if strings.Contains(string(got), tn.Name) || strings.Contains(string(got), "@matrix.example") {
						t.Errorf("%s: a refusal carried data", name)
					}
				}
				checked++
			}
			// The API, with the role's token from A (tenant roles only).
			tok, ok := w.tokens[role]
			if !ok {
				continue
			}
			req, _ := http.NewRequest("GET", w.base+"/api/v1/t/"+tn.Slug, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			want := 404
			if tn.ID == w.A.ID {
				want = 403
				if w.enforcer.Allowed(person.ID, dom, "tenant", "read") {
					want = 200
				}
			}
			if res.StatusCode != want {
				t.Errorf("API %s token at %s: %d, want %d", role, where, res.StatusCode, want)
			}
			if want != 200 && strings.Contains(string(got), tn.Name) {
				t.Errorf("API %s at %s: refusal carried data", role, where)
			}
			checked++
		}
	}
	// Without credentials the API says 401 for any slug, so it reveals no tenant.
	for _, slug := range []string{w.A.Slug, "no-such-tenant"} {
		res, err := http.Get(w.base + "/api/v1/t/" + slug)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Errorf("API without a token for %s: %d, want 401", slug, res.StatusCode)
		}
	}
	t.Logf("%d role × tenant × route checks", checked)
}

// TestHTTPMatrixRegionAndPlatform drives every region and platform page as
// every role, in the person's region and in another: a page the policy does
// not allow in that region (or on the platform) is a 404 carrying nothing of
// the region; an allowed one never answers 403, 404 or 5xx.
func TestHTTPMatrixRegionAndPlatform(t *testing.T) {
	w := buildWorld(t)
	var routes []web.Route
	for _, r := range web.Routes() {
		if r.Region || r.Platform {
			routes = append(routes, r)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	checked := 0
	for role, person := range w.people {
		cookie := w.session(t, role)
		csrf := csrfPair()
		for where, region := range map[string]tenants.Region{"own region": w.R1, "other region": w.R2} {
			for _, r := range routes {
				// A record parameter (a contract, a run, a funder) gets one
				// nobody has: allowed through the guard, the handler answers
				// 404 for it.
				record := strings.Contains(r.Path, ":id") || strings.Contains(r.Path, ":run") || strings.Contains(r.Path, ":funder")
				path := strings.NewReplacer(":region", region.Slug, ":slug", w.A.Slug, ":practice", w.A.Slug, ":kind", "staff", ":user", w.target.ID.String(),
					":id", uuid.NewString(), ":run", uuid.NewString(), ":funder", dbtest.Slug("nobody"), ":format", "csv").Replace(r.Path)
				if strings.Contains(path, ":") {
					t.Logf("skipped %s %s: a parameter the matrix does not fill", r.Method, r.Path)
					continue
				}
				var body io.Reader
				if r.Method != http.MethodGet {
					body = strings.NewReader(url.Values{httpx.CSRFField: {csrf}}.Encode())
				}
				req, _ := http.NewRequest(r.Method, w.base+path, body)
				req.Header.Set("Cookie", httpx.SessionCookie+"="+cookie+"; "+httpx.CSRFCookie+"="+csrf)
				if body != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Origin", "http://matrix.test")
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(res.Body)
				res.Body.Close()
				allowed := w.enforcer.Allowed(person.ID, policy.PlatformDomain, r.Perm.Object, r.Perm.Action)
				if r.Region {
					allowed = allowed || w.enforcer.Allowed(person.ID, policy.RegionDomain(region.ID), r.Perm.Object, r.Perm.Action)
				}
				name := fmt.Sprintf("%s in %s: %s %s", role, where, r.Method, r.Path)
				switch {
				case res.StatusCode >= 500:
					t.Errorf("%s: %d", name, res.StatusCode)
				case !allowed && res.StatusCode != 404:
					t.Errorf("%s: %d, want 404", name, res.StatusCode)
				case allowed && (res.StatusCode == 403 || (res.StatusCode == 404 && !record)):
					t.Errorf("%s: %d, want it allowed", name, res.StatusCode)
				}
				if !allowed && strings.Contains(string(got), region.Name) {
					t.Errorf("%s: a refusal carried the region", name)
				}
				checked++
			}
		}
	}
	t.Logf("%d role × region × route checks over %d routes", checked, len(routes))
}

// TestHTTPMatrixFunder drives every funder portal page as every role, at the
// funder whose person holds the role and at another: a page the policy does
// not allow in that funder's domain (or on the platform) is a 404 carrying
// nothing of the funder; an allowed one never answers 403 or 5xx, and 404
// only for a run nobody has.
func TestHTTPMatrixFunder(t *testing.T) {
	w := buildWorld(t)
	var routes []web.Route
	for _, r := range web.Routes() {
		if r.Funder {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		t.Fatal("no funder route registered: the matrix would prove nothing")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	checked := 0
	for role, person := range w.people {
		cookie := w.session(t, role)
		csrf := csrfPair()
		for where, f := range map[string]contract.Funder{"own funder": w.F1, "other funder": w.F2} {
			for _, r := range routes {
				record := strings.Contains(r.Path, ":run")
				path := strings.NewReplacer(":funder", f.Slug, ":run", uuid.NewString(), ":format", "csv").Replace(r.Path)
				if strings.Contains(path, ":") {
					t.Errorf("%s %s: a parameter the matrix does not fill", r.Method, r.Path)
					continue
				}
				var body io.Reader
				if r.Method != http.MethodGet {
					body = strings.NewReader(url.Values{httpx.CSRFField: {csrf}}.Encode())
				}
				req, _ := http.NewRequest(r.Method, w.base+path, body)
				req.Header.Set("Cookie", httpx.SessionCookie+"="+cookie+"; "+httpx.CSRFCookie+"="+csrf)
				if body != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Origin", "http://matrix.test")
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(res.Body)
				res.Body.Close()
				allowed := w.enforcer.Allowed(person.ID, policy.PlatformDomain, r.Perm.Object, r.Perm.Action) ||
					w.enforcer.Allowed(person.ID, f.Domain(), r.Perm.Object, r.Perm.Action)
				name := fmt.Sprintf("%s at %s: %s %s", role, where, r.Method, r.Path)
				switch {
				case res.StatusCode >= 500:
					t.Errorf("%s: %d", name, res.StatusCode)
				case !allowed && res.StatusCode != 404:
					t.Errorf("%s: %d, want 404", name, res.StatusCode)
				case allowed && (res.StatusCode == 403 || (res.StatusCode == 404 && !record)):
					t.Errorf("%s: %d, want it allowed", name, res.StatusCode)
				}
				if !allowed && strings.Contains(string(got), f.Name) {
					t.Errorf("%s: a refusal carried the funder", name)
				}
				checked++
			}
		}
	}
	if !w.enforcer.Allowed(w.people["funder"].ID, w.F1.Domain(), "report", "read") {
		t.Fatal("the funder's person cannot read reports at their funder: the matrix proved nothing allowed")
	}
	t.Logf("%d role × funder × route checks over %d routes", checked, len(routes))
}
