// Package protect applies a contract's privacy rules to a computed report
// before anyone outside the practice sees it (DOMAIN.md "Publishing counts
// without identifying people"; issue 7 item 4):
//   - counts of people from 1 to the threshold − 1 are suppressed ("S"), and
//     counts of events are suppressed when the people behind them are;
//   - complementary suppression, iterated to a fixed point, so a suppressed
//     cell cannot be recovered by subtracting published cells from a
//     published total;
//   - every other count is randomly rounded to base 3 (Stats NZ RR3) with a
//     deterministic draw per contract, period and cell, so a re-run gives
//     identical numbers;
//   - no rate, mean or median is shown whose people or numerator count is
//     suppressed.
//
// Exact fills the same fields with exact figures, for a practice's own staff
// with clinical access.
//
// The package must never:
//   - read the database, log, or look at anything but the report's cells:
//     it is a pure function of the report and the rules;
//   - publish a count it cannot judge (an unknown measure, a count without
//     a figure): those are withheld, never shown exact;
//   - use a random source: the same report and rules always give the same
//     output, byte for byte, downstream.
package protect
