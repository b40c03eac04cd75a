// Package webhooks receives Stripe's webhook events at /webhooks/stripe
// (issue 8): it verifies the signature over the raw body (5-minute
// tolerance, stripe-go's own check, API version 2023-10-16), answers 400 to
// anything unsigned, tampered, stale or of another API version, and hands
// a verified event to billing.Service.Apply, which applies it once. It
// answers fast: Apply is one short transaction; Stripe calls go through the
// billing worker.
//
// The package must never:
//   - act on a payload before its signature is verified;
//   - keep a view into fasthttp's request buffer past the handler (the body
//     is copied);
//   - log the payload (it names customers) or the secret.
package webhooks
