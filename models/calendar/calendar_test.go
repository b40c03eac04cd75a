package calendar_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// practice is a fresh tenant with its people.
type practice struct {
	env *dbtest.Env
	ctx context.Context
	tn  tenants.Tenant
}

func newPractice(t testing.TB) practice {
	t.Helper()
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	return practice{env: env, ctx: ctx, tn: tn}
}

func (p practice) member(t testing.TB, roles string) uuid.UUID {
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
			tx.Tenant.ID, id, "{"+roles+"}").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (p practice) patient(t testing.TB, family, given, preferred string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, preferred_name, name_search, date_of_birth)
			VALUES (?, ?, ?, ?, ?, ?, DATE '1990-05-01')`, tx.Tenant.ID, id, family, given, preferred,
			strings.ToLower(family+" "+given)).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// at is a wall-clock time of a civil date in the practice's zone.
func (p practice) at(date time.Time, hour, minute int) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d, hour, minute, 0, 0, p.tn.Location())
}

func (p practice) book(t testing.TB, who, patient uuid.UUID, start time.Time, minutes int) booking.Appointment {
	t.Helper()
	a, _, err := booking.Book(p.ctx, p.env.DB, who, booking.NewAppointment{PractitionerID: who, PatientID: patient,
		Kind: booking.KindBooked, Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP, StartsAt: start, Minutes: minutes})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (p practice) setStatus(t testing.TB, actor, id uuid.UUID, to ...booking.Status) {
	t.Helper()
	for _, s := range to {
		if _, err := booking.SetStatus(p.ctx, p.env.DB, actor, id, s); err != nil {
			t.Fatal(err)
		}
	}
}

// week gives the practitioner open mornings and booked afternoons, every day.
func (p practice) week(t testing.TB, who uuid.UUID, from time.Time) {
	t.Helper()
	var blocks []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		blocks = append(blocks, schedule.Block{Weekday: wd, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen},
			schedule.Block{Weekday: wd, Starts: schedule.At(13, 0), Ends: schedule.At(17, 0), Kind: schedule.KindBooked})
	}
	if _, err := schedule.SaveTemplate(p.ctx, p.env.DB, who, schedule.NewTemplate{PractitionerID: who,
		EffectiveFrom: from.AddDate(0, 0, -7), Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
}

// soon is a civil date a few days ahead, so every booking is in the future.
func (p practice) soon() time.Time { return calendar.Today(p.tn.Location()).AddDate(0, 0, 3) }

func TestDayShowsBlocksAppointmentsFreeTimeAndWaiting(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	date := p.soon()
	p.week(t, hip, date)
	aroha := p.patient(t, "Ngata", "Aroha", "Ro")
	hemi := p.patient(t, "Parata", "Hemi", "")
	first := p.book(t, hip, aroha, p.at(date, 9, 30), 30)
	p.book(t, hip, hemi, p.at(date, 14, 0), 20)
	p.setStatus(t, hip, first.ID, booking.StatusArrived)
	// Another day's appointment stays off this day.
	p.book(t, hip, hemi, p.at(date.AddDate(0, 0, 1), 9, 0), 20)

	d, err := calendar.Day(p.ctx, p.env.DB, hip, date)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Blocks) != 2 || d.Blocks[0].Kind != schedule.KindOpen {
		t.Fatalf("blocks %+v", d.Blocks)
	}
	if len(d.Appointments) != 2 || d.Appointments[0].PatientName != "Ro Ngata" || d.Appointments[1].PatientName != "Hemi Parata" {
		t.Fatalf("appointments %+v", d.Appointments)
	}
	if len(d.Waiting) != 1 || d.Waiting[0].ID != first.ID {
		t.Fatalf("waiting %+v", d.Waiting)
	}
	// 09:00–12:00 open less 09:30–10:00: 30 and 120 minutes free.
	if len(d.Free) != 2 || d.Free[0].Minutes() != 30 || d.Free[1].Minutes() != 120 {
		t.Fatalf("free %+v", d.Free)
	}
	// A member of no practice here is not found; another practice sees nothing of this one.
	if _, err := calendar.Day(p.ctx, p.env.DB, uuid.Must(uuid.NewV7()), date); !errors.Is(err, fault.NotFound) {
		t.Fatalf("stranger: %v", err)
	}
	other := newPractice(t)
	if _, err := calendar.Day(other.ctx, other.env.DB, hip, date); !errors.Is(err, fault.NotFound) {
		t.Fatalf("foreign practitioner: %v", err)
	}
}

func TestDayAcrossDaylightSaving(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	// Sunday 5 April 2026: Pacific/Auckland falls back, a 25-hour day.
	date := time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)
	d, err := calendar.Day(p.ctx, p.env.DB, hip, date)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.To.Sub(d.From); got != 25*time.Hour {
		t.Fatalf("5 April 2026 lasts %v", got)
	}
}

func TestBoardAndWeek(t *testing.T) {
	p := newPractice(t)
	hip, coach := p.member(t, "hip"), p.member(t, "hip,health_coach")
	p.member(t, "hip") // no appointments: not on the board
	date := p.soon()
	p.week(t, hip, date)
	pt := p.patient(t, "Tane", "Mere", "")
	p.book(t, coach, pt, p.at(date, 8, 0), 30)
	p.book(t, hip, pt, p.at(date, 10, 0), 20)
	a := p.book(t, hip, pt, p.at(date, 11, 0), 20)
	if _, err := booking.Cancel(p.ctx, p.env.DB, hip, a.ID, "person unwell"); err != nil {
		t.Fatal(err)
	}
	p.book(t, hip, pt, p.at(date.AddDate(0, 0, 2), 10, 0), 20)

	b, err := calendar.Board(p.ctx, p.env.DB, date)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Columns) != 2 || b.Columns[0].PractitionerID != coach || b.Columns[1].PractitionerID != hip {
		t.Fatalf("columns %+v", b.Columns)
	}
	if len(b.Columns[1].Appointments) != 2 || len(b.Columns[1].Blocks) != 2 || len(b.Columns[0].Blocks) != 0 {
		t.Fatalf("hip column %+v", b.Columns[1])
	}
	other := newPractice(t)
	if ob, err := calendar.Board(other.ctx, other.env.DB, date); err != nil || len(ob.Columns) != 0 {
		t.Fatalf("another practice's board: %+v %v", ob, err)
	}

	w, err := calendar.Week(p.ctx, p.env.DB, hip, date)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Days) != 7 || w.Days[0].Booked != 1 || w.Days[0].Cancelled != 1 || w.Days[2].Booked != 1 || w.Days[1].Booked != 0 {
		t.Fatalf("week %+v", w.Days)
	}
	if w.Days[0].OpenMinutes != 180 {
		t.Fatalf("open minutes %d", w.Days[0].OpenMinutes)
	}
}

func TestTimeline(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	coach := p.member(t, "health_coach")
	pt := p.patient(t, "Ngata", "Aroha", "")
	date := p.soon()
	first := p.book(t, hip, pt, p.at(date, 9, 0), 20)
	p.setStatus(t, hip, first.ID, booking.StatusArrived, booking.StatusInSession, booking.StatusCompleted)
	second := p.book(t, hip, pt, p.at(date.AddDate(0, 0, 1), 9, 0), 20)
	// A group with the person as an attendee, in another service line.
	g, _, err := booking.Book(p.ctx, p.env.DB, coach, booking.NewAppointment{PractitionerID: coach, Kind: booking.KindGroup,
		Mode: booking.ModeCommunity, ServiceLine: booking.LineHealthCoach, StartsAt: p.at(date.AddDate(0, 0, 2), 10, 0),
		Minutes: 60, Capacity: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := booking.AddAttendee(p.ctx, p.env.DB, coach, g.ID, pt); err != nil {
		t.Fatal(err)
	}
	p.book(t, hip, p.patient(t, "Other", "Someone", ""), p.at(date, 10, 0), 20)

	items, err := calendar.Timeline(p.ctx, p.env.DB, pt)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("items %+v", items)
	}
	if items[0].ID != g.ID || !items[0].Group || !items[0].First {
		t.Fatalf("newest first, the group: %+v", items[0])
	}
	if items[1].ID != second.ID || items[1].First || !items[1].FollowUp() {
		t.Fatalf("the second HIP session is a follow-up: %+v", items[1])
	}
	if items[2].ID != first.ID || !items[2].First || items[2].Status != booking.StatusCompleted {
		t.Fatalf("the first: %+v", items[2])
	}
	other := newPractice(t)
	if got, err := calendar.Timeline(other.ctx, other.env.DB, pt); err != nil || len(got) != 0 {
		t.Fatalf("another practice reads the timeline: %v %v", got, err)
	}
}

func TestFeed(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	gp := p.member(t, "gp")
	pt := p.patient(t, "Ngata", "Aroha", "Ro")
	date := p.soon()
	kept := p.book(t, hip, pt, p.at(date, 9, 0), 20)
	gone := p.book(t, hip, pt, p.at(date, 10, 0), 30)
	if _, err := booking.Cancel(p.ctx, p.env.DB, hip, gone.ID, "Aroha Ngata rang to cancel"); err != nil {
		t.Fatal(err)
	}
	// Outside the window: more than 90 days ahead.
	p.book(t, hip, pt, p.at(date.AddDate(0, 0, 100), 9, 0), 20)

	if _, _, err := calendar.CreateFeed(p.ctx, p.env.DB, gp, gp); !errors.Is(err, fault.Forbidden) {
		t.Fatalf("a GP's feed: %v", err)
	}
	secret, info, err := calendar.CreateFeed(p.ctx, p.env.DB, hip, hip)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := calendar.CreateFeed(p.ctx, p.env.DB, hip, hip); !errors.Is(err, fault.Conflict) {
		t.Fatalf("a second live feed: %v", err)
	}
	if cur, ok, err := calendar.CurrentFeed(p.ctx, p.env.DB, hip); err != nil || !ok || cur.ID != info.ID {
		t.Fatalf("current feed: %+v %v %v", cur, ok, err)
	}
	ics, err := calendar.Feed(p.ctx, p.env.DB, secret)
	if err != nil {
		t.Fatal(err)
	}
	checkICS(t, ics)
	s := string(ics)
	for _, name := range []string{"Aroha", "Ngata", "Ro ", "cancel"} {
		if strings.Contains(s, name) {
			t.Errorf("the feed carries %q:\n%s", name, s)
		}
	}
	if strings.Count(s, "BEGIN:VEVENT") != 2 || !strings.Contains(s, "UID:"+kept.ID.String()+"@tuhono\r\n") ||
		!strings.Contains(s, "UID:"+gone.ID.String()+"@tuhono\r\n") {
		t.Errorf("events:\n%s", s)
	}
	if !strings.Contains(s, "STATUS:CANCELLED\r\n") || strings.Count(s, "STATUS:CONFIRMED\r\n") != 1 {
		t.Errorf("statuses:\n%s", s)
	}
	if !strings.Contains(s, "SUMMARY:HIP session · in person\r\n") ||
		!strings.Contains(s, "DTSTART:"+kept.StartsAt.UTC().Format("20060102T150405Z")+"\r\n") {
		t.Errorf("summary or start:\n%s", s)
	}

	notFound := func(what, secret string, ctx context.Context) {
		t.Helper()
		if _, err := calendar.Feed(ctx, p.env.DB, secret); !errors.Is(err, fault.NotFound) {
			t.Errorf("%s: %v", what, err)
		}
	}
	notFound("a wrong secret", strings.Repeat("A", len(secret)), p.ctx)
	notFound("a malformed secret", "short", p.ctx)
	other := newPractice(t)
	notFound("the right secret in another practice", secret, other.ctx)

	rotated, _, err := calendar.RotateFeed(p.ctx, p.env.DB, hip, hip)
	if err != nil {
		t.Fatal(err)
	}
	notFound("the secret before rotation", secret, p.ctx)
	if _, err := calendar.Feed(p.ctx, p.env.DB, rotated); err != nil {
		t.Fatalf("rotated: %v", err)
	}
	if err := calendar.RevokeFeed(p.ctx, p.env.DB, hip, hip); err != nil {
		t.Fatal(err)
	}
	notFound("a revoked secret", rotated, p.ctx)
	if err := calendar.RevokeFeed(p.ctx, p.env.DB, hip, hip); !errors.Is(err, fault.NotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	if _, ok, _ := calendar.CurrentFeed(p.ctx, p.env.DB, hip); ok {
		t.Fatal("a revoked feed is still current")
	}
}

// checkICS checks the RFC 5545 framing: CRLF only, no line over 75 octets,
// BEGIN and END balanced.
func checkICS(t *testing.T, ics []byte) {
	t.Helper()
	if !bytes.HasPrefix(ics, []byte("BEGIN:VCALENDAR\r\n")) || !bytes.HasSuffix(ics, []byte("END:VCALENDAR\r\n")) {
		t.Fatalf("not a VCALENDAR:\n%s", ics)
	}
	if bytes.Count(ics, []byte("\n")) != bytes.Count(ics, []byte("\r\n")) {
		t.Fatal("a bare LF")
	}
	depth := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(ics), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		switch {
		case strings.HasPrefix(line, "BEGIN:"):
			depth++
		case strings.HasPrefix(line, "END:"):
			depth--
		}
	}
	if depth != 0 {
		t.Fatal("BEGIN and END do not balance")
	}
	for _, must := range []string{"VERSION:2.0\r\n", "PRODID:", "DTSTAMP:"} {
		if !bytes.Contains(ics, []byte(must)) {
			t.Errorf("no %s", must)
		}
	}
}

// BenchmarkBoard reads a day board of 200 appointments (10 practitioners, 20
// each) in a practice with a year of other days around it. The goal is p99 ≤
// 50 ms on the database of 2 million appointments (issue 5); this measures
// the statement and the schedule expansion on whatever database it is given.
//
//	go test ./models/calendar -run '^$' -bench Board -benchtime 200x
func BenchmarkBoard(b *testing.B) {
	p := newPractice(b)
	date := p.soon()
	var hips []uuid.UUID
	for range 10 {
		hip := p.member(b, "hip")
		p.week(b, hip, date)
		hips = append(hips, hip)
	}
	pt := p.patient(b, "Ngata", "Aroha", "")
	from := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, p.tn.Location()).UTC()
	// 20 appointments of 20 minutes a practitioner a day, 08:00 onwards, for
	// 365 days around the date: 73,000 rows, 200 of them on the day.
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		for i, hip := range hips {
			if err := tx.Exec(`INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
					starts_at, ends_at, status, created_by)
				SELECT ?, gen_random_uuid(), ?, ?, 'booked', 'in_person', 'hip', s, s + interval '20 minutes', 'booked', ?
				FROM generate_series(-182, 182) AS d, generate_series(0, 19) AS k,
					LATERAL (SELECT ?::timestamptz + d * interval '1 day' + interval '8 hours' + k * interval '25 minutes' AS s) x`,
				tx.Tenant.ID, hip, pt, hip, from).Error; err != nil {
				return fmt.Errorf("practitioner %d: %w", i, err)
			}
		}
		return tx.Exec(`ANALYZE appointments`).Error
	})
	if err != nil {
		b.Fatal(err)
	}
	board, err := calendar.Board(p.ctx, p.env.DB, date)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, c := range board.Columns {
		n += len(c.Appointments)
	}
	if n != 200 {
		b.Fatalf("%d appointments on the board, want 200", n)
	}
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := calendar.Board(p.ctx, p.env.DB, date); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	if len(times) > 0 {
		slices.Sort(times)
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
	}
}
