package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/migrations"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// The scale benchmarks of issue 5: the practice day board and availability
// search read from a database the size of a region (tuhono-bench seed):
//
//	go run ./cmd/tuhono-bench scale -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	    -database tuhono_bench_seed -n 300
//
// It prepares one seeded practice (-practice) as the measured one: ten
// practitioners with weekly schedules and one busy future weekday of 200
// appointments; then it times, in-process and through the tenant wall as the
// server reads them, the board of that day, availability over its week for
// the whole practice and for one practitioner, and the board of another
// practice's ordinary day (-other). The preparation is idempotent: a busy day
// already made (any future day of the practice with at least 200
// appointments, a day ahead or more) is reused.

const (
	// boardGoal is issue 5's goal for the day board's p99.
	boardGoal = 50 * time.Millisecond
	// busyPractitioners and busyAppointments shape the busy day: twenty
	// 20-minute sessions each, 09:00–12:20 and 13:00–16:20.
	busyPractitioners = 10
	busyAppointments  = 200
	busyMinutes       = 20
	// busyLead is how far ahead a new busy day is made: past the four weeks
	// of future the seed books, so the day holds only the bench's sessions.
	busyLead = 35 * 24 * time.Hour
	maxRuns  = 100_000
)

type scaleOptions struct {
	SuperURL string
	Database string
	Practice string // slug of the measured practice
	Other    string // slug of the practice whose ordinary day is measured
	Runs     int
	Clients  int
}

