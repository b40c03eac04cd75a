package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/reportrun"
	"github.com/tuhono/tuhono/tenants"
)

// rnPatient is someone seen at a practice, with the details a funder must
// never get back.
type rnPatient struct {
	Given, Family, NHI string
	Born               time.Time
}

// rnClinic is a practice under a contract, for filling with sessions.
type rnClinic struct {
	s      *stack
	tenant tenants.Tenant
	hip    uuid.UUID
	seen   int
}

// rnContract makes a quarterly HIP contract of funder f in region r covering
// a new practice, without rounding so that every change of data shows.
func (s *stack) rnContract(t *testing.T, r onboarding.RegionDetails, f contract.Funder, number, practice string) (contract.Contract, *rnClinic) {
	t.Helper()
	ctx := context.Background()
	tn := s.org(t, r, tenants.KindPractice, uuid.Nil, practice)
	hip := s.person(t, "Practice HIP", &tn, "hip")
	ct, err := contract.Create(ctx, s.env.DB, uuid.Nil, contract.New{RegionID: r.ID, FunderID: f.ID, Number: number,
		Name: "Access and Choice", Lines: []string{report.LineHIP}, StartsOn: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		EndsOn: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), Frequency: report.Quarterly, Threshold: 6,
		Targets: report.Targets{SeenWithin7Days: 0.8}})
	if err != nil {
		t.Fatal(err)
	}
	if err := contract.SetCoverage(ctx, s.env.DB, uuid.Nil, ct.ID,
		[]contract.Coverage{{PracticeID: tn.ID, Line: report.LineHIP, FTE: 1}}); err != nil {
		t.Fatal(err)
	}
	return ct, &rnClinic{s: s, tenant: tn, hip: hip.ID}
}

