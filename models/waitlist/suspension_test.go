package waitlist_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/waitlist"
	"github.com/tuhono/tuhono/tenants"
)

// A suspended practice books nobody from the waitlist: the refusal says
// bookings are paused (not that the time was taken), the entry stays open
// and nothing is booked; once active again the same offer books.
func TestBookFromWaitlistWhileSuspended(t *testing.T) {
	p := newPractice(t)
	e := p.add(t, p.entry(p.patient, waitlist.UrgencySoon))
	freed := p.cancelled(t, nextMonday10())
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

	standing(billing.StatusSuspended)
	_, _, err := waitlist.BookFromWaitlist(p.ctx, p.env.DB, p.gp, e.ID, freed.ID)
	if !errors.Is(err, billing.ErrSuspended) || fault.As(err).Message != billing.ErrSuspended.Message {
		t.Fatalf("booking from the waitlist while suspended: %v", err)
	}
	if got, err := waitlist.Get(p.ctx, p.env.DB, e.ID); err != nil || got.Status != waitlist.StatusOpen {
		t.Fatalf("entry after the refusal: %+v, %v", got, err)
	}
	if o, err := waitlist.OffersFor(p.ctx, p.env.DB, freed.ID); err != nil || !o.Free || len(o.Matches) != 1 {
		t.Fatalf("the freed time after the refusal: %+v, %v", o, err)
	}

	standing(billing.StatusActive)
	a, _, err := waitlist.BookFromWaitlist(p.ctx, p.env.DB, p.gp, e.ID, freed.ID)
	if err != nil || a.PatientID != p.patient {
		t.Fatalf("after reactivation: %+v, %v", a, err)
	}
}
