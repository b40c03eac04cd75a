package web

import (
	"context"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/referral"
	"github.com/tuhono/tuhono/tenants"
)

// A Support Worker referral shows on the person's timeline, linking to it.
func TestPatientTimelineShowsReferral(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	p, _, err := patient.Create(ctx, s.env.DB, gp.ID, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Aroha",
		DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := referral.Create(ctx, s.env.DB, hip.ID, referral.NewReferral{PatientID: p.ID,
		Needs: []referral.Need{referral.NeedHousing}, Consent: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	br := s.agent(t)
	br.signIn(hip)
	base := "/t/" + tn.Slug
	want(t, br.get(base+"/patients/"+p.ID.String()), 200, base+"/referrals/"+r.ID.String(),
		"Support Worker referral: "+referral.NeedHousing.Label(), "Waiting for a Support Worker", "Contact due by ")
}