func (cl *rnClinic) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	ctx := tenants.WithTenant(context.Background(), cl.tenant)
	if err := cl.s.env.DB.InTenant(ctx, func(tx *db.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// see registers p and completes a HIP session with them in July 2026
// (FY2027-Q1).
func (cl *rnClinic) see(t *testing.T, p rnPatient) {
	t.Helper()
	cl.seen++
	who := uuid.Must(uuid.NewV7())
	var nhi any
	if p.NHI != "" {
		nhi = p.NHI
	}
	cl.exec(t, `INSERT INTO patients (tenant_id, id, nhi, family_name, given_names, name_search, date_of_birth, gender,
		ethnicity, ethnic_group) VALUES (?, ?, ?, ?, ?, ?, ?, 'female', '{21}'::text[], 'maori')`,
		cl.tenant.ID, who, nhi, p.Family, p.Given, strings.ToLower(p.Family+" "+p.Given), p.Born.Format(time.DateOnly))
	start := time.Date(2026, 7, 1+cl.seen%28, 10, 0, 0, 0, nzZone)
	cl.exec(t, `INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
		starts_at, ends_at, status, created_by) VALUES (?, ?, ?, ?, 'booked', 'in_person', 'hip', ?, ?, 'completed', ?)`,
		cl.tenant.ID, uuid.Must(uuid.NewV7()), cl.hip, who, start, start.Add(30*time.Minute), cl.hip)
}

// seeAnyone completes sessions with n people of no particular details.
func (cl *rnClinic) seeAnyone(t *testing.T, n int) {
	t.Helper()
	for range n {
		cl.see(t, rnPatient{Given: "Test", Family: "Person", Born: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
}

var runLocation = regexp.MustCompile(`^/regions/[a-z0-9-]+/runs/([0-9a-f-]{36})\?done=generated$`)

// generate posts the generate form and returns the new run's id.
func (a *agent) generate(t *testing.T, regionSlug string, ct contract.Contract, period string) uuid.UUID {
	t.Helper()
	res := a.post("/regions/"+regionSlug+"/contracts/"+ct.ID.String()+"/runs", url.Values{"period": {period}})
	m := runLocation.FindStringSubmatch(res.location)
	if res.status != 303 || m == nil {
		t.Fatalf("generate: %d to %q\n%s", res.status, res.location, res.body)
	}
	return uuid.MustParse(m[1])
}

func TestReportRunPages(t *testing.T) {
	s := orgStack(t)
	ctx := context.Background()
	r := s.region(t, "Waitaha")
	a := s.regionalAdmin(t, r)
	f := s.funder(t, "Health New Zealand")
	ct, clinic := s.rnContract(t, r, f, "HNZ/2026-01", "Riccarton Medical")
	clinic.seeAnyone(t, 7)
	base := "/regions/" + r.Slug
	runsURL := base + "/contracts/" + ct.ID.String() + "/runs"

	want(t, a.get(runsURL), 200, "No report generated yet", "Generate for review", "FY2027 Q1 (Jul–Sep 2026)")

	// A period the contract does not report on, or none, changes nothing.
	want(t, a.post(runsURL, url.Values{"period": {"FY2031-Q1"}}), 422, "The contract has no reporting period FY2031-Q1")
	want(t, a.post(runsURL, url.Values{"period": {"soon"}}), 422, "Choose one of the contract")
	if list, _ := reportrun.ForContract(ctx, s.env.DB, ct.ID); len(list) != 0 {
		t.Fatalf("refused forms stored %d runs", len(list))
	}

	v1 := a.generate(t, r.Slug, ct, "FY2027-Q1")
	runURL := base + "/runs/" + v1.String()
	page := a.get(runURL + "?done=generated")
	want(t, page, 200, "waits for review", "In review", "Headline figures", "People seen", "Sessions delivered",
		"first version for the period", "I have reviewed these figures", "Figures (CSV)", "Summary (PDF)")
	if !strings.Contains(page.body, "<td>7</td>") {
		t.Errorf("the headline figures lack the 7 sessions:\n%s", page.body)
	}
	want(t, a.get(runsURL), 200, "Version 1", "In review", "SHA-256")

	// Publishing needs the box ticked; without it nothing changes.
	want(t, a.post(runURL+"/publish", nil), 422, "Tick “I have reviewed these figures”")
	if run, _ := reportrun.ByID(ctx, s.env.DB, v1); run.Status != reportrun.StatusReview {
		t.Fatalf("published without review: %s", run.Status)
	}
	wantRedirect(t, a.post(runURL+"/publish", url.Values{"reviewed": {"on"}}), runURL+"?done=published")
	want(t, a.get(runURL), 200, "Published")
	want(t, a.post(runURL+"/publish", url.Values{"reviewed": {"on"}}), 409, "only a run in review can be published")

	// The files, as the region downloads them.
	res := a.get(runURL + "/files/csv")
	want(t, res, 200, "period,practice,service_line,measure,breakdown,group,value,flags")
	for h, v := range map[string]string{"Content-Type": "text/csv; charset=utf-8",
		"Content-Disposition":    `attachment; filename="tuhono-HNZ-2026-01-FY2027-Q1-v1.csv"`,
		"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"} {
		if got := res.header.Get(h); got != v {
			t.Errorf("%s: %q, want %q", h, got, v)
		}
	}
	for _, format := range []string{"input", "json", "CSV"} {
		want(t, a.get(runURL+"/files/"+format), 404)
	}

	// The same data again: version 2, nothing changed.
	v2 := a.generate(t, r.Slug, ct, "FY2027-Q1")
	want(t, a.get(base+"/runs/"+v2.String()), 200, "What changed since version 1", "No published figure changed")
	// One more session: version 3 lists what moved.
	clinic.seeAnyone(t, 1)
	v3 := a.generate(t, r.Slug, ct, "FY2027-Q1")
	page = a.get(base + "/runs/" + v3.String())
	want(t, page, 200, "What changed since version 2", "Sessions delivered", "<td>7</td><td>8</td>")

	wantRedirect(t, a.post(base+"/runs/"+v2.String()+"/withdraw", nil), base+"/runs/"+v2.String()+"?done=withdrawn")
	want(t, a.get(base+"/runs/"+v2.String()+"?done=withdrawn"), 200, "Withdrawn", "the funder no longer sees it")
	want(t, a.post(base+"/runs/"+v2.String()+"/withdraw", nil), 409, "already withdrawn")
	want(t, a.get(runsURL), 200, "Version 3", "Version 2", "Version 1", "Withdrawn", "Published")

	// Another region's admin finds none of it.
	rb := s.region(t, "Other")
	b := s.regionalAdmin(t, rb)
	other := "/regions/" + rb.Slug
	for _, path := range []string{other + "/contracts/" + ct.ID.String() + "/runs", other + "/runs/" + v1.String(),
		other + "/runs/" + v1.String() + "/files/csv"} {
		want(t, b.get(path), 404)
	}
	want(t, b.post(other+"/runs/"+v3.String()+"/publish", url.Values{"reviewed": {"on"}}), 404)
	want(t, b.post(other+"/contracts/"+ct.ID.String()+"/runs", url.Values{"period": {"FY2027-Q1"}}), 404)
	if run, _ := reportrun.ByID(ctx, s.env.DB, v3); run.Status != reportrun.StatusReview {
		t.Fatalf("another region published it: %s", run.Status)
	}
	// Nor through their own region's address for this region's run.
	want(t, b.get("/regions/"+r.Slug+"/runs/"+v1.String()), 404)
}
