// Package httpx is the HTTP frame every route sits in: request ids, per-request
// deadlines, security headers, input hygiene (sizes, content types, UTF-8),
// client IPs behind trusted proxies, tenant resolution from the URL, metrics,
// access logs and the one error handler that turns the fault vocabulary into
// status codes, problem+json for the API and friendly pages for people.
//
// It never talks to the database except through the tenant directory, and
// never writes patient details to a log line.
package httpx
