package pdf

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
	_ "time/tzdata" // NZ time must not depend on the host's zoneinfo

	"github.com/go-pdf/fpdf"
	"github.com/google/uuid"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/export"
	"github.com/tuhono/tuhono/models/report/protect"
)

// The Go fonts cover WGL4, so the macrons of te reo Māori print; the PDF
// core fonts are Latin-1 only and would drop them. They come from a Go
// package (already in the module graph through excelize) because go:embed
// cannot reach models/record/fonts from here and the DejaVu files are not to
// be copied.
const family = "Go"

const (
	pageW, pageH = 210.0, 297.0
	margin       = 15.0
	contentW     = pageW - 2*margin
	rowH         = 6.5
	// nationalTarget is Health NZ's seen-within-7-days target, drawn when a
	// contract sets none of its own.
	nationalTarget = 0.80
	// topPractices keeps the paper to four pages at regional scale.
	topPractices = 15
)

var nzTime = mustZone("Pacific/Auckland")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // tzdata is embedded above, so this cannot fail at run time
	}
	return loc
}

// Write writes the report as a PDF of two to four A4 pages. Refuses an
// unprotected report.
func Write(w io.Writer, r *report.Report) error {
	if r == nil || !r.Protected {
		return fmt.Errorf("pdf.Write: %w", export.ErrUnprotected)
	}
	p := &paper{pdf: newDoc(r), r: r, cells: r.Index()}
	p.headlinePage()
	p.trendPage()
	p.equityPage()
	if len(r.Practices) > 0 {
		p.practicesPage()
	}
	if err := p.pdf.Error(); err != nil {
		return fmt.Errorf("pdf.Write: %w", err)
	}
	// Rendered whole before anything reaches w, so a failure leaves no half
	// a file behind.
	var buf bytes.Buffer
	if err := p.pdf.Output(&buf); err != nil {
		return fmt.Errorf("pdf.Write: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("pdf.Write: %w", err)
	}
	return nil
}

// newDoc starts an A4 portrait document with the fonts, the title in its
// metadata and every time pinned to the report's snapshot, so one report
// renders the same bytes twice.
func newDoc(r *report.Report) *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(family, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(family, "B", gobold.TTF)
	pdf.SetTitle(title(r), true)
	pdf.SetCreator("Tūhono", true)
	pdf.SetCreationDate(r.AsOf)
	pdf.SetModificationDate(r.AsOf)
	pdf.SetCatalogSort(true)
	pdf.SetMargins(margin, margin, margin)
	// Pages are laid out by hand to fixed heights: an automatic break would
	// push the count past four.
	pdf.SetAutoPageBreak(false, margin)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetFont(family, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.SetXY(margin, pageH-10)
		pdf.CellFormat(contentW-30, 4, fit(pdf, contractName(r.Contract)+" · "+r.Period.Title(), contentW-30), "", 0, "L", false, 0, "")
		pdf.CellFormat(30, 4, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	return pdf
}

// paper writes one report's pages.
type paper struct {
	pdf   *fpdf.Fpdf
	r     *report.Report
	cells map[report.Key]*report.Cell
}

// shown is the published figure of a cell and its flag, "" when there is none.
func (p *paper) shown(k report.Key) (string, string) {
	if c, ok := p.cells[k]; ok {
		return c.Shown, c.Flag
	}
	return "", ""
}

// total is the all-practices, all-lines key of a measure.
func total(measure string) report.Key {
	return report.Key{Practice: uuid.Nil, Line: report.LineAll, Measure: measure}
}

func (p *paper) heading(text string) {
	p.pdf.SetFont(family, "B", 13)
	p.pdf.SetX(margin)
	p.pdf.CellFormat(contentW, 8, text, "", 1, "L", false, 0, "")
	p.pdf.Ln(1)
}

func (p *paper) para(size float64, text string) {
	p.pdf.SetFont(family, "", size)
	p.pdf.SetX(margin)
	p.pdf.MultiCell(contentW, size*0.45, text, "", "L", false)
}

// table draws a header row and body rows in columns of the given widths;
// text is cut to fit so a long practice name cannot widen or wrap a row.
func (p *paper) table(widths []float64, align string, head []string, rows [][]string) {
	pdf := p.pdf
	pdf.SetFont(family, "B", 8.5)
	pdf.SetFillColor(228, 236, 238)
	pdf.SetX(margin)
	for i, h := range head {
		pdf.CellFormat(widths[i], rowH, fit(pdf, h, widths[i]), "B", 0, align[i:i+1], true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont(family, "", 8.5)
	for _, row := range rows {
		pdf.SetX(margin)
		for i, v := range row {
			pdf.CellFormat(widths[i], rowH, fit(pdf, v, widths[i]), "B", 0, align[i:i+1], false, 0, "")
		}
		pdf.Ln(-1)
	}
}

func (p *paper) headlinePage() {
	pdf, r := p.pdf, p.r
	pdf.AddPage()
	pdf.SetFont(family, "", 9)
	pdf.SetTextColor(0, 109, 119)
	pdf.CellFormat(contentW, 5, "Tūhono · funding contract report", "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont(family, "B", 18)
	pdf.MultiCell(contentW, 8, orDash(r.Contract.Name), "", "L", false)
	pdf.SetFont(family, "", 11)
	pdf.CellFormat(contentW, 6, fit(pdf, "Contract "+orDash(r.Contract.Number)+" · "+orDash(r.Contract.Funder)+
		" · "+orDash(r.Contract.Region), contentW), "", 1, "L", false, 0, "")
	pdf.SetFont(family, "B", 12)
	pdf.CellFormat(contentW, 7, r.Period.Title(), "", 1, "L", false, 0, "")
	pdf.SetFont(family, "", 9)
	pdf.CellFormat(contentW, 5, "Data as of "+r.AsOf.In(nzTime).Format("2 January 2006, 3:04 pm")+" (New Zealand time)",
		"", 1, "L", false, 0, "")
	pdf.Ln(2)
	p.para(9, privacyRule(r.Contract))
	pdf.Ln(5)
	p.heading("Headline figures: all practices, all service lines")
	var rows [][]string
	for _, h := range headlines(r.Contract.Targets) {
		m, _ := report.MetricByID(h.measure)
		shown, flag := p.shown(total(h.measure))
		rows = append(rows, []string{m.Name, display(m.Unit, shown), flag, targetText(m, h.target), against(shown, h.target)})
	}
	seenTotal, _ := p.shown(total(report.MPeopleSeen))
	t := r.Contract.Targets
	for _, g := range []struct {
		id, label string
		target    float64
	}{{"maori", "Māori share of people seen", t.MaoriShare * 100}, {"pacific", "Pacific share of people seen", t.PacificShare * 100}} {
		k := total(report.MPeopleSeen)
		k.Dim, k.Group = report.DimEthnicity, g.id
		seen, _ := p.shown(k)
		sh := share(seen, seenTotal)
		tt := "—"
		if g.target != 0 {
			tt = "Target " + num(g.target) + "%"
		}
		rows = append(rows, []string{g.label, display("%", sh), "", tt, against(sh, g.target)})
	}
	p.table([]float64{62, 24, 12, 56, 26}, "LRCLC", []string{"Measure", "Figure", "Flag", "Target or benchmark", "Against target"}, rows)
	pdf.Ln(3)
	p.para(8, "Flags: S suppressed, R randomly rounded to base 3, N no figure (see page 3). Shares of people seen "+
		"are worked out from the published counts. Definitions of every measure are in the data dictionary and the XLSX Notes sheet.")
}

func (p *paper) trendPage() {
	pdf, r := p.pdf, p.r
	pdf.AddPage()
	p.heading("Sessions delivered each month")
	p.para(9, "Completed sessions, all practices and service lines, for the months up to the end of "+r.Period.Title()+".")
	pdf.Ln(2)
	var bars []bar
	for _, t := range trendPoints(r) {
		bars = append(bars, bar{label: t.Month.Start.Format("Jan 06"), shown: t.Sessions.Shown})
	}
	if len(bars) == 0 {
		p.para(9, "No months to show.")
	} else {
		columnChart(pdf, margin, pdf.GetY(), contentW, 95, bars)
	}
	pdf.Ln(6)
	target := r.Contract.Targets.SeenWithin7Days
	if target == 0 {
		target = nationalTarget
	}
	p.heading(fmt.Sprintf("Seen within 7 days of introduction, against the %s%% target", num(target*100)))
	p.para(9, "The share of people introduced (handed over, asking the same day or referred) who had their first "+
		"session within 7 days, by service line.")
	pdf.Ln(2)
	var rows []bar
	for _, line := range append([]string{report.LineAll}, r.Lines...) {
		k := total(report.MSeenWithin7Rate)
		k.Line = line
		shown, _ := p.shown(k)
		rows = append(rows, bar{label: report.LineLabels[line], shown: shown})
	}
	targetBars(pdf, margin, pdf.GetY(), contentW, rows, target*100)
}

func (p *paper) equityPage() {
	pdf, r := p.pdf, p.r
	pdf.AddPage()
	p.heading("Ethnicity of people seen, against the enrolled population")
	p.para(9, "Share of people seen in each prioritised ethnic group (all practices and service lines) beside that "+
		"group's share of the people enrolled with the practices.")
	pdf.Ln(2)
	seenTotal, _ := p.shown(total(report.MPeopleSeen))
	enrolledTotal, _ := p.shown(total(report.MEnrolled))
	d, _ := report.DimensionByID(report.DimEthnicity)
	var pairs []pair
	for _, g := range d.Groups {
		at := func(m string) string {
			k := total(m)
			k.Dim, k.Group = report.DimEthnicity, g.ID
			s, _ := p.shown(k)
			return s
		}
		pairs = append(pairs, pair{label: g.Label, seen: share(at(report.MPeopleSeen), seenTotal),
			enrolled: share(at(report.MEnrolled), enrolledTotal)})
	}
	pairedBars(pdf, margin, pdf.GetY(), contentW, pairs)
	pdf.Ln(8)
	p.heading("How to read this report")
	rules := []string{
		fmt.Sprintf("S: suppressed. Fewer than %d people stand behind the figure, or it is hidden so that another "+
			"suppressed figure cannot be worked out from a total. No bar is drawn for it, and a rate or mean built on it is suppressed too.",
			threshold(r.Contract)),
		"N or —: no figure, because there was nothing to divide by (for example, nobody was introduced).",
		"Shares of people seen and of the enrolled population are worked out from the published counts, so they can " +
			"differ a little from exact shares.",
		"Every practice, service line and breakdown is in this report's CSV and XLSX files; this paper shows the headline figures.",
	}
	if r.Contract.Rounding {
		rules = append(rules[:1], append([]string{"R: randomly rounded to base 3, the Stats NZ method. The count is a " +
			"multiple of 3 within 2 of the true count and rounds the same way every time; totals are rounded on their " +
			"own, so parts may not add up to them."}, rules[1:]...)...)
	}
	for _, s := range rules {
		p.para(9, "•  "+s)
		pdf.Ln(1.5)
	}
}

func (p *paper) practicesPage() {
	pdf, r := p.pdf, p.r
	pdf.AddPage()
	list := p.byPeopleSeen()
	shownN := min(len(list), topPractices)
	if len(list) > topPractices {
		p.heading(fmt.Sprintf("Practices: the %d with the most people seen", topPractices))
	} else {
		p.heading("Practices")
	}
	cols := []string{report.MPeopleSeen, report.MSessions, report.MNewPeople, report.MSeenWithin7Rate, report.MDNARate}
	var rows [][]string
	for _, pr := range list[:shownN] {
		row := []string{pr.Name}
		for _, id := range cols {
			m, _ := report.MetricByID(id)
			shown, _ := p.shown(report.Key{Practice: pr.ID, Line: report.LineAll, Measure: id})
			row = append(row, display(m.Unit, shown))
		}
		rows = append(rows, row)
	}
	p.table([]float64{68, 22, 22, 22, 24, 22}, "LRRRRR",
		[]string{"Practice", "People seen", "Sessions", "New people", "Seen ≤ 7 days", "DNA rate"}, rows)
	pdf.Ln(3)
	p.para(9, fmt.Sprintf("Showing %d of %d practices, all service lines. See the CSV/XLSX for every practice.",
		shownN, len(r.Practices)))
}

// byPeopleSeen orders practices by their published people seen, most first;
// suppressed and missing figures last, then by name, so the order is stable.
func (p *paper) byPeopleSeen() []report.Practice {
	rank := func(pr report.Practice) float64 {
		s, _ := p.shown(report.Key{Practice: pr.ID, Line: report.LineAll, Measure: report.MPeopleSeen})
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return v
		}
		if s == "S" {
			return -1
		}
		return -2
	}
	out := append([]report.Practice(nil), p.r.Practices...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := rank(out[i]), rank(out[j])
		if a != b {
			return a > b
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out
}

// headline is one measure of the first page and its target in the unit the
// measure is shown in (80 for 80%); zero is none.
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

// trendPoints are the all-practices, all-lines months, oldest first.
func trendPoints(r *report.Report) []report.TrendPoint {
	var out []report.TrendPoint
	for _, t := range r.Trend {
		if t.Practice == uuid.Nil && t.Line == report.LineAll {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Month.Start.Before(out[j].Month.Start) })
	return out
}

// share is part ÷ whole as a percentage with one decimal, from published
// counts: "S" when the part is suppressed, "" when either is missing.
func share(part, whole string) string {
	if part == "S" {
		return "S"
	}
	a, err1 := strconv.ParseFloat(part, 64)
	b, err2 := strconv.ParseFloat(whole, 64)
	if err1 != nil || err2 != nil || b <= 0 {
		return ""
	}
	return strconv.FormatFloat(math.Round(a/b*1000)/10, 'f', 1, 64)
}

// against says whether a published figure meets its target.
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

// display is a published figure for print: "S" stays, no figure is "—".
func display(unit, shown string) string {
	switch {
	case shown == "":
		return "—"
	case shown == "S":
		return "S"
	case unit == "%":
		return shown + "%"
	}
	return shown
}

func targetText(m report.Metric, target float64) string {
	switch {
	case target != 0 && m.Unit == "%":
		return "Target " + num(target) + "%"
	case target != 0:
		return "Target " + num(target)
	case m.Benchmark != "":
		return m.Benchmark
	}
	return "—"
}

// num prints a target without a trailing ".0".
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fit cuts text to the width of a cell, ending it with "…".
func fit(pdf *fpdf.Fpdf, s string, w float64) string {
	room := w - 2*pdf.GetCellMargin()
	if pdf.GetStringWidth(s) <= room {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && pdf.GetStringWidth(string(rs)+"…") > room {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// threshold is the one the report was protected with (the notes state it).
func threshold(c report.Contract) int { return protect.RulesFor(c, report.Period{}).Threshold }

func privacyRule(c report.Contract) string {
	s := fmt.Sprintf("Privacy: only counts of groups are shown. Counts of people below %d are suppressed (S), with further "+
		"figures suppressed where a total would reveal them.", threshold(c))
	if c.Rounding {
		return s + " Other counts are randomly rounded to base 3 (R)."
	}
	return s + " Other counts are not rounded."
}

func contractName(c report.Contract) string {
	switch {
	case c.Number == "":
		return orDash(c.Name)
	case c.Name == "":
		return c.Number
	}
	return c.Number + " " + c.Name
}

func title(r *report.Report) string {
	return "Tūhono report: " + contractName(r.Contract) + ", " + r.Period.Title()
}
