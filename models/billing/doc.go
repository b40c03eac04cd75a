// Package billing charges for Tūhono through Stripe (issue 8): billing
// accounts (a PHO paying for all its practices, or a practice for itself;
// programme-funded practices are exempt), the subscription's quantities
// (a base price per practice, a seat price per clinical seat), Checkout and
// the customer portal, invoices, the webhook events that move an account
// through trialing → active → past_due → suspended, and reconciliation
// with Stripe.
//
// Every table it owns is a platform table reached through db.Platform with
// a purpose; seat counts are read through db.AcrossTenants. A tenant's own
// transactions see only tenants.billing_status, which this package keeps
// in step, so booking can stop while a practice is suspended.
//
// The package must never:
//   - call Stripe inside a database transaction, or apply an event twice:
//     calls run after commit with idempotency keys, events are applied in
//     the same transaction that records their id under a unique key;
//   - let an older event overwrite a newer state (events arrive out of
//     order): the state held carries the time of the event that set it;
//   - hide or delete clinical data on suspension: only new bookings stop;
//   - log a secret key or a webhook secret.
package billing
