package workbook

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"
	_ "time/tzdata" // NZ time must not depend on the host's zoneinfo

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/export"
	"github.com/tuhono/tuhono/models/report/protect"
)

// The sheets, in the order funders see them.
const (
	sheetSummary   = "Summary"
	sheetPractices = "Practices"
	sheetEquity    = "Equity"
	sheetTrend     = "Trend"
	sheetNotes     = "Notes"
)

// nzTime is where the as-of time is shown: the reader is in Aotearoa.
var nzTime = mustZone("Pacific/Auckland")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // tzdata is embedded above, so this cannot fail at run time
	}
	return loc
}

// headline is one measure of the summary and the target it is held to, in
// the unit the measure is shown in (80 for 80%); zero is no target.
type headline struct {
	measure string
	target  float64
}

func headlines(t report.Targets) []headline {
	return []headline{
		{report.MPeopleSeen, 0}, {report.MSessions, 0}, {report.MNewPeople, 0},
		{report.MSeenWithin7Rate, t.SeenWithin7Days * 100}, {report.MAccessConversion, 0},
		{report.MDNARate, 0}, {report.MNewPerFTE, t.NewPerFTE}, {report.MPenetration, 0},
		{report.MUsefulnessMean, 0}, {report.MK10Change, 0},
	}
}

// practiceMeasures are the columns of the Practices sheet.
var practiceMeasures = []string{report.MPeopleSeen, report.MSessions, report.MNewPeople,
	report.MSeenWithin7Rate, report.MAccessConversion, report.MDNARate, report.MNewPerFTE,
	report.MPenetration, report.MUsefulnessMean, report.MK10Change}

// Write writes the report as an XLSX workbook. Refuses an unprotected report.
func Write(w io.Writer, r *report.Report) error {
	if r == nil || !r.Protected {
		return fmt.Errorf("workbook.Write: %w", export.ErrUnprotected)
	}
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f, r: r, cells: r.Index()}
	b.build()
	if b.err != nil {
		return fmt.Errorf("workbook.Write: %w", b.err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return fmt.Errorf("workbook.Write: %w", err)
	}
	out, err := canonical(buf.Bytes())
	if err != nil {
		return fmt.Errorf("workbook.Write: %w", err)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("workbook.Write: %w", err)
	}
	return nil
}

// contentDefault is one <Default> of [Content_Types].xml.
var contentDefault = regexp.MustCompile(`<Default Extension="[^"]*" ContentType="[^"]*"></Default>`)

