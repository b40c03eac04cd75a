// Package handover owns the warm handover of DOMAIN.md: a GP or practice
// nurse introduces a person to a HIP or Health Coach the day they present,
// either booking someone free now (Introduce) or, when no one is, putting the
// person in the practice's same-day queue with a note (Enqueue) for the first
// HIP or Health Coach who can to take (Take).
//
// Who is free comes from the schedules' open blocks (same-day capacity) less
// live appointments (FreeNow). Taking an entry marks it taken and books the
// same-day appointment in one transaction, under a row lock, so a person is
// taken exactly once however many press "Take" together. The appointment
// carries the introduction (introduced_by, introduced_at); the start of the
// session sets seen_at (models/booking), and the difference is the
// introduction-to-seen time funders watch.
//
// It reaches the database only through db.InTenant and db.ReadInTenant, so a
// foreign id is simply not found. It returns user ids, never names (those
// are the platform's: handlers look them up), and knows nothing of HTTP.
package handover
