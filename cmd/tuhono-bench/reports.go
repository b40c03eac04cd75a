package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/migrations"
	"github.com/tuhono/tuhono/models/onboarding"
	funding "github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/export"
	"github.com/tuhono/tuhono/models/report/pdf"
	"github.com/tuhono/tuhono/models/report/protect"
	"github.com/tuhono/tuhono/models/report/workbook"
	"github.com/tuhono/tuhono/tenants"
)

// The benchmarks of issue 7: a region's contract report and dashboard over
// the database tuhono-bench seed makes (200 practices, a year of history):
//
//	go run ./cmd/tuhono-bench reports -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	    -database tuhono_bench_seed -n 5
//
// It prepares, idempotently, a funder and a quarterly contract covering every
// seeded practice's HIP, Health Coach and Support Worker lines, each
// practitioner's FTE and each practice's enrolled population; rebuilds the
// report facts of every practice (timed: the one-off cost of loading history);
// then times, in-process as the server runs them, the report of the last
// complete quarter — compute, protect, then each file format — and the region
// dashboard's compute and protect, -n times each.

const (
	reportCSVGoal       = time.Second
	reportPDFGoal       = 3 * time.Second
	reportDashboardGoal = 300 * time.Millisecond
	benchContract       = "BENCH-IPMHA-1"
)

type reportsOptions struct {
	SuperURL string
	Database string
	Runs     int
	Period   string
	CPUProf  string
}

