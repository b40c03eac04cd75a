package waitlist_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/waitlist"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type practice struct {
	env            *dbtest.Env
	ctx            context.Context
	hip, hip2, gp  uuid.UUID
	coach, patient uuid.UUID
}

func newPractice(t *testing.T) practice {
	t.Helper()
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	p := practice{env: env, ctx: ctx}
	p.hip, p.hip2, p.gp, p.coach = p.member(t, "hip"), p.member(t, "hip"), p.member(t, "gp"), p.member(t, "health_coach")
	p.patient = p.newPatient(t, "Aroha")
	return p
}

func (p practice) member(t *testing.T, role string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`,
			id, "u-"+id.String()[24:]+"@example.co.nz").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`,
			tx.Tenant.ID, id, role).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (p practice) newPatient(t *testing.T, given string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, name_search, date_of_birth)
			VALUES (?, ?, 'Ngata', ?, 'ngata', DATE '1990-05-01')`, tx.Tenant.ID, id, given).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var akl, _ = time.LoadLocation("Pacific/Auckland")

// nextMonday10 is 10:00 (a morning) on a Monday in Auckland at least two
// days ahead: booking from the waitlist refuses times that have passed.
func nextMonday10() time.Time {
	d := time.Now().In(akl).AddDate(0, 0, 2)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, akl)
}

func (p practice) add(t *testing.T, n waitlist.NewEntry) waitlist.Entry {
	t.Helper()
	e, err := waitlist.Add(p.ctx, p.env.DB, p.gp, n)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (p practice) entry(patient uuid.UUID, u waitlist.Urgency, prefs ...waitlist.Preference) waitlist.NewEntry {
	return waitlist.NewEntry{PatientID: patient, ServiceLine: booking.LineHIP, Urgency: u, Preferred: prefs}
}

// cancelled books and cancels a HIP appointment at start, freeing the time.
func (p practice) cancelled(t *testing.T, start time.Time) booking.Appointment {
	t.Helper()
	someone := p.newPatient(t, "Cancels")
	a, _, err := booking.Book(p.ctx, p.env.DB, p.gp, booking.NewAppointment{PractitionerID: p.hip, PatientID: someone,
		Kind: booking.KindBooked, Mode: booking.ModePhone, ServiceLine: booking.LineHIP, StartsAt: start, Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = booking.Cancel(p.ctx, p.env.DB, p.gp, a.ID, "unwell"); err != nil {
		t.Fatal(err)
	}
	return a
}

func wantKind(t *testing.T, err error, kind *fault.Error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %s", err, kind.Message)
	}
}

func TestPreferencesFitInTheTenantZone(t *testing.T) {
	monMorning := waitlist.Preference{Day: time.Monday, Part: waitlist.Morning}
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, akl) // Monday 10:00 NZDT = Sunday 21:00 UTC
	cases := []struct {
		prefs []waitlist.Preference
		at    time.Time
		want  bool
	}{
		{nil, start, true},
		{[]waitlist.Preference{monMorning}, start, true},
		{[]waitlist.Preference{{Day: time.Sunday, Part: waitlist.Evening}}, start, false}, // the UTC weekday is not the local one
		{[]waitlist.Preference{monMorning}, start.Add(2 * time.Hour), false},              // 12:00 is afternoon
		{[]waitlist.Preference{{Day: time.Monday, Part: waitlist.Evening}}, start.Add(7 * time.Hour), true},
	}
	for i, c := range cases {
		if got := waitlist.Fits(c.prefs, c.at, akl); got != c.want {
			t.Errorf("case %d: Fits = %v, want %v", i, got, c.want)
		}
	}
	if p, err := waitlist.ParsePreference("wed:afternoon"); err != nil || p.Day != time.Wednesday || p.String() != "wed:afternoon" {
		t.Errorf("parse %v %v", p, err)
	}
	if _, err := waitlist.ParsePreference("someday:noon"); err == nil {
		t.Error("bad preference parsed")
	}
}

func TestAddValidatesAndRefusesTwice(t *testing.T) {
	p := newPractice(t)
	cases := []struct {
		name  string
		n     waitlist.NewEntry
		kind  *fault.Error
		field string
	}{
		{"urgency", waitlist.NewEntry{PatientID: p.patient, ServiceLine: booking.LineHIP, Urgency: "asap"}, fault.Invalid, "urgency"},
		{"service line", waitlist.NewEntry{PatientID: p.patient, ServiceLine: "gp", Urgency: waitlist.UrgencySoon}, fault.Invalid, "service_line"},
		{"preference", waitlist.NewEntry{PatientID: p.patient, ServiceLine: booking.LineHIP, Urgency: waitlist.UrgencySoon,
			Preferred: []waitlist.Preference{{Day: time.Monday, Part: "night"}}}, fault.Invalid, "preferred"},
		{"practitioner in another line", waitlist.NewEntry{PatientID: p.patient, ServiceLine: booking.LineHIP,
			PractitionerID: p.coach, Urgency: waitlist.UrgencySoon}, fault.Invalid, "practitioner_id"},
		{"unknown patient", p.entry(uuid.Must(uuid.NewV7()), waitlist.UrgencySoon), fault.NotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := waitlist.Add(p.ctx, p.env.DB, p.gp, c.n)
			wantKind(t, err, c.kind)
			if c.field != "" {
				if f := fault.As(err).Fields; len(f) == 0 || f[0].Field != c.field {
					t.Errorf("fields %v, want %s", f, c.field)
				}
			}
		})
	}
	e := p.add(t, p.entry(p.patient, waitlist.UrgencySoon, waitlist.Preference{Day: time.Friday, Part: waitlist.Afternoon}))
	if e.Status != waitlist.StatusOpen || len(e.Preferred) != 1 || e.PatientName != "Aroha Ngata" {
		t.Fatalf("added %+v", e)
	}
	_, err := waitlist.Add(p.ctx, p.env.DB, p.gp, p.entry(p.patient, waitlist.UrgencyUrgent))
	wantKind(t, err, fault.Conflict)
	// Another service line is another entry.
	n := p.entry(p.patient, waitlist.UrgencyRoutine)
	n.ServiceLine = booking.LineHealthCoach
	p.add(t, n)
	if l, _ := waitlist.List(p.ctx, p.env.DB); len(l) != 2 {
		t.Errorf("list has %d", len(l))
	}
}

func TestMatchesOrderAndFilters(t *testing.T) {
	p := newPractice(t)
	start := nextMonday10()
	routineOld := p.add(t, p.entry(p.newPatient(t, "Routine"), waitlist.UrgencyRoutine))
	urgent := p.add(t, p.entry(p.newPatient(t, "Urgent"), waitlist.UrgencyUrgent, waitlist.Preference{Day: time.Monday, Part: waitlist.Morning}))
	soon := p.add(t, p.entry(p.newPatient(t, "Soon"), waitlist.UrgencySoon))
	p.add(t, p.entry(p.newPatient(t, "Evenings"), waitlist.UrgencyUrgent, waitlist.Preference{Day: time.Monday, Part: waitlist.Evening}))
	other := p.entry(p.newPatient(t, "Other HIP"), waitlist.UrgencyUrgent)
	other.PractitionerID = p.hip2
	p.add(t, other)
	coach := p.entry(p.newPatient(t, "Coach"), waitlist.UrgencyUrgent)
	coach.ServiceLine = booking.LineHealthCoach
	p.add(t, coach)
	// Someone already booked at that time is not offered it.
	busy := p.newPatient(t, "Busy")
	p.add(t, p.entry(busy, waitlist.UrgencyUrgent))
	if _, _, err := booking.Book(p.ctx, p.env.DB, p.gp, booking.NewAppointment{PractitionerID: p.hip2, PatientID: busy,
		Kind: booking.KindBooked, Mode: booking.ModeVideo, ServiceLine: booking.LineHIP, StartsAt: start.Add(15 * time.Minute), Minutes: 30}); err != nil {
		t.Fatal(err)
	}
	got, err := waitlist.Matches(p.ctx, p.env.DB, waitlist.Slot{PractitionerID: p.hip, ServiceLine: booking.LineHIP,
		StartsAt: start, EndsAt: start.Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	want := []uuid.UUID{urgent.ID, soon.ID, routineOld.ID}
	if len(got) != len(want) {
		t.Fatalf("matches %+v", got)
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Errorf("match %d is %s, want %s", i, got[i].PatientName, want[i])
		}
	}
}

func TestOffersAndBookFromWaitlist(t *testing.T) {
	p := newPractice(t)
	start := nextMonday10()
	e := p.add(t, p.entry(p.patient, waitlist.UrgencySoon))
	second := p.add(t, p.entry(p.newPatient(t, "Second"), waitlist.UrgencyRoutine))

	// A live appointment frees nothing.
	live, _, err := booking.Book(p.ctx, p.env.DB, p.gp, booking.NewAppointment{PractitionerID: p.hip2, PatientID: p.newPatient(t, "Live"),
		Kind: booking.KindBooked, Mode: booking.ModePhone, ServiceLine: booking.LineHIP, StartsAt: start, Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	_, err = waitlist.OffersFor(p.ctx, p.env.DB, live.ID)
	wantKind(t, err, fault.Conflict)

	freed := p.cancelled(t, start)
	o, err := waitlist.OffersFor(p.ctx, p.env.DB, freed.ID)
	if err != nil || !o.Free || len(o.Matches) != 2 || o.Matches[0].ID != e.ID || !o.Slot.StartsAt.Equal(start) {
		t.Fatalf("offer %+v, %v", o, err)
	}
	a, _, err := waitlist.BookFromWaitlist(p.ctx, p.env.DB, p.gp, e.ID, freed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.PatientID != p.patient || a.PractitionerID != p.hip || !a.StartsAt.Equal(start) || a.Minutes() != 30 ||
		a.Mode != booking.ModePhone || a.Status != booking.StatusBooked {
		t.Errorf("booked %+v", a)
	}
	got, _ := waitlist.Get(p.ctx, p.env.DB, e.ID)
	if got.Status != waitlist.StatusBooked || got.AppointmentID != a.ID || got.ClosedBy != p.gp {
		t.Errorf("entry after booking %+v", got)
	}
	// The time went meanwhile: a clear conflict, and the second entry stays.
	_, _, err = waitlist.BookFromWaitlist(p.ctx, p.env.DB, p.gp, second.ID, freed.ID)
	if !errors.Is(err, fault.Conflict) || fault.As(err).Message != waitlist.ErrTaken.Message {
		t.Fatalf("second booking: %v", err)
	}
	if got, _ := waitlist.Get(p.ctx, p.env.DB, second.ID); got.Status != waitlist.StatusOpen {
		t.Errorf("second entry %s", got.Status)
	}
	if o, err := waitlist.OffersFor(p.ctx, p.env.DB, freed.ID); err != nil || o.Free || len(o.Matches) != 0 {
		t.Errorf("offer after booking %+v, %v", o, err)
	}
	// A booked entry cannot be booked again or withdrawn.
	_, _, err = waitlist.BookFromWaitlist(p.ctx, p.env.DB, p.gp, e.ID, p.cancelled(t, start.Add(time.Hour)).ID)
	wantKind(t, err, fault.Conflict)
	_, err = waitlist.Withdraw(p.ctx, p.env.DB, p.gp, e.ID, "no longer needed")
	wantKind(t, err, fault.Conflict)
}

func TestWithdraw(t *testing.T) {
	p := newPractice(t)
	e := p.add(t, p.entry(p.patient, waitlist.UrgencyRoutine))
	_, err := waitlist.Withdraw(p.ctx, p.env.DB, p.gp, e.ID, "  ")
	wantKind(t, err, fault.Invalid)
	got, err := waitlist.Withdraw(p.ctx, p.env.DB, p.gp, e.ID, "Seen elsewhere")
	if err != nil || got.Status != waitlist.StatusWithdrawn || got.WithdrawReason != "Seen elsewhere" {
		t.Fatalf("%+v, %v", got, err)
	}
	if l, _ := waitlist.List(p.ctx, p.env.DB); len(l) != 0 {
		t.Errorf("withdrawn entry still listed")
	}
	// Withdrawn, the entry can no longer be booked; the person can be added again.
	_, _, err = waitlist.BookFromWaitlist(p.ctx, p.env.DB, p.gp, e.ID, p.cancelled(t, nextMonday10()).ID)
	wantKind(t, err, fault.Conflict)
	p.add(t, p.entry(p.patient, waitlist.UrgencyRoutine))
	var events int64
	p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM audit_events WHERE object = 'waitlist_entry' AND object_id = ?`, e.ID.String()).Scan(&events).Error
	})
	if events != 2 {
		t.Errorf("%d audit events, want 2 (added, withdrawn)", events)
	}
}

