// Package audit owns the audit trail: who did what (user and roles), to whose
// account or health record, when, from where (IP, request id) and why (the
// purpose of access) — every sign-in, change of access, and create, read,
// update and export of personal health information (DOMAIN.md, "Law and
// standards"; HIPC rule 6: people can ask who accessed their record; kept as
// long as the records, at least 10 years).
//
// Writing is cheap: Record is one INSERT inside the caller's InTenant
// transaction, so the event commits or rolls back with the work it describes;
// RecordPlatform appends, in its own short transaction, events that belong to
// no tenant. Nobody hashes on the write path. A Sealer, running in every
// server, chains new events shortly after they commit: seal n of a chain holds
// SHA-256(seal n-1's hash || the event's canonical bytes). Verify recomputes
// the chains and names the first broken link of each, so an edit, a deleted
// event or seal, or an event slipped in later with an old date is evident
// after the fact. List shows a tenant its own trail, newest first.
//
// It must never update or delete history: the tables grant the app only
// SELECT and INSERT, and triggers refuse UPDATE, DELETE and TRUNCATE from any
// role. Detail and reason must never hold patient details (names, NHI numbers,
// note text, diagnoses): the patient is named by PatientID alone, and the
// trail is read by practice admins who may not see clinical content.
//
// The chain shows tampering only by someone who does not rewrite every later
// seal too, and the owner role can recompute a whole chain (nothing in it is
// secret). Heads gives each chain's newest seal to keep outside the
// database; CheckHeads later finds any kept head its chain no longer holds.
package audit
