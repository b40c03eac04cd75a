package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDriveCountsAndPercentiles(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Microsecond)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()

	const clients = 4
	const d = 300 * time.Millisecond
	began := time.Now()
	res, err := Drive(context.Background(), Load{URL: srv.URL + "/healthz", Clients: clients, Warmup: 50 * time.Millisecond, Duration: d})
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || len(res.ErrorKind) != 0 {
		t.Fatalf("errors = %d %v, want none", res.Errors, res.ErrorKind)
	}
	if res.Requests < clients || res.Requests != len(res.Latencies) {
		t.Fatalf("requests = %d, latencies = %d", res.Requests, len(res.Latencies))
	}
	if res.Conns != clients {
		t.Errorf("conns = %d, want one per client (%d)", res.Conns, clients)
	}
	if res.Elapsed < d || res.Elapsed > d+200*time.Millisecond {
		t.Errorf("elapsed = %s, want about %s", res.Elapsed, d)
	}
	if took > time.Second {
		t.Errorf("the run took %s for a 350 ms load", took)
	}
	if !slices.IsSorted(res.Latencies) {
		t.Error("latencies not sorted")
	}
	p50, p99 := res.Percentile(50), res.Percentile(99)
	lo, hi := res.Latencies[0], res.Latencies[len(res.Latencies)-1]
	if p50 < 200*time.Microsecond || p50 < lo || p50 > p99 || p99 > hi || p99 > d {
		t.Errorf("min %s p50 %s p99 %s max %s: not sane", lo, p50, p99, hi)
	}
	// Closed loop: requests ≈ clients × elapsed ÷ mean latency.
	if rps := res.RPS(); rps <= 0 || rps > float64(clients)/lo.Seconds()*1.01 {
		t.Errorf("req/s %.0f impossible for %d clients at a minimum latency of %s", rps, clients, lo)
	}
	t.Logf("%d requests, %.0f req/s, p50 %s, p99 %s, conns %d", res.Requests, res.RPS(), p50, p99, res.Conns)
}

func TestDriveCountsServerErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	res, err := Drive(context.Background(), Load{URL: srv.URL, Clients: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors != res.Requests {
		t.Fatalf("requests %d, errors %d: every request should be an error", res.Requests, res.Errors)
	}
	if res.ErrorKind["HTTP 500"] != res.Errors || len(res.ErrorKind) != 1 {
		t.Fatalf("error kinds = %v", res.ErrorKind)
	}
}

func TestDriveCountsTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close() // nothing listens any more
	res, err := Drive(context.Background(), Load{URL: url, Clients: 1, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors == 0 {
		t.Fatal("connection refused was not counted as an error")
	}
	for k := range res.ErrorKind {
		if k[:10] != "transport:" {
			t.Errorf("error kind %q", k)
		}
	}
}

func TestDriveRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://example.com/", "http://10.0.0.1:80/", "https://127.0.0.1/", "http://localhost:1/"} {
		if _, err := Drive(context.Background(), Load{URL: u, Clients: 1, Duration: time.Millisecond}); err == nil {
			t.Errorf("%s was driven", u)
		}
	}
}

func TestPercentile(t *testing.T) {
	var r Result
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0.1: time.Millisecond} {
		if got := r.Percentile(p); got != want {
			t.Errorf("p%v = %s, want %s", p, got, want)
		}
	}
	if (Result{}).Percentile(50) != 0 {
		t.Error("empty result has a percentile")
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median = %v", m)
	}
}

func TestDriveSendsMethodBodyAndHeaders(t *testing.T) {
	body := []byte(`{"email":"a@example.org","password":"correct horse battery"}`)
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		case r.Method != http.MethodPost:
			http.Error(w, "method "+r.Method, http.StatusMethodNotAllowed)
		case !bytes.Equal(got, body) || r.ContentLength != int64(len(body)):
			http.Error(w, fmt.Sprintf("body %q (length %d)", got, r.ContentLength), http.StatusBadRequest)
		case r.Header.Get("Authorization") != "Bearer tuk_secret" || r.Header.Get("Content-Type") != "application/json":
			http.Error(w, "headers", http.StatusUnauthorized)
		case r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != "tuhono-bench":
			http.Error(w, "default headers lost", http.StatusBadRequest)
		default:
			seen.Add(1)
			w.Write([]byte(`{"user_id":"u1"}`))
		}
	}))
	defer srv.Close()

	l := Load{URL: srv.URL + "/api/v1/signin", Clients: 2, Duration: 200 * time.Millisecond,
		Method: http.MethodPost, Body: body,
		Header: map[string]string{"Authorization": "Bearer tuk_secret", "Content-Type": "application/json"}}
	if err := Probe(context.Background(), l, `"user_id"`); err != nil {
		t.Fatalf("probe: %v", err)
	}
	res, err := Drive(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Requests < 2 {
		t.Fatalf("requests %d, errors %d %v: every request should carry the method, body and headers", res.Requests, res.Errors, res.ErrorKind)
	}
	if res.Conns != 2 {
		t.Errorf("conns = %d, want one per client: a body must not cost the keep-alive connection", res.Conns)
	}
	if n := seen.Load(); n < int64(res.Requests) {
		t.Errorf("server saw %d good requests, driver counted %d", n, res.Requests)
	}

	// The same server refuses the default GET, and Probe says so.
	l.Method, l.Body = "", nil
	if err := Probe(context.Background(), l, `"user_id"`); err == nil || !strings.Contains(err.Error(), "HTTP 405") {
		t.Errorf("probe of a GET = %v, want HTTP 405", err)
	}
	res, err = Drive(context.Background(), Load{URL: l.URL, Clients: 1, Duration: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.ErrorKind["HTTP 405"] != res.Errors || res.Errors == 0 {
		t.Errorf("a GET was not refused as one: %d requests, errors %v", res.Requests, res.ErrorKind)
	}
}

func TestProbeWantsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	if err := Probe(context.Background(), Load{URL: srv.URL}, `"status":"ok"`); err != nil {
		t.Fatal(err)
	}
	if err := Probe(context.Background(), Load{URL: srv.URL}, `"slug"`); err == nil {
		t.Fatal("a 200 without the wanted text passed the probe")
	}
	if err := Probe(context.Background(), Load{URL: "http://example.com/"}, ""); err == nil {
		t.Fatal("a non-loopback probe was made")
	}
}

func TestDriveSendsEachRequestItsOwnBody(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.ContentLength != int64(len(b)) {
			http.Error(w, "length", http.StatusBadRequest)
			return
		}
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	var n atomic.Int64
	next := func() []byte { return []byte(fmt.Sprintf(`{"n":%d}`, n.Add(1))) }
	res, err := Drive(context.Background(), Load{URL: srv.URL, Clients: 3, Duration: 100 * time.Millisecond, Method: "POST", Bodies: next})
	if err != nil || res.Errors != 0 {
		t.Fatalf("err %v, errors %v", err, res.ErrorKind)
	}
	for b, c := range seen {
		if c != 1 {
			t.Fatalf("body %s sent %d times", b, c)
		}
	}
	if len(seen) < res.Requests {
		t.Fatalf("%d distinct bodies for %d requests", len(seen), res.Requests)
	}
}

// TestBookScenario runs book and book-bare briefly through the whole bench:
// setup, probe (each answers a created booking), drive, report.
func TestBookScenario(t *testing.T) {
	args := []string{"-scenario", "book", "-c", "2", "-d", "200ms", "-warmup", "50ms", "-pool", "4"}
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		args = append(args, "-db", dsn)
	}
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"book-bare", "book at c2: booking API", "ratio"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log(out.String())
}
