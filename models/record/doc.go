// Package record turns one person's clinical record into the two forms that
// leave Tūhono: a FHIR R4 Bundle for the practice management system and PDF
// documents for people (the whole record for a HIPC rule 6 request, and a
// handover letter to the GP).
//
// It works over plain values that the notes, measures and handover code fill
// in; it never touches the database, never decides who may see what (the
// caller has already applied the visibility rules and audited the export), and
// never logs: everything it handles is health information.
package record
