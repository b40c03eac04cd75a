package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/demo"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/migrations"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// dispatch runs the seed subcommand, or the load driver for anything else:
//
//	go run ./cmd/tuhono-bench seed -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	    -database tuhono_bench_big -practices 200
//
// seed makes (or finds) a region of N practices, each with two HIPs, a
// Health Coach, a Support Worker, a GP, a nurse and an administrator (users
// without passwords: nobody signs in as them), and gives each a year of
// generated history (models/demo.Generate) written through its own tenant
// wall. The database is created and migrated if needed and is kept: the
// booking benchmarks then run against it. Practices that already have
// appointments are left alone, so an interrupted seed can simply be run again.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "seed" {
		return seedCommand(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "scale" {
		return scaleCommand(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "reports" {
		return reportsCommand(args[1:], stdout, stderr)
	}
	return run(args, stdout, stderr)
}

type seedOptions struct {
	SuperURL  string
	Database  string
	Practices int
	PerWeek   int
	Workers   int
	Seed      uint64
}

func seedCommand(args []string, stdout, stderr io.Writer) int {
	var o seedOptions
	fs := flag.NewFlagSet("tuhono-bench seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.SuperURL, "db", "", "superuser DSN of the PostgreSQL server (required)")
	fs.StringVar(&o.Database, "database", "tuhono_bench_seed", "database to seed (created and migrated if needed; kept)")
	fs.IntVar(&o.Practices, "practices", 200, "practices to make")
	fs.IntVar(&o.PerWeek, "per-week", 45, "appointments per practitioner per week (4 practitioners a practice)")
	fs.IntVar(&o.Workers, "workers", 2, "practices written at once")
	fs.Uint64Var(&o.Seed, "seed", 1, "generator seed (the same seed makes the same history)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.SuperURL == "" || o.Practices < 1 || o.Practices > 100_000 || o.Workers < 1 || o.PerWeek < 1 {
		fmt.Fprintln(stderr, "tuhono-bench seed: -db is required; -practices, -workers and -per-week must be positive")
		return 2
	}
	if err := seedBench(context.Background(), o, stdout); err != nil {
		fmt.Fprintln(stderr, "tuhono-bench seed:", err)
		return 1
	}
	return 0
}

func seedBench(ctx context.Context, o seedOptions, stdout io.Writer) error {
	start := time.Now()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := db.EnsureRoles(ctx, o.SuperURL, benchPassword, benchPassword); err != nil {
		return err
	}
	if err := db.EnsureDatabase(ctx, o.SuperURL, o.Database); err != nil {
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
		return err
	}
	d, err := db.Open(ctx, db.Config{URL: app, MaxConns: o.Workers + 2, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()

	region, err := onboarding.RegionBySlug(ctx, d, "bench-seed")
	if errors.Is(err, fault.NotFound) {
		if region, err = onboarding.CreateRegion(ctx, d, "bench-seed", "Bench seed region"); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeding %d practices into database %s (%d at a time)\n", o.Practices, o.Database, o.Workers)

	var patients, appointments, done atomic.Int64
	jobs := make(chan int)
	errs := make(chan error, o.Workers)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c, err := seedPractice(ctx, d, region, i, o)
				if err != nil {
					errs <- fmt.Errorf("practice %d: %w", i, err)
					return
				}
				patients.Add(int64(c.Patients))
				appointments.Add(int64(c.Appointments))
				if n := done.Add(1); n%20 == 0 {
					fmt.Fprintf(stdout, "  %d practices, %d appointments, %s\n", n, appointments.Load(), time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	var failed error
feed:
	for i := range o.Practices {
		select {
		case jobs <- i:
		case failed = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if failed == nil {
		select {
		case failed = <-errs:
		default:
		}
	}
	if failed != nil {
		return failed
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "seeded %d practices: %d patients, %d appointments in %s (%.0f appointments/s)\n",
		done.Load(), patients.Load(), appointments.Load(), took.Round(time.Millisecond),
		float64(appointments.Load())/took.Seconds())
	return nil
}

var seedRoles = [][]string{{"hip"}, {"hip"}, {"health_coach"}, {"support_worker"}, {"gp"}, {"nurse"}, {"practice_admin"}}

// seedPractice finds or makes practice i with its staff, then its history.
func seedPractice(ctx context.Context, d *db.DB, region tenants.Region, i int, o seedOptions) (demo.HistoryCounts, error) {
	slug := fmt.Sprintf("seed-practice-%05d", i)
	t, err := onboarding.BySlug(d)(ctx, slug)
	if errors.Is(err, tenants.ErrUnknown) {
		t, err = onboarding.CreateTenant(ctx, d, onboarding.NewTenant{Kind: tenants.KindPractice, RegionID: region.ID,
			Slug: slug, Name: fmt.Sprintf("Seed Practice %d", i)})
		if err != nil {
			return demo.HistoryCounts{}, err
		}
		if err := onboarding.SetStatus(ctx, d, t.ID, tenants.StatusActive); err != nil {
			return demo.HistoryCounts{}, err
		}
		t.Status = tenants.StatusActive
	}
	if err != nil {
		return demo.HistoryCounts{}, err
	}
	tctx := tenants.WithTenant(ctx, t)
	if err := seedStaff(ctx, tctx, d, slug); err != nil {
		return demo.HistoryCounts{}, err
	}
	return demo.History(tctx, d, demo.HistoryOptions{Seed: o.Seed*1_000_003 + uint64(i), PerWeek: o.PerWeek}, nil)
}

// seedStaff makes the practice's people unless it has them already.
func seedStaff(ctx, tctx context.Context, d *db.DB, slug string) error {
	var n int64
	if err := d.InTenant(tctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM memberships`).Scan(&n).Error
	}); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	users := make([]uuid.UUID, len(seedRoles))
	err := d.Platform(ctx, "bench seed: staff", func(tx *db.Tx) error {
		for k := range users {
			users[k] = uuid.Must(uuid.NewV7())
			if err := tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, ?)`, users[k],
				fmt.Sprintf("%s-%d@bench.example", slug, k), fmt.Sprintf("Staff %d of %s", k, slug)).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return d.InTenant(tctx, func(tx *db.Tx) error {
		for k, roles := range seedRoles {
			if err := tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`,
				tx.Tenant.ID, users[k], roles[0]).Error; err != nil {
				return err
			}
		}
		return nil
	})
}
