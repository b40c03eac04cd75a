package web

import (
	"context"
	"github.com/tuhono/tuhono/models/schedule"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// clinicalPractice is a practice whose clinical pages a GP without MFA may
// use (the MFA requirement has its own tests), with that GP.
func clinicalPractice(t *testing.T, s *stack) (tenants.Tenant, account.User) {
	t.Helper()
	tn := s.tenant(t)
	gp := s.person(t, "Gina GP", &tn, "gp")
	st := onboarding.DefaultSettings
	st.MFARequired = false
	if err := onboarding.SaveSettings(tenants.WithTenant(context.Background(), tn), s.env.DB, gp.ID, st); err != nil {
		t.Fatal(err)
	}
	return tn, gp
}

func countPatients(t *testing.T, s *stack, tn tenants.Tenant) int64 {
	t.Helper()
	var n int64
	err := s.env.DB.InTenant(tenants.WithTenant(context.Background(), tn), func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM patients`).Scan(&n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var patientLink = regexp.MustCompile(`/patients/([0-9a-f-]{36})`)

func TestPatientPagesSearchRegisterAndEdit(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	br := s.agent(t)
	br.signIn(gp)
	base := "/t/" + tn.Slug

	want(t, br.get(base+"/patients"), 200, "Find a person", "Register a person", `name="ethnicity"`)
	form := url.Values{"family_name": {"Māka"}, "given_names": {"Aroha"}, "date_of_birth": {"1990-05-01"},
		"gender": {"female"}, "ethnicity": {"21", "11", ""}, "nhi": {"zzz0016"}, "phone": {"021 123 4567"},
		"sms_consent": {"on"}, "enrolment_status": {"enrolled"}, "nzdep_quintile": {"5"},
		"support_contact": {"Mere, aunt, 021 555 1234"}}
	r := br.post(base+"/patients", form)
	if r.status != 303 || !strings.HasSuffix(r.location, "?done=registered") {
		t.Fatalf("register: %d %q\n%s", r.status, r.location, r.body)
	}
	id := patientLink.FindStringSubmatch(r.location)[1]
	page := br.follow(r)
	want(t, page, 200, "The person is registered", "Aroha Māka", "ZZZ0016", "Māori, New Zealand European",
		`id="introduce-now"`, `href="`+base+`/patients/`+id+`/introduce"`, base+"/patients/"+id+"/refer",
		base+"/patients/"+id+"/book", "Reminders by text messages", "No appointments yet")

	// Search: macrons and case aside, or by NHI.
	want(t, br.get(base+"/patients?q=maka"), 200, "Māka, Aroha", base+"/patients/"+id)
	want(t, br.get(base+"/patients?q=ZZZ0016"), 200, "Māka, Aroha")
	want(t, br.get(base+"/patients?q=nobody"), 200, "No one found")

	// Same name and birth date: a warning first, then "register anyway".
	dup := url.Values{"family_name": {"Maka"}, "given_names": {"aroha"}, "date_of_birth": {"1990-05-01"}}
	want(t, br.post(base+"/patients", dup), 409, "may already be registered", `name="register_anyway"`,
		"Same name and date of birth", base+"/patients/"+id)
	if n := countPatients(t, s, tn); n != 1 {
		t.Fatalf("the warning registered someone: %d", n)
	}
	dup.Set("register_anyway", "yes")
	if r := br.post(base+"/patients", dup); r.status != 303 {
		t.Fatalf("register anyway: %d\n%s", r.status, r.body)
	}
	// The same NHI is refused outright; bad input changes nothing.
	want(t, br.post(base+"/patients", url.Values{"family_name": {"Other"}, "date_of_birth": {"1980-01-01"}, "nhi": {"ZZZ0016"}}),
		409, "already registered here")
	want(t, br.post(base+"/patients", url.Values{"family_name": {""}, "date_of_birth": {"2999-01-01"}, "nhi": {"ZZZ0017"}}),
		422, "valid NHI number", "Must not be in the future", `href="#f-family-name"`)
	if n := countPatients(t, s, tn); n != 2 {
		t.Fatalf("%d people registered, want 2", n)
	}

	// Edit: every field comes back filled; a change is saved.
	form.Set("preferred_name", "Ro")
	r = br.post(base+"/patients/"+id, form)
	if r.status != 303 {
		t.Fatalf("save: %d\n%s", r.status, r.body)
	}
	want(t, br.follow(r), 200, "The changes are saved", "<h1 id=\"page-title\">Ro Māka</h1>", `value="Mere, aunt, 021 555 1234"`)
	form.Set("email_consent", "on")
	want(t, br.post(base+"/patients/"+id, form), 422, "Needs an e-mail address")

	// Another practice's GP cannot see the person.
	other, gp2 := clinicalPractice(t, s)
	br2 := s.agent(t)
	br2.signIn(gp2)
	if r := br2.get("/t/" + other.Slug + "/patients/" + id); r.status != 404 {
		t.Fatalf("another practice reads the person: %d", r.status)
	}
	want(t, br2.get("/t/"+other.Slug+"/patients?q=maka"), 200, "No one found")
}

var heldID = regexp.MustCompile(`name="appointment" value="([0-9a-f-]{36})"`)

func TestPatientBookHoldConfirmAndConflict(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	coach := s.person(t, "Kiri Coach", &tn, "health_coach")
	ctx := tenants.WithTenant(context.Background(), tn)
	newPerson := func(family string) uuid.UUID {
		p, _, err := patient.Create(ctx, s.env.DB, gp.ID, patient.NewPatient{FamilyName: family, GivenNames: "Test",
			DateOfBirth: time.Date(1985, 3, 2, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	aroha, hemi := newPerson("Ngata"), newPerson("Parata")
	br := s.agent(t)
	br.signIn(gp)
	base := "/t/" + tn.Slug
	tomorrow := calendar.Today(tn.Location()).AddDate(0, 0, 1).Format(time.DateOnly)

	want(t, br.get(base+"/patients/"+aroha.String()+"/book"), 200, "Book Test Ngata", "Hemi HIP", "Kiri Coach", "Hold this time")
	book := url.Values{"practitioner_id": {hip.ID.String()}, "service_line": {"hip"}, "kind": {"booked"},
		"mode": {"in_person"}, "date": {tomorrow}, "time": {"10:00"}, "minutes": {"20"}}
	r := br.post(base+"/patients/"+aroha.String()+"/book", book)
	want(t, r, 200, "Confirm the appointment for Test Ngata", `id="hold-countdown"`, `src="/static/hold.`, "20 minutes", "Hemi HIP")
	held := heldID.FindStringSubmatch(r.body)[1]

	// Someone else wants the same time of the same HIP: taken, held or not.
	want(t, br.post(base+"/patients/"+hemi.String()+"/book", book), 409, "That time is taken")

	// A hold of one person is not confirmed through another's page.
	if r := br.post(base+"/patients/"+hemi.String()+"/book/confirm", url.Values{"appointment": {held}}); r.status != 404 {
		t.Fatalf("confirm through another person: %d", r.status)
	}
	r = br.post(base+"/patients/"+aroha.String()+"/book/confirm", url.Values{"appointment": {held}})
	if r.status != 303 {
		t.Fatalf("confirm: %d\n%s", r.status, r.body)
	}
	want(t, br.follow(r), 200, "The appointment is booked", base+"/appointments/"+held, "Booked", "First")
	// Confirming twice is a clear conflict, not an error page.
	want(t, br.post(base+"/patients/"+aroha.String()+"/book/confirm", url.Values{"appointment": {held}}), 409,
		"Only a held appointment can be confirmed")

	// The same person at the same time with the Health Coach: a warning.
	book.Set("practitioner_id", coach.ID.String())
	book.Set("service_line", "health_coach")
	want(t, br.post(base+"/patients/"+aroha.String()+"/book", book), 200, "already has an appointment at that time")

	// Bad input comes back with messages.
	bad := url.Values{"practitioner_id": {"x"}, "service_line": {"hip"}, "kind": {"booked"}, "mode": {"in_person"},
		"date": {"soon"}, "time": {""}, "minutes": {"custom"}, "custom_minutes": {"500"}}
	want(t, br.post(base+"/patients/"+aroha.String()+"/book", bad), 422, "Choose a practitioner", "Enter a date and a start time")
}

// The booking form suggests the practitioner's next free times from their
// schedule, and a suggestion fills the form in.
func TestPatientBookSuggestsFreeTimes(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	p, _, err := patient.Create(ctx, s.env.DB, gp.ID, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Test",
		DateOfBirth: time.Date(1985, 3, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	br := s.agent(t)
	br.signIn(gp)
	form := "/t/" + tn.Slug + "/patients/" + p.ID.String() + "/book?practitioner_id=" + hip.ID.String() + "&minutes=30"
	want(t, br.get(form), 200, "Free in the next week", "No free time in their schedule")

	// Mornings booked-ahead time, every day from tomorrow.
	var blocks []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		blocks = append(blocks, schedule.Block{Weekday: wd, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindBooked})
	}
	tomorrow := calendar.Today(tn.Location()).AddDate(0, 0, 1)
	if _, err := schedule.SaveTemplate(ctx, s.env.DB, gp.ID, schedule.NewTemplate{PractitionerID: hip.ID,
		EffectiveFrom: tomorrow, Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
	page := br.get(form)
	first := tomorrow.Format("Mon 2 Jan") + ", 9:00 am"
	want(t, page, 200, "Free in the next week", first)
	link := regexp.MustCompile(`href="([^"]*time=09%3A00[^"]*)"`).FindStringSubmatch(page.body)
	if link == nil {
		t.Fatalf("no link for 9:00:\n%s", page.body)
	}
	filled := br.get(html.UnescapeString(link[1]))
	want(t, filled, 200, `value="`+tomorrow.Format(time.DateOnly)+`"`, `value="09:00"`)
}
