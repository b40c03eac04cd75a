// Command tuhono-bench is Tūhono's load driver. It starts the real server
// stack in-process (handlers.New with the real middleware, the tenant
// directory, db.InTenant on PostgreSQL) on a loopback port, drives it over
// real HTTP and prints what it measured:
//
//	go run ./cmd/tuhono-bench                       # embedded throwaway PostgreSQL, defaults
//	go run ./cmd/tuhono-bench -d 10s -c 32 -rounds 3 -scenario healthz,tenant-read,tenant-read-db
//	go run ./cmd/tuhono-bench -db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//
// Without -db it starts a throwaway PostgreSQL cluster in a temporary
// directory (db.StartEmbedded) and stops and removes it at the end. With -db
// (a superuser DSN) it creates the roles tuhono_owner and tuhono_app there if
// needed, a fresh database tuhono_bench_<random> which it migrates, and drops
// that database at the end.
//
// Scenarios (-scenario, comma-separated):
//
//	healthz         GET /healthz through the full stack;         ceiling bare-fiber: a bare fiber.New() app answering the same JSON
//	tenant-read     GET /api/v1/t/{slug} through the full stack
//	                (directory, Authenticator, huma, InTenant);  ceiling bare-pgx: one SELECT on a bare pgxpool in a bare fiber app
//	tenant-read-db  onboarding.Current (db.InTenant) in a bare
//	                fiber handler, no middleware;                ceiling bare-pgx
//
// tenant-read against tenant-read-db is the middleware's share; tenant-read-db
// against bare-pgx is the RLS transaction's (BEGIN + SET LOCAL, SELECT,
// COMMIT, database/sql and GORM).
//
// Each client (-c) is a closed loop on one keep-alive connection: send, read
// the whole answer, send again. Every phase is driven for -warmup, then
// measured for -d. A non-2xx answer or a transport error is an error; any
// error fails the run (exit status 1) and is listed with its count.
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

var scenarioNames = []string{"healthz", "tenant-read", "tenant-read-db"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
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
	phases := len(o.Scenarios) * 2 * o.Rounds
	limit := setupLimit + time.Duration(phases)*(o.Warmup+o.Duration+reqTimeout+2*time.Second) + time.Minute
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
			if err := Probe(ctx, t.URL, t.Want); err != nil {
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
				res, err := Drive(ctx, Load{URL: t.URL, Clients: o.Clients, Warmup: o.Warmup, Duration: o.Duration, Timeout: reqTimeout})
				if err != nil {
					fmt.Fprintf(stderr, "tuhono-bench: %s (%s): %v\n", sc.Name, t.Name, err)
					return 1
				}
				rep.phase(sc.Name, t.Name, ceiling, round, res)
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

// target is one thing to drive.
type target struct {
	Name string // "healthz", "bare-fiber", …
	URL  string
	Want string // a substring of a correct answer, checked by Probe
}

// scenario is a target and its ceiling.
type scenario struct {
	Name    string
	Run     target
	Ceiling target
}

func buildScenarios(s *stack, names []string) []scenario {
	slugJSON := `"slug":"` + s.Tenant.Slug + `"`
	bareFiber := target{Name: "bare-fiber", URL: s.BareURL + barePathHealthz, Want: `"status":"ok"`}
	barePGX := target{Name: "bare-pgx", URL: s.BareURL + barePathPGX, Want: slugJSON}
	var out []scenario
	for _, n := range names {
		switch n {
		case "healthz":
			out = append(out, scenario{Name: n, Run: target{n, s.AppURL + "/healthz", `"status":"ok"`}, Ceiling: bareFiber})
		case "tenant-read":
			out = append(out, scenario{Name: n, Run: target{n, s.AppURL + "/api/v1/t/" + s.Tenant.Slug, slugJSON}, Ceiling: barePGX})
		case "tenant-read-db":
			out = append(out, scenario{Name: n, Run: target{n, s.BareURL + barePathInTenant, slugJSON}, Ceiling: barePGX})
		}
	}
	return out
}
