package handover_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/handover"
	"github.com/tuhono/tuhono/models/schedule"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// practice is one fresh tenant (Pacific/Auckland) with a GP, a HIP, a Health
// Coach and a patient.
type practice struct {
	env            *dbtest.Env
	ctx            context.Context
	gp, hip, coach uuid.UUID
	patient        uuid.UUID
}

func newPractice(t *testing.T) practice {
	t.Helper()
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	p := practice{env: env, ctx: ctx}
	p.gp = p.member(t, "gp")
	p.hip = p.member(t, "hip")
	p.coach = p.member(t, "health_coach")
	p.patient = p.newPatient(t, "Ngata", "Aroha")
	return p
}

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
			tx.Tenant.ID, id, "{"+strings.Join(roles, ",")+"}").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (p practice) newPatient(t *testing.T, family, given string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, name_search, date_of_birth)
			VALUES (?, ?, ?, ?, ?, DATE '1990-05-01')`, tx.Tenant.ID, id, family, given,
			strings.ToLower(family+" "+given)).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// open gives a practitioner an open (same-day) block every day.
func (p practice) open(t *testing.T, who uuid.UUID, start, end schedule.Clock, kind schedule.Kind) {
	t.Helper()
	var blocks []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		blocks = append(blocks, schedule.Block{Weekday: wd, Starts: start, Ends: end, Kind: kind})
	}
	_, err := schedule.SaveTemplate(p.ctx, p.env.DB, who, schedule.NewTemplate{PractitionerID: who,
		EffectiveFrom: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Blocks: blocks})
	if err != nil {
		t.Fatal(err)
	}
}

func (p practice) book(t *testing.T, who uuid.UUID, line booking.ServiceLine, at time.Time, minutes int) booking.Appointment {
	t.Helper()
	a, _, err := booking.Book(p.ctx, p.env.DB, p.gp, booking.NewAppointment{PractitionerID: who,
		PatientID: p.newPatient(t, "Other", "Person"), Kind: booking.KindBooked, Mode: booking.ModeInPerson,
		ServiceLine: line, StartsAt: at, Minutes: minutes})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (p practice) appointments(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM appointments`).Scan(&n).Error
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// ten is 10:00 on Tuesday 2 March 2027 in Auckland (NZDT, UTC+13).
var ten = time.Date(2027, 3, 1, 21, 0, 0, 0, time.UTC)

func at(clock string) time.Time {
	c, err := schedule.ParseClock(clock)
	if err != nil {
		panic(err)
	}
	return ten.Add(time.Duration(int(c)-10*60) * time.Minute)
}

func wantKind(t *testing.T, err error, kind *fault.Error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %s", err, kind.Message)
	}
}

