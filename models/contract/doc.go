// Package contract owns funders and funding contracts: the funder
// organisations whose people use the funder portal, and each contract's
// number, funder, region, practices with their funded FTE per service line,
// period, targets, reporting frequency and privacy rules (suppression
// threshold, random rounding).
//
// Funders and contracts sit above any one tenant, like regions: they are read
// and written only through db.Platform, with the purpose logged.
//
// The package must never read a tenant's rows (reports do that, through
// models/report) or hold anything about a person.
package contract
