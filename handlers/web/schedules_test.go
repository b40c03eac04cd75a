package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// weekForm is a week of open mornings and booked afternoons, every day.
func weekForm(from time.Time) url.Values {
	v := url.Values{"effective_from": {from.Format(time.DateOnly)}}
	for wd := 1; wd <= 7; wd++ {
		v.Set(fmt.Sprintf("d%dr0_start", wd), "09:00")
		v.Set(fmt.Sprintf("d%dr0_end", wd), "12:00")
		v.Set(fmt.Sprintf("d%dr0_kind", wd), "open")
		v.Set(fmt.Sprintf("d%dr1_start", wd), "13:00")
		v.Set(fmt.Sprintf("d%dr1_end", wd), "17:00")
		v.Set(fmt.Sprintf("d%dr1_kind", wd), "booked")
	}
	return v
}

func TestSchedulePages(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	base := "/t/" + tn.Slug
	own := base + "/schedules/" + hip.ID.String()
	today := calendar.Today(tn.Location())
	tomorrow := today.AddDate(0, 0, 1).Format(time.DateOnly)
	templates := func() int {
		t.Helper()
		ts, err := schedule.Templates(ctx, s.env.DB, hip.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}

	br := s.agent(t)
	br.signIn(hip)
	want(t, br.get(base+"/schedules"), 200, "Hemi HIP", own, "No schedule running today.")
	want(t, br.get(own), 200, "No weekly schedule yet.", "Start a new weekly schedule", `name="d7r2_start"`)

	// Bad blocks: each row's message beside it, the overlap about the form,
	// and nothing saved.
	bad := weekForm(today)
	bad.Set("d1r0_end", "08:00")
	bad.Set("d2r0_start", "nine")
	r := br.post(own+"/templates", bad)
	want(t, r, 422, "There is a problem", `id="f-d1r0-error"`, "The end must come after the start.",
		`id="f-d2r0-error"`, "Enter a start and an end as hours and minutes", `value="nine"`)
	overlap := weekForm(today)
	overlap.Set("d3r2_start", "11:00")
	overlap.Set("d3r2_end", "13:30")
	overlap.Set("d3r2_kind", "admin")
	want(t, br.post(own+"/templates", overlap), 422, "overlaps")
	want(t, br.post(own+"/templates", url.Values{"effective_from": {"soon"}}), 422, "Enter the first day as a date.",
		"Add at least one block.")
	if n := templates(); n != 0 {
		t.Fatalf("a refused form saved %d templates", n)
	}

	// Saved through the form, it expands on the day.
	wantRedirect(t, br.post(own+"/templates", weekForm(today)), own+"?done=template")
	want(t, br.get(own+"?done=template"), 200, "The new weekly schedule is saved", "21 h", "28 h", "Current",
		`value="09:00"`, `value="booked" selected`)
	want(t, br.get(base+"/schedules"), 200, "Mon, Tue, Wed, Thu, Fri, Sat, Sun, 9:00 am to 5:00 pm", "21 h a week")
	day := base + "/day?practitioner=" + hip.ID.String() + "&date=" + tomorrow
	want(t, br.get(day), 200, "180 minutes free", "Open (same day)", "Booked ahead")

	// An exception of a whole day takes its open time away.
	r = br.post(own+"/exceptions", url.Values{"reason": {"leave"}, "from_date": {tomorrow}})
	wantRedirect(t, r, own+"?done=exception")
	want(t, br.get(own), 200, "Leave: ")
	want(t, br.get(day), 200, "No open time left this day.", "No schedule this day.")
	want(t, br.post(own+"/exceptions", url.Values{"reason": {"holiday"}, "from_date": {tomorrow}, "from_time": {"25:00"}}),
		422, "Choose leave, training, sick or other.", "Enter the first day as a date")
	want(t, br.post(own+"/exceptions", url.Values{"reason": {"sick"}, "from_date": {tomorrow}, "from_time": {"15:00"},
		"to_time": {"10:00"}}), 422, "The end must come after the start.")

	// A GP reads schedules but may not change them; nor keeps one.
	doc := s.agent(t)
	doc.signIn(gp)
	r = doc.get(own)
	want(t, r, 200, "Hemi HIP")
	if strings.Contains(r.body, "Start a new weekly schedule") {
		t.Error("a GP is offered the schedule form")
	}
	if r := doc.post(own+"/templates", weekForm(today)); r.status != 403 {
		t.Fatalf("a GP saves a schedule: %d", r.status)
	}
	want(t, br.get(base+"/schedules/"+gp.ID.String()), 404)

	// Another practice: the HIP's schedule is not found there, and nothing is saved.
	other := s.tenant(t)
	admin := s.person(t, "Olive Admin", &other, "practice_admin")
	ob := s.agent(t)
	ob.signIn(admin)
	obase := "/t/" + other.Slug + "/schedules/" + hip.ID.String()
	want(t, ob.get(obase), 404)
	want(t, ob.post(obase+"/templates", weekForm(today.AddDate(0, 0, 7))), 404)
	want(t, ob.post(obase+"/exceptions", url.Values{"reason": {"leave"}, "from_date": {tomorrow}}), 404)
	want(t, ob.get(own), 404)
	if n := templates(); n != 1 {
		t.Fatalf("templates %d after another practice's tries", n)
	}
}