func reportsCommand(args []string, stdout, stderr io.Writer) int {
	var o reportsOptions
	fs := flag.NewFlagSet("tuhono-bench reports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.SuperURL, "db", "", "superuser DSN of the PostgreSQL server (required)")
	fs.StringVar(&o.Database, "database", "tuhono_bench_seed", "database made by tuhono-bench seed (migrated up first)")
	fs.IntVar(&o.Runs, "n", 5, "measured runs of each step")
	fs.StringVar(&o.Period, "period", "", "period to report (default: the last complete fiscal quarter)")
	fs.StringVar(&o.CPUProf, "cpuprofile", "", "write a CPU profile of the timed report runs and dashboard to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.SuperURL == "" || o.Runs < 1 || o.Runs > 1000 {
		fmt.Fprintln(stderr, "tuhono-bench reports: -db is required; -n must be 1–1000")
		return 2
	}
	if err := reportsBench(context.Background(), o, stdout); err != nil {
		fmt.Fprintln(stderr, "tuhono-bench reports:", err)
		return 1
	}
	return 0
}

func reportsBench(ctx context.Context, o reportsOptions, stdout io.Writer) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := db.EnsureRoles(ctx, o.SuperURL, benchPassword, benchPassword); err != nil {
		return err
	}
	owner, err := db.WithCredentials(o.SuperURL, "tuhono_owner", benchPassword, o.Database)
	if err != nil {
		return err
	}
	app, err := db.WithCredentials(o.SuperURL, "tuhono_app", benchPassword, o.Database)
	if err != nil {
		return err
	}
	r, err := migrations.Open(owner)
	if err != nil {
		return err
	}
	err = r.Up(ctx, log)
	r.Close()
	if err != nil {
		return fmt.Errorf("migrating %s: %w", o.Database, err)
	}
	d, err := db.Open(ctx, db.Config{URL: app, MaxConns: 4, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()
	period := funding.QuarterOf(time.Now().AddDate(0, -3, 0))
	if o.Period != "" {
		if period, err = funding.ParsePeriod(o.Period); err != nil {
			return err
		}
	}

	region, err := onboarding.RegionBySlug(ctx, d, "bench-seed")
	if err != nil {
		return fmt.Errorf("the seeded region (run tuhono-bench seed first): %w", err)
	}
	prep := time.Now()
	c, err := benchContractFor(ctx, d, o, region, period)
	if err != nil {
		return fmt.Errorf("preparing the contract: %w", err)
	}
	fmt.Fprintf(stdout, "contract %s: %d practices, lines %v; prepared in %s\n", c.Number, len(c.PracticeIDs()), c.Lines,
		time.Since(prep).Round(time.Millisecond))

	start := time.Now()
	if err := funding.Refresh(ctx, d, c.PracticeIDs()); err != nil {
		return fmt.Errorf("refreshing facts: %w", err)
	}
	fmt.Fprintf(stdout, "report facts refreshed for %d practices in %s (the one-off cost after loading history)\n",
		len(c.PracticeIDs()), time.Since(start).Round(time.Millisecond))
	sessions, facts, err := benchCounts(ctx, o, period)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "period %s: %d completed sessions in the 12 months to its end; %d fact rows in all\n",
		period.Label, sessions, facts)

	scope := funding.Scope{Lines: c.Lines, TotalResponse: c.TotalResponse}
	for _, cv := range c.Coverage {
		if !slices.ContainsFunc(scope.Practices, func(p funding.Practice) bool { return p.ID == cv.PracticeID }) {
			scope.Practices = append(scope.Practices, funding.Practice{ID: cv.PracticeID, Name: cv.PracticeName})
		}
	}
	summary := c.Summary(region.Name)
	rules := protect.RulesFor(summary, period)
	compute := func() (*funding.Report, error) {
		rep, err := funding.Compute(ctx, d, "bench: region report", scope, period)
		if err != nil {
			return nil, err
		}
		rep.Contract = summary
		return rep, nil
	}
	type step struct {
		name string
		run  func(*funding.Report, *bytes.Buffer) error
	}
	steps := []step{
		{"csv", func(r *funding.Report, b *bytes.Buffer) error { return export.CSV(b, r) }},
		{"xlsx", func(r *funding.Report, b *bytes.Buffer) error { return workbook.Write(b, r) }},
		{"pdf", func(r *funding.Report, b *bytes.Buffer) error { return pdf.Write(b, r) }},
	}
	if o.CPUProf != "" {
		f, err := os.Create(o.CPUProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var computeT, protectT Result
	formatT := make([]Result, len(steps))
	var cells, size int
	sizes := make([]int, len(steps))
	sums := make([][sha256.Size]byte, len(steps))
	for i := range o.Runs + 1 { // the first run warms caches and is not counted
		t0 := time.Now()
		rep, err := compute()
		if err != nil {
			return err
		}
		t1 := time.Now()
		protect.Apply(rep, rules)
		t2 := time.Now()
		if i > 0 {
			computeT.Latencies = append(computeT.Latencies, t1.Sub(t0))
			protectT.Latencies = append(protectT.Latencies, t2.Sub(t1))
		}
		cells = len(rep.Cells)
		for k, s := range steps {
			var b bytes.Buffer
			t := time.Now()
			if err := s.run(rep, &b); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if i > 0 {
				formatT[k].Latencies = append(formatT[k].Latencies, time.Since(t))
			}
			sizes[k] = b.Len()
			sums[k] = sha256.Sum256(b.Bytes())
		}
	}
	size = sizes[0]
	for _, r := range append([]*Result{&computeT, &protectT}, ptrs(formatT)...) {
		slices.Sort(r.Latencies)
	}
	fmt.Fprintf(stdout, "region report %s, %d cells (CSV %d bytes), median of %d runs:\n", period.Label, cells, size, o.Runs)
	fmt.Fprintf(stdout, "  compute (SQL over the facts, one snapshot) %9s\n", ms3(computeT.Percentile(50)))
	fmt.Fprintf(stdout, "  protect (suppression, complementary, RR3)  %9s\n", ms3(protectT.Percentile(50)))
	goals := map[string]time.Duration{"csv": reportCSVGoal, "pdf": reportPDFGoal}
	for k, s := range steps {
		total := computeT.Percentile(50) + protectT.Percentile(50) + formatT[k].Percentile(50)
		verdict := ""
		if g, ok := goals[s.name]; ok {
			verdict = fmt.Sprintf("(goal ≤ %s: %s)", g, map[bool]string{true: "meets", false: "MISSES"}[total <= g])
		}
		fmt.Fprintf(stdout, "  %-4s write %9s (%d bytes, sha256 %x…); end to end %9s %s\n", s.name, ms3(formatT[k].Percentile(50)),
			sizes[k], sums[k][:6], ms3(total), verdict)
	}

	// The region dashboard, as the page gets its figures: the kept report
	// while no input of it has changed (report.Cache), else computed and
	// protected afresh. Timed one view after another: the first view, the
	// views that follow, and a view after a change to one practice's data.
	cache := funding.NewCache(600_000)
	view := func() (time.Duration, error) {
		t := time.Now()
		_, err := cache.Finished(ctx, d, "bench: region dashboard", "bench", scope, period, func(r *funding.Report) {
			r.Contract = summary
			protect.Apply(r, rules)
		})
		return time.Since(t), err
	}
	cold, err := view()
	if err != nil {
		return err
	}
	var dash Result
	n := max(o.Runs*100, 300)
	for range n {
		took, err := view()
		if err != nil {
			return err
		}
		dash.Latencies = append(dash.Latencies, took)
	}
	slices.Sort(dash.Latencies)
	p99 := dash.Percentile(99)
	if err := touchOnePractice(ctx, o, c.PracticeIDs()[0], period); err != nil {
		return err
	}
	changed, err := view()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "region dashboard, %d views: p50 %s, p99 %s (goal ≤ %s: %s); first view %s; after a change to one practice %s\n",
		n, ms3(dash.Percentile(50)), ms3(p99), reportDashboardGoal, map[bool]string{true: "meets", false: "MISSES"}[p99 <= reportDashboardGoal],
		ms3(cold), ms3(changed))
	return nil
}

// touchOnePractice marks one practice's facts of the period's quarter
// stale, as the triggers do when one of its sessions completes.
func touchOnePractice(ctx context.Context, o reportsOptions, practice uuid.UUID, p funding.Period) error {
	dsn, err := onDatabase(o.SuperURL, o.Database)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO report_stale (tenant_id, quarter) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		practice, p.Quarter().Label)
	return err
}

func ptrs(rs []Result) []*Result {
	out := make([]*Result, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// benchContractFor finds or makes the bench's funder and contract, covering
// every practice of the region, and gives each practice FTE for its
// practitioners and an enrolled population (as the superuser: bench
// fixtures, not application writes).
func benchContractFor(ctx context.Context, d *db.DB, o reportsOptions, region tenants.Region, period funding.Period) (contract.Contract, error) {
	all, err := contract.ForRegion(ctx, d, region.ID)
	if err != nil {
		return contract.Contract{}, err
	}
	for _, c := range all {
		if c.Number == benchContract {
			return c, nil
		}
	}
	f, err := contract.FunderBySlug(ctx, d, "bench-funder")
	if err != nil {
		if f, err = contract.CreateFunder(ctx, d, uuid.Nil, "bench-funder", "Bench Funder"); err != nil {
			return contract.Contract{}, err
		}
	}
	start := period.Start.AddDate(-1, 0, 0)
	c, err := contract.Create(ctx, d, uuid.Nil, contract.New{RegionID: region.ID, FunderID: f.ID, Number: benchContract,
		Name: "Bench IPMHA services", Lines: funding.Lines, StartsOn: start, EndsOn: period.End.AddDate(1, 0, -1),
		Frequency: funding.Quarterly, Threshold: 6, Rounding: true,
		Targets: funding.Targets{SeenWithin7Days: 0.8, MaoriShare: 0.27, PacificShare: 0.1, NewPerFTE: 500}})
	if err != nil {
		return contract.Contract{}, err
	}
	dsn, err := onDatabase(o.SuperURL, o.Database)
	if err != nil {
		return contract.Contract{}, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return contract.Contract{}, err
	}
	defer conn.Close(ctx)
	var practices []struct {
		ID   uuid.UUID
		Name string
	}
	rows, err := conn.Query(ctx, `SELECT id, name FROM tenants WHERE region_id = $1 AND kind = 'practice' ORDER BY name`, region.ID)
	if err != nil {
		return contract.Contract{}, err
	}
	for rows.Next() {
		var p struct {
			ID   uuid.UUID
			Name string
		}
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			return contract.Contract{}, err
		}
		practices = append(practices, p)
	}
	if err := rows.Err(); err != nil {
		return contract.Contract{}, err
	}
	var cov []contract.Coverage
	for _, p := range practices {
		cov = append(cov, contract.Coverage{PracticeID: p.ID, Line: funding.LineHIP, FTE: 2},
			contract.Coverage{PracticeID: p.ID, Line: funding.LineHealthCoach, FTE: 1},
			contract.Coverage{PracticeID: p.ID, Line: funding.LineSupportWorker, FTE: 1})
	}
	if err := contract.SetCoverage(ctx, d, uuid.Nil, c.ID, cov); err != nil {
		return contract.Contract{}, err
	}
	// Every practitioner full time from the contract's start, with two weeks'
	// leave in the reported quarter; 6,000 enrolled people per practice.
	_, err = conn.Exec(ctx, `
		INSERT INTO workforce_fte (tenant_id, id, user_id, service_line, fte, starts_on, created_by)
		SELECT m.tenant_id, gen_random_uuid(), m.user_id, m.roles[1], 1.0, $2::date, m.user_id
		FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		WHERE t.region_id = $1 AND m.roles[1] IN ('hip', 'health_coach', 'support_worker')
		ON CONFLICT DO NOTHING`, region.ID, start)
	if err != nil {
		return contract.Contract{}, err
	}
	_, err = conn.Exec(ctx, `
		INSERT INTO workforce_leave (tenant_id, id, user_id, kind, starts_on, ends_on, created_by)
		SELECT m.tenant_id, gen_random_uuid(), m.user_id, 'annual', $2::date + 14, $2::date + 27, m.user_id
		FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		WHERE t.region_id = $1 AND m.roles[1] IN ('hip', 'health_coach', 'support_worker')
		ON CONFLICT DO NOTHING`, region.ID, period.Start)
	if err != nil {
		return contract.Contract{}, err
	}
	_, err = conn.Exec(ctx, `
		INSERT INTO enrolment (tenant_id, quarter, ethnic_group, age_band, gender, nzdep, count)
		SELECT t.id, $2, e, a, g, n, round(6000 * w.share / 36)::int
		FROM tenants t,
		     unnest(ARRAY['maori', 'pacific', 'asian', 'european'], ARRAY[0.25, 0.1, 0.15, 0.5]) AS w(e, share),
		     unnest(ARRAY['00-04', '05-14', '15-24', '25-44', '45-64', '65+']) AS a,
		     unnest(ARRAY['female', 'male']) AS g, unnest(ARRAY['1', '3', '5']) AS n
		WHERE t.region_id = $1 AND t.kind = 'practice'
		ON CONFLICT DO NOTHING`, region.ID, period.Quarter().Label)
	if err != nil {
		return contract.Contract{}, err
	}
	return contract.ByID(ctx, d, c.ID)
}

func benchCounts(ctx context.Context, o reportsOptions, p funding.Period) (sessions, facts int64, err error) {
	dsn, err := onDatabase(o.SuperURL, o.Database)
	if err != nil {
		return 0, 0, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM appointments WHERE status = 'completed'
		AND starts_at >= $1::date - interval '12 months' AND starts_at < $1::date), (SELECT count(*) FROM report_facts)`,
		p.End.Format(time.DateOnly)).Scan(&sessions, &facts)
	return sessions, facts, err
}
