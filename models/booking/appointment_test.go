package booking_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// practice is one fresh tenant with a HIP, a Health Coach, a GP and a patient.
type practice struct {
	env            *dbtest.Env
	ctx            context.Context
	hip, coach, gp uuid.UUID
	patient        uuid.UUID
}

func newPractice(t *testing.T) practice {
	t.Helper()
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	p := practice{env: env, ctx: ctx}
	p.hip = p.member(t, "hip")
	p.coach = p.member(t, "health_coach")
	p.gp = p.member(t, "gp")
	p.patient = p.newPatient(t)
	return p
}

// member makes a user with an active membership here.
func (p practice) member(t *testing.T, roles ...string) uuid.UUID {
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
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ?::text[])`,
			tx.Tenant.ID, id, fmt.Sprintf("{%s}", join(roles))).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// newPatient inserts a patient with the columns of migration 00012.
func (p practice) newPatient(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, name_search, date_of_birth)
			VALUES (?, ?, 'Ngata', 'Aroha', 'ngata aroha', DATE '1990-05-01')`, tx.Tenant.ID, id).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var day = time.Date(2027, 3, 1, 21, 0, 0, 0, time.UTC) // 10:00 on 2 March in Auckland

func (p practice) booking(at time.Time, minutes int) booking.NewAppointment {
	return booking.NewAppointment{PractitionerID: p.hip, PatientID: p.patient, Kind: booking.KindBooked,
		Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP, StartsAt: at, Minutes: minutes}
}

func (p practice) book(t *testing.T, n booking.NewAppointment) booking.Appointment {
	t.Helper()
	a, _, err := booking.Book(p.ctx, p.env.DB, p.gp, n)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (p practice) count(t *testing.T, where string, args ...any) int64 {
	t.Helper()
	var n int64
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM appointments WHERE `+where, args...).Scan(&n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantKind(t *testing.T, err error, kind *fault.Error, message string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %s", err, kind.Message)
	}
	if message != "" && fault.As(err).Message != message {
		t.Fatalf("message %q, want %q", fault.As(err).Message, message)
	}
}

func TestBookAndGet(t *testing.T) {
	p := newPractice(t)
	n := p.booking(day, 20)
	n.Kind, n.IntroducedBy = booking.KindSameDay, p.gp
	a, w, err := booking.Book(p.ctx, p.env.DB, p.gp, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
	got, err := booking.Get(p.ctx, p.env.DB, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != booking.StatusBooked || got.Minutes() != 20 || !got.StartsAt.Equal(day) ||
		got.PatientID != p.patient || got.IntroducedBy != p.gp || got.IntroducedAt.IsZero() || got.CreatedBy != p.gp {
		t.Errorf("got %+v", got)
	}
	var audited int64
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM audit_events WHERE action = 'record.create' AND patient_id = ? AND object_id = ?`,
			p.patient, a.ID.String()).Scan(&audited).Error
	})
	if err != nil || audited != 1 {
		t.Errorf("audit events %d, %v", audited, err)
	}
}

func TestValidation(t *testing.T) {
	p := newPractice(t)
	cases := []struct {
		name  string
		edit  func(*booking.NewAppointment)
		field string
	}{
		{"too short", func(n *booking.NewAppointment) { n.Minutes = 4 }, "minutes"},
		{"too long", func(n *booking.NewAppointment) { n.Minutes = 241 }, "minutes"},
		{"not on a minute", func(n *booking.NewAppointment) { n.StartsAt = n.StartsAt.Add(time.Second) }, "starts_at"},
		{"no start", func(n *booking.NewAppointment) { n.StartsAt = time.Time{} }, "starts_at"},
		{"kind", func(n *booking.NewAppointment) { n.Kind = "walk_in" }, "kind"},
		{"mode", func(n *booking.NewAppointment) { n.Mode = "carrier_pigeon" }, "mode"},
		{"service line", func(n *booking.NewAppointment) { n.ServiceLine = "gp" }, "service_line"},
		{"no patient", func(n *booking.NewAppointment) { n.PatientID = uuid.Nil }, "patient_id"},
		{"group with patient", func(n *booking.NewAppointment) { n.Kind, n.Capacity = booking.KindGroup, 5 }, "patient_id"},
		{"group without capacity", func(n *booking.NewAppointment) { n.Kind, n.PatientID = booking.KindGroup, uuid.Nil }, "capacity"},
		{"wrong line for the practitioner", func(n *booking.NewAppointment) { n.ServiceLine = booking.LineHealthCoach }, "practitioner_id"},
		{"introducer not a GP or nurse", func(n *booking.NewAppointment) { n.IntroducedBy = p.coach }, "introduced_by"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := p.booking(day.Add(time.Duration(i)*time.Hour), 30)
			c.edit(&n)
			_, _, err := booking.Book(p.ctx, p.env.DB, p.gp, n)
			wantKind(t, err, fault.Invalid, "")
			if f := fault.As(err).Fields; len(f) == 0 || f[0].Field != c.field {
				t.Errorf("fields %v, want %s", f, c.field)
			}
		})
	}
	for i, m := range []int{5, 15, 20, 30, 45, 240} {
		if _, _, err := booking.Book(p.ctx, p.env.DB, p.gp, p.booking(day.AddDate(0, 0, i+1), m)); err != nil {
			t.Errorf("%d minutes: %v", m, err)
		}
	}
	if n := p.count(t, "true"); n != 6 {
		t.Errorf("%d rows, want 6 (bad input changes nothing)", n)
	}
}

