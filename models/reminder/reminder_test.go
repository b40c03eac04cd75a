package reminder_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/reminder"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type practice struct {
	env     *dbtest.Env
	ctx     context.Context
	hip, gp uuid.UUID
}

func newPractice(t *testing.T) practice {
	t.Helper()
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	p := practice{env: env, ctx: ctx}
	p.hip = p.member(t, "hip")
	p.gp = p.member(t, "gp")
	return p
}

func (p practice) member(t *testing.T, role string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`,
			id, "u-"+id.String()[24:]+"@example.co.nz").Error
	})
	if err == nil {
		err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
			return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`,
				tx.Tenant.ID, id, role).Error
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// person is a patient's contact preferences.
type person struct {
	phone, email       string
	smsConsent, mailOK bool
	optOut             bool
}

func (p practice) patient(t *testing.T, c person) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, name_search, date_of_birth,
				phone, email, sms_consent, email_consent, reminders_opt_out)
			VALUES (?, ?, 'Ngata', 'Aroha', 'ngata aroha', DATE '1990-05-01', ?, ?, ?, ?, ?)`,
			tx.Tenant.ID, id, c.phone, c.email, c.smsConsent, c.mailOK, c.optOut).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var everyone = person{phone: "021 555 0101", email: "aroha@example.nz", smsConsent: true, mailOK: true}

// inDays is a whole-minute start some days ahead.
func inDays(d int) time.Time {
	return time.Now().Add(time.Duration(d) * 24 * time.Hour).Truncate(time.Hour)
}

func (p practice) appointment(patient uuid.UUID, at time.Time) booking.NewAppointment {
	return booking.NewAppointment{PractitionerID: p.hip, PatientID: patient, Kind: booking.KindBooked,
		Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP, StartsAt: at, Minutes: 30}
}

func (p practice) book(t *testing.T, patient uuid.UUID, at time.Time) booking.Appointment {
	t.Helper()
	a, _, err := booking.Book(p.ctx, p.env.DB, p.gp, p.appointment(patient, at))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// outboxed is every outbox message whose key mentions id: kind → bodies.
func (p practice) outboxed(t *testing.T, id string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := p.env.DB.Platform(context.Background(), "test check", func(tx *db.Tx) error {
		rows, err := tx.Raw(`SELECT idempotency_key, kind, body_text FROM outbox WHERE idempotency_key LIKE ?`, "%"+id+"%").Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, kind, body string
			if err := rows.Scan(&k, &kind, &body); err != nil {
				return err
			}
			prefix := k[:strings.Index(k, ":")]
			out[prefix+"/"+kind] = append(out[prefix+"/"+kind], body)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type reminderRow struct {
	ID      uuid.UUID
	Channel string
	Status  string
	Reason  *string
}

func (p practice) reminders(t *testing.T, appointment uuid.UUID) []reminderRow {
	t.Helper()
	var rows []reminderRow
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT id, channel, status, reason FROM appointment_reminders WHERE appointment_id = ? ORDER BY channel`,
			appointment).Scan(&rows).Error
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