func scaleCommand(args []string, stdout, stderr io.Writer) int {
	var o scaleOptions
	fs := flag.NewFlagSet("tuhono-bench scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.SuperURL, "db", "", "superuser DSN of the PostgreSQL server (required)")
	fs.StringVar(&o.Database, "database", "tuhono_bench_seed", "database made by tuhono-bench seed (migrated up first)")
	fs.StringVar(&o.Practice, "practice", "seed-practice-00000", "slug of the practice given the busy day")
	fs.StringVar(&o.Other, "other", "seed-practice-00001", "slug of the practice whose ordinary day is measured")
	fs.IntVar(&o.Runs, "n", 300, "measured runs of each read")
	fs.IntVar(&o.Clients, "c", 1, "runs at once")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.SuperURL == "" || o.Runs < 1 || o.Runs > maxRuns || o.Clients < 1 || o.Clients > maxClients {
		fmt.Fprintf(stderr, "tuhono-bench scale: -db is required; -n must be 1–%d and -c 1–%d\n", maxRuns, maxClients)
		return 2
	}
	if err := scaleBench(context.Background(), o, stdout); err != nil {
		fmt.Fprintln(stderr, "tuhono-bench scale:", err)
		return 1
	}
	return 0
}

// readMeasure is one read timed by the scale bench. run returns how many rows it
// produced (appointments or free slots), so an empty answer is visible.
type readMeasure struct {
	name string
	run  func(ctx context.Context) (int, error)
}

func scaleBench(ctx context.Context, o scaleOptions, stdout io.Writer) error {
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
	d, err := db.Open(ctx, db.Config{URL: app, MaxConns: o.Clients + 2, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()

	measured, err := practiceBySlug(ctx, d, o.Practice)
	if err != nil {
		return err
	}
	other, err := practiceBySlug(ctx, d, o.Other)
	if err != nil {
		return err
	}
	mctx, octx := tenants.WithTenant(ctx, measured), tenants.WithTenant(ctx, other)
	prep := time.Now()
	busy, staff, err := prepareBusyDay(mctx, d)
	if err != nil {
		return fmt.Errorf("preparing %s: %w", measured.Slug, err)
	}
	ordinary, err := ordinaryDay(octx, d)
	if err != nil {
		return fmt.Errorf("choosing a day of %s: %w", other.Slug, err)
	}
	total, err := totalAppointments(ctx, o.SuperURL, o.Database)
	if err != nil {
		return err
	}
	own, err := practiceAppointments(mctx, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s: %d appointments in all; %s has %d, %d practitioners, busy day %s (prepared in %s)\n",
		o.Database, total, measured.Slug, own, len(staff), busy.Format(time.DateOnly), time.Since(prep).Round(time.Millisecond))

	weekFrom, weekTo := weekOf(measured.Location(), busy)
	ms := []readMeasure{
		{"board, busy day", func(ctx context.Context) (int, error) { return boardSize(mctx, d, busy) }},
		{"availability, practice week", func(ctx context.Context) (int, error) {
			s, err := booking.Availability(mctx, d, booking.AvailabilityQuery{From: weekFrom, To: weekTo, Minutes: 30})
			return len(s), err
		}},
		{"availability, one practitioner week", func(ctx context.Context) (int, error) {
			s, err := booking.Availability(mctx, d, booking.AvailabilityQuery{PractitionerID: staff[0].UserID, From: weekFrom, To: weekTo, Minutes: 30})
			return len(s), err
		}},
		{"board, " + other.Slug + " " + ordinary.Format(time.DateOnly), func(ctx context.Context) (int, error) {
			return boardSize(octx, d, ordinary)
		}},
	}
	fmt.Fprintf(stdout, "%d runs of each after a warm-up, %d at a time\n", o.Runs, o.Clients)
	fmt.Fprintf(stdout, "%-44s %6s %9s %9s %9s %9s\n", "measure", "rows", "p50", "p90", "p99", "max")
	var boardP99 time.Duration
	for i, m := range ms {
		rows, res, err := timeRuns(ctx, m, o.Runs, o.Clients)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		fmt.Fprintf(stdout, "%-44s %6d %9s %9s %9s %9s\n", m.name, rows, ms3(res.Percentile(50)), ms3(res.Percentile(90)),
			ms3(res.Percentile(99)), ms3(res.Percentile(100)))
		if i == 0 {
			if rows != busyAppointments {
				return fmt.Errorf("the busy day's board has %d appointments, not %d", rows, busyAppointments)
			}
			boardP99 = res.Percentile(99)
		}
	}
	verdict := "meets"
	if boardP99 > boardGoal {
		verdict = "MISSES"
	}
	fmt.Fprintf(stdout, "day board with %d appointments: p99 %s %s the goal of %s\n", busyAppointments, ms3(boardP99), verdict, boardGoal)
	return nil
}

func ms3(t time.Duration) string { return fmt.Sprintf("%.2fms", float64(t)/float64(time.Millisecond)) }

// timeRuns warms m up, then runs it n times from c goroutines and returns the
// rows of the last run with the sorted latencies.
func timeRuns(ctx context.Context, m readMeasure, n, c int) (int, Result, error) {
	rows := 0
	for range min(n, 20) {
		k, err := m.run(ctx)
		if err != nil {
			return 0, Result{}, err
		}
		rows = k
	}
	lat := make([]time.Duration, n)
	next := make(chan int)
	errs := make(chan error, c)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				if _, err := m.run(ctx); err != nil {
					errs <- err
					return
				}
				lat[i] = time.Since(start)
			}
		}()
	}
	var failed error
feed:
	for i := range n {
		select {
		case next <- i:
		case failed = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if failed == nil {
		select {
		case failed = <-errs:
		default:
		}
	}
	if failed != nil {
		return 0, Result{}, failed
	}
	slices.Sort(lat)
	return rows, Result{Requests: n, Latencies: lat}, nil
}

func boardSize(ctx context.Context, d *db.DB, date time.Time) (int, error) {
	b, err := calendar.Board(ctx, d, date)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range b.Columns {
		n += len(c.Appointments)
	}
	return n, nil
}

func practiceBySlug(ctx context.Context, d *db.DB, slug string) (tenants.Tenant, error) {
	t, err := onboarding.BySlug(d)(ctx, slug)
	if errors.Is(err, tenants.ErrUnknown) {
		return t, fmt.Errorf("no practice %q in this database: run tuhono-bench seed first", slug)
	}
	return t, err
}

// weekOf is Monday to Monday, in the practice's zone, around date.
func weekOf(loc *time.Location, date time.Time) (from, to time.Time) {
	y, m, dd := date.Date()
	back := (int(date.Weekday()) + 6) % 7
	from = time.Date(y, m, dd-back, 0, 0, 0, 0, loc)
	return from, time.Date(y, m, dd-back+7, 0, 0, 0, 0, loc)
}

// benchMember is a member of the measured practice as the bench sees them.
type benchMember struct {
	UserID uuid.UUID
	Line   booking.ServiceLine
}

// prepareBusyDay gives the practice in ctx ten practitioners with schedules
// and returns its busy day (a civil date), making one if it has none ahead.
func prepareBusyDay(ctx context.Context, d *db.DB) (time.Time, []benchMember, error) {
	admin, staff, err := practiceStaff(ctx, d)
	if err != nil {
		return time.Time{}, nil, err
	}
	if len(staff) < busyPractitioners {
		if err := addPractitioners(ctx, d, busyPractitioners-len(staff)); err != nil {
			return time.Time{}, nil, err
		}
		if admin, staff, err = practiceStaff(ctx, d); err != nil {
			return time.Time{}, nil, err
		}
	}
	staff = staff[:busyPractitioners]
	if err := ensureTemplates(ctx, d, admin, staff); err != nil {
		return time.Time{}, nil, err
	}
	day, err := existingBusyDay(ctx, d)
	if err != nil || !day.IsZero() {
		return day, staff, err
	}
	day, err = makeBusyDay(ctx, d, admin, staff)
	return day, staff, err
}

// practiceStaff is the practice's administrator (who the bench acts as) and
// its active practitioners, each with the first service line they hold.
func practiceStaff(ctx context.Context, d *db.DB) (uuid.UUID, []benchMember, error) {
	var rows []struct {
		UserID uuid.UUID
		Line   string
		Admin  bool
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT user_id,
				CASE WHEN 'hip' = ANY (roles) THEN 'hip' WHEN 'health_coach' = ANY (roles) THEN 'health_coach'
				     WHEN 'support_worker' = ANY (roles) THEN 'support_worker' ELSE '' END AS line,
				'practice_admin' = ANY (roles) AS admin
			FROM memberships WHERE tenant_id = ? AND status = 'active' ORDER BY created_at, user_id`, tx.Tenant.ID).Scan(&rows).Error
	})
	if err != nil {
		return uuid.Nil, nil, err
	}
	var admin uuid.UUID
	var staff []benchMember
	for _, r := range rows {
		if r.Admin && admin == uuid.Nil {
			admin = r.UserID
		}
		if r.Line != "" {
			staff = append(staff, benchMember{UserID: r.UserID, Line: booking.ServiceLine(r.Line)})
		}
	}
	if admin == uuid.Nil {
		return uuid.Nil, nil, errors.New("the practice has no administrator to act as")
	}
	return admin, staff, nil
}

// addLines is the mix of the practitioners the bench adds: mostly HIPs, as a
// practice with ten would have.
var addLines = []string{"hip", "health_coach", "hip", "support_worker", "hip", "health_coach", "hip", "support_worker", "hip", "health_coach"}

// addPractitioners makes n more practitioner members of the practice in ctx
// (users without passwords, as seed's staff).
func addPractitioners(ctx context.Context, d *db.DB, n int) error {
	t, _ := tenants.FromContext(ctx)
	users := make([]uuid.UUID, n)
	err := d.Platform(ctx, "bench scale: practitioners", func(tx *db.Tx) error {
		for k := range users {
			users[k] = uuid.Must(uuid.NewV7())
			if err := tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, ?)`, users[k],
				fmt.Sprintf("%s-scale-%s@bench.example", t.Slug, users[k]), fmt.Sprintf("Scale practitioner %d of %s", k, t.Slug)).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return d.InTenant(ctx, func(tx *db.Tx) error {
		for k, u := range users {
			if err := tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`,
				tx.Tenant.ID, u, addLines[k%len(addLines)]).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// ensureTemplates gives each practitioner without a schedule a weekday one
// from today: mornings open, afternoons booked, as the seed's.
func ensureTemplates(ctx context.Context, d *db.DB, admin uuid.UUID, staff []benchMember) error {
	t, _ := tenants.FromContext(ctx)
	var blocks []schedule.Block
	for wd := 1; wd <= 5; wd++ {
		blocks = append(blocks,
			schedule.Block{Weekday: wd, Starts: schedule.At(9, 0), Ends: schedule.At(12, 30), Kind: schedule.KindOpen},
			schedule.Block{Weekday: wd, Starts: schedule.At(13, 0), Ends: schedule.At(16, 30), Kind: schedule.KindBooked})
	}
	today := calendar.Today(t.Location())
	for _, p := range staff {
		ts, err := schedule.Templates(ctx, d, p.UserID)
		if err != nil {
			return err
		}
		if len(ts) > 0 {
			continue
		}
		if _, err := schedule.SaveTemplate(ctx, d, admin, schedule.NewTemplate{PractitionerID: p.UserID,
			EffectiveFrom: today, Blocks: blocks}); err != nil {
			return err
		}
	}
	return nil
}

// existingBusyDay is the first day, tomorrow or later, on which the practice
// in ctx has at least busyAppointments appointments; zero if none.
func existingBusyDay(ctx context.Context, d *db.DB) (time.Time, error) {
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	from, _ := dayBounds(loc, calendar.Today(loc).AddDate(0, 0, 1))
	var rows []struct{ Day time.Time }
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT (starts_at AT TIME ZONE ?)::date AS day FROM appointments
			WHERE tenant_id = ? AND starts_at >= ? GROUP BY 1 HAVING count(*) >= ? ORDER BY 1 LIMIT 1`,
			loc.String(), tx.Tenant.ID, from, busyAppointments).Scan(&rows).Error
	})
	if err != nil || len(rows) == 0 {
		return time.Time{}, err
	}
	return civil(rows[0].Day), nil
}

// makeBusyDay books the busy day in one transaction, so that it is whole or
// absent: the first Wednesday past busyLead with no appointments yet, twenty
// sessions for each practitioner, each with another person where the
// practice has enough.
func makeBusyDay(ctx context.Context, d *db.DB, admin uuid.UUID, staff []benchMember) (time.Time, error) {
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	day := calendar.Today(loc).Add(busyLead)
	for day.Weekday() != time.Wednesday {
		day = day.AddDate(0, 0, 1)
	}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		for {
			from, to := dayBounds(loc, day)
			var n int64
			if err := tx.Raw(`SELECT count(*) FROM appointments WHERE tenant_id = ? AND starts_at >= ? AND starts_at < ?`,
				tx.Tenant.ID, from, to).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				break
			}
			day = day.AddDate(0, 0, 7)
		}
		var patients []uuid.UUID
		if err := tx.Raw(`SELECT id FROM patients WHERE tenant_id = ? ORDER BY id LIMIT ?`, tx.Tenant.ID, busyAppointments).
			Scan(&patients).Error; err != nil {
			return err
		}
		if len(patients) == 0 {
			return errors.New("the practice has no patients to book")
		}
		k := 0
		for _, p := range staff {
			for _, start := range busyStarts(loc, day) {
				if _, _, err := booking.BookIn(tx, admin, booking.NewAppointment{PractitionerID: p.UserID,
					PatientID: patients[k%len(patients)], Kind: booking.KindBooked, Mode: booking.ModeInPerson,
					ServiceLine: p.Line, StartsAt: start, Minutes: busyMinutes}); err != nil {
					return err
				}
				k++
			}
		}
		return nil
	})
	return day, err
}