func TestAnotherPracticeCannotSeeOrAct(t *testing.T) {
	a := newPractice(t)
	b := newPractice(t)
	e := a.add(t, a.entry(a.patient, waitlist.UrgencyUrgent))
	freedA := a.cancelled(t, nextMonday10())
	freedB := b.cancelled(t, nextMonday10())
	if _, err := waitlist.Get(b.ctx, b.env.DB, e.ID); !errors.Is(err, fault.NotFound) {
		t.Errorf("get from B: %v", err)
	}
	if _, err := waitlist.Withdraw(b.ctx, b.env.DB, b.gp, e.ID, "mine now"); !errors.Is(err, fault.NotFound) {
		t.Errorf("withdraw from B: %v", err)
	}
	if _, err := waitlist.OffersFor(b.ctx, b.env.DB, freedA.ID); !errors.Is(err, fault.NotFound) {
		t.Errorf("offers from B: %v", err)
	}
	// B's freed time offered to B: A's entry is not there.
	if o, err := waitlist.OffersFor(b.ctx, b.env.DB, freedB.ID); err != nil || len(o.Matches) != 0 {
		t.Errorf("B's offer %+v, %v", o, err)
	}
	// A's entry into B's freed time, and B's own call with A's entry: not found.
	if _, _, err := waitlist.BookFromWaitlist(b.ctx, b.env.DB, b.gp, e.ID, freedB.ID); !errors.Is(err, fault.NotFound) {
		t.Errorf("book A's entry from B: %v", err)
	}
	if _, _, err := waitlist.BookFromWaitlist(a.ctx, a.env.DB, a.gp, e.ID, freedB.ID); !errors.Is(err, fault.NotFound) {
		t.Errorf("book into B's time from A: %v", err)
	}
	if _, err := waitlist.Add(b.ctx, b.env.DB, b.gp, b.entry(a.patient, waitlist.UrgencySoon)); !errors.Is(err, fault.NotFound) {
		t.Errorf("add A's patient in B: %v", err)
	}
	if got, _ := waitlist.Get(a.ctx, a.env.DB, e.ID); got.Status != waitlist.StatusOpen {
		t.Errorf("A's entry %s", got.Status)
	}
}
