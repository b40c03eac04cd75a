package web

import (
	"context"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// referralPractice is an active practice without the MFA requirement (these
// tests sign in with passwords), with a GP, a HIP, a Support Worker and a
// patient.
type referralPractice struct {
	tn          tenants.Tenant
	gp, hip, sw account.User
	patient     patient.Patient
	base        string
}

func newReferralPractice(t *testing.T, s *stack) referralPractice {
	t.Helper()
	p := referralPractice{tn: s.tenant(t)}
	p.gp = s.person(t, "Gina GP", &p.tn, "gp")
	p.hip = s.person(t, "Hemi HIP", &p.tn, "hip")
	p.sw = s.person(t, "Sina Support", &p.tn, "support_worker")
	ctx := tenants.WithTenant(context.Background(), p.tn)
	st := onboarding.DefaultSettings
	st.MFARequired = false
	if err := onboarding.SaveSettings(ctx, s.env.DB, p.gp.ID, st); err != nil {
		t.Fatal(err)
	}
	var err error
	p.patient, _, err = patient.Create(ctx, s.env.DB, p.gp.ID, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Aroha",
		DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	p.base = "/t/" + p.tn.Slug
	return p
}

func (p referralPractice) count(t *testing.T, s *stack, table string) int64 {
	t.Helper()
	var n int64
	err := s.env.DB.InTenant(tenants.WithTenant(context.Background(), p.tn), func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM ` + table).Scan(&n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var referralLink = regexp.MustCompile(`/referrals/([0-9a-f-]{36})\?done=referred`)

func TestReferralPages(t *testing.T) {
	s := newStack(t, testBase)
	a := newReferralPractice(t, s)
	refer := a.base + "/patients/" + a.patient.ID.String() + "/refer"

	hip := s.agent(t)
	hip.signIn(a.hip)
	want(t, hip.get(refer), 200, "Refer Aroha Ngata to a Support Worker", "Whānau / family", `name="consent"`)
	// No consent, no referral; nothing changes.
	want(t, hip.post(refer, url.Values{"needs": {"housing"}, "note": {"Cold house"}}), 422, "consent", "Cold house")
	want(t, hip.post(refer, url.Values{"needs": {"money"}, "consent": {"yes"}}), 422, "Choose needs from the list")
	if n := a.count(t, s, "referrals"); n != 0 {
		t.Fatalf("%d referrals after refusals", n)
	}
	r := hip.post(refer, url.Values{"needs": {"housing", "whanau"}, "note": {"Whānau need a warm house"}, "consent": {"yes"}})
	m := referralLink.FindStringSubmatch(r.location)
	if r.status != 303 || m == nil {
		t.Fatalf("refer: %d %q", r.status, r.location)
	}
	page := a.base + "/referrals/" + m[1]
	want(t, hip.follow(r), 200, "The referral is made", "Housing, Whānau / family", "Whānau need a warm house")

	// A GP may open referrals by policy, but the rule of the model of care is
	// that HIPs and Health Coaches refer.
	gp := s.agent(t)
	gp.signIn(a.gp)
	want(t, gp.post(refer, url.Values{"needs": {"stress"}, "consent": {"yes"}}), 422, "Only a HIP or Health Coach")

	sw := s.agent(t)
	sw.signIn(a.sw)
	want(t, sw.get(a.base+"/referrals"), 200, "Awaiting first contact", "Aroha Ngata", page)
	want(t, sw.get(page), 200, "Accept this referral")
	wantRedirect(t, sw.post(page+"/accept", nil), page+"?done=accepted")
	want(t, sw.post(page+"/accept", nil), 409, "already been accepted")
	now := time.Now().In(a.tn.Location()).Format("2006-01-02T15:04")
	want(t, sw.post(page+"/contacts", url.Values{"at": {now}, "mode": {"pigeon"}, "outcome": {"reached"}}), 422, "Choose phone")
	want(t, sw.post(page+"/contacts", url.Values{"at": {"yesterday"}, "mode": {"phone"}, "outcome": {"reached"}}), 422, "Enter a date and time")
	wantRedirect(t, sw.post(page+"/contacts", url.Values{"at": {now}, "mode": {"phone"}, "outcome": {"reached"},
		"contact_note": {"Talked it through"}}), page+"?done=contact")
	want(t, sw.get(page), 200, "Contacted within target", "Reached the person", "Talked it through")
	want(t, sw.get(a.base+"/referrals"), 200, "In progress")
	wantRedirect(t, sw.post(page+"/close", url.Values{"close_outcome": {"needs_met"}, "close_note": {"Housed"}}), page+"?done=closed")
	want(t, sw.get(page), 200, "Needs met", "Housed")
	want(t, sw.get(a.base+"/referrals"), 200, "No open referrals")

	// Another practice: its Support Worker cannot see or act on A's referral,
	// nor refer A's patient.
	b := newReferralPractice(t, s)
	swB := s.agent(t)
	swB.signIn(b.sw)
	foreign := b.base + "/referrals/" + m[1]
	want(t, swB.get(foreign), 404)
	want(t, swB.post(foreign+"/accept", nil), 404)
	want(t, swB.post(foreign+"/close", url.Values{"close_outcome": {"other"}}), 404)
	hipB := s.agent(t)
	hipB.signIn(b.hip)
	want(t, hipB.post(b.base+"/patients/"+a.patient.ID.String()+"/refer", url.Values{"needs": {"food"}, "consent": {"yes"}}), 404)
	if n := b.count(t, s, "referrals"); n != 0 {
		t.Errorf("B has %d referrals", n)
	}
}

var entryWithdraw = regexp.MustCompile(`/waitlist/([0-9a-f-]{36})/withdraw`)

func TestWaitlistPages(t *testing.T) {
	s := newStack(t, testBase)
	a := newReferralPractice(t, s)
	gp := s.agent(t)
	gp.signIn(a.gp)
	list := a.base + "/waitlist"

	want(t, gp.get(list), 200, "Nobody is on the waitlist", "Find the person")
	want(t, gp.get(list+"?q=Ngata"), 200, list+"?patient="+a.patient.ID.String())
	want(t, gp.get(list+"?patient="+a.patient.ID.String()), 200, "Adding <strong>Aroha Ngata</strong>", "Hemi HIP (HIP)", "Monday")
	add := url.Values{"patient_id": {a.patient.ID.String()}, "service_line": {"hip"}, "urgency": {"urgent"}}
	bad := url.Values{"patient_id": {a.patient.ID.String()}, "service_line": {"hip"}, "urgency": {"whenever"}}
	want(t, gp.post(list, bad), 422, "Choose routine, soon or urgent")
	bad.Set("urgency", "soon")
	bad["preferred"] = []string{"mon:midnight"}
	want(t, gp.post(list, bad), 422, "mon:morning")
	if n := a.count(t, s, "waitlist_entries"); n != 0 {
		t.Fatalf("%d entries after refusals", n)
	}
	wantRedirect(t, gp.post(list, add), list+"?done=added")
	want(t, gp.post(list, add), 422, "already on the waitlist")
	r := gp.get(list)
	want(t, r, 200, "Aroha Ngata", "Urgent", "Any time")
	m := entryWithdraw.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no withdraw form")
	}
	entry := m[1]

	// A HIP appointment tomorrow is cancelled: its time is offered.
	ctx := tenants.WithTenant(context.Background(), a.tn)
	other, _, err := patient.Create(ctx, s.env.DB, a.gp.ID, patient.NewPatient{FamilyName: "Parata", GivenNames: "Wiremu",
		DateOfBirth: time.Date(1985, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().In(a.tn.Location()).AddDate(0, 0, 1)
	start := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 10, 0, 0, 0, a.tn.Location())
	appt, _, err := booking.Book(ctx, s.env.DB, a.gp.ID, booking.NewAppointment{PractitionerID: a.hip.ID, PatientID: other.ID,
		Kind: booking.KindBooked, Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP, StartsAt: start, Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	offers := a.base + "/waitlist/offers/" + appt.ID.String()
	want(t, gp.get(offers), 409) // still booked: nothing is freed
	if _, err := booking.Cancel(ctx, s.env.DB, a.gp.ID, appt.ID, "unwell"); err != nil {
		t.Fatal(err)
	}
	want(t, gp.get(offers), 200, "Hemi HIP", "Aroha Ngata", "Book into this time")

	// Another practice cannot see the offer, withdraw A's entry or book it.
	b := newReferralPractice(t, s)
	gpB := s.agent(t)
	gpB.signIn(b.gp)
	want(t, gpB.get(b.base+"/waitlist/offers/"+appt.ID.String()), 404)
	want(t, gpB.post(b.base+"/waitlist/"+entry+"/withdraw", url.Values{"reason": {"mine"}}), 404)
	want(t, gpB.post(b.base+"/waitlist/"+entry+"/book", url.Values{"appointment_id": {appt.ID.String()}}), 404)
	want(t, gpB.get(b.base+"/waitlist"), 200, "Nobody is on the waitlist")

	wantRedirect(t, gp.post(a.base+"/waitlist/"+entry+"/book", url.Values{"appointment_id": {appt.ID.String()}}), list+"?done=booked")
	want(t, gp.get(list), 200, "Nobody is on the waitlist")
	want(t, gp.get(offers), 200, "Nobody on the waitlist matches this time", "no longer free", a.base+"/appointments/"+appt.ID.String())
	var booked int64
	s.env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM appointments WHERE patient_id = ? AND status = 'booked' AND starts_at = ?`,
			a.patient.ID, start).Scan(&booked).Error
	})
	if booked != 1 {
		t.Errorf("%d bookings for the waiting person", booked)
	}

	// Withdrawing.
	add.Set("patient_id", other.ID.String())
	wantRedirect(t, gp.post(list, add), list+"?done=added")
	m = entryWithdraw.FindStringSubmatch(gp.get(list).body)
	if m == nil {
		t.Fatal("no withdraw form")
	}
	wantRedirect(t, gp.post(a.base+"/waitlist/"+m[1]+"/withdraw", url.Values{"reason": {"Seen elsewhere"}}), list+"?done=withdrawn")
	want(t, gp.post(a.base+"/waitlist/"+m[1]+"/withdraw", url.Values{"reason": {"again"}}), 409, "no longer on the waitlist")
	want(t, gp.get(a.base+"/waitlist/offers/"+uuid.NewString()), 404)
}