// makeDue brings the appointment's reminders' time forward to now, as if
// the clock had run on to them.
func (p practice) makeDue(t *testing.T, appointment uuid.UUID) {
	t.Helper()
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE appointment_reminders SET due_at = now() - interval '1 second' WHERE appointment_id = ?`, appointment).Error
	}); err != nil {
		t.Fatal(err)
	}
}

func (p practice) sweep(t *testing.T) reminder.Swept {
	t.Helper()
	got, err := reminder.NewSweeper(p.env.DB, dbtest.Quiet).SweepTenant(p.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A booking confirms at once on both channels and schedules a reminder on
// each, a day before; the sweep sends them once, however often it runs, and
// no message names anything clinical.
func TestBookingConfirmsAndRemindsOnce(t *testing.T) {
	p := newPractice(t)
	a := p.book(t, p.patient(t, everyone), inDays(3))

	got := p.outboxed(t, a.ID.String())
	if len(got["appointment-confirmed/sms"]) != 1 || len(got["appointment-confirmed/email"]) != 1 {
		t.Fatalf("confirmations = %v; want one SMS and one e-mail", got)
	}
	rs := p.reminders(t, a.ID)
	if len(rs) != 2 || rs[0].Status != "pending" || rs[1].Status != "pending" {
		t.Fatalf("reminders = %+v; want two pending", rs)
	}
	if s := p.sweep(t); s.Sent != 0 {
		t.Fatalf("swept %+v before the reminders were due", s)
	}

	p.makeDue(t, a.ID)
	first := p.sweep(t)
	second := p.sweep(t) // a second sweeper, or the next round
	if first.Sent != 2 || second.Sent != 0 {
		t.Fatalf("sweeps %+v then %+v; want 2 sent then 0; reminders %+v", first, second, p.reminders(t, a.ID))
	}
	// Crash safety: a row set back to pending (as if the mark had been
	// lost) is swept again, but the outbox keeps one message per reminder.
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE appointment_reminders SET status = 'pending' WHERE appointment_id = ?`, a.ID).Error
	}); err != nil {
		t.Fatal(err)
	}
	p.sweep(t)
	for _, r := range p.reminders(t, a.ID) {
		msgs := p.outboxed(t, r.ID.String())
		if n := len(msgs["appointment-reminder/"+r.Channel]); n != 1 || r.Status != "sent" {
			t.Errorf("reminder %s: %d messages, status %s; want exactly one, sent", r.Channel, n, r.Status)
		}
		for _, bodies := range msgs {
			for _, b := range bodies {
				checkNotClinical(t, b)
				if !strings.Contains(b, reminder.When(a.StartsAt.In(p.location(t)))) {
					t.Errorf("reminder does not give the local time: %q", b)
				}
			}
		}
	}
}

func (p practice) location(t *testing.T) *time.Location {
	t.Helper()
	var loc *time.Location
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error { loc = tx.Tenant.Location(); return nil }); err != nil {
		t.Fatal(err)
	}
	return loc
}

func checkNotClinical(t *testing.T, body string) {
	t.Helper()
	lower := strings.ToLower(body)
	for _, w := range []string{"mental", "health improvement", "hip", "coach", "support worker", "addiction", "therapy", "counsel"} {
		if strings.Contains(lower, w) {
			t.Errorf("message mentions %q: %q", w, body)
		}
	}
}

// No consent, no contact or an opt-out: no message at all, and nothing to
// remind.
func TestConsentAndOptOut(t *testing.T) {
	p := newPractice(t)
	for name, c := range map[string]person{
		"no consent":        {phone: "021 555 0101", email: "aroha@example.nz"},
		"opted out":         {phone: "021 555 0101", email: "aroha@example.nz", smsConsent: true, mailOK: true, optOut: true},
		"no usable contact": {phone: "09 12", smsConsent: true},
	} {
		a := p.book(t, p.patient(t, c), inDays(2+len(name))) // distinct times for one HIP
		if got := p.outboxed(t, a.ID.String()); len(got) != 0 {
			t.Errorf("%s: messages %v; want none", name, got)
		}
		if rs := p.reminders(t, a.ID); len(rs) != 0 {
			t.Errorf("%s: reminders %+v; want none", name, rs)
		}
	}
	// SMS only: the e-mail channel stays silent.
	a := p.book(t, p.patient(t, person{phone: "021 555 0101", smsConsent: true}), inDays(30))
	got := p.outboxed(t, a.ID.String())
	if len(got) != 1 || len(got["appointment-confirmed/sms"]) != 1 {
		t.Errorf("SMS consent only: %v", got)
	}
}

