// Package booking owns appointments: booking, short holds while a GP
// confirms, the status lifecycle (booked → arrived → in session → completed,
// or did not attend, or cancelled), reschedules that keep their history, group
// attendees, and whether a visit is a person's first in a service line.
//
// Double booking of a practitioner is refused by the database (an exclusion
// constraint, migration 00013), not by a check here that could race: this
// package only turns that refusal into a clear conflict. A person booked twice
// at once is allowed, with a warning returned to whoever books.
//
// While a practice's billing standing is suspended (or past due beyond its
// grace), every new appointment is refused with billing.ErrSuspended, checked
// first in the booking's own transaction; what is already booked can still be
// read, moved along its lifecycle, completed and cancelled.
//
// It reaches the database only through db.InTenant and db.ReadInTenant, so a
// foreign id is simply not found. It never sends reminders itself (that is an
// outbox job after commit) and knows nothing of HTTP.
package booking
