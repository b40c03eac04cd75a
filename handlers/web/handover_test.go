package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/handover"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// handoverPractice is a practice with a GP, a HIP who keeps the whole day
// open, a practice administrator and a patient. The practice does not
// require MFA, so that these tests sign in with a password alone (MFA itself
// is tested with the identity pages).
type handoverPractice struct {
	tn             tenants.Tenant
	ctx            context.Context
	gp, hip, admin account.User
	patient        uuid.UUID
}

func newHandoverPractice(t testing.TB, s *stack) handoverPractice {
	t.Helper()
	p := handoverPractice{tn: s.tenant(t, "Te Awa Medical")}
	p.ctx = tenants.WithTenant(context.Background(), p.tn)
	p.gp = s.person(t, "Dr Hana Walker", &p.tn, "gp")
	p.hip = s.person(t, "Mere Tāne", &p.tn, "hip")
	p.admin = s.person(t, "Rua Admin", &p.tn, "practice_admin")
	off := onboarding.DefaultSettings
	off.MFARequired = false
	if err := onboarding.SaveSettings(p.ctx, s.env.DB, p.admin.ID, off); err != nil {
		t.Fatal(err)
	}
	var blocks []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		blocks = append(blocks, schedule.Block{Weekday: wd, Starts: schedule.DayStarts, Ends: schedule.DayEnds, Kind: schedule.KindOpen})
	}
	if _, err := schedule.SaveTemplate(p.ctx, s.env.DB, p.admin.ID, schedule.NewTemplate{PractitionerID: p.hip.ID,
		EffectiveFrom: time.Now().AddDate(0, 0, -2), Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
	pt, _, err := patient.Create(p.ctx, s.env.DB, p.gp.ID, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Aroha",
		PreferredName: "Ro", DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	p.patient = pt.ID
	return p
}

// inOpenHours reports whether now is inside the HIP's open day, with room
// for a session: whether "free now" can be expected of them.
func (p handoverPractice) inOpenHours() bool {
	local := time.Now().In(p.tn.Location())
	m := local.Hour()*60 + local.Minute()
	return m >= int(schedule.DayStarts) && m < int(schedule.DayEnds)-int(handover.MinFree/time.Minute)-1
}

var apptLink = regexp.MustCompile(`/appointments/([0-9a-f-]{36})`)

func TestHandoverPages(t *testing.T) {
	s := newStack(t, testBase)
	p := newHandoverPractice(t, s)
	base := "/t/" + p.tn.Slug
	introduce := base + "/patients/" + p.patient.String() + "/introduce"

	gp := s.agent(t)
	gp.signIn(p.gp)
	page := gp.get(introduce)
	want(t, page, 200, "Introduce Ro Ngata now", "Add to the same-day queue", `name="note"`)
	// The HIP's open block runs all day (06:00–22:00 in the practice's zone):
	// inside it they are free now; outside it the page offers them later
	// today or says nobody has open time left. Either way it says something.
	switch {
	case p.inOpenHours():
		if !strings.Contains(page.body, "Book now with Mere Tāne") {
			t.Errorf("the free HIP is not offered:\n%s", page.body)
		}
	case !strings.Contains(page.body, `id="free-none"`) && !strings.Contains(page.body, "with Mere Tāne"):
		t.Errorf("outside open hours the page neither offers a later time nor says none is left:\n%s", page.body)
	}

	// A note too long comes back with its message, and nothing is queued.
	want(t, gp.post(base+"/patients/"+p.patient.String()+"/queue", url.Values{"note": {strings.Repeat("kōrero ", 80)},
		"service_line": {"either"}}), 422, "Keep it to 500 characters", "kōrero")
	if q, _ := handover.Queue(p.ctx, s.env.DB); len(q) != 0 {
		t.Fatalf("a refused note queued someone: %+v", q)
	}
	wantRedirect(t, gp.post(base+"/patients/"+p.patient.String()+"/queue", url.Values{
		"note": {"Low mood since the redundancy; happy to talk today."}, "service_line": {"hip"}}), base+"/queue?done=queued")
	queued := gp.get(base + "/queue?done=queued")
	want(t, queued, 200, "Added to the same-day queue", "Ro Ngata", "Low mood since the redundancy", "Dr Hana Walker")
	if strings.Contains(queued.body, ">Take<span") {
		t.Error("a GP is offered Take")
	}
	// Twice is a conflict, said on the page.
	want(t, gp.post(base+"/patients/"+p.patient.String()+"/queue", url.Values{"service_line": {"either"}}), 409,
		"already waiting in the same-day queue")
	// A practice administrator may book but does not introduce.
	adm := s.agent(t)
	adm.signIn(p.admin)
	want(t, adm.post(base+"/patients/"+p.patient.String()+"/queue", url.Values{"service_line": {"either"}}), 403,
		"GP or practice nurse")

	// The HIP sees the person with Take; the poller gets 204 until something changes.
	hip := s.agent(t)
	hip.signIn(p.hip)
	q := hip.get(base + "/queue")
	want(t, q, 200, "Ro Ngata", ">Take<span", `src="/static/queue.`)
	v, err := handover.Version(p.ctx, s.env.DB)
	if err != nil {
		t.Fatal(err)
	}
	want(t, hip.get(base+"/queue/live?v="+url.QueryEscape(v)), http.StatusNoContent)
	live := hip.get(base + "/queue/live?v=stale")
	want(t, live, 200, "Ro Ngata", ">Take<span")
	if live.header.Get("X-Queue-Version") != v || strings.Contains(live.body, "<html") {
		t.Errorf("live fragment: version %q, want %q; whole page: %v", live.header.Get("X-Queue-Version"), v,
			strings.Contains(live.body, "<html"))
	}

	// Take: the appointment page opens with the introduction on it.
	entries, _ := handover.Queue(p.ctx, s.env.DB)
	if len(entries) != 1 {
		t.Fatalf("queue: %+v", entries)
	}
	took := hip.post(base+"/queue/"+entries[0].ID.String()+"/take", nil)
	m := apptLink.FindStringSubmatch(took.location)
	if took.status != http.StatusSeeOther || m == nil {
		t.Fatalf("take: %d %q\n%s", took.status, took.location, took.body)
	}
	appt := base + "/appointments/" + m[1]
	want(t, hip.follow(took), 200, "You have taken this person", "Ro Ngata with Mere Tāne", "Introduced by", "Dr Hana Walker",
		"Mark arrived", "Did not attend", "Cancel this appointment")
	// A second take is a conflict, shown on the queue page.
	want(t, hip.post(base+"/queue/"+entries[0].ID.String()+"/take", nil), 409, "Someone has already taken this person")

	// The lifecycle: arrived, start session (seen), complete.
	want(t, hip.post(appt+"/status", url.Values{"status": {"completed"}}), 409, "cannot become completed")
	want(t, hip.post(appt+"/status", url.Values{"status": {"cancelled"}}), 422, "Choose one of the buttons")
	wantRedirect(t, hip.post(appt+"/status", url.Values{"status": {"arrived"}}), appt+"?done=status")
	wantRedirect(t, hip.post(appt+"/status", url.Values{"status": {"in_session"}}), appt+"?done=status")
	want(t, hip.get(appt), 200, "In session", "Seen at", "after the introduction", "Complete session")
	wantRedirect(t, hip.post(appt+"/status", url.Values{"status": {"completed"}}), appt+"?done=status")
	done := hip.get(appt)
	want(t, done, 200, "Completed")
	if strings.Contains(done.body, `id="status-actions"`) || strings.Contains(done.body, "Cancel this appointment") {
		t.Error("a completed appointment still offers actions")
	}

	// Cancel: a reason is needed; then the freed time goes to the waitlist offer.
	later := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	b, _, err := booking.Book(p.ctx, s.env.DB, p.gp.ID, booking.NewAppointment{PractitionerID: p.hip.ID, PatientID: p.patient,
		Kind: booking.KindBooked, Mode: booking.ModePhone, ServiceLine: booking.LineHIP, StartsAt: later, Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	bURL := base + "/appointments/" + b.ID.String()
	want(t, gp.get(bURL), 200, "Phone", "Booked ahead", "Cancel this appointment")
	want(t, gp.post(bURL+"/cancel", url.Values{"reason": {"  "}}), 422, "Say why")
	wantRedirect(t, gp.post(bURL+"/cancel", url.Values{"reason": {"Whānau emergency"}}), base+"/waitlist/offers/"+b.ID.String())
	want(t, gp.get(bURL), 200, "Cancelled", "Whānau emergency")

	// Withdraw: the GP queues and takes the person out again.
	wantRedirect(t, gp.post(base+"/patients/"+p.patient.String()+"/queue", url.Values{"service_line": {"either"}}),
		base+"/queue?done=queued")
	entries, _ = handover.Queue(p.ctx, s.env.DB)
	want(t, gp.post(base+"/queue/"+entries[0].ID.String()+"/withdraw", url.Values{"reason": {""}}), 422, "Say why")
	wantRedirect(t, gp.post(base+"/queue/"+entries[0].ID.String()+"/withdraw", url.Values{"reason": {"Went home"}}),
		base+"/queue?done=withdrawn")
	want(t, gp.get(base+"/queue"), 200, "No one is waiting")

	// Unknown and malformed ids are not found.
	want(t, hip.get(base+"/appointments/"+uuid.NewString()), 404)
	want(t, hip.get(base+"/appointments/not-a-uuid"), 404)
	want(t, hip.post(base+"/queue/"+uuid.NewString()+"/take", nil), 404)
}

// Practice B sees nothing of A's: not the appointment, not the queue entry,
// not A's patient through B's introduce page.
func TestHandoverPagesCrossTenant(t *testing.T) {
	s := newStack(t, testBase)
	a := newHandoverPractice(t, s)
	b := newHandoverPractice(t, s)
	e, err := handover.Enqueue(a.ctx, s.env.DB, a.gp.ID, handover.NewEntry{PatientID: a.patient, Note: "A's note"})
	if err != nil {
		t.Fatal(err)
	}
	_, appt, err := handover.Take(a.ctx, s.env.DB, a.hip.ID, e.ID, handover.Taking{})
	if err != nil {
		t.Fatal(err)
	}
	br := s.agent(t)
	br.signIn(b.hip)
	bb := "/t/" + b.tn.Slug
	want(t, br.get(bb+"/appointments/"+appt.ID.String()), 404)
	want(t, br.post(bb+"/appointments/"+appt.ID.String()+"/status", url.Values{"status": {"arrived"}}), 404)
	want(t, br.post(bb+"/appointments/"+appt.ID.String()+"/cancel", url.Values{"reason": {"no"}}), 404)
	want(t, br.post(bb+"/queue/"+e.ID.String()+"/withdraw", url.Values{"reason": {"no"}}), 404)
	want(t, br.get(bb+"/patients/"+a.patient.String()+"/introduce"), 404)
	q := br.get(bb + "/queue")
	want(t, q, 200, "No one is waiting")
	if strings.Contains(q.body, "A's note") {
		t.Fatal("A's queue leaked into B's")
	}
	// A's own pages at A's address are a 404 for B's HIP too.
	want(t, br.get("/t/"+a.tn.Slug+"/appointments/"+appt.ID.String()), 404)
	if got, _ := booking.Get(a.ctx, s.env.DB, appt.ID); got.Status != booking.StatusBooked {
		t.Errorf("A's appointment changed: %s", got.Status)
	}
}
