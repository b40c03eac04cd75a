// Package reportrun owns report runs: a funding contract's report for one
// period, generated from the report rollup as it stood at one moment, stored
// with its parameters, the exact figures it was made from (the "input" file)
// and its protected output files (CSV, data dictionary, XLSX, PDF), each with
// its SHA-256. A run is reviewed, then published to the funder or withdrawn;
// regenerating a period makes its next version, and Changes says which
// published figures moved since the version before.
//
// Runs sit above any one tenant, like contracts: they are written and read
// only through db.Platform, with the purpose logged; the figures themselves
// are computed by models/report across the covered practices.
//
// The package must never change a stored run's parameters or files (the
// database refuses it too), never offer the input file or exact figures to a
// funder, and never put the contract's rounding key, or anything about a
// person, in a run's parameters, files or audit detail.
package reportrun
