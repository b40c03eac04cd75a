package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/policy"
)

// call sends one API request with an optional bearer token.
func (w *world) call(t *testing.T, method, path, token, ctype, body string) (int, string, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Content-Type")
}

func (w *world) orgToken(t *testing.T, role, domain string) (string, uuid.UUID) {
	t.Helper()
	tok, v, err := w.accounts.CreateOrgToken(context.Background(), w.people[role].ID, domain, "api "+role, []string{role}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok, v.ID
}

func wantStatus(t *testing.T, what string, got, want int, body, ctype string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
	}
	if want >= 400 && !strings.HasPrefix(ctype, httpx.ProblemType) {
		t.Fatalf("%s: content type %q, want problem+json", what, ctype)
	}
}

func TestRegionAPIWithOrgTokens(t *testing.T) {
	w := buildWorld(t)
	ctx := context.Background()
	const js = "application/json"
	tok, tokID := w.orgToken(t, "regional_admin", policy.RegionDomain(w.R1.ID))
	r1, r2 := "/api/v1/regions/"+w.R1.Slug, "/api/v1/regions/"+w.R2.Slug

	// Reading its own region: the region and its organisations.
	st, body, ct := w.call(t, "GET", r1, tok, "", "")
	wantStatus(t, "get region", st, 200, body, ct)
	var reg struct {
		Slug    string
		Tenants []struct{ Slug, Status string }
	}
	if err := json.Unmarshal([]byte(body), &reg); err != nil || reg.Slug != w.R1.Slug || len(reg.Tenants) != 5 {
		t.Fatalf("region: %v %s", err, body)
	}
	if strings.Contains(body, w.D.Slug) {
		t.Fatal("region A lists a practice of region B")
	}

	// Region B does not exist for this token, on every route.
	for _, c := range []struct{ method, path, ctype, body string }{
		{"GET", r2, "", ""},
		{"GET", r2 + "/overview", "", ""},
		{"POST", r2 + "/tenants", js, `{"kind":"pho","slug":"` + dbtest.Slug("x") + `","name":"X"}`},
		{"PATCH", r2 + "/tenants/" + w.D.Slug, js, `{"name":"Taken"}`},
		{"POST", r2 + "/tenants/" + w.D.Slug + "/suspend", "", ""},
		{"POST", r2 + "/imports/practices", "text/csv", "pho_slug,slug,name,hpi_facility_id,hpi_organisation_id,time_zone,address,contact_email\n"},
		{"GET", "/api/v1/regions/no-such-region", "", ""},
		// A practice of region B named under region A is not found either.
		{"PATCH", r1 + "/tenants/" + w.D.Slug, js, `{"name":"Taken"}`},
	} {
		st, body, ct := w.call(t, c.method, c.path, tok, c.ctype, c.body)
		wantStatus(t, c.method+" "+c.path, st, 404, body, ct)
	}

	// Create a PHO and a practice under it, with macrons.
	pho, practice := dbtest.Slug("pho"), dbtest.Slug("practice")
	st, body, ct = w.call(t, "POST", r1+"/tenants", tok, js, `{"kind":"pho","slug":"`+pho+`","name":"Te Tai Tokerau PHO"}`)
	wantStatus(t, "create pho", st, 201, body, ct)
	st, body, ct = w.call(t, "POST", r1+"/tenants", tok, js, `{"kind":"practice","parent":"`+pho+`","slug":"`+practice+
		`","name":"Whānau Ora Practice","hpi_facility_id":"F12345-A","time_zone":"Pacific/Chatham"}`)
	wantStatus(t, "create practice", st, 201, body, ct)
	if !strings.Contains(body, `"status":"onboarding"`) || !strings.Contains(body, "Whānau") {
		t.Fatalf("created: %s", body)
	}
	st, body, ct = w.call(t, "POST", r1+"/tenants", tok, js, `{"kind":"practice","slug":"`+practice+`","name":"Again"}`)
	wantStatus(t, "duplicate slug", st, 409, body, ct)
	st, body, ct = w.call(t, "POST", r1+"/tenants", tok, js, `{"kind":"practice","slug":"`+dbtest.Slug("p")+`","name":"Bad","hpi_facility_id":"nope"}`)
	wantStatus(t, "bad facility id", st, 422, body, ct)
	if !strings.Contains(body, "body.hpi_facility_id") {
		t.Fatalf("bad facility id: %s", body)
	}
	st, body, ct = w.call(t, "POST", r1+"/tenants", tok, js, `{"kind":"practice","parent":"`+w.D.Slug+`","slug":"`+dbtest.Slug("p")+`","name":"Elsewhere"}`)
	wantStatus(t, "parent in another region", st, 422, body, ct)

	// Update: named fields change, the rest stay.
	st, body, ct = w.call(t, "PATCH", r1+"/tenants/"+practice, tok, js, `{"name":"Kāinga Practice","contact_phone":"09 123 4567"}`)
	wantStatus(t, "update", st, 200, body, ct)
	if !strings.Contains(body, "Kāinga Practice") || !strings.Contains(body, "Pacific/Chatham") || !strings.Contains(body, "F12345-A") {
		t.Fatalf("update: %s", body)
	}

	// Lifecycle.
	for _, c := range []struct{ verb, status string }{{"suspend", "suspended"}, {"restore", "onboarding"}, {"archive", "archived"}} {
		st, body, ct = w.call(t, "POST", r1+"/tenants/"+practice+"/"+c.verb, tok, "", "")
		wantStatus(t, c.verb, st, 200, body, ct)
		if !strings.Contains(body, `"status":"`+c.status+`"`) {
			t.Fatalf("%s: %s", c.verb, body)
		}
	}
	st, body, ct = w.call(t, "PATCH", r1+"/tenants/"+practice, tok, js, `{"name":"Changed"}`)
	wantStatus(t, "update archived", st, 409, body, ct)

	// The overview lists the region's live and onboarding practices.
	st, body, ct = w.call(t, "GET", r1+"/overview", tok, "", "")
	wantStatus(t, "overview", st, 200, body, ct)
	if !strings.Contains(body, w.A.Slug) || !strings.Contains(body, `"items":[{`) {
		t.Fatalf("overview: %s", body)
	}

	// Import: one bad row and nothing is written; every bad row is listed.
	header := "pho_slug,slug,name,hpi_facility_id,hpi_organisation_id,time_zone,address,contact_email\n"
	good1, good2 := dbtest.Slug("imp"), dbtest.Slug("imp")
	bad := header + fmt.Sprintf("%s,%s,Good One,,,Pacific/Auckland,,\n%s,Not A Slug!,Bad,,,Pacific/Auckland,,\n%s,%s,Good Two,,,Pacific/Auckland,,\n",
		pho, good1, pho, pho, good2)
	st, body, ct = w.call(t, "POST", r1+"/imports/practices", tok, "text/csv; charset=utf-8", bad)
	wantStatus(t, "bad import", st, 422, body, ct)
	if !strings.Contains(body, "body.line[3]") || strings.Contains(body, "body.line[2]") {
		t.Fatalf("bad import: %s", body)
	}
	if _, body, _ = w.call(t, "GET", r1, tok, "", ""); strings.Contains(body, good1) {
		t.Fatal("a file with a bad row imported its good rows")
	}
	good := header + fmt.Sprintf("%s,%s,Good One,,,Pacific/Auckland,,\n%s,%s,Ngā Good Two,,,Pacific/Auckland,,\n", pho, good1, pho, good2)
	st, body, ct = w.call(t, "POST", r1+"/imports/practices", tok, "text/csv", good)
	wantStatus(t, "good import", st, 200, body, ct)
	if !strings.Contains(body, `"changed":2`) {
		t.Fatalf("good import: %s", body)
	}
	st, body, ct = w.call(t, "POST", r1+"/imports/practices", tok, "text/csv", good)
	wantStatus(t, "import again", st, 200, body, ct)
	if !strings.Contains(body, `"changed":0`) || !strings.Contains(body, `"unchanged":2`) {
		t.Fatalf("import again: %s", body)
	}
	if _, body, _ = w.call(t, "GET", r1, tok, "", ""); !strings.Contains(body, good2) {
		t.Fatal("the imported practices are not in the region")
	}
	st, body, ct = w.call(t, "POST", r1+"/imports/practices", tok, js, `{}`)
	wantStatus(t, "import as JSON", st, 415, body, ct)

	// Without an organisation token: 401 before anything is looked up.
	for _, bearer := range []string{"", w.tokens["practice_admin"], "tuo_junk"} {
		st, body, ct = w.call(t, "GET", r1, bearer, "", "")
		wantStatus(t, "token "+bearer, st, 401, body, ct)
		st, body, ct = w.call(t, "GET", r2, bearer, "", "")
		wantStatus(t, "token "+bearer+" in B", st, 401, body, ct)
	}

	// Regions are created with a platform token only.
	newRegion := `{"slug":"` + dbtest.Slug("reg") + `","name":"Te Tumu Waiora","programme":"Te Tumu Waiora"}`
	st, body, ct = w.call(t, "POST", "/api/v1/regions", tok, js, newRegion)
	wantStatus(t, "region by a regional token", st, 403, body, ct)
	st, body, ct = w.call(t, "POST", "/api/v1/regions", w.tokens["practice_admin"], js, newRegion)
	wantStatus(t, "region by a tenant token", st, 401, body, ct)
	ptok, _ := w.orgToken(t, "platform_operator", "platform")
	st, body, ct = w.call(t, "POST", "/api/v1/regions", ptok, js, newRegion)
	wantStatus(t, "region by a platform token", st, 201, body, ct)
	st, body, ct = w.call(t, "POST", "/api/v1/regions", ptok, js, newRegion)
	wantStatus(t, "region again", st, 409, body, ct)
	// The platform token reads any region; it may not change a tenant (policy).
	st, body, ct = w.call(t, "GET", r2, ptok, "", "")
	wantStatus(t, "platform reads B", st, 200, body, ct)
	st, body, ct = w.call(t, "PATCH", r2+"/tenants/"+w.D.Slug, ptok, js, `{"name":"Changed"}`)
	wantStatus(t, "platform updates a tenant", st, 403, body, ct)

	// Revoked, expired, and grant removed: 401.
	if err := w.accounts.RevokeOrgToken(ctx, w.people["regional_admin"].ID, tokID); err != nil {
		t.Fatal(err)
	}
	st, body, ct = w.call(t, "GET", r1, tok, "", "")
	wantStatus(t, "revoked", st, 401, body, ct)

	tok2, id2 := w.orgToken(t, "regional_admin", policy.RegionDomain(w.R1.ID))
	st, body, ct = w.call(t, "GET", r1, tok2, "", "")
	wantStatus(t, "second token", st, 200, body, ct)
	platform(t, w, `UPDATE org_tokens SET expires_at = now() - interval '1 second' WHERE id = ?`, id2)
	st, body, ct = w.call(t, "GET", r1, tok2, "", "")
	wantStatus(t, "expired", st, 401, body, ct)

	tok3, _ := w.orgToken(t, "regional_admin", policy.RegionDomain(w.R1.ID))
	st, body, ct = w.call(t, "GET", r1, tok3, "", "")
	wantStatus(t, "third token", st, 200, body, ct)
	// The grant goes from org_grants; the policy's copy is left as it was, so
	// the token stops because of the grant check itself.
	platform(t, w, `DELETE FROM org_grants WHERE user_id = ?`, w.people["regional_admin"].ID)
	st, body, ct = w.call(t, "GET", r1, tok3, "", "")
	wantStatus(t, "grant removed", st, 401, body, ct)
}

func platform(t *testing.T, w *world, q string, args ...any) {
	t.Helper()
	err := dbtest.New(t).DB.Platform(context.Background(), "test: change org tokens", func(tx *db.Tx) error {
		return tx.Exec(q, args...).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}
