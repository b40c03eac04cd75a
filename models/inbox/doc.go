// Package inbox owns the handover to the GP (issue 6, item 3): the short note
// a HIP, Health Coach or Support Worker writes with a session note, addressed
// to the person's GP (or practice nurse), landing in that GP's inbox with a
// read receipt, and printable as a letter (models/record).
//
// Rules it keeps:
//   - The text is sealed with the tenant's data key (models/keys, AAD
//     gp_handovers/<id>/body): the database never holds it in clear. Who,
//     whom, when and the read receipt stay in clear for lists.
//   - Send runs inside the caller's transaction (the note editor saves the
//     note and its handover together); it refuses an addressee who is not an
//     active GP or nurse of the practice, and text outside 1–5000 characters.
//   - Who reads a handover is decided in one place, CanRead: the addressed
//     GP, the author, the clinical team (policy "handover read") and Support
//     Workers (the handover summary is theirs: note.CanRead's rule); admin and
//     funder roles never read it.
//   - Every read, list, print and send is audited with the patient it
//     concerns, so the person's "who accessed my record" report shows it.
//     Only the addressed GP's first open sets the read receipt.
//
// It must never log handover text or patient details, nor read across
// tenants: everything runs in db.InTenant.
package inbox