// The acceptance test of the exclusion constraint: 50 requests for the same
// practitioner and time, at once.
func TestConcurrentBookingsOneWins(t *testing.T) {
	p := newPractice(t)
	const n = 50
	patients := make([]uuid.UUID, n)
	for i := range patients {
		patients[i] = p.newPatient(t)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := p.booking(day, 30)
			b.PatientID = patients[i]
			<-start
			_, _, errs[i] = booking.Book(p.ctx, p.env.DB, p.gp, b)
		}()
	}
	close(start)
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, fault.Conflict) && fault.As(err).Message == "already booked at that time":
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Errorf("%d booked, %d conflicts; want 1 and %d", ok, conflicts, n-1)
	}
	if rows := p.count(t, "practitioner_id = ?", p.hip); rows != 1 {
		t.Errorf("%d rows, want 1", rows)
	}
}

func TestOverlapsAndTouching(t *testing.T) {
	p := newPractice(t)
	p.book(t, p.booking(day, 30))
	// Overlapping by one minute: refused. Touching ([a, b) ranges): fine.
	_, _, err := booking.Book(p.ctx, p.env.DB, p.gp, p.booking(day.Add(29*time.Minute), 15))
	wantKind(t, err, fault.Conflict, "already booked at that time")
	p.book(t, p.booking(day.Add(30*time.Minute), 15))
	// Another practitioner at the same time is free; a cancelled slot frees up.
	other := p.booking(day, 30)
	other.PractitionerID, other.ServiceLine, other.PatientID = p.coach, booking.LineHealthCoach, p.newPatient(t)
	p.book(t, other)
}

