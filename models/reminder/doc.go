// Package reminder owns the messages a person gets about their appointments:
// a confirmation when one is booked (or a hold confirmed), a reminder some
// hours before it, and word when it is cancelled or moved. All go through the
// outbox (models/outbox), so nothing leaves before the booking commits.
//
// Booking calls Booked, Cancelled and Rescheduled inside its own transaction
// with plain values: this package must never import models/booking (booking
// imports it). Confirmations and cancellations are enqueued at once;
// reminders wait as rows of appointment_reminders until a Sweeper moves the
// due ones into the outbox, one transaction per tenant, checking first that
// the appointment is still booked and the person still consents.
//
// Who gets what: a channel is used only when the person consents to it
// (patients.sms_consent, email_consent), has a contact for it and has not
// opted out of appointment messages (reminders_opt_out), and the practice
// sends on it (practice_profile.reminder_sms, reminder_email; lead time
// reminder_hours).
//
// A message names the practice and the time in the practice's zone and says
// how to change it. It must never carry clinical content — not the service,
// not the practitioner's role, not "mental health": an SMS is read on a lock
// screen by whoever holds the phone.
package reminder
