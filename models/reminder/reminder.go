package reminder

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/outbox"
)

// Appointment is what this package needs to know of a booking: booking
// passes these plain values so that neither package imports the other in a
// cycle.
type Appointment struct {
	ID        uuid.UUID
	PatientID uuid.UUID // zero for a group: its attendees get no messages yet
	StartsAt  time.Time
}

// Channel is how a message reaches the person.
type Channel string

const (
	SMS   Channel = "sms"
	Email Channel = "email"
)

// Status of a scheduled reminder.
type Status string

const (
	StatusPending   Status = "pending"
	StatusSent      Status = "sent"
	StatusCancelled Status = "cancelled"
	StatusSkipped   Status = "skipped"
)

// contact is what a person allows and how to reach them.
type contact struct {
	Phone           string
	Email           string
	SMSConsent      bool
	EmailConsent    bool
	RemindersOptOut bool
}

// channels are the ones the person may be sent appointment messages on.
func (c contact) channels() []Channel {
	if c.RemindersOptOut {
		return nil
	}
	var out []Channel
	if c.SMSConsent && c.Phone != "" {
		if _, ok := outbox.NormalisePhone(c.Phone); ok {
			out = append(out, SMS)
		}
	}
	if c.EmailConsent && c.Email != "" {
		out = append(out, Email)
	}
	return out
}

func (c contact) allows(ch Channel) bool {
	for _, x := range c.channels() {
		if x == ch {
			return true
		}
	}
	return false
}

// settings are the practice's: its lead time and the channels it sends on.
type settings struct {
	LeadHours int
	SMS       bool
	Email     bool
}

func (s settings) sends(ch Channel) bool {
	return (ch == SMS && s.SMS) || (ch == Email && s.Email)
}

// loadSettings reads the practice's reminder settings, or the defaults of a
// practice that has not saved its profile (a day ahead, both channels).
func loadSettings(tx *db.Tx) (settings, error) {
	var rows []settings
	err := tx.Raw(`SELECT reminder_hours AS lead_hours, reminder_sms AS sms, reminder_email AS email
		FROM practice_profile`).Scan(&rows).Error
	if err != nil {
		return settings{}, err
	}
	if len(rows) == 0 {
		return settings{LeadHours: 24, SMS: true, Email: true}, nil
	}
	return rows[0], nil
}

// loadAll is now, the person's contact and loadSettings in one statement: every
// booking pays for it, so it costs one round trip, not three. ok is false
// when the person is not found.
func loadAll(tx *db.Tx, patientID uuid.UUID) (at time.Time, c contact, s settings, ok bool, err error) {
	var rows []struct {
		At              time.Time
		Phone, Email    string
		SMSConsent      bool
		EmailConsent    bool
		RemindersOptOut bool
		LeadHours       *int
		RemindSMS       *bool
		RemindEmail     *bool
	}
	err = tx.Raw(`SELECT now() AS at, p.phone, p.email, p.sms_consent, p.email_consent, p.reminders_opt_out,
			s.reminder_hours AS lead_hours, s.reminder_sms AS remind_sms, s.reminder_email AS remind_email
		FROM patients p LEFT JOIN practice_profile s ON s.tenant_id = p.tenant_id
		WHERE p.tenant_id = ? AND p.id = ?`, tx.Tenant.ID, patientID).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return time.Time{}, contact{}, settings{}, false, err
	}
	r := rows[0]
	s = settings{LeadHours: 24, SMS: true, Email: true} // as loadSettings, without a profile
	if r.LeadHours != nil {
		s = settings{LeadHours: *r.LeadHours, SMS: *r.RemindSMS, Email: *r.RemindEmail}
	}
	c = contact{Phone: r.Phone, Email: r.Email, SMSConsent: r.SMSConsent, EmailConsent: r.EmailConsent,
		RemindersOptOut: r.RemindersOptOut}
	return r.At.UTC(), c, s, true, nil
}

// now is the clock of a transaction: the database's, so that "due" and
// "past" agree with the sweeper and with booking's own checks.
func now(tx *db.Tx) (time.Time, error) {
	var t time.Time
	err := tx.Raw(`SELECT now()`).Scan(&t).Error
	return t.UTC(), err
}

