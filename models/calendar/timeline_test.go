package calendar_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/referral"
)

// A Support Worker referral joins the person's timeline in date order,
// with its status, needs and due day, and changes no appointment's "first".
func TestTimelineWithReferral(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	pt := p.patient(t, "Ngata", "Aroha", "")
	a := p.book(t, hip, pt, p.at(p.soon(), 9, 0), 20)
	now := time.Now().UTC()
	r, err := referral.Create(p.ctx, p.env.DB, hip, referral.NewReferral{PatientID: pt,
		Needs: []referral.Need{referral.NeedHousing, referral.NeedFood}, Consent: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else's referral stays off this timeline.
	if _, err := referral.Create(p.ctx, p.env.DB, hip, referral.NewReferral{PatientID: p.patient(t, "Other", "Someone", ""),
		Needs: []referral.Need{referral.NeedIncome}, Consent: true}, now); err != nil {
		t.Fatal(err)
	}

	items, err := calendar.Timeline(p.ctx, p.env.DB, pt)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("items %+v", items)
	}
	if items[0].ID != a.ID || items[0].Source != calendar.SourceAppointment || !items[0].First {
		t.Fatalf("the appointment (later) first, still a first visit: %+v", items[0])
	}
	got := items[1]
	if got.Source != calendar.SourceReferral || got.ID != r.ID || got.ReferralStatus != referral.StatusReferred ||
		!slices.Equal(got.Needs, []referral.Need{referral.NeedHousing, referral.NeedFood}) ||
		got.PractitionerID != uuid.Nil || !got.DueBy.Equal(r.DueBy) ||
		!got.StartsAt.Equal(r.ReferredAt.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("the referral: %+v (stored %+v)", got, r)
	}

	other := newPractice(t)
	if got, err := calendar.Timeline(other.ctx, other.env.DB, pt); err != nil || len(got) != 0 {
		t.Fatalf("another practice reads the timeline: %v %v", got, err)
	}
}
