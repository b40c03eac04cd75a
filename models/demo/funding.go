package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/reportrun"
	"github.com/tuhono/tuhono/models/workforce"
	"github.com/tuhono/tuhono/tenants"
)

const demoFunder = "health-nz-demo"

// demoFunderFor finds or makes the demo's funder, whose person signs in to
// its portal.
func demoFunderFor(ctx context.Context, d *db.DB) (contract.Funder, error) {
	f, err := contract.FunderBySlug(ctx, d, demoFunder)
	if errors.Is(err, fault.NotFound) {
		return contract.CreateFunder(ctx, d, uuid.Nil, demoFunder, "Health New Zealand (demo)")
	}
	return f, err
}

// Each practitioner's FTE at each demo practice, by service line.
var demoFTE = map[string][]struct {
	email, line string
	fte         float64
}{
	"harbourside":   {{"hip@kowhai.example", report.LineHIP, 0.6}, {"support@kowhai.example", report.LineSupportWorker, 0.4}},
	"totara-whanau": {{"hip@kowhai.example", report.LineHIP, 0.4}, {"coach@totara.example", report.LineHealthCoach, 1}, {"support@kowhai.example", report.LineSupportWorker, 0.6}},
}

// seedFunding gives the demo region a quarterly contract with the demo
// funder covering both practices, their practitioners' FTE, and a published
// report run of the last complete quarter, so the funder portal, the
// dashboards and the review pages have something real to show.
func seedFunding(ctx context.Context, d *db.DB, accounts *account.Service, region tenants.Region, f contract.Funder,
	bySlug map[string]tenants.Tenant) error {
	now := time.Now()
	last := report.QuarterOf(report.QuarterOf(now).Start.AddDate(0, 0, -1))
	start := report.QuarterOf(now.AddDate(-1, 0, 0)).Start
	c, err := contract.Create(ctx, d, uuid.Nil, contract.New{RegionID: region.ID, FunderID: f.ID, Number: "DEMO-IPMHA-01",
		Name: "Integrated primary mental health and addiction services", Lines: report.Lines,
		StartsOn: start, EndsOn: start.AddDate(2, 0, -1), Frequency: report.Quarterly, Threshold: 6, Rounding: true,
		Targets: report.Targets{SeenWithin7Days: 0.8, MaoriShare: 0.27, PacificShare: 0.1, NewPerFTE: 500}})
	if err != nil {
		return fmt.Errorf("contract: %w", err)
	}
	var cov []contract.Coverage
	for _, slug := range []string{"harbourside", "totara-whanau"} {
		t, ok := bySlug[slug]
		if !ok {
			continue
		}
		for _, w := range demoFTE[slug] {
			cov = append(cov, contract.Coverage{PracticeID: t.ID, Line: w.line, FTE: w.fte})
			u, err := accounts.UserByEmail(ctx, w.email)
			if err != nil {
				return err
			}
			if err := workforce.SetFTE(tenants.WithTenant(ctx, t), d, u.ID, u.ID, w.line, w.fte, start); err != nil {
				return fmt.Errorf("workforce: %w", err)
			}
		}
	}
	if err := contract.SetCoverage(ctx, d, uuid.Nil, c.ID, cov); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	admin, err := accounts.UserByEmail(ctx, "region@demo.example")
	if err != nil {
		return err
	}
	run, err := reportrun.Generate(ctx, d, admin.ID, c.ID, last, region.Name)
	if err != nil {
		return fmt.Errorf("report run: %w", err)
	}
	return reportrun.Publish(ctx, d, admin.ID, run.ID)
}
