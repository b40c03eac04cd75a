package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/measure"
	"github.com/tuhono/tuhono/models/note"
)

// Outcome measure trends and the notes on a person's page. The trend chart is
// drawn on the server as SVG (no script, no library): a line of totals over
// the instrument's whole range, with a title and description for screen
// readers and the same numbers in a table beside it.

// measureChart is one instrument's trend for one person.
type measureChart struct {
	Kind, Name string
	SVG        template.HTML
	Rows       []measureRow
}

type measureRow struct {
	When      timeView
	Total     int
	Band      string
	RiskAlert bool
}

// chart geometry, in SVG user units.
const (
	chartW, chartH         = 600, 220
	chartLeft, chartRight  = 44, 16
	chartTop, chartBottom  = 16, 36
	chartPlotW, chartPlotH = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
)

var chartTemplate = template.Must(template.New("chart").Parse(
	`<svg class="trend" role="img" viewBox="0 0 {{.W}} {{.H}}" width="100%" aria-labelledby="{{.ID}}-title {{.ID}}-desc" xmlns="http://www.w3.org/2000/svg">` +
		`<title id="{{.ID}}-title">{{.Title}}</title><desc id="{{.ID}}-desc">{{.Desc}}</desc>` +
		`{{range .Grid}}<line x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Y}}" y2="{{.Y}}" stroke="#c8c8c8" stroke-width="1"/>` +
		`<text x="{{$.LabelX}}" y="{{.Y}}" dy="4" text-anchor="end" font-size="12" fill="currentColor">{{.Label}}</text>{{end}}` +
		`{{if gt (len .Points) 1}}<polyline fill="none" stroke="#1d5f8a" stroke-width="2.5" points="{{.Line}}"/>{{end}}` +
		`{{range .Points}}<circle cx="{{.X}}" cy="{{.Y}}" r="{{if .Risk}}6{{else}}4{{end}}" fill="{{if .Risk}}#b3261e{{else}}#1d5f8a{{end}}"/>` +
		`<text x="{{.X}}" y="{{$.DateY}}" text-anchor="middle" font-size="11" fill="currentColor">{{.Date}}</text>{{end}}` +
		`</svg>`))

type chartPoint struct {
	X, Y int
	Date string
	Risk bool
}

type chartGrid struct {
	Y     int
	Label string
}

// drawChart draws results (oldest first) on the instrument's full scale, so
// that two charts of the same measure compare at a glance.
func drawChart(id string, ins measure.Instrument, results []measure.Result, loc *time.Location) (template.HTML, error) {
	lo, hi := ins.Items*ins.Min, ins.Items*ins.Max
	y := func(v int) int { return chartTop + chartPlotH - (v-lo)*chartPlotH/(hi-lo) }
	data := struct {
		ID, Title, Desc           string
		W, H, Left, Right, LabelX int
		DateY                     int
		Grid                      []chartGrid
		Points                    []chartPoint
		Line                      string
	}{ID: id, Title: ins.Name + " over time", W: chartW, H: chartH, Left: chartLeft, Right: chartW - chartRight,
		LabelX: chartLeft - 6, DateY: chartH - 12}
	for _, v := range []int{lo, (lo + hi) / 2, hi} {
		data.Grid = append(data.Grid, chartGrid{Y: y(v), Label: strconv.Itoa(v)})
	}
	step := 0
	if len(results) > 1 {
		step = chartPlotW / (len(results) - 1)
	}
	var line bytes.Buffer
	for i, r := range results {
		p := chartPoint{X: chartLeft + i*step, Y: y(r.Total), Date: r.RecordedAt.In(loc).Format("2 Jan"), Risk: r.RiskAlert}
		if len(results) == 1 {
			p.X = chartLeft + chartPlotW/2
		}
		data.Points = append(data.Points, p)
		fmt.Fprintf(&line, "%d,%d ", p.X, p.Y)
	}
	data.Line = line.String()
	first, last := results[0], results[len(results)-1]
	data.Desc = fmt.Sprintf("%d results on a scale of %d to %d, from %d on %s to %d on %s.", len(results), lo, hi,
		first.Total, first.RecordedAt.In(loc).Format("2 January 2006"), last.Total, last.RecordedAt.In(loc).Format("2 January 2006"))
	var b bytes.Buffer
	if err := chartTemplate.Execute(&b, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // html/template escaped every value above
}

// measureCharts are the person's trends, one per instrument with results.
func (h *handler) measureCharts(ctx context.Context, patientID uuid.UUID, loc *time.Location) ([]measureChart, error) {
	var out []measureChart
	for _, ins := range measure.Instruments {
		hist, err := measure.History(ctx, h.DB, h.Keyring, patientID, ins.Kind)
		if err != nil {
			return nil, err
		}
		if len(hist) == 0 {
			continue
		}
		svg, err := drawChart("chart-"+string(ins.Kind), ins, hist, loc)
		if err != nil {
			return nil, err
		}
		c := measureChart{Kind: string(ins.Kind), Name: ins.Name, SVG: svg}
		for _, r := range hist {
			c.Rows = append(c.Rows, measureRow{When: showTime(r.RecordedAt, loc), Total: r.Total, Band: r.Band,
				RiskAlert: r.RiskAlert})
		}
		out = append(out, c)
	}
	return out, nil
}

// ptNotesView is the clinical part of the patient page.
type ptNotesView struct {
	Notes  []ptNoteRow
	Charts []measureChart
}

type ptNoteRow struct {
	URL, Title, Status, Author, FirstLine string
	When                                  timeView
	Restricted, RiskFlag, MetadataOnly    bool
}

// patientNotes gathers the notes v may see (first lines only where they may
// read them) and, with outcome read, the trend charts.
func (h *handler) patientNotes(ctx context.Context, slug string, loc *time.Location, patientID uuid.UUID,
	names map[uuid.UUID]string, canNotes, canMeasures bool) (*ptNotesView, error) {
	if !canNotes && !canMeasures {
		return nil, nil
	}
	view := &ptNotesView{}
	if canNotes {
		entries, err := note.Timeline(ctx, h.DB, h.Keyring, viewer(ctx), patientID)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			tpl, _ := note.TemplateOf(e.Kind)
			view.Notes = append(view.Notes, ptNoteRow{URL: tenantPath(slug, "/notes/"+e.ID.String()), Title: tpl.Name,
				Status: noteStatusLabels[e.Status], Author: hoNameOr(names, e.AuthorID), FirstLine: e.FirstLine,
				When: showTime(e.CreatedAt, loc), Restricted: e.Restricted, RiskFlag: e.RiskFlag,
				MetadataOnly: e.Access != note.AccessBody})
		}
	}
	if canMeasures {
		charts, err := h.measureCharts(ctx, patientID, loc)
		if err != nil {
			return nil, err
		}
		view.Charts = charts
	}
	return view, nil
}
