package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Load says how to drive one target.
type Load struct {
	URL      string        // a loopback http:// URL; anything else is refused
	Clients  int           // concurrent clients, each with one keep-alive connection
	Warmup   time.Duration // driven but not measured (errors still count)
	Duration time.Duration // measured
	Timeout  time.Duration // per request; 0 means 10 s

	// What every request sends. Method "" is GET; Body, when not nil, is
	// sent whole with every request (with its Content-Length); Header adds
	// to or replaces the defaults (Accept: application/json, User-Agent:
	// tuhono-bench). The Content-Type of a body is the caller's to set.
	Method string
	Body   []byte
	Header map[string]string
	// Bodies, when set, makes each request's body instead of Body: a load
	// whose requests must differ (bookings, each for another slot).
	Bodies func() []byte
}

// newRequest builds l's request, with its headers, on ctx.
func (l Load) newRequest(ctx context.Context) (*http.Request, error) {
	method := l.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if l.Bodies != nil {
		body = bytes.NewReader(l.Bodies())
	} else if l.Body != nil {
		body = bytes.NewReader(l.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.URL, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tuhono-bench")
	for k, v := range l.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v // net/http ignores a Host entry in Header
			continue
		}
		req.Header.Set(k, v)
	}
	return req, nil
}

// checkTarget refuses anything but a loopback http:// URL.
func checkTarget(target string) (*url.URL, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return nil, errors.New("load: the target must be an http:// URL")
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("load: only loopback targets (127.0.0.1) are driven, not %q", u.Hostname())
	}
	return u, nil
}

// Result is what one Drive measured.
type Result struct {
	Requests  int             // requests started in the measured window and completed
	Errors    int             // failed requests, warm-up included
	ErrorKind map[string]int  // what failed, with counts
	Elapsed   time.Duration   // from the start of the measured window to the last completion
	Conns     int             // connections dialled: Clients unless the server closed some
	Latencies []time.Duration // of the measured requests, sorted
	// Settle is how long an in-process target waited after its measured
	// window for the background work the window caused (the audit sealer
	// catching up); it is included in Elapsed. Zero for HTTP targets.
	Settle time.Duration
}

// RPS is measured requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of the
// measured latencies, 0 when there are none.
func (r Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(n))) - 1
	i = max(0, min(i, n-1))
	return r.Latencies[i]
}

// maxErrorKinds bounds the distinct error descriptions kept; the rest are
// counted under "other".
const maxErrorKinds = 20

// worker is one client's private tally, merged when the run ends.
type worker struct {
	lat     []time.Duration
	errs    map[string]int
	nerr    int
	lastEnd time.Time
}

func (w *worker) fail(kind string) {
	w.nerr++
	if w.errs == nil {
		w.errs = map[string]int{}
	}
	w.errs[kind]++
}

// Drive sends l's request (GET unless l.Method says otherwise) to l.URL from
// l.Clients concurrent clients, each a
// loop of request, read the whole body, next request, on its own keep-alive
// connection, for l.Warmup and then l.Duration. A request whose status is not
// 2xx, or that fails in transport, is an error. It returns once every client
// has stopped: no client starts a request after the window ends, and one in
// flight then is bounded by l.Timeout.
func Drive(ctx context.Context, l Load) (Result, error) {
	if _, err := checkTarget(l.URL); err != nil {
		return Result{}, err
	}
	if l.Clients < 1 || l.Duration <= 0 || l.Warmup < 0 {
		return Result{}, errors.New("load: need at least one client and a positive duration")
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}

	var dials atomic.Int64
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}

	// The capacity guess saves most regrowth: ~30k req/s shared by the clients.
	guess := int(l.Duration.Seconds()*30000)/l.Clients + 64
	guess = min(guess, 1<<20)

	start := time.Now()
	measureFrom := start.Add(l.Warmup)
	end := measureFrom.Add(l.Duration)
	ws := make([]*worker, l.Clients)
	var wg sync.WaitGroup
	for i := range ws {
		w := &worker{lat: make([]time.Duration, 0, guess)}
		ws[i] = w
		// Each client has its own transport limited to one connection, so
		// "one keep-alive connection per client" holds by construction.
		tr := &http.Transport{
			Proxy:               nil, // never an HTTP_PROXY from the environment
			DialContext:         dial,
			MaxIdleConns:        1,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		}
		client := &http.Client{Transport: tr, Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, err := l.newRequest(ctx)
		if err != nil {
			return Result{}, fmt.Errorf("load: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tr.CloseIdleConnections()
			for {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					return
				}
				// A request without a body is reused: allowed once the
				// previous answer's body is closed. One with a body gets a
				// shallow copy with a fresh reader, so no write of the
				// previous request can still be reading the one it sends.
				r := req
				if l.Bodies != nil {
					r = req.WithContext(ctx)
					b := l.Bodies()
					r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				} else if l.Body != nil {
					r = req.WithContext(ctx)
					r.Body, _ = req.GetBody()
				}
				resp, err := client.Do(r)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
						err = statusError(resp.StatusCode)
					}
				}
				t1 := time.Now()
				w.lastEnd = t1
				if err != nil {
					if ctx.Err() != nil {
						return // interrupted, not a server failure
					}
					w.fail(describe(err))
				}
				if !t0.Before(measureFrom) {
					w.lat = append(w.lat, t1.Sub(t0))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("load: interrupted: %w", err)
	}

	r := merge(ws, measureFrom)
	r.Conns = int(dials.Load())
	return r, nil
}

// merge adds up the workers' tallies: the measured latencies (sorted), every
// error, and the elapsed time from measureFrom to the last completion.
func merge(ws []*worker, measureFrom time.Time) Result {
	r := Result{ErrorKind: map[string]int{}}
	n := 0
	last := measureFrom
	for _, w := range ws {
		n += len(w.lat)
		if w.lastEnd.After(last) {
			last = w.lastEnd
		}
	}
	r.Latencies = make([]time.Duration, 0, n)
	for _, w := range ws {
		r.Latencies = append(r.Latencies, w.lat...)
		r.Errors += w.nerr
		for k, v := range w.errs {
			if _, ok := r.ErrorKind[k]; !ok && len(r.ErrorKind) >= maxErrorKinds {
				k = "other"
			}
			r.ErrorKind[k] += v
		}
	}
	slices.Sort(r.Latencies)
	r.Requests = n
	r.Elapsed = last.Sub(measureFrom)
	return r
}

type statusError int

func (s statusError) Error() string { return fmt.Sprintf("HTTP %d", int(s)) }

// describe reduces an error to a stable description for counting: the
// URL (with its ephemeral port) is dropped.
func describe(err error) string {
	var s statusError
	if errors.As(err, &s) {
		return s.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return "transport: " + msg
}

// Probe makes one request as l describes (URL, method, body, headers) and
// checks it answers 2xx with a body containing want, so that a scenario is
// known to do what it says before it is measured (a fast 404 is not a fast
// tenant read, a fast 401 not a sign-in).
func Probe(ctx context.Context, l Load, want string) error {
	u, err := checkTarget(l.URL)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := l.newRequest(ctx)
	if err != nil {
		return err
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s %s: %w", req.Method, u.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("probe %s %s: %w", req.Method, u.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 || !strings.Contains(string(body), want) {
		if len(body) > 300 {
			body = body[:300]
		}
		return fmt.Errorf("probe %s %s: HTTP %d, want 2xx with %q; body: %s", req.Method, u.Path, resp.StatusCode, want, body)
	}
	return nil
}
