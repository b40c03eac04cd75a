// Package pdf writes a protected report as a short PDF for funders: two to
// four A4 pages with the headline figures against the contract's targets,
// the monthly trend of sessions, seen-within-7-days against its target, the
// ethnicity share of people seen against the enrolled share, and at most the
// fifteen practices with the most people seen (the CSV and XLSX hold every
// practice).
//
// pdf.go lays out the pages and their tables; charts.go draws the bar charts
// with plain rectangles and lines.
//
// The package must never:
//   - write a report that has not been through protect.Apply;
//   - read Cell.Figure, Num or Den: every figure printed or drawn is
//     Cell.Shown, a suppressed figure is printed "S" and drawn as no bar, and
//     the shares it derives are worked out from published figures only;
//   - put a name, NHI, date of birth or free text of a person on paper (a
//     Report holds none, and nothing else is read);
//   - depend on the clock or on random ids: the same report gives the same
//     bytes, because the run stores their SHA-256.
package pdf
