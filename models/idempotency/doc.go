// Package idempotency keeps the first answer to an API request sent with an
// Idempotency-Key, so a client that retries after losing the answer gets the
// same result instead of a second appointment or patient. The semantics follow
// Stripe's: the same key and request replay the stored response; the same key
// with another request is refused; a retry while the first is still running
// is a conflict, never a second effect; a first attempt that failed on the
// server's side (5xx) is forgotten so a retry can succeed; keys last 24 hours.
//
// Keys are stored per tenant and per caller inside the tenant wall
// (db.InTenant). The package knows nothing of HTTP: handlers/api turns
// requests into a Request and responses into a Response.
package idempotency
