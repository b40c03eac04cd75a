// Package web owns Tūhono's server-rendered HTTP pages: the page frame
// (layout, header, navigation, footer), the landing page, the friendly error
// pages, the offline API reference, the identity pages (sign-in with MFA,
// sign-out, password reset, the tenant picker, the account page, invitation
// links) and the first tenant pages (home, staff, API tokens), the
// development mailbox, and the content-hashed static files (stylesheet, icon)
// that the pages use. Templates and static files are embedded, parsed and
// hashed once in New. routes.go is the whole page route table, with each
// route's permission; one file per resource beside it.
//
// Every page route loads the session and checks CSRF; tenant routes add the
// membership check and their permission (httpx) on every request. A POST
// that succeeds answers 303; one with bad input renders its form again with
// a message by each field, having changed nothing.
//
// Every page is rendered from a typed view struct declared here (landingPage,
// errorPage, apiRefPage…) into a buffer, and only a complete page is written:
// a template error becomes a plain 500, never half a page.
//
// The package must never:
//   - import gorm or any package under models/db, or hand a domain or GORM
//     model to a template: handlers copy what a page shows into a view struct;
//   - decide a permission (policy does, through httpx's Guard) or a domain
//     rule (models/account does): it only asks, to choose what to offer;
//   - show a password, token or code again after the one response that
//     hands it out, or put one in a URL it builds;
//   - show a client internal error text, SQL, stack traces or patient details
//     on an error page (only a status, a human message and a request id);
//   - emit inline <script>, <style> or style="" attributes, event-handler
//     attributes, or assets from another origin: the Content-Security-Policy
//     set by handlers/httpx (default-src 'self') would block them;
//   - set security headers or page Cache-Control: handlers/httpx does that
//     for every response. Hashed static files are the one exception, because
//     only this package knows their names change with their content;
//   - link to a page that does not exist yet.
package web
