package handover_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/handover"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// Same-day sessions are new bookings too: while the practice is suspended a
// warm handover books nothing and taking someone from the queue leaves them
// waiting; the queue itself still works, and reactivation books again.
func TestSameDayWhileSuspended(t *testing.T) {
	p := newPractice(t)
	p.open(t, p.hip, schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)
	tn, _ := tenants.FromContext(p.ctx)
	standing := func(status string) {
		t.Helper()
		err := p.env.DB.Platform(context.Background(), "test: billing standing", func(tx *db.Tx) error {
			return tx.Exec(`UPDATE tenants SET billing_status = ? WHERE id = ?`, status, tn.ID).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wantSuspended := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, billing.ErrSuspended) || fault.As(err).Message != billing.ErrSuspended.Message {
			t.Fatalf("%s: %v, want the suspension", what, err)
		}
	}

	standing(billing.StatusSuspended)
	_, _, err := handover.Introduce(p.ctx, p.env.DB, p.gp, handover.Introduction{PatientID: p.patient,
		PractitionerID: p.hip, At: at("10:00")})
	wantSuspended("warm handover", err)
	e, err := handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: p.patient})
	if err != nil {
		t.Fatalf("the queue while suspended: %v", err)
	}
	_, _, err = handover.Take(p.ctx, p.env.DB, p.hip, e.ID, handover.Taking{At: at("10:00")})
	wantSuspended("take from the queue", err)
	if q, err := handover.Queue(p.ctx, p.env.DB); err != nil || len(q) != 1 || q[0].Status != handover.StatusWaiting {
		t.Fatalf("queue after the refusal: %+v, %v", q, err)
	}
	if n := p.appointments(t); n != 0 {
		t.Fatalf("%d appointments while suspended, want 0", n)
	}

	standing(billing.StatusActive)
	if _, a, err := handover.Take(p.ctx, p.env.DB, p.hip, e.ID, handover.Taking{At: at("10:00")}); err != nil || a.PatientID != p.patient {
		t.Fatalf("take after reactivation: %+v, %v", a, err)
	}
}
