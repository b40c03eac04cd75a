package reminder

import (
	"fmt"
	"time"
)

// messageKind is what a message is about; it also begins its idempotency key.
type messageKind string

const (
	kindConfirmed   messageKind = "appointment-confirmed"
	kindReminder    messageKind = "appointment-reminder"
	kindCancelled   messageKind = "appointment-cancelled"
	kindRescheduled messageKind = "appointment-rescheduled"
)

type message struct {
	subject string // e-mail only
	email   string
	sms     string
}

// When renders an appointment time as a New Zealander reads it, in the
// practice's zone: "Tuesday 2 March, 10:00am".
func When(t time.Time) string { return t.Format("Monday 2 January, 3:04pm") }

// compose writes a message. It names the practice and the time only: no
// service, no practitioner, nothing clinical (see the package documentation).
func compose(practice string, at time.Time, kind messageKind) message {
	when := When(at)
	change := fmt.Sprintf("To change or cancel it, please contact %s.", practice)
	var line, subject string
	switch kind {
	case kindConfirmed:
		subject = "Your appointment at " + practice
		line = fmt.Sprintf("Your appointment at %s is booked for %s.", practice, when)
	case kindReminder:
		subject = "Reminder: your appointment at " + practice
		line = fmt.Sprintf("A reminder of your appointment at %s on %s.", practice, when)
	case kindCancelled:
		subject = "Your appointment at " + practice + " is cancelled"
		line = fmt.Sprintf("Your appointment at %s on %s has been cancelled.", practice, when)
		change = fmt.Sprintf("To make another time, please contact %s.", practice)
	case kindRescheduled:
		subject = "Your appointment at " + practice + " has moved"
		line = fmt.Sprintf("Your appointment at %s has moved to %s.", practice, when)
	}
	return message{
		subject: subject,
		sms:     "Kia ora. " + line + " " + change,
		email:   "Kia ora,\n\n" + line + "\n\n" + change + "\n\nNgā mihi,\n" + practice + "\n",
	}
}