func TestPatientDoubleBookedIsAWarning(t *testing.T) {
	p := newPractice(t)
	first := p.book(t, p.booking(day, 30))
	n := p.booking(day.Add(15*time.Minute), 30)
	n.PractitionerID, n.ServiceLine = p.coach, booking.LineHealthCoach
	a, w, err := booking.Book(p.ctx, p.env.DB, p.gp, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 1 || w[0].Code != booking.WarnPatientDoubleBooked || w[0].Other != first.ID || w[0].Message == "" {
		t.Fatalf("warnings %+v", w)
	}
	if a.Status != booking.StatusBooked {
		t.Errorf("status %s", a.Status)
	}
	// Later the same day: no warning.
	_, w, err = booking.Book(p.ctx, p.env.DB, p.gp, p.booking(day.Add(2*time.Hour), 30))
	if err != nil || len(w) != 0 {
		t.Errorf("warnings %+v, %v", w, err)
	}
}

// expire moves a hold's expiry into the past: the clock is the database's,
// so the test moves the hold rather than the clock.
func (p practice) expire(t *testing.T, id uuid.UUID) {
	t.Helper()
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE appointments SET hold_expires_at = now() - interval '1 second' WHERE id = ?`, id).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHoldsBlockUntilExpiry(t *testing.T) {
	p := newPractice(t)
	h, _, err := booking.Hold(p.ctx, p.env.DB, p.gp, p.booking(day, 30), 0)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != booking.StatusHeld || h.HoldExpiresAt.Sub(h.CreatedAt) != booking.DefaultHoldTTL {
		t.Fatalf("hold %+v", h)
	}
	other := p.booking(day.Add(10*time.Minute), 20)
	other.PatientID = p.newPatient(t)
	_, _, err = booking.Book(p.ctx, p.env.DB, p.gp, other)
	wantKind(t, err, fault.Conflict, "already booked at that time")
	_, _, err = booking.Hold(p.ctx, p.env.DB, p.gp, other, time.Minute)
	wantKind(t, err, fault.Conflict, "already booked at that time")

	p.expire(t, h.ID)
	_, err = booking.Confirm(p.ctx, p.env.DB, p.gp, h.ID)
	wantKind(t, err, fault.Conflict, "the hold has expired: book the time again")
	b := p.book(t, other)
	if b.Status != booking.StatusBooked {
		t.Errorf("status %s", b.Status)
	}
	got, err := booking.Get(p.ctx, p.env.DB, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != booking.StatusCancelled || got.CancelReason != booking.ReasonHoldExpired || got.CancelledBy != uuid.Nil {
		t.Errorf("expired hold %+v", got)
	}
	_, err = booking.Confirm(p.ctx, p.env.DB, p.gp, h.ID)
	wantKind(t, err, fault.Conflict, "")

	// A live hold is confirmed into a booking.
	h2, _, err := booking.Hold(p.ctx, p.env.DB, p.gp, p.booking(day.Add(time.Hour), 30), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := booking.Confirm(p.ctx, p.env.DB, p.gp, h2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != booking.StatusBooked || !c.HoldExpiresAt.IsZero() {
		t.Errorf("confirmed %+v", c)
	}
	_, _, err = booking.Hold(p.ctx, p.env.DB, p.gp, p.booking(day.Add(3*time.Hour), 30), time.Hour)
	wantKind(t, err, fault.Invalid, "")
}

func TestStateMachine(t *testing.T) {
	p := newPractice(t)
	const (
		held, booked, arrived = booking.StatusHeld, booking.StatusBooked, booking.StatusArrived
		inSession, completed  = booking.StatusInSession, booking.StatusCompleted
		dna, cancelled        = booking.StatusDidNotAttend, booking.StatusCancelled
	)
	paths := map[booking.Status][]booking.Status{
		held: {}, booked: {}, arrived: {arrived}, inSession: {arrived, inSession},
		completed: {arrived, inSession, completed}, dna: {dna},
	}
	all := []booking.Status{held, booked, arrived, inSession, completed, dna, cancelled}
	allowed := map[[2]booking.Status]bool{
		{booked, arrived}: true, {booked, dna}: true, {arrived, inSession}: true, {inSession, completed}: true,
	}
	slot := 0
	setUp := func(t *testing.T, from booking.Status) booking.Appointment {
		t.Helper()
		slot++
		n := p.booking(day.Add(time.Duration(slot)*time.Hour), 30)
		var a booking.Appointment
		var err error
		if from == held {
			a, _, err = booking.Hold(p.ctx, p.env.DB, p.gp, n, 0)
		} else {
			a, _, err = booking.Book(p.ctx, p.env.DB, p.gp, n)
		}
		if err != nil {
			t.Fatal(err)
		}
		if from == cancelled {
			if a, err = booking.Cancel(p.ctx, p.env.DB, p.gp, a.ID, "person unwell"); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range paths[from] {
			if a, err = booking.SetStatus(p.ctx, p.env.DB, p.hip, a.ID, s); err != nil {
				t.Fatal(err)
			}
		}
		if a.Status != from {
			t.Fatalf("set-up reached %s, want %s", a.Status, from)
		}
		return a
	}
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				if booking.CanMove(from, to) != allowed[[2]booking.Status{from, to}] {
					t.Fatalf("CanMove = %v", !allowed[[2]booking.Status{from, to}])
				}
				a := setUp(t, from)
				got, err := booking.SetStatus(p.ctx, p.env.DB, p.hip, a.ID, to)
				if allowed[[2]booking.Status{from, to}] {
					if err != nil || got.Status != to {
						t.Fatalf("got %s, %v", got.Status, err)
					}
					return
				}
				wantKind(t, err, fault.Conflict, "")
				if now, _ := booking.Get(p.ctx, p.env.DB, a.ID); now.Status != from {
					t.Errorf("status changed to %s", now.Status)
				}
			})
		}
		t.Run("cancel from "+string(from), func(t *testing.T) {
			a := setUp(t, from)
			got, err := booking.Cancel(p.ctx, p.env.DB, p.gp, a.ID, "  whānau event  ")
			if !from.Live() {
				wantKind(t, err, fault.Conflict, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != cancelled || got.CancelledBy != p.gp || got.CancelReason != "whānau event" || got.CancelledAt.IsZero() {
				t.Errorf("cancelled %+v", got)
			}
		})
	}
	a := setUp(t, booked)
	_, err := booking.Cancel(p.ctx, p.env.DB, p.gp, a.ID, "   ")
	wantKind(t, err, fault.Invalid, "")
}

func TestRescheduleKeepsHistory(t *testing.T) {
	p := newPractice(t)
	old := p.book(t, p.booking(day, 30))
	// The new time may overlap the old: the old is cancelled first.
	moved, w, err := booking.Reschedule(p.ctx, p.env.DB, p.gp, old.ID, day.Add(15*time.Minute), 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 0 {
		t.Errorf("warned about the appointment it replaces: %+v", w)
	}
	if moved.RescheduledFrom != old.ID || moved.Status != booking.StatusBooked || moved.Minutes() != 20 ||
		moved.PatientID != p.patient || moved.ID == old.ID {
		t.Errorf("moved %+v", moved)
	}
	was, err := booking.Get(p.ctx, p.env.DB, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if was.Status != booking.StatusCancelled || was.CancelReason != booking.ReasonRescheduled || was.CancelledBy != p.gp {
		t.Errorf("old %+v", was)
	}
	_, _, err = booking.Reschedule(p.ctx, p.env.DB, p.gp, old.ID, day.Add(2*time.Hour), 20)
	wantKind(t, err, fault.Conflict, "")
	// Onto someone else's time: a conflict, and nothing changes.
	other := p.booking(day.Add(3*time.Hour), 30)
	other.PatientID = p.newPatient(t)
	p.book(t, other)
	_, _, err = booking.Reschedule(p.ctx, p.env.DB, p.gp, moved.ID, day.Add(3*time.Hour), 30)
	wantKind(t, err, fault.Conflict, "already booked at that time")
	if still, _ := booking.Get(p.ctx, p.env.DB, moved.ID); still.Status != booking.StatusBooked {
		t.Errorf("a refused reschedule cancelled the appointment: %s", still.Status)
	}
}

func TestFirstVisit(t *testing.T) {
	p := newPractice(t)
	first, err := booking.FirstVisit(p.ctx, p.env.DB, p.patient, booking.LineHIP, day)
	if err != nil || !first {
		t.Fatalf("no history: first = %v, %v", first, err)
	}
	a := p.book(t, p.booking(day, 30))
	dna := p.book(t, p.booking(day.Add(time.Hour), 30))
	for _, s := range []booking.Status{booking.StatusArrived, booking.StatusInSession, booking.StatusCompleted} {
		if _, err := booking.SetStatus(p.ctx, p.env.DB, p.hip, a.ID, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := booking.SetStatus(p.ctx, p.env.DB, p.hip, dna.ID, booking.StatusDidNotAttend); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line  booking.ServiceLine
		at    time.Time
		first bool
	}{
		{booking.LineHIP, day, true},                     // the completed visit itself
		{booking.LineHIP, day.Add(2 * time.Hour), false}, // after it: a follow-up
		{booking.LineHealthCoach, day.Add(2 * time.Hour), true},
	}
	for _, c := range cases {
		got, err := booking.FirstVisit(p.ctx, p.env.DB, p.patient, c.line, c.at)
		if err != nil || got != c.first {
			t.Errorf("%s at %s: first = %v (%v), want %v", c.line, c.at, got, err, c.first)
		}
	}
	other := p.newPatient(t)
	if got, _ := booking.FirstVisit(p.ctx, p.env.DB, other, booking.LineHIP, day.Add(2*time.Hour)); !got {
		t.Error("another person's visit counted")
	}
}

func TestGroups(t *testing.T) {
	p := newPractice(t)
	n := p.booking(day, 60)
	n.Kind, n.PatientID, n.Capacity = booking.KindGroup, uuid.Nil, 2
	g := p.book(t, n)
	one, two := p.newPatient(t), p.newPatient(t)
	for _, id := range []uuid.UUID{one, two} {
		if _, err := booking.AddAttendee(p.ctx, p.env.DB, p.gp, g.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	_, err := booking.AddAttendee(p.ctx, p.env.DB, p.gp, g.ID, p.patient)
	wantKind(t, err, fault.Conflict, "the group is full")
	_, err = booking.AddAttendee(p.ctx, p.env.DB, p.gp, g.ID, one)
	wantKind(t, err, fault.Conflict, "")
	// An attendee booked one-to-one during the group gets the warning.
	c := p.booking(day.Add(30*time.Minute), 30)
	c.PractitionerID, c.ServiceLine, c.PatientID = p.coach, booking.LineHealthCoach, one
	_, w, err := booking.Book(p.ctx, p.env.DB, p.gp, c)
	if err != nil || len(w) != 1 || w[0].Other != g.ID {
		t.Errorf("warnings %+v, %v", w, err)
	}
}

// Wall 4: practice B cannot see, change or use practice A's appointments,
// patients or practitioners.
func TestCrossTenant(t *testing.T) {
	a := newPractice(t)
	b := newPractice(t)
	appt := a.book(t, a.booking(day, 30))

	_, err := booking.Get(b.ctx, b.env.DB, appt.ID)
	wantKind(t, err, fault.NotFound, "")
	_, err = booking.SetStatus(b.ctx, b.env.DB, b.hip, appt.ID, booking.StatusArrived)
	wantKind(t, err, fault.NotFound, "")
	_, err = booking.Cancel(b.ctx, b.env.DB, b.gp, appt.ID, "not yours")
	wantKind(t, err, fault.NotFound, "")
	_, _, err = booking.Reschedule(b.ctx, b.env.DB, b.gp, appt.ID, day.Add(time.Hour), 30)
	wantKind(t, err, fault.NotFound, "")
	_, err = booking.Confirm(b.ctx, b.env.DB, b.gp, appt.ID)
	wantKind(t, err, fault.NotFound, "")
	_, err = booking.AddAttendee(b.ctx, b.env.DB, b.gp, appt.ID, b.patient)
	wantKind(t, err, fault.NotFound, "")

	// Foreign ids in a booking request.
	n := b.booking(day, 30)
	n.PatientID = a.patient
	_, _, err = booking.Book(b.ctx, b.env.DB, b.gp, n)
	wantKind(t, err, fault.NotFound, "patient not found")
	n = b.booking(day, 30)
	n.PractitionerID = a.hip
	_, _, err = booking.Book(b.ctx, b.env.DB, b.gp, n)
	wantKind(t, err, fault.NotFound, "practitioner not found")
	if first, _ := booking.FirstVisit(b.ctx, b.env.DB, a.patient, booking.LineHIP, day); !first {
		t.Error("practice A's history leaked into B's first-visit answer")
	}

	// Nothing of B's attempts changed A's appointment, and B has no rows.
	if got, err := booking.Get(a.ctx, a.env.DB, appt.ID); err != nil || got.Status != booking.StatusBooked {
		t.Errorf("A's appointment: %s, %v", got.Status, err)
	}
	if rows := b.count(t, "true"); rows != 0 {
		t.Errorf("B has %d appointments", rows)
	}
}

// The migrations run as tuhono_owner, not a superuser: btree_gist, a trusted
// extension, is created by the owner, and the constraint stands on it.
func TestExclusionConstraintInPlace(t *testing.T) {
	p := newPractice(t)
	var owner, kind string
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		if err := tx.Raw(`SELECT r.rolname FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner
			WHERE e.extname = 'btree_gist'`).Scan(&owner).Error; err != nil {
			return err
		}
		return tx.Raw(`SELECT contype::text FROM pg_constraint WHERE conname = 'appointments_no_double_booking'`).Scan(&kind).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if owner == "" || kind != "x" {
		t.Errorf("btree_gist owned by %q, constraint type %q", owner, kind)
	}
	t.Logf("btree_gist owner: %s", owner)
}

func TestPractitionerMustBeActive(t *testing.T) {
	p := newPractice(t)
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE memberships SET status = 'suspended' WHERE user_id = ?`, p.hip).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = booking.Book(p.ctx, p.env.DB, p.gp, p.booking(day, 30))
	wantKind(t, err, fault.NotFound, "practitioner not found")
}
