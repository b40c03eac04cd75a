package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// measure is one phase's figures.
type measure struct {
	Scenario string
	Target   string
	Unit     string // what Requests counts: "req" or "events"
	Ceiling  bool
	Round    int
	Requests int
	Errors   int
	Kinds    map[string]int
	RPS      float64
	P50, P99 time.Duration
	Conns    int
	Settle   time.Duration
}

// report prints phases as they finish and the summary at the end.
type report struct {
	w      io.Writer
	o      options
	phases []measure
}

func newReport(w io.Writer, o options) *report { return &report{w: w, o: o} }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *report) header(s *stack, goVersion, platform string, cpus, procs int) {
	fmt.Fprintf(r.w, "tuhono-bench: %s %s, %d CPUs, GOMAXPROCS %d; %s\n", goVersion, platform, cpus, procs, s.Where)
	clients := "clients (one keep-alive connection each)"
	if slices.Equal(r.o.Scenarios, []string{"audit-append"}) {
		clients = "goroutines (one transaction at a time each)"
	} else if slices.Contains(r.o.Scenarios, "audit-append") {
		clients += " / audit-append goroutines"
	}
	fmt.Fprintf(r.w, "  %d %s, %s warm-up + %s measured per phase, %d round(s), pool %d\n",
		r.o.Clients, clients, r.o.Warmup, r.o.Duration, r.o.Rounds, r.o.Pool)
	fmt.Fprintln(r.w, "  compare ratios within this run only: the driver shares the cores with the server and PostgreSQL")
}

func (r *report) phase(sc scenario, target string, ceiling bool, round int, res Result) {
	m := measure{Scenario: sc.Name, Target: target, Unit: sc.Unit, Ceiling: ceiling, Round: round,
		Requests: res.Requests, Errors: res.Errors, Kinds: res.ErrorKind, RPS: res.RPS(),
		P50: res.Percentile(50), P99: res.Percentile(99), Conns: res.Conns, Settle: res.Settle}
	r.phases = append(r.phases, m)
	count, rate, conns := "requests", "req/s", "conns"
	if sc.Unit == "events" {
		count, rate, conns = "events", "ev/s", "goroutines"
	}
	fmt.Fprintf(r.w, "  round %d  %-15s %-14s %s %8d  errors %d  %s %8.0f  p50 %6.2fms  p99 %6.2fms  %s %d",
		round, sc.Name, target, count, m.Requests, m.Errors, rate, m.RPS, ms(m.P50), ms(m.P99), conns, m.Conns)
	if m.Settle > 0 {
		fmt.Fprintf(r.w, "  sealer catch-up %.0fms (counted)", ms(m.Settle))
	}
	fmt.Fprintln(r.w)
	for _, k := range slices.Sorted(maps.Keys(m.Kinds)) {
		fmt.Fprintf(r.w, "    ERROR %s (%s) round %d: %d × %s\n", sc.Name, target, round, m.Kinds[k], k)
	}
	if r.o.JSON {
		r.json(map[string]any{
			"type": "phase", "scenario": sc.Name, "target": target, "ceiling": ceiling, "round": round, "unit": sc.Unit,
			"requests": m.Requests, "errors": m.Errors, "error_kinds": m.Kinds, "rps": round1(m.RPS),
			"p50_ms": ms(m.P50), "p99_ms": ms(m.P99), "conns": m.Conns, "clients": r.o.Clients,
			"duration_s": r.o.Duration.Seconds(), "settle_ms": ms(m.Settle),
		})
	}
}

// agg is a scenario's or ceiling's medians over the rounds.
type agg struct {
	RPS, P50, P99 float64 // p50, p99 in ms
	Errors        int
}

func (r *report) aggregate(scenario string, ceiling bool) agg {
	return r.aggregateWhere(func(m measure) bool { return m.Scenario == scenario && m.Ceiling == ceiling })
}

// aggregateTarget is a target's medians over every phase that drove it (a
// ceiling shared by two scenarios counts both).
func (r *report) aggregateTarget(target string) agg {
	return r.aggregateWhere(func(m measure) bool { return m.Target == target })
}

func (r *report) aggregateWhere(keep func(measure) bool) agg {
	var rps, p50, p99 []float64
	var a agg
	for _, m := range r.phases {
		if keep(m) {
			rps, p50, p99 = append(rps, m.RPS), append(p50, ms(m.P50)), append(p99, ms(m.P99))
			a.Errors += m.Errors
		}
	}
	a.RPS, a.P50, a.P99 = median(rps), median(p50), median(p99)
	return a
}

// ratio is the median over rounds of scenario req/s ÷ ceiling req/s, each
// round's pair measured back to back.
func (r *report) ratio(scenario string) float64 {
	byRound := map[int][2]float64{}
	for _, m := range r.phases {
		if m.Scenario != scenario {
			continue
		}
		p := byRound[m.Round]
		if m.Ceiling {
			p[1] = m.RPS
		} else {
			p[0] = m.RPS
		}
		byRound[m.Round] = p
	}
	var rs []float64
	for _, p := range byRound {
		if p[1] > 0 {
			rs = append(rs, p[0]/p[1])
		}
	}
	return median(rs)
}

