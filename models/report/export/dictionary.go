package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/protect"
)

// DictionaryColumns are the data dictionary's columns. One table serves
// every section; a row fills the columns that apply to it.
var DictionaryColumns = []string{"section", "id", "name", "description", "kind", "unit", "numerator",
	"denominator", "session_rule", "benchmark", "breakdowns", "service_lines", "groups", "value"}

// columnDescriptions say what each CSV column holds, in Columns order.
var columnDescriptions = [][2]string{
	{"Period", "The reporting period: a month (2026-07) or a New Zealand fiscal quarter (FY2027-Q1, the fiscal year running 1 July to 30 June, named by the year it ends in). Trend rows carry their month."},
	{"Practice", "The practice's name, or \"All practices\" for every practice in the report together (a person seen at two practices counts once)."},
	{"Service line", "hip (Health Improvement Practitioner), health_coach, support_worker, or all for every service line together (a person seen by two service lines counts once)."},
	{"Measure", "The metric's id: see the metric rows of this dictionary."},
	{"Breakdown", "total for the measure over everyone, else the id of the breakdown the row is a group of: see the breakdown rows."},
	{"Group", "The group of the breakdown (empty for total): see the groups listed on the breakdown's row."},
	{"Value", "The figure as published: a whole number for counts, a percentage with one decimal for rates in %, one decimal for other rates, means and medians; S when suppressed; empty when there is no figure. Read it with the flag."},
	{"Flags", "How the value was protected: see the flag rows."},
}

// kindDescriptions say how each kind of figure is protected.
var kindDescriptions = []struct {
	kind report.Kind
	name string
	text string
}{
	{report.People, "Count of people", "Distinct people. Suppressed (S) from 1 to the threshold − 1; otherwise randomly rounded to base 3 when the contract asks for rounding."},
	{report.Events, "Count of events", "Sessions, appointments, referrals or answers. Suppressed when the people behind them are below the threshold; otherwise randomly rounded to base 3 when the contract asks for rounding."},
	{report.Rate, "Rate", "Numerator ÷ denominator. Not shown (S) when the people behind it are below the threshold or its numerator count is suppressed; no figure (N) when the denominator is zero. Shown as computed (one decimal), not rounded."},
	{report.Mean, "Mean", "The mean of a per-person or per-answer value, protected like a rate."},
	{report.Median, "Median", "The median of a per-person value, protected like a rate."},
}

// flagDescriptions say what each flag means, in the order readers meet them.
var flagDescriptions = [][3]string{
	{protect.FlagSuppressed, "Suppressed", "Withheld to protect privacy: the count of people (or the people behind the figure) is between 1 and the threshold − 1, or it was withheld as well so a suppressed cell cannot be worked out by subtracting published cells from a published total (complementary suppression), or its numerator is suppressed. The value is S."},
	{protect.FlagRounded, "Randomly rounded", "Randomly rounded to base 3 (Stats NZ): multiples of 3 stay; others move to a neighbouring multiple of 3, by at most 2. Every non-zero published count carries R when the contract asks for rounding, including those the rounding left unchanged, so no published count is exact. Totals are rounded independently and need not equal the sum of their parts. Rounding is fixed per contract, period and cell: a re-run gives the same numbers."},
	{protect.FlagNoFigure, "No figure", "The denominator is zero (nobody to divide by): the value is empty."},
	{"", "Published", "Published as computed: a zero, a count when the contract does not round, or a rate, mean or median."},
}

