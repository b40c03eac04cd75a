// Package waitlist owns the practice's waitlist: dateless entries (a person,
// a service line, perhaps a practitioner, an urgency, preferred times of the
// week and a note) that leave the list when booked or withdrawn. When an
// appointment is cancelled, the freed time is offered to the top entries that
// fit it, and one of them can be booked into it in one action.
//
// It books through booking.Book, so the exclusion constraint that makes
// double booking impossible guards waitlist bookings too. It reaches the
// database only through db.InTenant and db.ReadInTenant (another practice's
// entry is simply not found), audits every change, and knows nothing of HTTP.
package waitlist