func TestFreeNowSoonestFirst(t *testing.T) {
	p := newPractice(t)
	busyHIP, freeHIP, shortHIP, bookedOnly := p.hip, p.member(t, "hip"), p.member(t, "hip"), p.member(t, "hip")
	p.open(t, busyHIP, schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)
	p.open(t, freeHIP, schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)
	p.open(t, p.coach, schedule.At(10, 15), schedule.At(11, 0), schedule.KindOpen)
	p.open(t, shortHIP, schedule.At(9, 0), schedule.At(11, 0), schedule.KindOpen)
	p.open(t, bookedOnly, schedule.At(9, 0), schedule.At(12, 0), schedule.KindBooked)
	p.book(t, busyHIP, booking.LineHIP, at("10:00"), 30)
	// shortHIP's only gap is ten minutes: not worth offering.
	p.book(t, shortHIP, booking.LineHIP, at("09:30"), 60)
	p.book(t, shortHIP, booking.LineHIP, at("10:40"), 20)

	free, err := handover.FreeNow(p.ctx, p.env.DB, at("10:00").Add(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		who         uuid.UUID
		from, until string
	}
	wants := []want{{freeHIP, "10:00", "12:00"}, {p.coach, "10:15", "11:00"}, {busyHIP, "10:30", "12:00"}}
	if len(free) != len(wants) {
		t.Fatalf("free = %+v, want %d people", free, len(wants))
	}
	for i, w := range wants {
		f := free[i]
		if f.PractitionerID != w.who || !f.From.Equal(at(w.from)) || !f.Until.Equal(at(w.until)) {
			t.Errorf("free[%d] = %v %s–%s, want %v %s–%s", i, f.PractitionerID, f.From, f.Until, w.who, at(w.from), at(w.until))
		}
	}
	if !free[0].Now(at("10:00")) || free[1].Now(at("10:00")) {
		t.Error("only the first is free now")
	}
	if len(free[1].ServiceLines) != 1 || free[1].ServiceLines[0] != booking.LineHealthCoach {
		t.Errorf("coach lines = %v", free[1].ServiceLines)
	}

	// Late in the day nobody has open time left.
	late, err := handover.FreeNow(p.ctx, p.env.DB, at("12:00"))
	if err != nil || len(late) != 0 {
		t.Errorf("at noon: %+v, %v", late, err)
	}
}

func TestIntroduceBooksNow(t *testing.T) {
	p := newPractice(t)
	p.open(t, p.hip, schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)

	a, _, err := handover.Introduce(p.ctx, p.env.DB, p.gp, handover.Introduction{PatientID: p.patient,
		PractitionerID: p.hip, At: at("10:00").Add(17 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != booking.KindSameDay || a.IntroducedBy != p.gp || !a.IntroducedAt.Equal(at("10:00")) ||
		!a.StartsAt.Equal(at("10:00")) || a.Minutes() != handover.DefaultMinutes || a.ServiceLine != booking.LineHIP ||
		a.Status != booking.StatusBooked {
		t.Errorf("appointment = %+v", a)
	}
	free, err := handover.FreeNow(p.ctx, p.env.DB, at("10:05"))
	if err != nil || len(free) != 1 || !free[0].From.Equal(at("10:30")) {
		t.Errorf("after the introduction: %+v, %v", free, err)
	}

	// Booked already then: a conflict, and nothing more is booked.
	_, _, err = handover.Introduce(p.ctx, p.env.DB, p.gp, handover.Introduction{PatientID: p.newPatient(t, "Tane", "Mere"),
		PractitionerID: p.hip, At: at("10:10")})
	wantKind(t, err, fault.Conflict)
	// Only a GP or nurse introduces.
	_, _, err = handover.Introduce(p.ctx, p.env.DB, p.coach, handover.Introduction{PatientID: p.patient,
		PractitionerID: p.hip, At: at("11:00")})
	wantKind(t, err, fault.Forbidden)
	// The GP does not take introductions.
	_, _, err = handover.Introduce(p.ctx, p.env.DB, p.gp, handover.Introduction{PatientID: p.patient,
		PractitionerID: p.gp, At: at("11:00")})
	wantKind(t, err, fault.Invalid)
	_, _, err = handover.Introduce(p.ctx, p.env.DB, p.gp, handover.Introduction{PractitionerID: p.hip})
	wantKind(t, err, fault.Invalid)
	_, _, err = handover.Introduce(p.ctx, p.env.DB, p.gp, handover.Introduction{PatientID: p.patient,
		PractitionerID: p.hip, At: at("10:00"), StartsAt: at("09:30")})
	wantKind(t, err, fault.Invalid)
	// Soonest rather than now: booked when they are free, introduced now.
	later, _, err := handover.Introduce(p.ctx, p.env.DB, p.gp, handover.Introduction{PatientID: p.newPatient(t, "Rewi", "Hemi"),
		PractitionerID: p.hip, At: at("10:05"), StartsAt: at("10:30")})
	if err != nil || !later.StartsAt.Equal(at("10:30")) || !later.IntroducedAt.Equal(at("10:05")) {
		t.Fatalf("later: %+v, %v", later, err)
	}
	if n := p.appointments(t); n != 2 {
		t.Errorf("%d appointments, want 2", n)
	}
}

func TestQueueLifecycle(t *testing.T) {
	p := newPractice(t)
	v0, err := handover.Version(p.ctx, p.env.DB)
	if err != nil {
		t.Fatal(err)
	}
	e, err := handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: p.patient,
		Note: "  Low mood since the redundancy; keen to talk today.  "})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != handover.StatusWaiting || e.Note != "Low mood since the redundancy; keen to talk today." ||
		e.IntroducedBy != p.gp || e.Name() != "Aroha Ngata" || e.ServiceLine != "" {
		t.Errorf("entry = %+v", e)
	}
	v1, _ := handover.Version(p.ctx, p.env.DB)
	if v1 == v0 {
		t.Error("the version did not change on enqueue")
	}

	// Refusals change nothing.
	_, err = handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: p.patient})
	wantKind(t, err, fault.Conflict)
	other := p.newPatient(t, "Fale", "Sione")
	_, err = handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: other, Note: strings.Repeat("ā", 501)})
	wantKind(t, err, fault.Invalid)
	_, err = handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: other, Note: "bad\x00"})
	wantKind(t, err, fault.Invalid)
	_, err = handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: other, ServiceLine: booking.LineSupportWorker})
	wantKind(t, err, fault.Invalid)
	_, err = handover.Enqueue(p.ctx, p.env.DB, p.hip, handover.NewEntry{PatientID: other})
	wantKind(t, err, fault.Forbidden)
	_, err = handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: uuid.Must(uuid.NewV7())})
	wantKind(t, err, fault.NotFound)
	if v, _ := handover.Version(p.ctx, p.env.DB); v != v1 {
		t.Error("a refused enqueue changed the version")
	}

	// A Health Coach is wanted for the second person.
	e2, err := handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: other, ServiceLine: booking.LineHealthCoach})
	if err != nil {
		t.Fatal(err)
	}
	q, err := handover.Queue(p.ctx, p.env.DB)
	if err != nil || len(q) != 2 || q[0].ID != e.ID || q[1].ID != e2.ID {
		t.Fatalf("queue = %+v, %v", q, err)
	}
	if w := q[0].Waiting(q[0].IntroducedAt.Add(7 * time.Minute)); w != 7*time.Minute {
		t.Errorf("waiting = %s", w)
	}

	// The HIP takes the first; the entry and the appointment carry the introduction.
	taken, a, err := handover.Take(p.ctx, p.env.DB, p.hip, e.ID, handover.Taking{At: at("10:00"), Minutes: 20})
	if err != nil {
		t.Fatal(err)
	}
	if taken.Status != handover.StatusTaken || taken.TakenBy != p.hip || taken.AppointmentID != a.ID {
		t.Errorf("taken = %+v", taken)
	}
	if a.Kind != booking.KindSameDay || a.PractitionerID != p.hip || a.PatientID != p.patient || a.IntroducedBy != p.gp ||
		!a.IntroducedAt.Equal(e.IntroducedAt) || a.ServiceLine != booking.LineHIP || a.Minutes() != 20 {
		t.Errorf("appointment = %+v", a)
	}
	_, _, err = handover.Take(p.ctx, p.env.DB, p.coach, e.ID, handover.Taking{At: at("10:00")})
	wantKind(t, err, fault.Conflict)
	_, err = handover.Withdraw(p.ctx, p.env.DB, p.gp, e.ID, "left")
	wantKind(t, err, fault.Conflict)

	// The HIP cannot take someone waiting for a Health Coach; the coach can.
	_, _, err = handover.Take(p.ctx, p.env.DB, p.hip, e2.ID, handover.Taking{At: at("11:00")})
	wantKind(t, err, fault.Forbidden)
	_, err = handover.Withdraw(p.ctx, p.env.DB, p.gp, e2.ID, "   ")
	wantKind(t, err, fault.Invalid)
	w, err := handover.Withdraw(p.ctx, p.env.DB, p.gp, e2.ID, "Went home; will ring tomorrow")
	if err != nil || w.Status != handover.StatusWithdrawn || w.WithdrawReason != "Went home; will ring tomorrow" {
		t.Fatalf("withdrawn = %+v, %v", w, err)
	}
	if q, _ := handover.Queue(p.ctx, p.env.DB); len(q) != 0 {
		t.Errorf("queue after take and withdraw = %+v", q)
	}
	// Withdrawn, the person may be introduced again.
	if _, err := handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: other}); err != nil {
		t.Fatal(err)
	}
	if n := p.appointments(t); n != 1 {
		t.Errorf("%d appointments, want 1", n)
	}
}

