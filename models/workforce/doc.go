// Package workforce owns a practice's practitioner FTE over time and their
// leave: the denominators that make per-FTE figures fair (DOMAIN.md: FTE ×
// working days, net of leave and phased rollout), and New Zealand's national
// public holidays that working days leave out.
//
// FTE spans and leave are tenant rows, read and written only through
// db.InTenant; every write is audited in the tenant's trail.
//
// The package must never count sessions or read anything about patients
// (models/report does the counting), and never reaches another tenant.
package workforce
