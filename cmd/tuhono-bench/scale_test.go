package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// scaleServer is a superuser DSN: TEST_DATABASE_URL, or an embedded
// PostgreSQL stopped when the test ends.
func scaleServer(t *testing.T) string {
	t.Helper()
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		return dsn
	}
	ctx := context.Background()
	e, err := db.StartEmbedded(ctx, t.TempDir(), "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("embedded PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = e.Stop(sctx)
	})
	return e.SuperURL()
}

// TestScale seeds three small practices, then runs the scale bench twice:
// the first run prepares the busy day, the second finds it again rather
// than making another.
func TestScale(t *testing.T) {
	super := scaleServer(t)
	name := "tuhono_scale_test_" + uuid.NewString()[:8]
	t.Cleanup(func() {
		if err := dropDatabase(super, name); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
	})
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"seed", "-db", super, "-database", name, "-practices", "3", "-per-week", "10"}, &out, &errOut); code != 0 {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	busyDays := make([]string, 2)
	for i := range busyDays {
		out.Reset()
		errOut.Reset()
		if code := dispatch([]string{"scale", "-db", super, "-database", name, "-n", "5", "-c", "2"}, &out, &errOut); code != 0 {
			t.Fatalf("scale run %d: exit %d\n%s\n%s", i, code, out.String(), errOut.String())
		}
		report := out.String()
		for _, want := range []string{"availability, practice week", "availability, one practitioner week",
			"board, seed-practice-00001", "10 practitioners", "p99"} {
			if !strings.Contains(report, want) {
				t.Fatalf("report lacks %q:\n%s", want, report)
			}
		}
		if !regexp.MustCompile(`(?m)^board, busy day +200 `).MatchString(report) {
			t.Fatalf("the busy day's board did not have 200 appointments:\n%s", report)
		}
		if !regexp.MustCompile(`day board with 200 appointments: p99 [0-9.]+ms (meets|MISSES) the goal of 50ms`).MatchString(report) {
			t.Fatalf("no verdict:\n%s", report)
		}
		m := regexp.MustCompile(`busy day (\d{4}-\d\d-\d\d)`).FindStringSubmatch(report)
		if m == nil {
			t.Fatalf("no busy day:\n%s", report)
		}
		busyDays[i] = m[1]
		t.Log(report)
	}
	if busyDays[0] != busyDays[1] {
		t.Fatalf("the second run made another busy day (%s, then %s)", busyDays[0], busyDays[1])
	}
}

// TestScaleRefusesBadFlags: no database, or no runs, is a usage error.
func TestScaleRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"scale"}, {"scale", "-db", "postgres://x", "-n", "0"}, {"scale", "-db", "postgres://x", "-c", "0"}} {
		var out, errOut bytes.Buffer
		if code := dispatch(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if !strings.Contains(errOut.String(), "-db is required") {
			t.Errorf("%v: %q", args, errOut.String())
		}
	}
}

func TestBusyStartsDoNotOverlap(t *testing.T) {
	loc, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	starts := busyStarts(loc, time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC))
	if len(starts) != busyAppointments/busyPractitioners {
		t.Fatalf("%d starts", len(starts))
	}
	for i := 1; i < len(starts); i++ {
		if starts[i].Sub(starts[i-1]) < busyMinutes*time.Minute {
			t.Fatalf("%s overlaps %s", starts[i], starts[i-1])
		}
	}
	if got := fmt.Sprint(starts[0].In(loc).Format("15:04"), " ", starts[len(starts)-1].In(loc).Format("15:04")); got != "09:00 16:00" {
		t.Fatalf("first and last starts %s", got)
	}
}
