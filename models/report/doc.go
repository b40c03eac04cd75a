// Package report owns the numbers funders pay on: the metric catalogue (each
// metric defined once, in metrics.go, and shown to funders from there), the
// reporting periods (calendar months and New Zealand fiscal quarters), the
// per-person fact rollup kept current as sessions complete (facts.go,
// migration 00025), and Compute, which aggregates those facts in SQL into
// report cells for a set of practices.
//
// A Report holds exact figures; protect applies a contract's privacy rules
// (suppression, complementary suppression, random rounding) and export
// writes CSV, XLSX and PDF from it.
//
// The package must never:
//   - put a name, NHI, date of birth or any free text into a Report: cells
//     are counts, rates, means and medians of groups, keyed by practice,
//     service line, measure and breakdown only;
//   - aggregate row by row in Go: the facts are built and summed in SQL;
//   - read a tenant's rows outside db.InTenant (refresh) or
//     db.AcrossTenants (compute, with its purpose audited).
package report
