package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

var feedURL = regexp.MustCompile(`<code id="feed-url" class="mono">` + regexp.QuoteMeta(testBase) + `(/ical/[^<]+)</code>`)

func TestCalendarDayBoardWeekAndFeed(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	pt, _, err := patient.Create(ctx, s.env.DB, gp.ID, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Aroha",
		DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	day := calendar.Today(tn.Location()).AddDate(0, 0, 1)
	var blocks []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		blocks = append(blocks, schedule.Block{Weekday: wd, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen})
	}
	if _, err := schedule.SaveTemplate(ctx, s.env.DB, hip.ID, schedule.NewTemplate{PractitionerID: hip.ID,
		EffectiveFrom: day.AddDate(0, 0, -7), Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
	y, m, d := day.Date()
	a, _, err := booking.Book(ctx, s.env.DB, gp.ID, booking.NewAppointment{PractitionerID: hip.ID, PatientID: pt.ID,
		Kind: booking.KindBooked, Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP,
		StartsAt: time.Date(y, m, d, 10, 0, 0, 0, tn.Location()), Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := booking.SetStatus(ctx, s.env.DB, hip.ID, a.ID, booking.StatusArrived); err != nil {
		t.Fatal(err)
	}
	base := "/t/" + tn.Slug
	date := day.Format(time.DateOnly)
	br := s.agent(t)
	br.signIn(hip)

	want(t, br.get(base+"/day?date="+date), 200, "Hemi HIP", "Aroha Ngata", base+"/appointments/"+a.ID.String(),
		"Arrived", `id="waiting"`, "150 minutes free", "Previous day", "Next day")
	want(t, br.get(base+"/day"), 200, "Hemi HIP: "+calendar.Today(tn.Location()).Format("Monday 2 January 2006"))
	want(t, br.get(base+"/board?date="+date), 200, "Hemi HIP", "Aroha Ngata", "1 appointment with 1 practitioner.",
		base+"/appointments/"+a.ID.String())
	want(t, br.get(base+"/week?practitioner="+hip.ID.String()+"&week="+date), 200, "Aroha Ngata", "Previous week",
		`<td data-label="Open minutes">180</td>`)
	want(t, br.get(base+"/day?date=nonsense"), 200, "could not be read")
	if r := br.get(base + "/day?practitioner=" + gp.ID.String()); r.status != 404 {
		t.Fatalf("a GP's day: %d", r.status)
	}

	// The feed: made, read without a session, rotated, revoked.
	want(t, br.get(base+"/calendar"), 200, "Make my feed")
	r := br.post(base+"/calendar", url.Values{"action": {"create"}})
	want(t, r, 200, "Your feed address")
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the secret may be cached: %q", r.header.Get("Cache-Control"))
	}
	path := feedURL.FindStringSubmatch(r.body)[1]
	anon := s.agent(t)
	got := anon.get(path)
	if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "text/calendar") ||
		got.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("feed: %d %q %q\n%s", got.status, got.header.Get("Content-Type"), got.header.Get("Cache-Control"), got.body)
	}
	if !strings.Contains(got.body, "UID:"+a.ID.String()+"@tuhono\r\n") || !strings.Contains(got.body, "SUMMARY:HIP session · in person\r\n") {
		t.Errorf("feed body:\n%s", got.body)
	}
	for _, name := range []string{"Aroha", "Ngata", "1990"} {
		if strings.Contains(got.body, name) {
			t.Errorf("the feed names the person (%q)", name)
		}
	}
	secret := path[strings.LastIndex(path, "/")+1:]
	for _, bad := range []string{
		"/ical/" + tn.Slug + "/" + strings.Repeat("A", len(secret)),
		"/ical/" + tn.Slug + "/nope",
		"/ical/no-such-practice/" + secret,
	} {
		if r := anon.get(bad); r.status != 404 || strings.Contains(r.body, "VCALENDAR") {
			t.Errorf("%s: %d", bad, r.status)
		}
	}
	other, _ := clinicalPractice(t, s)
	if r := anon.get("/ical/" + other.Slug + "/" + secret); r.status != 404 {
		t.Errorf("the secret in another practice: %d", r.status)
	}

	want(t, br.get(base+"/calendar"), 200, "You have a feed", "Make a new address")
	want(t, br.post(base+"/calendar", url.Values{"action": {"create"}}), 422, "You already have a calendar feed")
	r = br.post(base+"/calendar", url.Values{"action": {"rotate"}})
	want(t, r, 200, "Your feed address")
	rotated := feedURL.FindStringSubmatch(r.body)[1]
	if anon.get(path).status != 404 || anon.get(rotated).status != 200 {
		t.Fatal("rotation did not replace the address")
	}
	r = br.post(base+"/calendar", url.Values{"action": {"revoke"}})
	wantRedirect(t, r, base+"/calendar?done=revoked")
	want(t, br.follow(r), 200, "The calendar feed is revoked", "Make my feed")
	if anon.get(rotated).status != 404 {
		t.Fatal("a revoked feed still answers")
	}

	// A GP has no feed of their own.
	gpb := s.agent(t)
	gpb.signIn(gp)
	want(t, gpb.get(base+"/calendar"), 200, "Only a HIP, Health Coach or Support Worker")
	if r := gpb.post(base+"/calendar", url.Values{"action": {"create"}}); r.status != 403 && r.status != 404 {
		t.Fatalf("a GP makes a feed: %d", r.status)
	}
}
