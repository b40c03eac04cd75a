// Package bulk owns the regional bulk import: CSV files of practices, staff
// and enrolled population, their downloadable templates, and the staff export
// of a region.
//
// An import reads the file once, row by row (never the whole file into
// memory), and keeps only a compact parsed form of each row; then it resolves
// the natural keys against the database. If any row is bad nothing is written,
// and every bad row is reported with its line number and reason (the first
// MaxProblems of them, with a count of the rest). Only then does it write, in
// one transaction per practice where it can, idempotently by natural key:
// practice slug; staff (practice, e-mail); enrolment (practice, quarter,
// ethnic group, age band, gender, NZDep quintile). Re-importing a file
// changes nothing, and re-running an import cut short by a crash completes it.
//
// Quarters are NZ fiscal quarters written FY2026-Q1: the fiscal year runs
// 1 July – 30 June and is named by the year it ends in, so FY2026-Q1 is
// July–September 2025 (DOMAIN.md).
//
// The package works in the region of ctx (tenants.RegionFrom) and never
// touches a tenant outside it. It never sends e-mail itself: invitations go
// through account.Invite and its outbox. It must never import net/http or
// Fiber.
package bulk
