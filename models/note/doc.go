// Package note owns clinical notes: what HIPs, Health Coaches and Support
// Workers write about a session (an appointment) or, for a Support Worker, a
// contact of a referral. Other packages (pages, API, handovers, FHIR and PDF
// exports) build on its exported API and never touch its tables.
//
// Rules it keeps:
//   - A note's template follows its author's role (TemplateFor); the body is
//     the template's fields plus free text, sealed with the tenant's data key
//     (models/keys, AAD notes/<id>/body). The database never holds note text in
//     clear; metadata (Meta) stays in clear for lists and reports.
//   - Lifecycle: draft → signed → (optionally) entered_in_error. SaveDraft is
//     autosave with an optimistic version: a stale version is a Conflict, never
//     a silent overwrite; a retried save of the same content is a no-op. A
//     database trigger refuses any change to a signed note's content and any
//     DELETE, whatever the caller does; changes after signing are addenda
//     (insert-only). Where the tenant turns it on, Health Coach notes wait for
//     a HIP's co-signature (CoSignQueue, CoSign).
//   - Who reads what is decided in one place, CanRead (see visibility.go and
//     testdata/visibility.golden). Break-glass (BreakGlass) lets a clinician
//     open one restricted note for 30 minutes after a reason and a password
//     re-check done by the web layer; the privacy officer is e-mailed (no
//     clinical content) and the grant waits in ReviewQueue.
//   - Every body read, write, sign, addendum, entered-in-error, co-sign and
//     break-glass is audited with the patient it concerns (models/audit);
//     AccessReport lists them for the person (HIPC rule 6).
//
// It must never: log or e-mail note text or patient details, read across
// tenants (everything runs in db.InTenant), or return a body the viewer may
// not read.
package note
