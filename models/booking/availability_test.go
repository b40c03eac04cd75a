package booking_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/schedule"
)

var auckland = mustZone("Pacific/Auckland")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// local is a wall-clock time in Auckland on Tuesday 2 March 2027 (NZDT).
func local(h, m int) time.Time { return time.Date(2027, 3, 2, h, m, 0, 0, auckland) }

func tuesdayTemplate(t testing.TB, ctx context.Context, d *db.DB, actor, practitioner uuid.UUID) {
	t.Helper()
	_, err := schedule.SaveTemplate(ctx, d, actor, schedule.NewTemplate{PractitionerID: practitioner,
		EffectiveFrom: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Blocks: []schedule.Block{
			{Weekday: 2, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen},
			{Weekday: 2, Starts: schedule.At(13, 0), Ends: schedule.At(15, 0), Kind: schedule.KindBooked},
			{Weekday: 2, Starts: schedule.At(15, 0), Ends: schedule.At(16, 0), Kind: schedule.KindAdmin},
			{Weekday: 2, Starts: schedule.At(16, 0), Ends: schedule.At(17, 0), Kind: schedule.KindGroup},
		}})
	if err != nil {
		t.Fatal(err)
	}
}

func starts(slots []booking.FreeSlot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.In(auckland).Format("15:04")
	}
	return out
}

