package report_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/report"
)

// TestCacheFollowsInputs: a kept report is reused while nothing it was
// computed from has changed, and never after: a session completing (facts
// go stale), FTE added, or enrolment imported each give a new report.
func TestCacheFollowsInputs(t *testing.T) {
	env := dbtest.New(t)
	a := newWorld(t, env)
	p := a.person("{11}", "european", "female", "1990-01-01", 2)
	id := a.appointment(appt{who: p, line: "hip", kind: "booked", mode: "in_person", status: "booked", start: at("2026-07-06 10:00")})
	q1 := report.FiscalQuarter(2027, 1)
	scope := report.Scope{Practices: []report.Practice{{ID: a.tenant.ID, Name: "A"}}}
	cache := report.NewCache(10_000)
	finished := 0
	get := func() *report.Report {
		t.Helper()
		r, err := cache.Finished(context.Background(), env.DB, "test: cache", "exact", scope, q1, func(*report.Report) { finished++ })
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	seen := func(r *report.Report) float64 {
		c, _ := r.Cell(report.Key{Practice: a.tenant.ID, Line: "hip", Measure: report.MPeopleSeen})
		return c.Figure
	}
	first := get()
	if again := get(); again != first || finished != 1 {
		t.Fatalf("unchanged inputs: computed %d times, same report %v", finished, again == first)
	}
	a.exec(`UPDATE appointments SET status = 'completed' WHERE id = ?`, id)
	completed := get()
	if completed == first || seen(completed) != 1 || seen(first) != 0 {
		t.Fatalf("after completing a session: seen %v (kept report reused: %v)", seen(completed), completed == first)
	}
	if get() != completed {
		t.Fatal("the report after the change was not kept")
	}
	a.exec(`INSERT INTO workforce_fte (tenant_id, id, user_id, service_line, fte, starts_on, created_by)
		VALUES (?, ?, ?, 'hip', 1.0, '2026-07-01', ?)`, a.tenant.ID, uuid.Must(uuid.NewV7()), a.hip, a.gp)
	withFTE := get()
	if withFTE == completed {
		t.Fatal("FTE added, yet the kept report was reused")
	}
	if c, ok := withFTE.Cell(report.Key{Practice: a.tenant.ID, Line: "hip", Measure: report.MFTE}); !ok || c.Figure <= 0 {
		t.Fatalf("FTE cell after adding FTE: %+v", c)
	}
	a.exec(`INSERT INTO enrolment (tenant_id, quarter, ethnic_group, age_band, gender, nzdep, count)
		VALUES (?, 'FY2027-Q1', 'european', '25-44', 'female', '2', 100)`, a.tenant.ID)
	if get() == withFTE {
		t.Fatal("enrolment imported, yet the kept report was reused")
	}
	// Another finish (other rules) is another report.
	other, err := cache.Finished(context.Background(), env.DB, "test: cache", "protected", scope, q1, func(*report.Report) {})
	if err != nil {
		t.Fatal(err)
	}
	if other == get() {
		t.Fatal("two finishes share a kept report")
	}
}
