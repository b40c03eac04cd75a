// Package patient owns the people a practice sees: their NHI (validated by
// the HISO 10046:2023 check rules), names (NFC, searched without regard to
// macrons), date of birth, gender, HISO 10001 ethnicity with the prioritised
// group derived, iwi, NZDep quintile, enrolment and contact details with
// consent.
//
// Patients are tenant data: every function reaches the database through
// db.InTenant, so an id of another tenant is simply not found. Every read of
// a patient record writes an audit event (record.read) with the caller's
// reason in the same transaction as the read; creates and updates write
// record.create and record.update. Audit details carry field names, never
// values; nothing here logs patient details.
package patient