// busyStarts are one practitioner's session starts on the busy day.
func busyStarts(loc *time.Location, day time.Time) []time.Time {
	per := busyAppointments / busyPractitioners
	y, m, dd := day.Date()
	var out []time.Time
	for _, h := range []int{9, 13} {
		for i := range per / 2 {
			out = append(out, time.Date(y, m, dd, h, i*busyMinutes, 0, 0, loc))
		}
	}
	return out
}

// ordinaryDay is the busiest day of the practice in ctx in the fortnight
// either side of today: a real day of its seeded diary.
func ordinaryDay(ctx context.Context, d *db.DB) (time.Time, error) {
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	today := calendar.Today(loc)
	from, _ := dayBounds(loc, today.AddDate(0, 0, -14))
	to, _ := dayBounds(loc, today.AddDate(0, 0, 14))
	var rows []struct{ Day time.Time }
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT (starts_at AT TIME ZONE ?)::date AS day FROM appointments
			WHERE tenant_id = ? AND starts_at >= ? AND starts_at < ? GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
			loc.String(), tx.Tenant.ID, from, to).Scan(&rows).Error
	})
	if err != nil {
		return time.Time{}, err
	}
	if len(rows) == 0 {
		return time.Time{}, errors.New("no appointments in the four weeks around today")
	}
	return civil(rows[0].Day), nil
}

// practiceAppointments counts the appointments of the practice in ctx.
func practiceAppointments(ctx context.Context, d *db.DB) (int64, error) {
	var n int64
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM appointments WHERE tenant_id = ?`, tx.Tenant.ID).Scan(&n).Error
	})
	return n, err
}

// totalAppointments counts every tenant's appointments. Only a superuser
// sees across the walls, and it reads nothing but the count.
func totalAppointments(ctx context.Context, superURL, database string) (int64, error) {
	dsn, err := onDatabase(superURL, database)
	if err != nil {
		return 0, err
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var n int64
	err = c.QueryRow(ctx, `SELECT count(*) FROM appointments`).Scan(&n)
	return n, err
}

// dayBounds is the civil date's instants in loc (23 or 25 hours on a
// daylight-saving change).
func dayBounds(loc *time.Location, date time.Time) (from, to time.Time) {
	y, m, dd := date.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc).UTC(), time.Date(y, m, dd+1, 0, 0, 0, 0, loc).UTC()
}

// civil is a date as midnight UTC, the way calendar and schedule keep dates.
func civil(t time.Time) time.Time {
	y, m, dd := t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}
