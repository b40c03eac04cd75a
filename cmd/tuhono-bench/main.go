// Command tuhono-bench is Tūhono's load driver. It starts the real server
// stack in-process (handlers.New with the real middleware, the tenant
// directory, the account service, the Casbin policy and db.InTenant on
// PostgreSQL, assembled as cmd/tuhono's wire.go and serve do) on a loopback
// port, drives it over real HTTP and prints what it measured:
//
//	go run ./cmd/tuhono-bench                       # embedded throwaway PostgreSQL, defaults
//	go run ./cmd/tuhono-bench -d 10s -c 32 -rounds 3 -scenario healthz,tenant-read,tenant-read-db
//	go run ./cmd/tuhono-bench -scenario signin -c 1  # sign-in latency, one at a time
//	go run ./cmd/tuhono-bench -scenario signin -c 8  # … and eight at once
//	go run ./cmd/tuhono-bench -scenario audit-append -c 8
//	go run ./cmd/tuhono-bench -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//
// Without -db it starts a throwaway PostgreSQL cluster in a temporary
// directory (db.StartEmbedded) and stops and removes it at the end. With -db
// (a superuser DSN) it creates the roles tuhono_owner and tuhono_app there if
// needed, a fresh database tuhono_bench_<random> which it migrates, and drops
// that database at the end.
//
// It seeds one region, one active practice, and one person with a random
// password who is a practice_admin member of the practice (mirrored into the
// policy, the practice linked to its region) and holds an API token of that
// membership (24 h).
//
// Scenarios (-scenario, comma-separated):
//
//	healthz         GET /healthz through the full stack;         ceiling bare-fiber: a bare fiber.New() app answering the same JSON
//	tenant-read     GET /api/v1/t/{slug} through the full stack
//	                with Authorization: Bearer <API token>
//	                (directory, token → membership in one query,
//	                Casbin check, huma, InTenant read);          ceiling bare-pgx: one SELECT on a bare pgxpool in a bare fiber app
//	tenant-read-db  onboarding.Current (db.InTenant) in a bare
//	                fiber handler, no middleware;                ceiling bare-pgx
//	signin          POST /api/v1/signin {email, password} as
//	                JSON through the full stack, 200 with
//	                "user_id" (throttle check, user lookup,
//	                Argon2id, throttle reset, session insert,
//	                audit record);                               ceiling bare-argon2: a bare fiber handler decoding the same body and
//	                                                             running account.VerifyPassword on a precomputed hash of the same password
//	book            POST /api/v1/t/{slug}/appointments through the
//	                full stack, each request another practitioner
//	                or time (booking.Book: checks, INSERT against
//	                the exclusion constraint, audit event);      ceiling book-bare: a bare fiber handler decoding the same JSON and doing
//	                                                             one pgx INSERT of the same row. Goal ratio ≥ 0.5 at -c 8
//	audit-append    in-process, not HTTP: -c goroutines append
//	                one audit event per db.InTenant transaction
//	                (audit.Record) with an audit.Sealer running
//	                every 50 ms, timed until the sealer has
//	                caught up;                                   ceiling plain-table: the same INSERT, same values, as the app role in
//	                                                             db.InTenant, into bench_audit_plain, audit_events' twin without the
//	                                                             chain (same columns, CHECKs, indexes, foreign key and tenant policy;
//	                                                             no backlog trigger, no sealer). Reported as events/s; goal ratio ≥ 0.6
//
// tenant-read against tenant-read-db is the middleware's share (now with
// authentication and authorisation); tenant-read-db against bare-pgx is the
// RLS transaction's (BEGIN + SET LOCAL, SELECT, COMMIT, database/sql and
// GORM). signin against bare-argon2 is what sign-in costs beyond its
// deliberate hashing: Argon2id (DefaultArgon2, ~56 ms of one core) dominates
// both, and at most GOMAXPROCS hashes run at once (account's hashSlots), so
// at -c above GOMAXPROCS latency grows with the queue. The issue asks for
// sign-in latency at one and at eight concurrent sign-ins: run -scenario
// signin with -c 1 and again with -c 8. Every sign-in succeeds, so the
// account's throttle key is cleared each time and the client IP's key, which
// counts failures only, stays empty; each leaves a session row and a
// platform audit event behind. The stack runs no audit sealer or outbox
// deliverer of its own (serve does): audit-append runs its own sealer.
//
// Each client (-c) is a closed loop on one keep-alive connection: send, read
// the whole answer, send again. Every phase is driven for -warmup, then
// measured for -d. A non-2xx answer or a transport error is an error; any
// error fails the run (exit status 1) and is listed with its count.
// audit-append's goroutines are closed loops too, one transaction each at a
// time; with the chain, the sealer catches up on the warm-up before the
// measured window opens, and its catch-up after the window counts in the
// window's time.
//
// The figures are to be compared as ratios within one run, never across runs
// or machines: the load driver shares the machine's cores with the server and
// PostgreSQL, so absolute req/s mostly say how busy the machine was. That is
// why every scenario runs its ceiling in the same run, right before or after
// it (ABBA order over -rounds, medians reported). Ratios of a run whose
// rounds disagree widely are noise.
//
// -cpuprofile writes a CPU profile of the measured phases, for
// `go tool pprof`; the driver's own work is in it too.
//
// The server's log is formatted as in production (JSON, info) but written to
// io.Discard unless -v.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Bounds on the flags, so that no invocation runs unbounded.
const (
	maxClients  = 1024
	maxDuration = 10 * time.Minute
	maxWarmup   = time.Minute
	maxRounds   = 15
	maxPool     = 200
	reqTimeout  = 10 * time.Second
	setupLimit  = 3 * time.Minute
)