// canonical puts the <Default> entries of [Content_Types].xml in name order
// and copies every other part of the package as it is. excelize adds the
// image extensions from a Go map when a chart is drawn, so without this two
// writes of one report would differ, and a run's SHA-256 would not repeat.
func canonical(xlsx []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, part := range zr.File {
		if part.Name != "[Content_Types].xml" {
			if err := zw.Copy(part); err != nil {
				return nil, err
			}
			continue
		}
		rc, err := part.Open()
		if err != nil {
			return nil, err
		}
		types, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		defaults := contentDefault.FindAll(types, -1)
		sort.Slice(defaults, func(i, j int) bool { return bytes.Compare(defaults[i], defaults[j]) < 0 })
		n := 0
		types = contentDefault.ReplaceAllFunc(types, func([]byte) []byte { n++; return defaults[n-1] })
		header := part.FileHeader
		pw, err := zw.CreateHeader(&header)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(types); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// book writes one workbook, keeping the first error so the sheet builders
// read as the layout they produce.
type book struct {
	f     *excelize.File
	r     *report.Report
	cells map[report.Key]*report.Cell
	bold  int
	wrap  int
	err   error
}

func (b *book) check(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func (b *book) build() {
	var err error
	b.bold, err = b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	b.check(err)
	b.wrap, err = b.f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	b.check(err)
	b.check(b.f.SetSheetName("Sheet1", sheetSummary))
	for _, s := range []string{sheetPractices, sheetEquity, sheetTrend, sheetNotes} {
		_, err := b.f.NewSheet(s)
		b.check(err)
	}
	b.summary()
	b.practices()
	b.equity()
	b.trend()
	b.notes()
	// Pinned to the snapshot time so that one report always gives the same
	// bytes (the run stores their SHA-256).
	at := b.r.AsOf.UTC().Format(time.RFC3339)
	b.check(b.f.SetDocProps(&excelize.DocProperties{Created: at, Modified: at, Creator: "Tūhono",
		LastModifiedBy: "Tūhono", Title: title(b.r), Language: "en-NZ"}))
	b.f.SetActiveSheet(0)
}

// set writes one cell; nil leaves it empty.
func (b *book) set(sheet string, col, row int, v any) {
	if v == nil {
		return
	}
	name, err := excelize.CoordinatesToCellName(col, row)
	b.check(err)
	if err == nil {
		b.check(b.f.SetCellValue(sheet, name, v))
	}
}

// row writes values from column A and optionally makes the row bold.
func (b *book) row(sheet string, row int, bold bool, values ...any) {
	for i, v := range values {
		b.set(sheet, i+1, row, v)
	}
	if bold {
		b.check(b.f.SetRowStyle(sheet, row, row, b.bold))
	}
}

// widths sets column widths from column A.
func (b *book) widths(sheet string, w ...float64) {
	for i, x := range w {
		col, err := excelize.ColumnNumberToName(i + 1)
		b.check(err)
		b.check(b.f.SetColWidth(sheet, col, col, x))
	}
}

// freeze keeps rows 1..rows in view while scrolling.
func (b *book) freeze(sheet string, rows int) {
	top, err := excelize.CoordinatesToCellName(1, rows+1)
	b.check(err)
	b.check(b.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: rows, TopLeftCell: top,
		ActivePane: "bottomLeft", Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}}))
}

// shown is the published figure of a cell, "" when there is none.
func (b *book) shown(k report.Key) string {
	if c, ok := b.cells[k]; ok {
		return c.Shown
	}
	return ""
}

func (b *book) summary() {
	const s = sheetSummary
	c := b.r.Contract
	b.row(s, 1, true, title(b.r))
	b.row(s, 2, false, "Contract", contractName(c))
	b.row(s, 3, false, "Funder", c.Funder)
	b.row(s, 4, false, "Region", c.Region)
	b.row(s, 5, false, "Period", b.r.Period.Title())
	b.row(s, 6, false, "Data as of", b.r.AsOf.In(nzTime).Format("2 Jan 2006, 3:04 pm"))
	b.row(s, 7, false, "Privacy", privacyRule(c))
	b.check(b.f.SetCellStyle(s, "B7", "B7", b.wrap))
	const head = 9
	b.row(s, head, true, "Measure (all practices, all service lines)", "Figure", "Unit", "Flag",
		"Target", "Benchmark", "Against target")
	for i, h := range headlines(c.Targets) {
		m, _ := report.MetricByID(h.measure)
		k := report.Key{Practice: uuid.Nil, Line: report.LineAll, Measure: h.measure}
		shown := b.shown(k)
		flag := ""
		if cell, ok := b.cells[k]; ok {
			flag = cell.Flag
		}
		var target any
		if h.target != 0 {
			target = h.target
		}
		b.row(s, head+1+i, false, m.Name, figure(shown), unit(m), flag, target, m.Benchmark, against(shown, h.target))
	}
	b.widths(s, 44, 16, 14, 6, 10, 34, 16)
	b.freeze(s, head)
}

func (b *book) practices() {
	const s = sheetPractices
	head := []any{"Practice", "Service line"}
	for _, id := range practiceMeasures {
		m, _ := report.MetricByID(id)
		head = append(head, columnName(m))
	}
	b.row(s, 1, true, head...)
	ids := []uuid.UUID{uuid.Nil}
	for _, p := range b.r.Practices {
		ids = append(ids, p.ID)
	}
	row := 2
	for _, id := range ids {
		for _, line := range append([]string{report.LineAll}, b.r.Lines...) {
			values := []any{b.r.PracticeName(id), report.LineLabels[line]}
			for _, m := range practiceMeasures {
				values = append(values, figure(b.shown(report.Key{Practice: id, Line: line, Measure: m})))
			}
			b.row(s, row, false, values...)
			row++
		}
	}
	b.widths(s, 34, 18, 12, 12, 12, 14, 14, 12, 16, 14, 12, 12)
	b.freeze(s, 1)
}

