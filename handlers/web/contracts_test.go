package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/tenants"
)

func (s *stack) funder(t *testing.T, name string) contract.Funder {
	t.Helper()
	f, err := contract.CreateFunder(context.Background(), s.env.DB, uuid.Nil, dbtest.Slug("funder"), name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func contractTerms(f contract.Funder, number string) url.Values {
	return url.Values{"funder": {f.ID.String()}, "number": {number}, "name": {"Access and Choice — Waitaha"},
		"lines": {"hip", "health_coach"}, "starts_on": {"2026-07-01"}, "ends_on": {"2027-06-30"},
		"frequency": {"quarterly"}, "threshold": {"6"}, "rounding": {"on"}, "target_seen_7_days": {"80"},
		"target_maori_share": {"27.5"}, "target_new_per_fte": {"550"}}
}

func TestContractPages(t *testing.T) {
	s := orgStack(t)
	ctx := context.Background()
	r := s.region(t, "Waitaha")
	a := s.regionalAdmin(t, r)
	base := "/regions/" + r.Slug
	f := s.funder(t, "Health New Zealand")
	pho := s.org(t, r, tenants.KindPHO, uuid.Nil, "Waitaha PHO")
	riccarton := s.org(t, r, tenants.KindPractice, pho.ID, "Riccarton Medical")
	ora := s.org(t, r, tenants.KindPractice, uuid.Nil, "Ōra Family Health")

	want(t, a.get(base+"/contracts"), 200, "No contract yet", "New contract", "Health New Zealand")

	// Bad input re-renders with every message and stores nothing.
	bad := contractTerms(f, "HNZ 2026")
	bad.Set("ends_on", "2026-06-30")
	bad.Set("threshold", "2")
	bad.Set("target_seen_7_days", "180")
	bad.Del("lines")
	want(t, a.post(base+"/contracts", bad), 422, "Use 1–40 letters", "Must be on or after the first day",
		"Must be a whole number from 3 to 20", "Must be a share from 0 to 100%", "Choose at least one service line",
		`value="Access and Choice — Waitaha"`)
	want(t, a.post(base+"/contracts", url.Values{"funder": {"nobody"}, "threshold": {"six"}, "starts_on": {"1 July"}}), 422,
		"Enter a whole number from 3 to 20", "Enter a date like 2026-07-01", "Choose a funder")
	if list, _ := contract.ForRegion(ctx, s.env.DB, r.ID); len(list) != 0 {
		t.Fatalf("refused forms stored %d contracts", len(list))
	}

	res := a.post(base+"/contracts", contractTerms(f, "HNZ-2026/07"))
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, base+"/contracts/") {
		t.Fatalf("create: %d %q\n%s", res.status, res.location, res.body)
	}
	list, err := contract.ForRegion(ctx, s.env.DB, r.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("created: %+v %v", list, err)
	}
	ct := list[0]
	if ct.Number != "HNZ-2026/07" || ct.Targets != (report.Targets{SeenWithin7Days: 0.8, MaoriShare: 0.275, NewPerFTE: 550}) ||
		!ct.Rounding || ct.TotalResponse || ct.Threshold != 6 || len(ct.Lines) != 2 {
		t.Fatalf("stored %+v", ct)
	}
	page := base + "/contracts/" + ct.ID.String()
	wantRedirect(t, res, page+"?done=saved")
	want(t, a.get(page), 200, "HNZ-2026/07", "Riccarton Medical", "Ōra Family Health", `id="runs"`, "FY2027 Q1",
		"80% seen within 7 days; 27.5% Māori; 550 new people per FTE per year")
	if strings.Contains(a.get(page).body, "Waitaha PHO (") {
		t.Fatal("a PHO is offered coverage")
	}
	want(t, a.post(base+"/contracts", contractTerms(f, "HNZ-2026/07")), 409, "A contract with this number already exists for this funder")
	want(t, a.get(base+"/contracts"), 200, "HNZ-2026/07", "1 Jul 2026 – 30 Jun 2027")

	// Coverage: blank is not covered; bad FTE changes nothing.
	hip := func(p tenants.Tenant) string { return contract.CoverageField(p.ID, "hip") }
	coach := func(p tenants.Tenant) string { return contract.CoverageField(p.ID, "health_coach") }
	want(t, a.post(page+"/coverage", url.Values{hip(riccarton): {"1.5"}, coach(ora): {"lots"}}), 422, "Enter FTE as a number")
	want(t, a.post(page+"/coverage", url.Values{hip(riccarton): {"1.5"}, coach(ora): {"101"}}), 422, "FTE must be from 0 to 100")
	if got, _ := contract.ByID(ctx, s.env.DB, ct.ID); len(got.Coverage) != 0 {
		t.Fatalf("refused coverage stored: %+v", got.Coverage)
	}
	wantRedirect(t, a.post(page+"/coverage", url.Values{hip(riccarton): {"1.5"}, coach(ora): {"0.5"}, hip(ora): {""}}),
		page+"?done=coverage")
	got, _ := contract.ByID(ctx, s.env.DB, ct.ID)
	if len(got.Coverage) != 2 || got.Coverage[0].PracticeID != ora.ID || got.Coverage[0].FTE != 0.5 ||
		got.Coverage[1].PracticeID != riccarton.ID || got.Coverage[1].FTE != 1.5 {
		t.Fatalf("coverage %+v", got.Coverage)
	}
	want(t, a.get(page), 200, `value="1.5"`, `value="0.5"`)

	// Details: a change is saved; a bad one re-renders.
	change := contractTerms(f, "HNZ-2026/07")
	change.Set("frequency", "monthly")
	change.Set("total_response", "on")
	wantRedirect(t, a.post(page, change), page+"?done=saved")
	if got, _ := contract.ByID(ctx, s.env.DB, ct.ID); got.Frequency != report.Monthly || !got.TotalResponse {
		t.Fatalf("update: %+v", got)
	}
	change.Set("lines", "support_worker")
	want(t, a.post(page, change), 422, "still has funded practices")
	want(t, a.get(base+"/contracts/not-a-uuid"), 404)
	want(t, a.get(base+"/contracts/"+uuid.NewString()), 404)
	want(t, a.post(base+"/contracts/"+uuid.NewString()+"/coverage", nil), 404)

	// A regional admin of another region gets 404 for everything here,
	// including this contract reached through their own region's address.
	other := s.region(t, "Te Tai Tokerau")
	b := s.regionalAdmin(t, other)
	change.Del(httpx.CSRFField) // a.post put a's token in the form; b sends its own
	for _, p := range []string{page, "/regions/" + other.Slug + "/contracts/" + ct.ID.String()} {
		want(t, b.get(p), 404)
		want(t, b.post(p, change), 404)
		want(t, b.post(p+"/coverage", url.Values{hip(riccarton): {"9"}}), 404)
	}
	want(t, b.get(base+"/contracts"), 404)
	want(t, b.post(base+"/contracts", contractTerms(f, "EVIL-1")), 404)
	if strings.Contains(b.get("/regions/"+other.Slug+"/contracts").body, "HNZ-2026/07") {
		t.Fatal("another region lists this contract")
	}
	if got, _ := contract.ByID(ctx, s.env.DB, ct.ID); got.Frequency != report.Monthly || len(got.Coverage) != 2 || got.Coverage[1].FTE != 1.5 {
		t.Fatalf("another region changed the contract: %+v", got)
	}
}

func TestFunderPages(t *testing.T) {
	s := orgStack(t)
	r := s.region(t, "Waitaha")
	a := s.regionalAdmin(t, r)
	base := "/regions/" + r.Slug

	slug := dbtest.Slug("hnz")
	wantRedirect(t, a.post(base+"/funders", url.Values{"name": {"Health New Zealand"}, "slug": {slug}}), base+"/funders?done=funder")
	want(t, a.get(base+"/funders"), 200, "Health New Zealand", "/funders/"+slug, "Give this person access")
	want(t, a.post(base+"/funders", url.Values{"name": {""}, "slug": {"Not A Slug"}}), 422, "Must be 1–200 characters",
		"Use 1–63 lower-case letters")
	want(t, a.post(base+"/funders", url.Values{"name": {"Again"}, "slug": {slug}}), 409, "Another funder has this address name")

	// Access for someone without an account: the message says how to get one.
	want(t, a.post(base+"/funders/"+slug+"/people", url.Values{"email": {"nobody@example.co.nz"}}), 422,
		"No one has a Tūhono account with this e-mail", "invitation from a practice or PHO")
	u := s.person(t, "Funder Person", nil)
	wantRedirect(t, a.post(base+"/funders/"+slug+"/people", url.Values{"email": {u.Email}}), base+"/funders?done=granted")
	f, err := contract.FunderBySlug(context.Background(), s.env.DB, slug)
	if err != nil {
		t.Fatal(err)
	}
	if !s.enforcer.Allowed(u.ID, f.Domain(), "report", "read") {
		t.Fatal("the person did not get the funder role")
	}
	want(t, a.post(base+"/funders/no-such-funder/people", url.Values{"email": {u.Email}}), 404)

	// Another region's admin cannot use this region's funder pages.
	b := s.regionalAdmin(t, s.region(t, "Other"))
	want(t, b.get(base+"/funders"), 404)
	want(t, b.post(base+"/funders/"+slug+"/people", url.Values{"email": {u.Email}}), 404)
}