type options struct {
	Clients   int
	Duration  time.Duration
	Warmup    time.Duration
	Rounds    int
	Scenarios []string
	DB        string
	Pool      int
	JSON      bool
	Verbose   bool
	CPUProf   string
}

var scenarioNames = []string{"healthz", "tenant-read", "tenant-read-db", "signin", "audit-append", "book"}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) // dispatch (seed.go): the seed subcommand, else run
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var scen string
	fs := flag.NewFlagSet("tuhono-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Clients, "c", 16, "concurrent clients, each with one keep-alive connection")
	fs.DurationVar(&o.Duration, "d", 5*time.Second, "measured duration of each phase")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured warm-up before each phase")
	fs.IntVar(&o.Rounds, "rounds", 1, "alternate scenario and ceiling this many times (ABBA) and report medians")
	fs.StringVar(&scen, "scenario", "healthz,tenant-read", "comma-separated: "+strings.Join(scenarioNames, ", "))
	fs.StringVar(&o.DB, "db", "", "superuser DSN of a PostgreSQL to use (default: a throwaway embedded cluster)")
	fs.IntVar(&o.Pool, "pool", 16, "database max connections (the app's pool and the bare-pgx pool each)")
	fs.BoolVar(&o.JSON, "json", false, "also print one JSON line per result")
	fs.BoolVar(&o.Verbose, "v", false, "write the server's log to stderr")
	fs.StringVar(&o.CPUProf, "cpuprofile", "", "write a CPU profile of the measured phases (server and driver both) to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var bad []string
	if o.Clients < 1 || o.Clients > maxClients {
		bad = append(bad, fmt.Sprintf("-c must be 1–%d", maxClients))
	}
	if o.Duration <= 0 || o.Duration > maxDuration {
		bad = append(bad, fmt.Sprintf("-d must be positive and at most %s", maxDuration))
	}
	if o.Warmup < 0 || o.Warmup > maxWarmup {
		bad = append(bad, fmt.Sprintf("-warmup must be 0–%s", maxWarmup))
	}
	if o.Rounds < 1 || o.Rounds > maxRounds {
		bad = append(bad, fmt.Sprintf("-rounds must be 1–%d", maxRounds))
	}
	if o.Pool < 1 || o.Pool > maxPool {
		bad = append(bad, fmt.Sprintf("-pool must be 1–%d", maxPool))
	}
	for _, s := range strings.Split(scen, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case !slices.Contains(scenarioNames, s):
			bad = append(bad, fmt.Sprintf("unknown scenario %q (have %s)", s, strings.Join(scenarioNames, ", ")))
		case !slices.Contains(o.Scenarios, s):
			o.Scenarios = append(o.Scenarios, s)
		}
	}
	if len(o.Scenarios) == 0 {
		bad = append(bad, "-scenario names none")
	}
	if len(bad) > 0 {
		return o, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(stderr, "tuhono-bench:", err)
		}
		return 2
	}
	logOut := io.Discard
	if o.Verbose {
		logOut = stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// Everything is bounded: setup, then each phase's warm-up, measurement and
	// the last requests' timeout, then a minute for shutting down.
	// audit-append phases also wait, twice, for the sealer to catch up.
	phases := len(o.Scenarios) * 2 * o.Rounds
	limit := setupLimit + time.Duration(phases)*(o.Warmup+o.Duration+reqTimeout+2*time.Second) + time.Minute
	if slices.Contains(o.Scenarios, "audit-append") {
		limit += time.Duration(2*o.Rounds) * 2 * settleLimit
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	sctx, scancel := context.WithTimeout(ctx, setupLimit)
	s, err := setup(sctx, o.DB, o.Pool, log)
	scancel()
	if err != nil {
		fmt.Fprintln(stderr, "tuhono-bench: setup:", err)
		return 1
	}
	defer s.Close()

	scens := buildScenarios(s, o.Scenarios)
	for _, sc := range scens {
		for _, t := range []target{sc.Run, sc.Ceiling} {
			if err := t.probe(ctx); err != nil {
				fmt.Fprintf(stderr, "tuhono-bench: %s (%s): %v\n", sc.Name, t.Name, err)
				return 1
			}
		}
	}

	if o.CPUProf != "" {
		f, err := os.Create(o.CPUProf)
		if err != nil {
			fmt.Fprintln(stderr, "tuhono-bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "tuhono-bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	rep := newReport(stdout, o)
	rep.header(s, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, sc := range scens {
		for round := 1; round <= o.Rounds; round++ {
			// ABBA: the ceiling goes second in odd rounds and first in even
			// ones, so a drift in the machine's speed does not favour one.
			order := []bool{false, true}
			if round%2 == 0 {
				order = []bool{true, false}
			}
			for _, ceiling := range order {
				t := sc.Run
				if ceiling {
					t = sc.Ceiling
				}
				res, err := t.drive(ctx, o)
				if err != nil {
					fmt.Fprintf(stderr, "tuhono-bench: %s (%s): %v\n", sc.Name, t.Name, err)
					return 1
				}
				rep.phase(sc, t.Name, ceiling, round, res)
			}
		}
	}
	rep.summary(scens)
	if n := rep.errors(); n > 0 {
		fmt.Fprintf(stderr, "tuhono-bench: FAILED: %d requests failed (listed above)\n", n)
		return 1
	}
	return 0
}

// target is one thing to drive: an HTTP request, or an in-process load.
type target struct {
	Name string // "healthz", "bare-fiber", …
	URL  string
	Want string // a substring of a correct answer, checked by Probe

	// The request: GET unless Method says otherwise, Body sent with every
	// request, Header added to the defaults.
	Method string
	Body   []byte
	Header map[string]string
	Bodies func() []byte // each request's body, when they must differ (book)

	// InProcess, when set, is driven instead of URL (audit-append).
	InProcess *inProcess
}

// load is how to drive t with the run's options.
func (t target) load(o options) Load {
	return Load{URL: t.URL, Clients: o.Clients, Warmup: o.Warmup, Duration: o.Duration, Timeout: reqTimeout,
		Method: t.Method, Body: t.Body, Header: t.Header, Bodies: t.Bodies}
}

// probe checks that t does what it says, once.
func (t target) probe(ctx context.Context) error {
	if t.InProcess != nil {
		return t.InProcess.Probe(ctx)
	}
	return Probe(ctx, Load{URL: t.URL, Method: t.Method, Body: t.Body, Header: t.Header, Bodies: t.Bodies}, t.Want)
}

// drive runs one phase of t.
func (t target) drive(ctx context.Context, o options) (Result, error) {
	if t.InProcess != nil {
		return t.InProcess.Drive(ctx, o.Clients, o.Warmup, o.Duration, reqTimeout)
	}
	return Drive(ctx, t.load(o))
}

// scenario is a target and its ceiling.
type scenario struct {
	Name    string
	Run     target
	Ceiling target
	Unit    string // what Result.Requests counts: "req", or "events"
}

func buildScenarios(s *stack, names []string) []scenario {
	slugJSON := `"slug":"` + s.Tenant.Slug + `"`
	bareFiber := target{Name: "bare-fiber", URL: s.BareURL + barePathHealthz, Want: `"status":"ok"`}
	barePGX := target{Name: "bare-pgx", URL: s.BareURL + barePathPGX, Want: slugJSON}
	jsonBody := map[string]string{"Content-Type": "application/json"}
	var out []scenario
	for _, n := range names {
		switch n {
		case "healthz":
			out = append(out, scenario{Name: n, Unit: "req",
				Run:     target{Name: n, URL: s.AppURL + "/healthz", Want: `"status":"ok"`},
				Ceiling: bareFiber})
		case "tenant-read":
			out = append(out, scenario{Name: n, Unit: "req",
				Run: target{Name: n, URL: s.AppURL + "/api/v1/t/" + s.Tenant.Slug, Want: slugJSON,
					Header: map[string]string{"Authorization": "Bearer " + s.Token}},
				Ceiling: barePGX})
		case "tenant-read-db":
			out = append(out, scenario{Name: n, Unit: "req",
				Run:     target{Name: n, URL: s.BareURL + barePathInTenant, Want: slugJSON},
				Ceiling: barePGX})
		case "signin":
			out = append(out, scenario{Name: n, Unit: "req",
				Run: target{Name: n, URL: s.AppURL + "/api/v1/signin", Want: `"user_id"`,
					Method: http.MethodPost, Body: s.SignInBody, Header: jsonBody},
				Ceiling: target{Name: "bare-argon2", URL: s.BareURL + barePathArgon2, Want: `"user_id"`,
					Method: http.MethodPost, Body: s.SignInBody, Header: jsonBody}})
		case "book":
			run, bare := s.bookTargets()
			out = append(out, scenario{Name: n, Unit: "req", Run: run, Ceiling: bare})
		case "audit-append":
			chain, plain := s.auditTargets()
			out = append(out, scenario{Name: n, Unit: "events", Run: chain, Ceiling: plain})
		}
	}
	return out
}