func (b *book) equity() {
	const s = sheetEquity
	b.row(s, 1, true, "Group (all practices, all service lines)", "People seen", "Share of people seen (%)",
		"Enrolled", "Share of enrolled (%)", "Seen within 7 days (%)", "Penetration (%)")
	row := 2
	for _, dim := range []string{report.DimEthnicity, report.DimHighNeeds} {
		d, _ := report.DimensionByID(dim)
		b.row(s, row, true, d.Name)
		row++
		seenTotal := b.shown(report.Key{Line: report.LineAll, Measure: report.MPeopleSeen})
		enrolledTotal := b.shown(report.Key{Line: report.LineAll, Measure: report.MEnrolled})
		for _, g := range d.Groups {
			at := func(m string) string {
				return b.shown(report.Key{Line: report.LineAll, Measure: m, Dim: dim, Group: g.ID})
			}
			seen, enrolled := at(report.MPeopleSeen), at(report.MEnrolled)
			b.row(s, row, false, g.Label, figure(seen), share(seen, seenTotal), figure(enrolled),
				share(enrolled, enrolledTotal), figure(at(report.MSeenWithin7Rate)), figure(at(report.MPenetration)))
			row++
		}
		b.row(s, row, false, "All people", figure(seenTotal), share(seenTotal, seenTotal), figure(enrolledTotal),
			share(enrolledTotal, enrolledTotal),
			figure(b.shown(report.Key{Line: report.LineAll, Measure: report.MSeenWithin7Rate})),
			figure(b.shown(report.Key{Line: report.LineAll, Measure: report.MPenetration})))
		row += 2
	}
	b.row(s, row, true, "Contract equity targets", "Share of people seen (%)", "Target (%)", "Against target")
	row++
	seenTotal := b.shown(report.Key{Line: report.LineAll, Measure: report.MPeopleSeen})
	t := b.r.Contract.Targets
	for _, g := range []struct {
		id, label string
		target    float64
	}{{"maori", "Māori share of people seen", t.MaoriShare * 100}, {"pacific", "Pacific share of people seen", t.PacificShare * 100}} {
		seen := b.shown(report.Key{Line: report.LineAll, Measure: report.MPeopleSeen, Dim: report.DimEthnicity, Group: g.id})
		sh := share(seen, seenTotal)
		var target any
		if g.target != 0 {
			target = g.target
		}
		b.row(s, row, false, g.label, sh, target, against(fmt.Sprint(sh), g.target))
		row++
	}
	b.widths(s, 40, 13, 22, 12, 20, 20, 15)
	b.freeze(s, 1)
}

// trendPoints are the all-practices, all-lines months, oldest first.
func trendPoints(r *report.Report) []report.TrendPoint {
	var out []report.TrendPoint
	for _, p := range r.Trend {
		if p.Practice == uuid.Nil && p.Line == report.LineAll {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Month.Start.Before(out[j].Month.Start) })
	return out
}

func (b *book) trend() {
	const s = sheetTrend
	b.row(s, 1, true, "Month (all practices, all service lines)", "Sessions", "People seen")
	points := trendPoints(b.r)
	for i, p := range points {
		b.row(s, i+2, false, p.Month.Start.Format("Jan 2006"), figure(p.Sessions.Shown), figure(p.People.Shown))
	}
	b.widths(s, 38, 12, 12)
	b.freeze(s, 1)
	if len(points) == 0 {
		b.row(s, 2, false, "No months to show.")
		return
	}
	last := len(points) + 1
	// Suppressed months are the text "S", which the chart draws as a gap
	// rather than as a bar of some height.
	b.check(b.f.AddChart(s, "E2", &excelize.Chart{
		Type: excelize.Col,
		Series: []excelize.ChartSeries{{Name: s + "!$B$1",
			Categories: fmt.Sprintf("%s!$A$2:$A$%d", s, last), Values: fmt.Sprintf("%s!$B$2:$B$%d", s, last)}},
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Sessions by month"}}},
		Legend: excelize.ChartLegend{Position: "none"},
		Format: excelize.GraphicOptions{ScaleX: 1.2, ScaleY: 1.2},
	}))
}

