package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod/lib/proto"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// TestBrowserPatientsAndCalendar walks a HIP's pages in a real Chromium at
// 390 and 1280 pixels wide: a person's record, the booking form, a hold with
// its countdown (static script, strict CSP), the day, board and week, and the
// calendar feed page; none may scroll sideways. Screenshots go to
// TUHONO_SCREENSHOTS (or a temporary directory).
func TestBrowserPatientsAndCalendar(t *testing.T) {
	browser := launchBrowser(t)
	s, base := serveSite(t)
	dir := screenshotDir(t)
	tn := s.tenant(t, "Te Awa Medical Centre")
	hip := s.person(t, "Hemi Walker", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	st := onboarding.DefaultSettings
	st.MFARequired = false
	if err := onboarding.SaveSettings(ctx, s.env.DB, hip.ID, st); err != nil {
		t.Fatal(err)
	}
	pt, _, err := patient.Create(ctx, s.env.DB, hip.ID, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Aroha Mereana",
		PreferredName: "Ro", DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC), Ethnicity: []string{"21", "11"},
		Phone: "021 123 4567", SMSConsent: true, SupportContact: "Mere Ngata (aunt), 021 555 1234, happy to be called"})
	if err != nil {
		t.Fatal(err)
	}
	today := calendar.Today(tn.Location())
	var blocks []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		blocks = append(blocks, schedule.Block{Weekday: wd, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen},
			schedule.Block{Weekday: wd, Starts: schedule.At(13, 0), Ends: schedule.At(17, 0), Kind: schedule.KindBooked})
	}
	if _, err := schedule.SaveTemplate(ctx, s.env.DB, hip.ID, schedule.NewTemplate{PractitionerID: hip.ID,
		EffectiveFrom: today.AddDate(0, 0, -7), Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
	y, m, d := today.AddDate(0, 0, 1).Date()
	for i, mode := range []booking.Mode{booking.ModeInPerson, booking.ModeVideo} {
		if _, _, err := booking.Book(ctx, s.env.DB, hip.ID, booking.NewAppointment{PractitionerID: hip.ID, PatientID: pt.ID,
			Kind: booking.KindBooked, Mode: mode, ServiceLine: booking.LineHIP,
			StartsAt: time.Date(y, m, d, 13+i, 0, 0, 0, tn.Location()), Minutes: 30}); err != nil {
			t.Fatal(err)
		}
	}
	slug := "/t/" + tn.Slug
	page, err := browser.Page(proto.TargetCreateTarget{})
	if err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, page: page, probs: watch(t, page), base: base, dir: dir}
	b.resize(1280, 900)
	open(t, page, base+"/signin", 1280, 900)
	b.fill("#f-email", hip.Email)
	b.fill("#f-password", testPassword)
	b.click(`main form[action="/signin"] button[type="submit"]`)

	tomorrow := today.AddDate(0, 0, 1).Format(time.DateOnly)
	person := slug + "/patients/" + pt.ID.String()
	for _, width := range []int{390, 1280} {
		w := map[int]string{390: "390", 1280: "1280"}[width]
		b.resize(width, 900)
		for _, v := range []struct {
			path, query, shot string
			want              []string
		}{
			{slug + "/patients", "?q=ngata", "patients", []string{"Ngata, Aroha Mereana (Ro)", "Register a person"}},
			{person, "", "patient", []string{"Ro Ngata", "Introduce now", "First", "Mere Ngata (aunt)"}},
			{slug + "/day", "?date=" + tomorrow, "day", []string{"Hemi Walker", "Ro Ngata", "Open time still free"}},
			{slug + "/board", "?date=" + tomorrow, "board", []string{"Hemi Walker", "Ro Ngata"}},
			{slug + "/week", "", "week", []string{"Hemi Walker", "Open minutes"}},
			{slug + "/calendar", "", "calendar", []string{"Make my feed"}},
		} {
			open(t, page, base+v.path+v.query, width, 900)
			b.at(v.path, v.shot+"-"+w+".png", v.want...)
		}
	}

	// Book at 390 wide: the hold page counts down with its static script.
	b.resize(390, 900)
	open(t, page, base+person+"/book", 390, 900)
	b.at(person+"/book", "book-390.png", "Book Ro Ngata", "Hold this time")
	// Chromium's date and time pickers ignore typed text: set the values.
	if _, err := page.Eval(`(d, t) => { document.getElementById("f-date").value = d; document.getElementById("f-time").value = t }`,
		tomorrow, "10:00"); err != nil {
		t.Fatal(err)
	}
	b.click(`main form button[type="submit"]`)
	b.at(person+"/book", "hold-390.png", "Confirm the appointment for Ro Ngata", "Hemi Walker")
	if got := b.text("#hold-countdown"); !strings.HasPrefix(got, "Held for 4:") && !strings.HasPrefix(got, "Held for 5:") {
		t.Errorf("the countdown says %q", got)
	}
	b.click("#confirm-booking")
	b.at(person, "booked-390.png", "The appointment is booked", "10:00 am")

	// The feed page shows the address once, and it fits a phone.
	open(t, page, base+slug+"/calendar", 390, 900)
	b.click(`main form button[value="create"]`)
	b.at(slug+"/calendar", "calendar-created-390.png", "Your feed address", "/ical/"+tn.Slug+"/")
}