// Booked is called in the transaction that books an appointment (or confirms
// a hold): it enqueues a confirmation on each channel the person allows and
// the practice uses, and schedules a reminder at StartsAt minus the lead time
// when that is still ahead. An appointment already begun gets nothing.
func Booked(tx *db.Tx, a Appointment) error {
	if err := booked(tx, a, kindConfirmed); err != nil {
		return fmt.Errorf("reminder.Booked: %w", err)
	}
	return nil
}

func booked(tx *db.Tx, a Appointment, first messageKind) error {
	if a.PatientID == uuid.Nil {
		return nil
	}
	at, c, s, ok, err := loadAll(tx, a.PatientID)
	if err != nil || !ok || !a.StartsAt.After(at) {
		return err
	}
	due := a.StartsAt.Add(-time.Duration(s.LeadHours) * time.Hour)
	for _, ch := range c.channels() {
		if !s.sends(ch) {
			continue
		}
		if err := send(tx, c, ch, first, a.ID.String(), a.StartsAt); err != nil {
			return err
		}
		if due.After(at) {
			if err := schedule(tx, a.ID, ch, due); err != nil {
				return err
			}
		}
	}
	return nil
}

func schedule(tx *db.Tx, appointmentID uuid.UUID, ch Channel, due time.Time) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO appointment_reminders (tenant_id, id, appointment_id, channel, due_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, appointment_id, channel) DO NOTHING`,
		tx.Tenant.ID, id, appointmentID, ch, due.UTC()).Error
}

// cancelPending marks the appointment's pending reminders cancelled.
func cancelPending(tx *db.Tx, appointmentID uuid.UUID, reason string) error {
	return tx.Exec(`UPDATE appointment_reminders SET status = 'cancelled', reason = ?, updated_at = now()
		WHERE appointment_id = ? AND status = 'pending'`, reason, appointmentID).Error
}

// Cancelled is called in the transaction that cancels an appointment: its
// pending reminders are cancelled, and when notify is set (the person had
// been told it was booked, so it was booked rather than held) and it is still
// ahead, a cancellation goes on each channel the person allows.
func Cancelled(tx *db.Tx, a Appointment, notify bool) error {
	if err := cancelPending(tx, a.ID, "appointment cancelled"); err != nil {
		return fmt.Errorf("reminder.Cancelled: %w", err)
	}
	if !notify {
		return nil
	}
	if err := tell(tx, a, kindCancelled); err != nil {
		return fmt.Errorf("reminder.Cancelled: %w", err)
	}
	return nil
}

// Rescheduled is called in the transaction that moves appointment from to a
// the new one: the old one's reminders are cancelled, the person is told the
// new time, and the new one's reminders are scheduled.
func Rescheduled(tx *db.Tx, from uuid.UUID, a Appointment) error {
	if err := cancelPending(tx, from, "appointment rescheduled"); err != nil {
		return fmt.Errorf("reminder.Rescheduled: %w", err)
	}
	if err := booked(tx, a, kindRescheduled); err != nil {
		return fmt.Errorf("reminder.Rescheduled: %w", err)
	}
	return nil
}

// tell sends one message of kind about a, on each channel, if a is ahead.
func tell(tx *db.Tx, a Appointment, kind messageKind) error {
	if a.PatientID == uuid.Nil {
		return nil
	}
	at, c, s, ok, err := loadAll(tx, a.PatientID)
	if err != nil || !ok || !a.StartsAt.After(at) {
		return err
	}
	for _, ch := range c.channels() {
		if s.sends(ch) {
			if err := send(tx, c, ch, kind, a.ID.String(), a.StartsAt); err != nil {
				return err
			}
		}
	}
	return nil
}

// send enqueues one message. key names the side effect: the appointment for
// a confirmation or cancellation, the reminder row for a reminder.
func send(tx *db.Tx, c contact, ch Channel, kind messageKind, key string, startsAt time.Time) error {
	m := compose(tx.Tenant.Name, startsAt.In(tx.Tenant.Location()), kind)
	k := string(kind) + ":" + key + ":" + string(ch)
	var err error
	switch ch {
	case SMS:
		err = outbox.EnqueueSMS(tx, outbox.SMS{To: c.Phone, Text: m.sms, IdempotencyKey: k})
	case Email:
		err = outbox.Enqueue(tx, outbox.Email{To: c.Email, Subject: m.subject, Text: m.email, IdempotencyKey: k})
	}
	// A contact the outbox refuses (a number that is not a mobile, an
	// address that does not parse) must not stop the booking: that person
	// simply gets no message on that channel.
	if errors.Is(err, fault.Invalid) {
		return nil
	}
	return err
}