// Dictionary writes the data dictionary of r's CSV: its columns, every
// metric, service line, breakdown (with its groups and rule), kind of figure
// and flag, then the privacy rules and period the report was published
// under. Like CSV it refuses an unprotected report: a dictionary goes with a
// published file, and its privacy rows describe how that file was protected.
func Dictionary(w io.Writer, r *report.Report) error {
	if r == nil || !r.Protected {
		return fmt.Errorf("export.Dictionary: %w", ErrUnprotected)
	}
	cw := csv.NewWriter(w)
	write := func(section, id, name, description string, more map[string]string) {
		rec := []string{section, id, name, description}
		for _, col := range DictionaryColumns[4:] {
			rec = append(rec, more[col])
		}
		for i := range rec {
			rec[i] = neutralise(rec[i])
		}
		_ = cw.Write(rec) // errors stick; reported after Flush
	}
	_ = cw.Write(DictionaryColumns)

	for i, col := range Columns {
		write("column", col, columnDescriptions[i][0], columnDescriptions[i][1], nil)
	}
	for _, m := range report.Metrics {
		write("metric", m.ID, m.Name, m.Definition, map[string]string{
			"kind": string(m.Kind), "unit": m.Unit, "numerator": m.Numerator, "denominator": m.Denominator,
			"session_rule": m.Session, "benchmark": m.Benchmark, "breakdowns": breakdowns(m), "service_lines": lines(m)})
	}
	for _, l := range append([]string{report.LineAll}, report.Lines...) {
		write("service_line", lineID(l), report.LineLabels[l], "", nil)
	}
	write("breakdown", BreakdownTotal, "Total", "The measure over everyone in the row's practice and service line, not broken down.", nil)
	for _, d := range report.Dimensions {
		kind := "additive: the groups sum to the total"
		if !d.Additive {
			kind = "not additive: a person can count in more than one group"
		}
		var groups []string
		for _, g := range d.Groups {
			groups = append(groups, g.ID+" = "+g.Label)
		}
		write("breakdown", d.ID, d.Name, d.Rule, map[string]string{"kind": kind, "groups": strings.Join(groups, "; ")})
	}
	for _, k := range kindDescriptions {
		write("kind", string(k.kind), k.name, k.text, nil)
	}
	for _, f := range flagDescriptions {
		write("flag", f[0], f[1], f[2], nil)
	}

	threshold, rounding := privacy(r)
	write("privacy", "threshold", "Suppression threshold",
		fmt.Sprintf("Counts of people from 1 to %d are suppressed, with complementary suppression.", threshold-1),
		map[string]string{"value": strconv.Itoa(threshold)})
	roundText := "Counts are published unrounded."
	if rounding {
		roundText = "Counts are randomly rounded to base 3 (flag R)."
	}
	write("privacy", "rounding", "Random rounding to base 3", roundText, map[string]string{"value": yesNo(rounding)})

	write("period", r.Period.Label, r.Period.Title(), "The reporting period.", map[string]string{
		"value": r.Period.Start.Format(time.DateOnly) + " to " + r.Period.Last().Format(time.DateOnly)})
	if !r.AsOf.IsZero() {
		write("period", "as_of", "Data as of", "The moment the data behind the report was read (UTC).",
			map[string]string{"value": r.AsOf.UTC().Format(time.RFC3339)})
	}
	if c := r.Contract; c.Number != "" {
		var by []string
		for _, s := range []string{c.Funder, c.Region} {
			if s != "" {
				by = append(by, s)
			}
		}
		write("contract", c.Number, c.Name, "The funding contract the report was run for (funder · region).",
			map[string]string{"value": strings.Join(by, " · ")})
	}

	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export.Dictionary: %w", err)
	}
	return nil
}

// privacy returns the rules the report was published under. The threshold
// is the contract's (protect's default without one); rounding is on when the
// contract asks for it or any figure carries R, since a report without a
// contract (a dashboard) is protected by rules the Report does not record.
func privacy(r *report.Report) (int, bool) {
	rules := protect.RulesFor(r.Contract, r.Period)
	rounding := rules.Rounding
	for i := 0; !rounding && i < len(r.Cells); i++ {
		rounding = r.Cells[i].Flag == protect.FlagRounded
	}
	for i := 0; !rounding && i < len(r.Trend); i++ {
		rounding = r.Trend[i].Sessions.Flag == protect.FlagRounded || r.Trend[i].People.Flag == protect.FlagRounded
	}
	return rules.Threshold, rounding
}

func breakdowns(m report.Metric) string {
	return strings.Join(append([]string{BreakdownTotal}, m.Dims...), "; ")
}

// lines names the service lines a metric is reported for, as the
// service_line column writes them.
func lines(m report.Metric) string {
	if m.Lines == nil {
		return strings.Join(append([]string{lineAll}, report.Lines...), "; ")
	}
	ids := make([]string, len(m.Lines))
	for i, l := range m.Lines {
		ids[i] = lineID(l)
	}
	return strings.Join(ids, "; ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