func (r *report) summary(scens []scenario) {
	what := "median of %d rounds"
	if r.o.Rounds == 1 {
		what = "%d round"
	}
	fmt.Fprintf(r.w, "\nsummary ("+what+"; ratio = scenario req/s ÷ ceiling req/s; audit-append counts events/s)\n", r.o.Rounds)
	fmt.Fprintf(r.w, "%-15s %8s %7s %7s  %-11s %8s %7s %7s %6s\n",
		"scenario", "req/s", "p50ms", "p99ms", "ceiling", "req/s", "p50ms", "p99ms", "ratio")
	ran := map[string]bool{}
	for _, sc := range scens {
		a, c, ratio := r.aggregate(sc.Name, false), r.aggregate(sc.Name, true), r.ratio(sc.Name)
		ran[sc.Name] = true
		fmt.Fprintf(r.w, "%-15s %8.0f %7.2f %7.2f  %-11s %8.0f %7.2f %7.2f %6.2f\n",
			sc.Name, a.RPS, a.P50, a.P99, sc.Ceiling.Name, c.RPS, c.P50, c.P99, ratio)
		if r.o.JSON {
			r.json(map[string]any{
				"type": "summary", "scenario": sc.Name, "rps": round1(a.RPS), "p50_ms": a.P50, "p99_ms": a.P99,
				"errors": a.Errors, "ceiling": sc.Ceiling.Name, "ceiling_rps": round1(c.RPS),
				"ceiling_p50_ms": c.P50, "ceiling_p99_ms": c.P99, "ceiling_errors": c.Errors,
				"ratio": round3(ratio), "rounds": r.o.Rounds, "clients": r.o.Clients, "unit": sc.Unit,
			})
		}
	}
	if ran["audit-append"] {
		a, c := r.aggregate("audit-append", false), r.aggregate("audit-append", true)
		verdict := "below the goal"
		if ratio := r.ratio("audit-append"); ratio >= 0.6 {
			verdict = "meets the goal"
		}
		fmt.Fprintf(r.w, "\naudit-append, %d goroutines, one event per InTenant transaction: with chain %.0f events/s"+
			" (sealer catch-up counted), without chain %.0f events/s, ratio %.2f (goal ≥ 0.60: %s)\n",
			r.o.Clients, a.RPS, c.RPS, r.ratio("audit-append"), verdict)
	}
	if ran["book"] {
		a, c := r.aggregate("book", false), r.aggregate("book", true)
		verdict := "below the goal"
		if r.ratio("book") >= 0.5 {
			verdict = "meets the goal"
		}
		fmt.Fprintf(r.w, "\nbook at c%d: booking API %.0f req/s (p99 %.1f ms), bare fiber + pgx INSERT %.0f req/s (p99 %.1f ms),"+
			" ratio %.2f (goal ≥ 0.50: %s)\n", r.o.Clients, a.RPS, a.P99, c.RPS, c.P99, r.ratio("book"), verdict)
	}
	if ran["signin"] {
		a, c := r.aggregate("signin", false), r.aggregate("signin", true)
		if a.P50 > 0 && c.P50 > 0 {
			fmt.Fprintf(r.w, "\nsignin at c%d: p50 %.1f ms, p99 %.1f ms; the Argon2id floor alone (bare-argon2) p50 %.1f ms, p99 %.1f ms;"+
				" difference at p50 %+.1f ms: the rest of sign-in (throttle check, user lookup, throttle reset, session insert,"+
				" audit record, huma), within the noise of the hashing when small\n",
				r.o.Clients, a.P50, a.P99, c.P50, c.P99, a.P50-c.P50)
		}
	}
	// With both tenant reads run, split a tenant read's cost: the machine's
	// time per request is 1 ÷ req/s when it is saturated.
	full, bare, pgx := r.aggregateTarget("tenant-read"), r.aggregateTarget("tenant-read-db"), r.aggregateTarget("bare-pgx")
	if ran["tenant-read"] && ran["tenant-read-db"] && full.RPS > 0 && bare.RPS > 0 && pgx.RPS > 0 {
		us := func(rps float64) float64 { return 1e6 / rps }
		fmt.Fprintf(r.w, "\ntenant-read, machine µs per request (1e6 ÷ median req/s): bare-pgx %.1f"+
			" + RLS transaction (tenant-read-db − bare-pgx) %.1f + middleware/directory/token/policy/huma (tenant-read − tenant-read-db) %.1f = %.1f\n",
			us(pgx.RPS), us(bare.RPS)-us(pgx.RPS), us(full.RPS)-us(bare.RPS), us(full.RPS))
	}
}

// errors prints every error kind with its count over the run and returns
// the number of failed requests.
func (r *report) errors() int {
	total := 0
	for _, m := range r.phases {
		total += m.Errors
	}
	if total > 0 {
		fmt.Fprintf(r.w, "\nERRORS: %d requests failed; the figures above are not valid\n", total)
		for _, m := range r.phases {
			for _, k := range slices.Sorted(maps.Keys(m.Kinds)) {
				fmt.Fprintf(r.w, "  %-15s %-12s round %d: %d × %s\n", m.Scenario, m.Target, m.Round, m.Kinds[k], k)
			}
		}
	}
	return total
}

func (r *report) json(v map[string]any) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(r.w, "{\"type\":\"error\",\"error\":%q}\n", err.Error())
		return
	}
	fmt.Fprintf(r.w, "%s\n", b)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
