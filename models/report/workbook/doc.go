// Package workbook writes a protected report as an XLSX workbook for
// funders: a summary against the contract's targets, one row per practice
// and service line, the equity breakdown, the monthly trend with a chart, and
// notes that define every figure and flag.
//
// The package must never:
//   - write a report that has not been through protect.Apply: funders get
//     only what may be published;
//   - read Cell.Figure, Num or Den: every figure written is Cell.Shown, and
//     the shares it derives are worked out from published figures only;
//   - put a name, NHI, date of birth or free text of a person in a workbook
//     (a Report holds none, and nothing else is read);
//   - depend on the clock or map order: the same report gives the same bytes.
package workbook
