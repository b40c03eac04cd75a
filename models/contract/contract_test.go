package contract_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var ctx = context.Background()

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// addTenant makes a tenant of kind in region r.
func addTenant(t *testing.T, env *dbtest.Env, r tenants.Region, kind tenants.Kind, name string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := env.DB.Platform(ctx, "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO tenants (id, kind, region_id, slug, name, time_zone, status)
			VALUES (?, ?, ?, ?, ?, 'Pacific/Auckland', 'active')`, id, kind, r.ID, dbtest.Slug("t"), name).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newFunder(t *testing.T, env *dbtest.Env) contract.Funder {
	t.Helper()
	f, err := contract.CreateFunder(ctx, env.DB, uuid.Nil, dbtest.Slug("funder"), "Health New Zealand")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func terms(r tenants.Region, f contract.Funder, number string) contract.New {
	return contract.New{RegionID: r.ID, FunderID: f.ID, Number: number, Name: "Access and Choice — Tāmaki",
		Lines: []string{report.LineHealthCoach, report.LineHIP}, StartsOn: day(2026, 7, 1), EndsOn: day(2027, 6, 30),
		Frequency: report.Quarterly, Threshold: 6, Rounding: true,
		Targets: report.Targets{SeenWithin7Days: 0.8, NewPerFTE: 550}}
}

func fields(err error) []string {
	var out []string
	for _, f := range fault.As(err).Fields {
		out = append(out, f.Field)
	}
	return out
}

func platformEvents(t *testing.T, env *dbtest.Env, action, objectID string) int {
	t.Helper()
	var n int64
	err := env.DB.Platform(ctx, "test check", func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM platform_audit_events WHERE action = ? AND object_id = ?`, action, objectID).Scan(&n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestCreateReadUpdate(t *testing.T) {
	env := dbtest.New(t)
	r := env.Region(t)
	f := newFunder(t, env)
	n := terms(r, f, " HNZ-2026/001 ")
	n.Name = "Access and Choice — Ta\u0304maki" // combining macron: stored precomposed
	c, err := contract.Create(ctx, env.DB, uuid.Nil, n)
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != "HNZ-2026/001" || c.Name != "Access and Choice — Tāmaki" || c.FunderName != "Health New Zealand" ||
		!slices.Equal(c.Lines, []string{report.LineHIP, report.LineHealthCoach}) || !c.StartsOn.Equal(day(2026, 7, 1)) ||
		!c.EndsOn.Equal(day(2027, 6, 30)) || c.Threshold != 6 || !c.Rounding || c.TotalResponse ||
		c.Targets != (report.Targets{SeenWithin7Days: 0.8, NewPerFTE: 550}) || c.RegionID != r.ID {
		t.Fatalf("created %+v", c)
	}
	if got := c.Periods(); len(got) != 4 || got[0].Label != "FY2027-Q1" || got[3].Label != "FY2027-Q4" {
		t.Fatalf("periods %+v", got)
	}
	s := c.Summary("Auckland")
	if s.ID != c.ID || s.Number != c.Number || s.Funder != "Health New Zealand" || s.Region != "Auckland" ||
		s.Frequency != report.Quarterly || s.Threshold != 6 || !s.Rounding || s.Targets != c.Targets || len(s.Lines) != 2 {
		t.Fatalf("summary %+v", s)
	}
	if platformEvents(t, env, "contract.create", c.ID.String()) != 1 {
		t.Fatal("the creation is not audited")
	}

	n = terms(r, f, "HNZ-2026/001")
	n.Lines = []string{report.LineSupportWorker}
	n.Frequency, n.Threshold, n.Rounding, n.TotalResponse = report.Monthly, 10, false, true
	n.Targets = report.Targets{MaoriShare: 0.2745, PacificShare: 0.1}
	u, err := contract.Update(ctx, env.DB, uuid.Nil, c.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Lines, []string{report.LineSupportWorker}) || u.Frequency != report.Monthly || u.Threshold != 10 ||
		u.Rounding || !u.TotalResponse || u.Targets != (report.Targets{MaoriShare: 0.275, PacificShare: 0.1}) {
		t.Fatalf("updated %+v", u)
	}
	if len(u.Periods()) != 12 {
		t.Fatalf("monthly periods: %d", len(u.Periods()))
	}
	if platformEvents(t, env, "contract.update", c.ID.String()) != 1 {
		t.Fatal("the update is not audited")
	}

	list, err := contract.ForRegion(ctx, env.DB, r.ID)
	if err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("for region: %+v %v", list, err)
	}
	list, err = contract.ForFunder(ctx, env.DB, f.ID)
	if err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("for funder: %+v %v", list, err)
	}
	if list, _ := contract.ForRegion(ctx, env.DB, env.Region(t).ID); len(list) != 0 {
		t.Fatalf("another region sees %+v", list)
	}
	if _, err := contract.ByID(ctx, env.DB, uuid.Must(uuid.NewV7())); !errors.Is(err, fault.NotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestValidation(t *testing.T) {
	env := dbtest.New(t)
	r := env.Region(t)
	f := newFunder(t, env)
	cases := []struct {
		name  string
		edit  func(*contract.New)
		field string
	}{
		{"number with a space", func(n *contract.New) { n.Number = "HNZ 1" }, "number"},
		{"number starting with a dash", func(n *contract.New) { n.Number = "-1" }, "number"},
		{"number too long", func(n *contract.New) { n.Number = "A123456789012345678901234567890123456789X" }, "number"},
		{"no name", func(n *contract.New) { n.Name = "  " }, "name"},
		{"name too long", func(n *contract.New) { n.Name = string(make([]rune, 201)) }, "name"},
		{"control character", func(n *contract.New) { n.Name = "A\x00B" }, "name"},
		{"no lines", func(n *contract.New) { n.Lines = nil }, "lines"},
		{"unknown line", func(n *contract.New) { n.Lines = []string{"hip", "gp"} }, "lines"},
		{"ends before it starts", func(n *contract.New) { n.EndsOn = day(2026, 6, 30) }, "ends_on"},
		{"ten years", func(n *contract.New) { n.EndsOn = day(2036, 7, 1) }, "ends_on"},
		{"no start", func(n *contract.New) { n.StartsOn = time.Time{} }, "starts_on"},
		{"weekly", func(n *contract.New) { n.Frequency = "weekly" }, "frequency"},
		{"threshold 2", func(n *contract.New) { n.Threshold = 2 }, "threshold"},
		{"threshold 21", func(n *contract.New) { n.Threshold = 21 }, "threshold"},
		{"share above 1", func(n *contract.New) { n.Targets.SeenWithin7Days = 80 }, "target_seen_7_days"},
		{"negative share", func(n *contract.New) { n.Targets.PacificShare = -0.1 }, "target_pacific_share"},
		{"per FTE too high", func(n *contract.New) { n.Targets.NewPerFTE = 5001 }, "target_new_per_fte"},
		{"unknown funder", func(n *contract.New) { n.FunderID = uuid.Must(uuid.NewV7()) }, "funder"},
		{"unknown region", func(n *contract.New) { n.RegionID = uuid.Must(uuid.NewV7()) }, "region"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := terms(r, f, dbtest.Slug("N"))
			c.edit(&n)
			_, err := contract.Create(ctx, env.DB, uuid.Nil, n)
			if !errors.Is(err, fault.Invalid) || !slices.Contains(fields(err), c.field) {
				t.Fatalf("err = %v, want a message on %s", err, c.field)
			}
		})
	}
	if list, _ := contract.ForRegion(ctx, env.DB, r.ID); len(list) != 0 {
		t.Fatalf("refused contracts were stored: %d", len(list))
	}
	// The ten-year limit is the table's too: the last day allowed is kept.
	n := terms(r, f, "LONG-1")
	n.EndsOn = day(2036, 6, 30)
	if _, err := contract.Create(ctx, env.DB, uuid.Nil, n); err != nil {
		t.Fatalf("a contract just under ten years: %v", err)
	}
}

func TestDuplicateNumber(t *testing.T) {
	env := dbtest.New(t)
	r := env.Region(t)
	f, other := newFunder(t, env), newFunder(t, env)
	a, err := contract.Create(ctx, env.DB, uuid.Nil, terms(r, f, "C-1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = contract.Create(ctx, env.DB, uuid.Nil, terms(r, f, "C-1"))
	if !errors.Is(err, fault.Conflict) || fault.As(err).Message != "a contract with this number already exists for this funder" {
		t.Fatalf("duplicate: %v", err)
	}
	// Another funder may use the same number.
	if _, err := contract.Create(ctx, env.DB, uuid.Nil, terms(r, other, "C-1")); err != nil {
		t.Fatal(err)
	}
	b, err := contract.Create(ctx, env.DB, uuid.Nil, terms(r, f, "C-2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := contract.Update(ctx, env.DB, uuid.Nil, b.ID, terms(r, f, "C-1")); !errors.Is(err, fault.Conflict) {
		t.Fatalf("renumbered onto another: %v", err)
	}
	// Saving a contract under its own number is not a duplicate.
	if _, err := contract.Update(ctx, env.DB, uuid.Nil, a.ID, terms(r, f, "C-1")); err != nil {
		t.Fatal(err)
	}
	// The region never moves.
	if _, err := contract.Update(ctx, env.DB, uuid.Nil, a.ID, terms(env.Region(t), f, "C-1")); !errors.Is(err, fault.Invalid) {
		t.Fatalf("moved region: %v", err)
	}
	if _, err := contract.Update(ctx, env.DB, uuid.Nil, uuid.Must(uuid.NewV7()), terms(r, f, "C-9")); !errors.Is(err, fault.NotFound) {
		t.Fatalf("unknown contract: %v", err)
	}
}

func TestCoverage(t *testing.T) {
	env := dbtest.New(t)
	r := env.Region(t)
	f := newFunder(t, env)
	zeta := addTenant(t, env, r, tenants.KindPractice, "Zeta Medical")
	ora := addTenant(t, env, r, tenants.KindPractice, "Ōra Health")
	alpha := addTenant(t, env, r, tenants.KindPractice, "Alpha Family Doctors")
	pho := addTenant(t, env, r, tenants.KindPHO, "Alpha PHO")
	elsewhere := addTenant(t, env, env.Region(t), tenants.KindPractice, "Elsewhere Medical")
	c, err := contract.Create(ctx, env.DB, uuid.Nil, terms(r, f, "COV-1"))
	if err != nil {
		t.Fatal(err)
	}
	cov := []contract.Coverage{
		{PracticeID: zeta, Line: report.LineHIP, FTE: 1},
		{PracticeID: ora, Line: report.LineHealthCoach, FTE: 0.5},
		{PracticeID: alpha, Line: report.LineHealthCoach, FTE: 0.25},
		{PracticeID: alpha, Line: report.LineHIP, FTE: 1.5},
	}
	if err := contract.SetCoverage(ctx, env.DB, uuid.Nil, c.ID, cov); err != nil {
		t.Fatal(err)
	}
	got, err := contract.ByID(ctx, env.DB, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []contract.Coverage{
		{PracticeID: alpha, PracticeName: "Alpha Family Doctors", Line: report.LineHIP, FTE: 1.5},
		{PracticeID: alpha, PracticeName: "Alpha Family Doctors", Line: report.LineHealthCoach, FTE: 0.25},
		{PracticeID: ora, PracticeName: "Ōra Health", Line: report.LineHealthCoach, FTE: 0.5},
		{PracticeID: zeta, PracticeName: "Zeta Medical", Line: report.LineHIP, FTE: 1},
	}
	if !slices.Equal(got.Coverage, want) {
		t.Fatalf("coverage\n got %+v\nwant %+v", got.Coverage, want)
	}
	if ids := got.PracticeIDs(); !slices.Equal(ids, []uuid.UUID{alpha, ora, zeta}) {
		t.Fatalf("practice ids %v", ids)
	}
	if platformEvents(t, env, "contract.coverage", c.ID.String()) != 1 {
		t.Fatal("coverage is not audited")
	}

	bad := []struct {
		name string
		cov  contract.Coverage
	}{
		{"a PHO", contract.Coverage{PracticeID: pho, Line: report.LineHIP, FTE: 1}},
		{"another region's practice", contract.Coverage{PracticeID: elsewhere, Line: report.LineHIP, FTE: 1}},
		{"a line the contract lacks", contract.Coverage{PracticeID: zeta, Line: report.LineSupportWorker, FTE: 1}},
		{"FTE above 100", contract.Coverage{PracticeID: ora, Line: report.LineHIP, FTE: 100.5}},
		{"negative FTE", contract.Coverage{PracticeID: ora, Line: report.LineHIP, FTE: -1}},
		{"three decimals", contract.Coverage{PracticeID: ora, Line: report.LineHIP, FTE: 0.125}},
		{"listed twice", contract.Coverage{PracticeID: zeta, Line: report.LineHIP, FTE: 2}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			next := append(slices.Clone(cov), b.cov)
			err := contract.SetCoverage(ctx, env.DB, uuid.Nil, c.ID, next)
			if !errors.Is(err, fault.Invalid) || !slices.Contains(fields(err), contract.CoverageField(b.cov.PracticeID, b.cov.Line)) {
				t.Fatalf("err = %v", err)
			}
			if after, _ := contract.ByID(ctx, env.DB, c.ID); !slices.Equal(after.Coverage, want) {
				t.Fatalf("refused coverage changed it: %+v", after.Coverage)
			}
		})
	}

	// A line still funded cannot be dropped from the contract.
	n := terms(r, f, "COV-1")
	n.Lines = []string{report.LineHIP}
	if _, err := contract.Update(ctx, env.DB, uuid.Nil, c.ID, n); !errors.Is(err, fault.Invalid) || !slices.Contains(fields(err), "lines") {
		t.Fatalf("dropped a funded line: %v", err)
	}
	// Clearing coverage leaves none; an unknown contract is not found.
	if err := contract.SetCoverage(ctx, env.DB, uuid.Nil, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if after, _ := contract.ByID(ctx, env.DB, c.ID); len(after.Coverage) != 0 {
		t.Fatalf("cleared coverage: %+v", after.Coverage)
	}
	if err := contract.SetCoverage(ctx, env.DB, uuid.Nil, uuid.Must(uuid.NewV7()), nil); !errors.Is(err, fault.NotFound) {
		t.Fatalf("unknown contract: %v", err)
	}
}

func TestFunders(t *testing.T) {
	env := dbtest.New(t)
	slug := dbtest.Slug("te-whatu")
	f, err := contract.CreateFunder(ctx, env.DB, uuid.Nil, slug, "  Te Whatu Ora  ")
	if err != nil {
		t.Fatal(err)
	}
	if f.Slug != slug || f.Name != "Te Whatu Ora" || f.Domain() != "funder:"+f.ID.String() {
		t.Fatalf("funder %+v", f)
	}
	if got, err := contract.FunderByID(ctx, env.DB, f.ID); err != nil || got != f {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if got, err := contract.FunderBySlug(ctx, env.DB, slug); err != nil || got.ID != f.ID {
		t.Fatalf("by slug: %+v %v", got, err)
	}
	list, err := contract.Funders(ctx, env.DB)
	if err != nil || !slices.ContainsFunc(list, func(x contract.Funder) bool { return x.ID == f.ID }) {
		t.Fatalf("list: %v", err)
	}
	if _, err := contract.CreateFunder(ctx, env.DB, uuid.Nil, slug, "Again"); !errors.Is(err, fault.Conflict) {
		t.Fatalf("duplicate slug: %v", err)
	}
	if _, err := contract.CreateFunder(ctx, env.DB, uuid.Nil, "Bad Slug", ""); !slices.Equal(fields(err), []string{"name", "slug"}) {
		t.Fatalf("bad input: %v", err)
	}
	if _, err := contract.FunderByID(ctx, env.DB, uuid.Must(uuid.NewV7())); !errors.Is(err, fault.NotFound) {
		t.Fatalf("unknown funder: %v", err)
	}
	if platformEvents(t, env, "funder.create", f.ID.String()) != 1 {
		t.Fatal("funder creation is not audited")
	}
}