// Many HIPs press "Take" at once: one gets the person, the rest a clear
// conflict, and exactly one appointment exists.
func TestTakeExactlyOnce(t *testing.T) {
	p := newPractice(t)
	e, err := handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: p.patient})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	hips := make([]uuid.UUID, n)
	for i := range hips {
		hips[i] = p.member(t, "hip")
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range hips {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, errs[i] = handover.Take(p.ctx, p.env.DB, hips[i], e.ID, handover.Taking{At: at("10:00")})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, fault.Conflict):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d takers succeeded, want 1", ok)
	}
	if c := p.appointments(t); c != 1 {
		t.Errorf("%d appointments, want 1", c)
	}
}

// The move to in session records when the person was seen: the end of the
// introduction-to-seen time.
func TestSeenAtOnSessionStart(t *testing.T) {
	p := newPractice(t)
	e, err := handover.Enqueue(p.ctx, p.env.DB, p.gp, handover.NewEntry{PatientID: p.patient})
	if err != nil {
		t.Fatal(err)
	}
	_, a, err := handover.Take(p.ctx, p.env.DB, p.hip, e.ID, handover.Taking{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.SeenAt.IsZero() {
		t.Fatal("seen before the session started")
	}
	if a, err = booking.SetStatus(p.ctx, p.env.DB, p.hip, a.ID, booking.StatusArrived); err != nil || !a.SeenAt.IsZero() {
		t.Fatalf("arrived: %v, seen %s", err, a.SeenAt)
	}
	if a, err = booking.SetStatus(p.ctx, p.env.DB, p.hip, a.ID, booking.StatusInSession); err != nil {
		t.Fatal(err)
	}
	if a.SeenAt.IsZero() || a.SeenAt.Before(a.IntroducedAt) || a.SeenAt.Sub(a.IntroducedAt) > time.Minute {
		t.Errorf("introduced %s, seen %s", a.IntroducedAt, a.SeenAt)
	}
	got, err := booking.Get(p.ctx, p.env.DB, a.ID)
	if err != nil || !got.SeenAt.Equal(a.SeenAt) {
		t.Errorf("stored seen_at %s, %v", got.SeenAt, err)
	}
}

func TestCrossTenant(t *testing.T) {
	a := newPractice(t)
	b := newPractice(t)
	a.open(t, a.hip, schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)
	e, err := handover.Enqueue(a.ctx, a.env.DB, a.gp, handover.NewEntry{PatientID: a.patient, Note: "for A only"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = handover.Get(b.ctx, b.env.DB, e.ID)
	wantKind(t, err, fault.NotFound)
	_, _, err = handover.Take(b.ctx, b.env.DB, b.hip, e.ID, handover.Taking{At: at("10:00")})
	wantKind(t, err, fault.NotFound)
	_, err = handover.Withdraw(b.ctx, b.env.DB, b.gp, e.ID, "not yours")
	wantKind(t, err, fault.NotFound)
	_, err = handover.Enqueue(b.ctx, b.env.DB, b.gp, handover.NewEntry{PatientID: a.patient})
	wantKind(t, err, fault.NotFound)
	// A's GP has no membership in B: no introductions there.
	_, err = handover.Enqueue(b.ctx, b.env.DB, a.gp, handover.NewEntry{PatientID: b.patient})
	wantKind(t, err, fault.Forbidden)
	_, _, err = handover.Introduce(b.ctx, b.env.DB, b.gp, handover.Introduction{PatientID: b.patient,
		PractitionerID: a.hip, At: at("10:00")})
	wantKind(t, err, fault.Invalid)
	_, _, err = handover.Introduce(b.ctx, b.env.DB, b.gp, handover.Introduction{PatientID: a.patient,
		PractitionerID: b.hip, At: at("10:00")})
	wantKind(t, err, fault.NotFound)

	if q, err := handover.Queue(b.ctx, b.env.DB); err != nil || len(q) != 0 {
		t.Errorf("B's queue = %+v, %v", q, err)
	}
	if f, err := handover.FreeNow(b.ctx, b.env.DB, at("10:00")); err != nil || len(f) != 0 {
		t.Errorf("B's free = %+v, %v", f, err)
	}
	if got, err := handover.Get(a.ctx, a.env.DB, e.ID); err != nil || got.Status != handover.StatusWaiting {
		t.Errorf("A's entry: %+v, %v", got, err)
	}
	if n := b.appointments(t); n != 0 {
		t.Errorf("B has %d appointments", n)
	}
}
