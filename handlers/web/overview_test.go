package web

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/tenants"
)

var overviewLatency = flag.Int("overview-latency", 0,
	"measure GET /regions/:region/overview over this many requests against 200 practices, and print p50/p99")

// TestRegionOverviewLatency is the issue's benchmark "region overview page
// with 200 practices: p99 latency". It is a measurement, not a timed test:
// it runs only when asked and prints its figures without a target.
//
//	go test ./handlers/web -run RegionOverviewLatency -overview-latency 500 -v
//
// It seeds 200 practices, each with a practice admin, a HIP and a GP
// (through the account service, so the policy is told as in production),
// signs in as the region's admin and drives the page through the whole
// stack (session cookie, CSRF, the region guard, the policy, the platform
// read, the AcrossTenants read and the template), one request at a time.
// newStack drives the app in-process (fiber's app.Test over an in-memory
// connection), so the figures hold everything but the TCP socket.
func TestRegionOverviewLatency(t *testing.T) {
	if *overviewLatency <= 0 {
		t.Skip("a measurement: run with -overview-latency N")
	}
	s := newStack(t, testBase)
	start := time.Now()
	r, practices, ra := regionWithPractices(t, s, 200)
	ctx := context.Background()
	for i, tn := range practices {
		roles := [][]string{{"practice_admin"}, {"hip"}, {"gp"}}
		if i%4 == 0 {
			roles = roles[:1] // some practices are not ready
		}
		for _, rs := range roles {
			u, err := s.accounts.CreateUser(ctx, "p-"+uuid.NewString()[:8]+"@example.co.nz", "Someone", testPassword, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.accounts.AddMember(tenantCtx(tn), u.ID, u.ID, rs); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("seeded 200 practices with members in %s", time.Since(start).Round(time.Millisecond))

	br := s.agent(t)
	br.signIn(ra)
	path := "/regions/" + r.Slug + "/overview"
	first := br.get(path)
	want(t, first, 200, "0 of 200 practices live")
	if n := strings.Count(first.body, "<progress "); n != 200 {
		t.Fatalf("%d practices on the page, want 200", n)
	}
	for i := 0; i < 20; i++ { // warm-up: pool, statement cache, template
		br.get(path)
	}
	// Timed without the agent's page checks (its CSP scan of a 300 kB page
	// costs as much as serving it): the request with the session cookie,
	// the whole answer read.
	var cookie []string
	for k, v := range br.cookies {
		cookie = append(cookie, k+"="+v)
	}
	lat := make([]time.Duration, *overviewLatency)
	began := time.Now()
	for i := range lat {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Cookie", strings.Join(cookie, "; "))
		t0 := time.Now()
		res, err := s.app.Test(req, 30_000)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		lat[i] = time.Since(t0)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("request %d: %d %v", i, res.StatusCode, err)
		}
	}
	total := time.Since(began)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("region overview, 200 practices, %d requests one at a time, %d bytes: p50 %s  p90 %s  p99 %s  max %s  (%.0f req/s)\n",
		len(lat), len(first.body), pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond),
		pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond), float64(len(lat))/total.Seconds())
}

func tenantCtx(tn tenants.Tenant) context.Context {
	return tenants.WithTenant(context.Background(), tn)
}
