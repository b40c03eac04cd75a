// Package report owns the numbers funders pay on: the metric catalogue (each
// metric defined once, in metrics.go, and shown to funders from there), the
// reporting periods (calendar months and New Zealand fiscal quarters), the
// per-person fact rollup kept current as sessions complete (facts.go,
// migration 00025) with each practice's cells summed from it (migration
// 00026), and Compute, which reads those cells into a report for a set of
// practices, adding them up across practices.
//
// A Report holds exact figures; protect applies a contract's privacy rules
// (suppression, complementary suppression, random rounding) and export
// writes CSV, XLSX and PDF from it.
//
// The package must never:
//   - put a name, NHI, date of birth or any free text into a Report: cells
//     are counts, rates, means and medians of groups, keyed by practice,
//     service line, measure and breakdown only;
//   - aggregate people or sessions row by row in Go: the facts and each
//     practice's cells are built and summed in SQL; Go only adds practices'
//     cells together;
//   - read a tenant's rows outside db.InTenant (refresh) or
//     db.AcrossTenants (compute, with its purpose audited).
package report
