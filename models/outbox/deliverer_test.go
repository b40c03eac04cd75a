package outbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/outbox"
)

// A deliverer that claims and then dies (here: sent, then died before
// marking) holds the message only for its lease; then it goes again. At
// least once: the duplicate carries the same idempotency key.
func TestCrashAfterClaimRedeliversAfterLease(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	k := key("test-crash")
	enqueue(t, env, email(k))
	ctx := context.Background()

	rec := newRecorder()
	crashed := outbox.NewDeliverer(env.DB, rec, dbtest.Quiet)
	crashed.Lease = time.Second
	held, err := crashed.ClaimForTest(ctx)
	if err != nil || len(held) != 1 || held[0].IdempotencyKey != k {
		t.Fatalf("claim = %v, %v", held, err)
	}
	claimedAt := time.Now()
	rec.Send(ctx, held[0]) // it went out; the process died before marking it

	dl := outbox.NewDeliverer(env.DB, rec, dbtest.Quiet)
	if n, err := dl.DeliverOnce(ctx); err != nil || n != 0 {
		t.Fatalf("during the lease: DeliverOnce = %d, %v; want nothing", n, err)
	}
	for time.Since(claimedAt) < 10*time.Second {
		n, err := dl.DeliverOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if since := time.Since(claimedAt); since < 900*time.Millisecond {
		t.Errorf("re-delivered %v after the claim, before the 1 s lease ran out", since)
	}
	if got := rec.count(k); got != 2 {
		t.Fatalf("sent %d times, want 2 (once before the crash, once after the lease)", got)
	}
	if s := state(t, env, k); !s.Delivered || s.Attempts != 2 {
		t.Errorf("state %+v; want delivered on attempt 2", s)
	}
}

// Two deliverers on 50 messages share them through SKIP LOCKED and the
// lease: each message goes exactly once.
func TestConcurrentDeliverersSendEachOnce(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	var ms []outbox.Email
	for i := range 50 {
		ms = append(ms, email(key(fmt.Sprintf("test-concurrent-%02d", i))))
	}
	enqueue(t, env, ms...)

	rec := newRecorder()
	rec.delay = 2 * time.Millisecond
	var wg sync.WaitGroup
	start := make(chan struct{})
	var got [2]int
	var errs [2]error
	for i := range 2 {
		dl := outbox.NewDeliverer(env.DB, rec, dbtest.Quiet)
		dl.Batch = 5
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = dl.DeliverOnce(context.Background())
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("deliverer %d: %v", i, err)
		}
	}
	if got[0]+got[1] != 50 {
		t.Errorf("delivered %d + %d, want 50 in all", got[0], got[1])
	}
	t.Logf("deliverers sent %d and %d", got[0], got[1])
	for _, m := range ms {
		if n := rec.count(m.IdempotencyKey); n != 1 {
			t.Errorf("%s sent %d times", m.IdempotencyKey, n)
		}
		if s := state(t, env, m.IdempotencyKey); !s.Delivered || s.Attempts != 1 {
			t.Errorf("%s: %+v", m.IdempotencyKey, s)
		}
	}
}

// Run sends within a moment of the commit, woken by NOTIFY rather than its
// poll (set to an hour here), and keeps doing so after its listening
// connection is cut.
func TestRunWakesOnNotify(t *testing.T) {
	env := dbtest.New(t)
	quiet(t, env)
	super, err := pgx.Connect(context.Background(), env.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(context.Background())
	listening := func() bool {
		var n int
		err := super.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'tuhono-outbox' AND datname = current_database() AND query ILIKE 'LISTEN%'`).Scan(&n)
		return err == nil && n > 0
	}
	waitListening := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !listening(); {
			if time.Now().After(deadline) {
				t.Fatal("Run never listened")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	rec := newRecorder()
	rec.got = make(chan string, 16)
	dl := outbox.NewDeliverer(env.DB, rec, dbtest.Quiet)
	dl.Poll = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { dl.Run(ctx, env.AppURL); close(done) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	}()
	waitFor := func(k string, within time.Duration) {
		t.Helper()
		timer := time.NewTimer(within)
		defer timer.Stop()
		for {
			select {
			case got := <-rec.got:
				if got == k {
					return
				}
			case <-timer.C:
				t.Fatalf("%s not delivered within %v", k, within)
			}
		}
	}

	waitListening()
	for i := range 3 {
		k := key(fmt.Sprintf("test-run-%d", i))
		enqueue(t, env, email(k))
		committed := time.Now()
		waitFor(k, time.Second)
		t.Logf("delivered %v after commit", time.Since(committed).Round(time.Millisecond))
	}

	// Cut the listening connection; a message committed while Run is not
	// listening goes as soon as it listens again.
	if _, err := super.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'tuhono-outbox' AND datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	k := key("test-run-reconnect")
	enqueue(t, env, email(k))
	waitFor(k, 5*time.Second)
	waitListening()
	k = key("test-run-after")
	enqueue(t, env, email(k))
	waitFor(k, time.Second)
}
