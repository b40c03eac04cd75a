package web

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/db"
	clinical "github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/tenants"
)

// While a practice is suspended for billing, the booking pages say why a
// booking is refused (not "that time is taken") and book nothing; the
// person's page, the appointment and both record exports still open; once
// active again the same form books.
func TestSuspendedPracticePagesRefuseBookingsOnly(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	p, seen := recordPatient(t, s, ctx, gp.ID, hip.ID)
	signNote(t, s, ctx, clinical.Viewer{UserID: hip.ID, TenantID: tn.ID, Roles: []string{"hip"}}, p.ID, seen,
		clinical.Body{Fields: map[string]string{"what_matters": "Waka ama with cousins", "presenting_concern": "Low mood",
			"plan": "Walk twice a week", "risk_screen": "screened: no current risk", "follow_up": "follow-up booked"}}, false)
	loc := tn.Location()
	tomorrow := calendar.Today(loc).AddDate(0, 0, 1)
	booked, _, err := booking.Book(ctx, s.env.DB, gp.ID, booking.NewAppointment{PractitionerID: hip.ID, PatientID: p.ID,
		Kind: booking.KindBooked, Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP,
		StartsAt: time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 9, 0, 0, 0, loc), Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	standing := func(status string) {
		t.Helper()
		err := s.env.DB.Platform(context.Background(), "test: billing standing", func(tx *db.Tx) error {
			return tx.Exec(`UPDATE tenants SET billing_status = ? WHERE id = ?`, status, tn.ID).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func() int64 {
		t.Helper()
		var n int64
		if err := s.env.DB.InTenant(ctx, func(tx *db.Tx) error {
			return tx.Raw(`SELECT count(*) FROM appointments`).Scan(&n).Error
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}

	br := s.agent(t)
	br.signIn(gp)
	base := "/t/" + tn.Slug
	person := base + "/patients/" + p.ID.String()
	book := url.Values{"practitioner_id": {hip.ID.String()}, "service_line": {"hip"}, "kind": {"booked"},
		"mode": {"in_person"}, "date": {tomorrow.Format(time.DateOnly)}, "time": {"10:00"}, "minutes": {"20"}}
	r := br.post(person+"/book", book)
	want(t, r, 200, "Confirm the appointment")
	held := heldID.FindStringSubmatch(r.body)[1]

	standing(billing.StatusSuspended)
	before := count()
	paused := html.EscapeString(billing.ErrSuspended.Message)
	book.Set("time", "11:00")
	r = br.post(person+"/book", book)
	want(t, r, 409, paused)
	if strings.Contains(r.body, "That time is taken") {
		t.Error("the refusal blames the time, not the suspension")
	}
	want(t, br.post(person+"/book/confirm", url.Values{"appointment": {held}}), 409, paused)
	want(t, br.post(base+"/appointments/"+booked.ID.String()+"/reschedule", url.Values{
		"date": {tomorrow.Format(time.DateOnly)}, "time": {"14:00"}, "minutes": {"30"}}), 409, paused)
	if n := count(); n != before {
		t.Fatalf("%d appointments after the refusals, want %d", n, before)
	}

	// Everything already there still opens.
	want(t, br.get(person), 200, "Ngata")
	want(t, br.get(base+"/appointments/"+booked.ID.String()), 200, "Hemi HIP")
	fhir := br.get(person + "/record.fhir.json")
	want(t, fhir, 200, "Waka ama with cousins")
	pdf := br.get(person + "/record.pdf")
	if pdf.status != 200 || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Fatalf("record.pdf while suspended: %d", pdf.status)
	}

	standing(billing.StatusActive)
	want(t, br.post(person+"/book", book), 200, "Confirm the appointment")
}