func (b *book) notes() {
	const s = sheetNotes
	c := b.r.Contract
	b.row(s, 1, true, "Flag", "Meaning")
	b.row(s, 2, false, "S", fmt.Sprintf("Suppressed: fewer than %d people stand behind the figure, or it is hidden so that "+
		"another suppressed figure cannot be worked out from a total. A rate or mean whose count is suppressed is suppressed too.", threshold(c)))
	b.row(s, 3, false, "R", "Randomly rounded to base 3 (Stats NZ's method): the figure is a multiple of 3 within 2 of the true count, "+
		"and the same report always rounds the same way. Totals are rounded on their own, so parts may not add up to them.")
	b.row(s, 4, false, "N", "No figure: nothing to divide by (for example, nobody was introduced).")
	b.row(s, 5, false, "(none)", "Published as computed.")
	b.row(s, 6, false, "Shares", "Shares on the Equity sheet are worked out from the published (rounded) counts.")
	b.row(s, 8, true, "Measure", "Name", "Unit", "Definition", "Numerator", "Denominator", "Benchmark")
	for i, m := range report.Metrics {
		b.row(s, 9+i, false, m.ID, m.Name, m.Unit, m.Definition, m.Numerator, m.Denominator, m.Benchmark)
	}
	b.check(b.f.SetCellStyle(s, "B2", fmt.Sprintf("G%d", 8+len(report.Metrics)), b.wrap))
	b.widths(s, 30, 36, 12, 60, 40, 30, 26)
	b.freeze(s, 1)
}

// figure is what goes into a spreadsheet cell for a published figure: a
// number where Shown is one, so funders can sum and chart it, the text "S"
// where suppressed, nothing where there is no figure.
func figure(shown string) any {
	if v, err := strconv.ParseFloat(shown, 64); err == nil {
		return v
	}
	if shown == "" {
		return nil
	}
	return shown
}

// share is part ÷ whole as a percentage with one decimal, from published
// counts: "S" when the part is suppressed, nothing when either is missing.
func share(part, whole string) any {
	if part == "S" {
		return "S"
	}
	p, err1 := strconv.ParseFloat(part, 64)
	w, err2 := strconv.ParseFloat(whole, 64)
	if err1 != nil || err2 != nil || w <= 0 {
		return nil
	}
	return math.Round(p/w*1000) / 10
}

// against says whether a published figure meets its target; "—" when there
// is no target or no figure to hold to it.
func against(shown string, target float64) string {
	v, err := strconv.ParseFloat(shown, 64)
	if target == 0 || err != nil {
		return "—"
	}
	if v >= target {
		return "Met"
	}
	return "Not met"
}

func unit(m report.Metric) string {
	if m.Unit == "" {
		return "count"
	}
	return m.Unit
}

func columnName(m report.Metric) string {
	if m.Unit == "%" {
		return m.Name + " (%)"
	}
	return m.Name
}

// threshold is the one the report was protected with (the notes state it).
func threshold(c report.Contract) int { return protect.RulesFor(c, report.Period{}).Threshold }

func privacyRule(c report.Contract) string {
	s := fmt.Sprintf("Counts of people below %d are suppressed (S), with further cells suppressed where a total "+
		"would reveal them.", threshold(c))
	if c.Rounding {
		return s + " Other counts are randomly rounded to base 3 (R)."
	}
	return s + " Other counts are not rounded."
}

func contractName(c report.Contract) string {
	switch {
	case c.Number == "":
		return c.Name
	case c.Name == "":
		return c.Number
	}
	return c.Number + " — " + c.Name
}

func title(r *report.Report) string {
	if n := contractName(r.Contract); n != "" {
		return "Tūhono report: " + n + ", " + r.Period.Title()
	}
	return "Tūhono report: " + r.Period.Title()
}