// Consent withdrawn after booking: the due reminder is skipped, not sent.
func TestConsentWithdrawnBeforeTheReminder(t *testing.T) {
	p := newPractice(t)
	pid := p.patient(t, everyone)
	a := p.book(t, pid, inDays(3))
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE patients SET reminders_opt_out = true WHERE id = ?`, pid).Error
	}); err != nil {
		t.Fatal(err)
	}
	p.makeDue(t, a.ID)
	if s := p.sweep(t); s.Sent != 0 || s.Skipped != 2 {
		t.Fatalf("sweep = %+v; want both skipped", s)
	}
}

// A cancelled appointment's reminder is never sent; the person is told of
// the cancellation.
func TestCancelStopsTheReminder(t *testing.T) {
	p := newPractice(t)
	a := p.book(t, p.patient(t, everyone), inDays(3))
	if _, err := booking.Cancel(p.ctx, p.env.DB, p.gp, a.ID, "the person asked"); err != nil {
		t.Fatal(err)
	}
	for _, r := range p.reminders(t, a.ID) {
		if r.Status != "cancelled" {
			t.Errorf("%s reminder is %s after the cancel", r.Channel, r.Status)
		}
	}
	p.makeDue(t, a.ID)
	if s := p.sweep(t); s.Sent != 0 {
		t.Fatalf("sweep sent %d reminders of a cancelled appointment", s.Sent)
	}
	got := p.outboxed(t, a.ID.String())
	if len(got["appointment-cancelled/sms"]) != 1 || len(got["appointment-cancelled/email"]) != 1 {
		t.Errorf("cancellation messages = %v", got)
	}
}

// A reschedule cancels the old reminders, tells the new time and reminds of
// the new appointment only.
func TestRescheduleMovesTheReminder(t *testing.T) {
	p := newPractice(t)
	old := p.book(t, p.patient(t, everyone), inDays(3))
	moved, _, err := booking.Reschedule(p.ctx, p.env.DB, p.gp, old.ID, inDays(5), 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.reminders(t, old.ID) {
		if r.Status != "cancelled" {
			t.Errorf("old %s reminder is %s", r.Channel, r.Status)
		}
	}
	if rs := p.reminders(t, moved.ID); len(rs) != 2 {
		t.Fatalf("new appointment's reminders = %+v", rs)
	}
	got := p.outboxed(t, moved.ID.String())
	if len(got["appointment-rescheduled/sms"]) != 1 || len(got["appointment-confirmed/sms"]) != 0 {
		t.Errorf("messages about the new time = %v", got)
	}
}

// A hold sends nothing until it is confirmed; a cancelled hold sends nothing.
func TestHoldSendsNothingUntilConfirmed(t *testing.T) {
	p := newPractice(t)
	pid := p.patient(t, everyone)
	h, _, err := booking.Hold(p.ctx, p.env.DB, p.gp, p.appointment(pid, inDays(4)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.outboxed(t, h.ID.String()); len(got) != 0 {
		t.Fatalf("a hold sent %v", got)
	}
	if rs := p.reminders(t, h.ID); len(rs) != 0 {
		t.Fatalf("a hold scheduled %+v", rs)
	}
	if _, err := booking.Confirm(p.ctx, p.env.DB, p.gp, h.ID); err != nil {
		t.Fatal(err)
	}
	if got := p.outboxed(t, h.ID.String()); len(got["appointment-confirmed/sms"]) != 1 {
		t.Fatalf("after confirming: %v", got)
	}

	other, _, err := booking.Hold(p.ctx, p.env.DB, p.gp, p.appointment(pid, inDays(6)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := booking.Cancel(p.ctx, p.env.DB, p.gp, other.ID, "changed their mind"); err != nil {
		t.Fatal(err)
	}
	if got := p.outboxed(t, other.ID.String()); len(got) != 0 {
		t.Errorf("a cancelled hold sent %v", got)
	}
}

// The practice's settings: no channels, no messages; a lead time within the
// booking's reach schedules no reminder but still confirms.
func TestPracticeSettings(t *testing.T) {
	p := newPractice(t)
	setProfile := func(hours int, sms, email bool) {
		t.Helper()
		if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
			return tx.Exec(`INSERT INTO practice_profile (tenant_id, reminder_hours, reminder_sms, reminder_email)
				VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE
				SET reminder_hours = excluded.reminder_hours, reminder_sms = excluded.reminder_sms,
				    reminder_email = excluded.reminder_email`, tx.Tenant.ID, hours, sms, email).Error
		}); err != nil {
			t.Fatal(err)
		}
	}
	setProfile(24, false, false)
	a := p.book(t, p.patient(t, everyone), inDays(3))
	if got := p.outboxed(t, a.ID.String()); len(got) != 0 || len(p.reminders(t, a.ID)) != 0 {
		t.Errorf("channels off: %v", got)
	}
	setProfile(168, false, true)
	b := p.book(t, p.patient(t, everyone), inDays(4))
	if got := p.outboxed(t, b.ID.String()); len(got) != 1 || len(got["appointment-confirmed/email"]) != 1 {
		t.Errorf("e-mail only, a week ahead: %v", got)
	}
	if rs := p.reminders(t, b.ID); len(rs) != 0 {
		t.Errorf("a reminder due before the booking was made: %+v", rs)
	}
}
