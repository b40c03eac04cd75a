// Package export writes a protected report for download: the CSV in tidy
// long form (one row per published figure), its data dictionary, and the
// file names downloads are served under. The XLSX and PDF writers build on
// the same protected report.
//
// The package must never:
//   - write a report protect.Apply has not protected: ErrUnprotected is the
//     only answer to exact figures, so a funder download cannot carry them;
//   - write a cell's Figure, Num, Den or People: only Shown and Flag, which
//     protect filled under the contract's privacy rules;
//   - write anything about a person: rows are keyed by practice, service
//     line, measure and breakdown only;
//   - let a spreadsheet run a cell: text that would start a formula is
//     neutralised with a leading apostrophe (OWASP "CSV injection").
package export