func TestAvailabilityOnePractitioner(t *testing.T) {
	p := newPractice(t)
	tuesdayTemplate(t, p.ctx, p.env.DB, p.gp, p.hip)
	p.book(t, p.booking(local(10, 0), 30))
	// A cancelled appointment and an expired hold take no time.
	c := p.book(t, p.booking(local(9, 0), 30))
	if _, err := booking.Cancel(p.ctx, p.env.DB, p.gp, c.ID, "the person rang"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := booking.Hold(p.ctx, p.env.DB, p.gp, p.booking(local(11, 0), 30), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := schedule.AddException(p.ctx, p.env.DB, p.gp, schedule.NewException{PractitionerID: p.hip,
		StartsAt: local(13, 30), EndsAt: local(14, 0), Reason: schedule.ReasonTraining}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the hold expires

	q := booking.AvailabilityQuery{PractitionerID: p.hip, From: local(0, 0), To: local(0, 0).AddDate(0, 0, 1)}
	got, err := booking.Availability(p.ctx, p.env.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"09:00", "09:15", "09:30", "10:30", "10:45", "11:00", "11:15", "11:30", "13:00", "14:00", "14:15", "14:30"}
	if fmt.Sprint(starts(got)) != fmt.Sprint(want) {
		t.Fatalf("free starts %v\nwant        %v", starts(got), want)
	}
	if got[0].Block != schedule.KindOpen || got[8].Block != schedule.KindBooked || got[0].End.Sub(got[0].Start) != 30*time.Minute {
		t.Errorf("slots %+v", got)
	}

	// A 20-minute search on the 5-minute grid fits round the 10:00 booking.
	q.Minutes, q.Grid = 20, 5
	got, err = booking.Availability(p.ctx, p.env.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	ss := starts(got)
	if ss[0] != "09:00" || !contains(ss, "09:40") || contains(ss, "09:45") || contains(ss, "10:25") || !contains(ss, "10:30") {
		t.Errorf("20-minute starts %v", ss)
	}

	// Group blocks are searched apart.
	q = booking.AvailabilityQuery{PractitionerID: p.hip, From: local(0, 0), To: local(23, 0), Group: true}
	got, err = booking.Availability(p.ctx, p.env.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(starts(got)) != "[16:00 16:15 16:30]" {
		t.Errorf("group starts %v", starts(got))
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestAvailabilityLinesAndPractice(t *testing.T) {
	p := newPractice(t)
	tuesdayTemplate(t, p.ctx, p.env.DB, p.gp, p.hip)
	tuesdayTemplate(t, p.ctx, p.env.DB, p.gp, p.coach)
	q := booking.AvailabilityQuery{From: local(9, 0), To: local(10, 0), Minutes: 30}
	all, err := booking.Availability(p.ctx, p.env.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 { // 09:00, 09:15, 09:30 for each of the two
		t.Fatalf("practice-wide: %d slots %v", len(all), starts(all))
	}
	q.ServiceLine = booking.LineHealthCoach
	coach, err := booking.Availability(p.ctx, p.env.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(coach) != 3 || coach[0].PractitionerID != p.coach {
		t.Fatalf("health coaches: %+v", coach)
	}
	q.ServiceLine = booking.LineSupportWorker
	if none, err := booking.Availability(p.ctx, p.env.DB, q); err != nil || len(none) != 0 {
		t.Fatalf("support workers: %v %v", none, err)
	}
}

func TestAvailabilityRefusals(t *testing.T) {
	p := newPractice(t)
	other := newPractice(t)
	from := local(0, 0)
	cases := []struct {
		name string
		q    booking.AvailabilityQuery
		kind *fault.Error
	}{
		{"another tenant's practitioner", booking.AvailabilityQuery{PractitionerID: other.hip, From: from, To: from.Add(time.Hour)}, fault.NotFound},
		{"a GP keeps no diary", booking.AvailabilityQuery{PractitionerID: p.gp, From: from, To: from.Add(time.Hour)}, fault.NotFound},
		{"too long a range", booking.AvailabilityQuery{From: from, To: from.AddDate(0, 0, 32)}, fault.Invalid},
		{"backwards", booking.AvailabilityQuery{From: from, To: from.Add(-time.Hour)}, fault.Invalid},
		{"bad grid", booking.AvailabilityQuery{From: from, To: from.Add(time.Hour), Grid: 10}, fault.Invalid},
		{"bad line", booking.AvailabilityQuery{From: from, To: from.Add(time.Hour), ServiceLine: "gp"}, fault.Invalid},
		{"both", booking.AvailabilityQuery{PractitionerID: p.hip, ServiceLine: booking.LineHIP, From: from, To: from.Add(time.Hour)}, fault.Invalid},
		{"too short", booking.AvailabilityQuery{From: from, To: from.Add(time.Hour), Minutes: 1}, fault.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := booking.Availability(p.ctx, p.env.DB, c.q)
			wantKind(t, err, c.kind, "")
		})
	}
}

func TestBetween(t *testing.T) {
	p := newPractice(t)
	a := p.book(t, p.booking(local(10, 0), 30))
	b := p.book(t, p.booking(local(9, 0), 30))
	coach := p.booking(local(9, 0), 30)
	coach.PractitionerID, coach.ServiceLine = p.coach, booking.LineHealthCoach
	c := p.book(t, coach)
	day, err := booking.Between(p.ctx, p.env.DB, uuid.Nil, local(0, 0), local(23, 59))
	if err != nil || len(day) != 3 || day[2].ID != a.ID {
		t.Fatalf("day board: %v %v", day, err)
	}
	mine, err := booking.Between(p.ctx, p.env.DB, p.coach, local(0, 0), local(23, 59))
	if err != nil || len(mine) != 1 || mine[0].ID != c.ID {
		t.Fatalf("coach's day: %v %v", mine, err)
	}
	other := newPractice(t)
	if theirs, err := booking.Between(other.ctx, other.env.DB, uuid.Nil, local(0, 0), local(23, 59)); err != nil || len(theirs) != 0 {
		t.Fatalf("another practice sees %d appointments (%v)", len(theirs), err)
	}
	_ = b
}

// BenchmarkAvailabilityPractice searches a week of a practice of 10
// practitioners whose diaries are about two-thirds full.
func BenchmarkAvailabilityPractice(b *testing.B) {
	env := dbtest.New(b)
	ctx, _ := env.Tenant(b)
	admin := benchMember(b, env, ctx, "practice_admin")
	patient := uuid.Must(uuid.NewV7())
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, name_search, date_of_birth)
			VALUES (?, ?, 'Ngata', 'Aroha', 'ngata aroha', DATE '1990-05-01')`, tx.Tenant.ID, patient).Error
	}); err != nil {
		b.Fatal(err)
	}
	monday := time.Date(2027, 3, 1, 0, 0, 0, 0, auckland)
	var blocks []schedule.Block
	for wd := 1; wd <= 5; wd++ {
		blocks = append(blocks,
			schedule.Block{Weekday: wd, Starts: schedule.At(8, 30), Ends: schedule.At(12, 30), Kind: schedule.KindOpen},
			schedule.Block{Weekday: wd, Starts: schedule.At(13, 0), Ends: schedule.At(17, 0), Kind: schedule.KindBooked})
	}
	booked := 0
	for i := range 10 {
		line := booking.LineHIP
		if i%3 == 2 {
			line = booking.LineHealthCoach
		}
		hp := benchMember(b, env, ctx, string(line))
		if _, err := schedule.SaveTemplate(ctx, env.DB, admin, schedule.NewTemplate{PractitionerID: hp,
			EffectiveFrom: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Blocks: blocks}); err != nil {
			b.Fatal(err)
		}
		// 30-minute sessions with gaps of varying length: about two-thirds full.
		for d := range 5 {
			for _, from := range []time.Time{monday.AddDate(0, 0, d).Add(8*time.Hour + 30*time.Minute), monday.AddDate(0, 0, d).Add(13 * time.Hour)} {
				for s := from.Add(time.Duration(i%3) * 15 * time.Minute); s.Add(30 * time.Minute).Before(from.Add(4 * time.Hour)); s = s.Add(time.Duration(45+15*((s.Minute()/15)%2)) * time.Minute) {
					n := booking.NewAppointment{PractitionerID: hp, PatientID: patient, Kind: booking.KindBooked,
						Mode: booking.ModeInPerson, ServiceLine: line, StartsAt: s.UTC(), Minutes: 30}
					if _, _, err := booking.Book(ctx, env.DB, admin, n); err != nil {
						b.Fatal(err)
					}
					booked++
				}
			}
		}
	}
	q := booking.AvailabilityQuery{From: monday, To: monday.AddDate(0, 0, 7), Minutes: 30}
	b.ResetTimer()
	var slots int
	for b.Loop() {
		got, err := booking.Availability(ctx, env.DB, q)
		if err != nil {
			b.Fatal(err)
		}
		slots = len(got)
	}
	if slots == 0 {
		b.Fatal("no free slots found in a two-thirds full week")
	}
	b.ReportMetric(float64(slots), "slots")
	b.ReportMetric(float64(booked), "appointments")
}

func benchMember(tb testing.TB, env *dbtest.Env, ctx context.Context, role string) uuid.UUID {
	tb.Helper()
	id := uuid.Must(uuid.NewV7())
	if err := env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`, id, "b-"+id.String()[24:]+"@example.co.nz").Error
	}); err != nil {
		tb.Fatal(err)
	}
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ?::text[])`, tx.Tenant.ID, id, "{"+role+"}").Error
	}); err != nil {
		tb.Fatal(err)
	}
	return id
}
