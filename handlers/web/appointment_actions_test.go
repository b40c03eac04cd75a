package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

func TestAppointmentRescheduleAndAttendees(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	loc := tn.Location()
	day := calendar.Today(loc).AddDate(0, 0, 1)
	var blocks []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		blocks = append(blocks, schedule.Block{Weekday: wd, Starts: schedule.At(9, 0), Ends: schedule.At(17, 0), Kind: schedule.KindBooked})
	}
	if _, err := schedule.SaveTemplate(ctx, s.env.DB, hip.ID, schedule.NewTemplate{PractitionerID: hip.ID,
		EffectiveFrom: day.AddDate(0, 0, -7), Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
	person := func(family, given string) uuid.UUID {
		p, _, err := patient.Create(ctx, s.env.DB, gp.ID, patient.NewPatient{FamilyName: family, GivenNames: given,
			DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	aroha, mere := person("Ngata", "Aroha"), person("Parata", "Mere")
	y, m, d := day.Date()
	at := func(h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, loc) }
	book := func(pt uuid.UUID, h int) booking.Appointment {
		a, _, err := booking.Book(ctx, s.env.DB, gp.ID, booking.NewAppointment{PractitionerID: hip.ID, PatientID: pt,
			Kind: booking.KindBooked, Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP, StartsAt: at(h), Minutes: 30})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := book(aroha, 10)
	book(mere, 11)
	base := "/t/" + tn.Slug
	page := base + "/appointments/" + a.ID.String()
	br := s.agent(t)
	br.signIn(hip)
	want(t, br.get(page), 200, "Move to another time", `value="10:00"`, `value="30"`)

	// A clash with Mere's appointment: refused with the reason, nothing moved.
	date := day.Format(time.DateOnly)
	r := br.post(page+"/reschedule", url.Values{"date": {date}, "time": {"11:00"}, "minutes": {"30"}})
	if r.status != 409 || !strings.Contains(r.body, "That did not work") {
		t.Fatalf("a clash: %d\n%s", r.status, r.body)
	}
	want(t, br.post(page+"/reschedule", url.Values{"date": {date}, "time": {"noon"}, "minutes": {"30"}}), 422,
		"Enter the new date, and the time as hours and minutes.")
	if got, _ := booking.Get(ctx, s.env.DB, a.ID); got.Status != booking.StatusBooked || !got.StartsAt.Equal(a.StartsAt) {
		t.Fatalf("a refused move changed the appointment: %+v", got)
	}

	// Moved: the new appointment opens, the old one is cancelled as rescheduled.
	r = br.post(page+"/reschedule", url.Values{"date": {date}, "time": {"14:00"}, "minutes": {"20"}})
	if r.status != 303 || !strings.HasSuffix(r.location, "?done=rescheduled") || strings.HasPrefix(r.location, page) {
		t.Fatalf("move: %d %q\n%s", r.status, r.location, r.body)
	}
	want(t, br.follow(r), 200, "Moved to the new time", "2:00 pm", "(20 minutes)")
	if got, _ := booking.Get(ctx, s.env.DB, a.ID); got.Status != booking.StatusCancelled || got.CancelReason != booking.ReasonRescheduled {
		t.Fatalf("the old appointment: %+v", got)
	}
	want(t, br.get(page), 200, "Cancelled")
	if strings.Contains(br.get(page).body, "Move to another time") {
		t.Error("a cancelled appointment offers to move")
	}

	// A group of one place: find, add, then full.
	g, _, err := booking.Book(ctx, s.env.DB, hip.ID, booking.NewAppointment{PractitionerID: hip.ID, Kind: booking.KindGroup,
		Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP, StartsAt: at(15), Minutes: 60, Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	gpage := base + "/appointments/" + g.ID.String()
	want(t, br.get(gpage), 200, "In the group: 0 of 1", "No one yet.", "Add a person")
	want(t, br.get(gpage+"?find=ngata"), 200, "Add Aroha Ngata")
	wantRedirect(t, br.post(gpage+"/attendees", url.Values{"patient_id": {aroha.String()}}), gpage+"?done=added")
	want(t, br.get(gpage), 200, "In the group: 1 of 1", base+"/patients/"+aroha.String(), "The group is full: no more places.")
	want(t, br.post(gpage+"/attendees", url.Values{"patient_id": {mere.String()}}), 409, "The group is full.")
	want(t, br.post(gpage+"/attendees", url.Values{"patient_id": {"nobody"}}), 422, "Find the person")

	// Another practice finds neither.
	other := s.tenant(t)
	admin := s.person(t, "Olive Admin", &other, "practice_admin")
	ob := s.agent(t)
	ob.signIn(admin)
	obase := "/t/" + other.Slug + "/appointments/"
	want(t, ob.post(obase+g.ID.String()+"/attendees", url.Values{"patient_id": {mere.String()}}), 404)
	want(t, ob.post(obase+a.ID.String()+"/reschedule", url.Values{"date": {date}, "time": {"16:00"}, "minutes": {"30"}}), 404)
	if ids, _ := booking.Attendees(ctx, s.env.DB, g.ID); len(ids) != 1 {
		t.Fatalf("attendees %v", ids)
	}
}
