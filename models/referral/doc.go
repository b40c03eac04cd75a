// Package referral owns Support Worker referrals: a HIP or Health Coach refers
// a person, with their consent, for brief community support on social and
// cultural needs (DOMAIN.md); a Support Worker accepts, records contact
// attempts and contacts, supports the person for up to about three months and
// closes the episode with an outcome. The queue shows what is due, overdue,
// contacted and due for review.
//
// Sessions are contacts: a contact that reached the person is the first
// contact the first time (the funder's referral-to-first-contact measure) and
// a support session after that. Appointments are not linked to referrals, so
// booking stays unaware of this package; a Support Worker's booked session is
// recorded here as an in-person contact.
//
// It reaches the database only through db.InTenant, so another practice's
// referral is simply not found; every change is audited in the same
// transaction. It knows nothing of HTTP and never logs patient details.
package referral
