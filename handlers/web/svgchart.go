package web

import (
	"fmt"
	"html/template"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Report charts drawn on the server as SVG: no script, no library, nothing
// from another origin (the CSP allows neither). Colours come from classes in
// app.css, never from style attributes. Each chart is an <svg role="img">
// named by its <title> and described by a <desc> that lists every figure, and
// the page puts the same figures in a table beside it.
//
// A chart is drawn from the figures as published (Cell.Shown), never from the
// exact ones: a bar drawn to the exact count would give away what rounding
// and suppression hide. "S" (suppressed) draws no bar, only the letter with
// its reason as a tooltip; "" (no figure) draws no bar and a dash.

// Chart names one chart.
type Chart struct {
	ID    string // unique on the page: the chart's element ids start with it
	Title string // what the chart shows, read out by screen readers
	// Suppressed is the tooltip of an "S": "suppressed: fewer than 6 people".
	Suppressed string
}

// Bar is one category of a chart with its figure as published: "128",
// "83%", "S" (suppressed) or "" (no figure).
type Bar struct {
	Label string
	Shown string
}

// Pair is one category of a paired chart: two published figures side by side.
type Pair struct {
	Label string
	A, B  string
}

// figure reads the number at the start of a published figure ("1,204",
// "83%", "83.5%", "9.2"); a percentage is returned as a fraction.
var figure = regexp.MustCompile(`^\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(%?)`)

// drawable is the value a published figure draws, and whether it draws one.
func drawable(shown string) (float64, bool) {
	m := figure.FindStringSubmatch(shown)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
	if err != nil {
		return 0, false
	}
	if m[2] == "%" {
		v /= 100
	}
	if v < 0 {
		v = 0 // bars start at zero; a negative figure stays in its label
	}
	return v, true
}

// svgWriter builds one chart's markup; every text it writes is escaped.
type svgWriter struct {
	b strings.Builder
	c Chart
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func (w *svgWriter) open(width, height int, desc string) {
	fmt.Fprintf(&w.b, `<svg class="chart" role="img" viewBox="0 0 %d %d" aria-labelledby="%s-title %s-desc" xmlns="http://www.w3.org/2000/svg">`,
		width, height, esc(w.c.ID), esc(w.c.ID))
	fmt.Fprintf(&w.b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(w.c.ID), esc(w.c.Title), esc(w.c.ID), esc(desc))
}

func (w *svgWriter) close() template.HTML {
	w.b.WriteString(`</svg>`)
	return template.HTML(w.b.String()) // every value above went through esc
}

// text writes a label; tip, when set, becomes its tooltip.
func (w *svgWriter) text(class string, x, y float64, anchor, s, tip string) {
	fmt.Fprintf(&w.b, `<text class="%s" x="%s" y="%s" text-anchor="%s">%s`, class, num(x), num(y), anchor, esc(s))
	if tip != "" {
		fmt.Fprintf(&w.b, `<title>%s</title>`, esc(tip))
	}
	w.b.WriteString(`</text>`)
}

func (w *svgWriter) rect(class string, x, y, width, height float64, tip string) {
	fmt.Fprintf(&w.b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s">`, class, num(x), num(y), num(width), num(height))
	fmt.Fprintf(&w.b, `<title>%s</title></rect>`, esc(tip))
}

func (w *svgWriter) line(class string, x1, y1, x2, y2 float64) {
	fmt.Fprintf(&w.b, `<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s"/>`, class, num(x1), num(y1), num(x2), num(y2))
}

// label is what a bar's figure reads as, with its tooltip: "S" with the
// reason it is hidden, "–" for no figure.
func (w *svgWriter) label(shown string) (string, string, string) {
	switch shown {
	case "S":
		return "S", w.c.Suppressed, "chart-s"
	case "":
		return "–", "no figure", "chart-none"
	}
	return shown, "", "chart-value"
}

// noData is the chart drawn when there is nothing to draw: said, not left
// as an empty frame that reads as zero.
func noData(c Chart) template.HTML {
	w := &svgWriter{c: c}
	w.open(600, 80, "No data for this period.")
	w.text("chart-empty", 300, 45, "middle", "No data for this period", "")
	return w.close()
}

// empty reports whether no figure would draw anything: no categories, or
// only zeros and missing figures (a suppressed figure is data: it is shown).
func empty(figures []string) bool {
	for _, s := range figures {
		if v, ok := drawable(s); (ok && v > 0) || s == "S" {
			return false
		}
	}
	return true
}

func describe(bars []Bar) string {
	parts := make([]string, len(bars))
	for i, b := range bars {
		shown := b.Shown
		if shown == "" {
			shown = "no figure"
		}
		parts[i] = b.Label + ": " + shown
	}
	return strings.Join(parts, "; ") + "."
}

// niceMax rounds a scale's top up to 1, 2 or 5 times a power of ten, so the
// axis reads in round numbers.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// Bars draws vertical bars, one per category (the months of a trend), on a
// scale from zero to a round number above the largest figure.
func Bars(c Chart, bars []Bar) template.HTML {
	figs := make([]string, len(bars))
	for i, b := range bars {
		figs[i] = b.Shown
	}
	if empty(figs) {
		return noData(c)
	}
	const width, height, left, right, top, bottom = 640, 260, 48, 12, 24, 40
	plotW, plotH := float64(width-left-right), float64(height-top-bottom)
	top0 := 0.0
	for _, b := range bars {
		if v, ok := drawable(b.Shown); ok && v > top0 {
			top0 = v
		}
	}
	scale := niceMax(top0)
	w := &svgWriter{c: c}
	w.open(width, height, describe(bars))
	base := float64(top) + plotH
	for _, t := range []float64{0, scale / 2, scale} {
		y := base - t/scale*plotH
		w.line("chart-grid", left, y, float64(width-right), y)
		w.text("chart-axis", left-6, y+4, "end", strconv.FormatFloat(t, 'f', -1, 64), "")
	}
	slot := plotW / float64(len(bars))
	barW := slot * 0.7
	for i, b := range bars {
		x := float64(left) + float64(i)*slot + (slot-barW)/2
		mid := x + barW/2
		shown, tip, class := w.label(b.Shown)
		y := base
		if v, ok := drawable(b.Shown); ok {
			h := v / scale * plotH
			y = base - h
			w.rect("chart-bar", x, y, barW, h, b.Label+": "+b.Shown)
		}
		w.text(class, mid, y-6, "middle", shown, tip)
		w.text("chart-axis", mid, float64(height-bottom)+18, "middle", b.Label, "")
	}
	return w.close()
}

// HBars draws horizontal bars of shares (0–100%), one per category (the
// practices), with a vertical line at target (0.8 for the national seen
// within 7 days target) labelled targetLabel.
func HBars(c Chart, bars []Bar, target float64, targetLabel string) template.HTML {
	figs := make([]string, len(bars))
	for i, b := range bars {
		figs[i] = b.Shown
	}
	if empty(figs) {
		return noData(c)
	}
	const width, left, right, top, row = 640, 200, 60, 28, 28
	height := top + row*len(bars) + 24
	plotW := float64(width - left - right)
	scale := 1.0
	for _, b := range bars {
		if v, ok := drawable(b.Shown); ok && v > scale {
			scale = v // a share above 100% would be a fault upstream; still draw it inside the frame
		}
	}
	w := &svgWriter{c: c}
	w.open(width, height, describe(bars)+fmt.Sprintf(" %s: %s.", targetLabel, pct(target)))
	for _, t := range []float64{0, 0.5, 1} {
		x := float64(left) + t/scale*plotW
		w.line("chart-grid", x, top-4, x, float64(height-20))
		w.text("chart-axis", x, float64(height-6), "middle", pct(t), "")
	}
	for i, b := range bars {
		y := float64(top + i*row)
		w.text("chart-axis", left-8, y+row/2+4, "end", shorten(b.Label, 26), b.Label)
		shown, tip, class := w.label(b.Shown)
		end := float64(left)
		if v, ok := drawable(b.Shown); ok {
			cls := "chart-bar"
			if v < target {
				cls = "chart-bar chart-below" // below target: a second cue beside the target line
			}
			w.rect(cls, float64(left), y+4, v/scale*plotW, row-8, b.Label+": "+b.Shown)
			end += v / scale * plotW
		}
		w.text(class, end+6, y+row/2+4, "start", shown, tip)
	}
	tx := float64(left) + target/scale*plotW
	w.line("chart-target", tx, top-8, tx, float64(height-20))
	w.text("chart-target-label", tx, top-12, "middle", targetLabel+" "+pct(target), "")
	return w.close()
}

// PairedBars draws two bars of shares per category (the ethnic groups):
// series A (names[0], e.g. share of people seen) beside series B (names[1],
// e.g. share of the enrolled population), with a legend.
func PairedBars(c Chart, names [2]string, pairs []Pair) template.HTML {
	var figs []string
	for _, p := range pairs {
		figs = append(figs, p.A, p.B)
	}
	if empty(figs) {
		return noData(c)
	}
	const width, height, left, right, top, bottom = 640, 280, 48, 12, 40, 56
	plotW, plotH := float64(width-left-right), float64(height-top-bottom)
	scale := 0.0
	for _, s := range figs {
		if v, ok := drawable(s); ok && v > scale {
			scale = v
		}
	}
	scale = niceMax(scale*100) / 100
	if scale > 1 {
		scale = 1
	}
	var desc []string
	for _, p := range pairs {
		desc = append(desc, fmt.Sprintf("%s: %s %s, %s %s", p.Label, names[0], orNone(p.A), names[1], orNone(p.B)))
	}
	w := &svgWriter{c: c}
	w.open(width, height, strings.Join(desc, "; ")+".")
	w.rect("chart-bar", left, 10, 14, 14, names[0])
	w.text("chart-legend", left+20, 22, "start", names[0], "")
	w.rect("chart-bar-b", left+260, 10, 14, 14, names[1])
	w.text("chart-legend", left+280, 22, "start", names[1], "")
	base := float64(top) + plotH
	for _, t := range []float64{0, scale / 2, scale} {
		y := base - t/scale*plotH
		w.line("chart-grid", left, y, float64(width-right), y)
		w.text("chart-axis", left-6, y+4, "end", pct(t), "")
	}
	slot := plotW / float64(len(pairs))
	barW := slot * 0.36
	for i, p := range pairs {
		x0 := float64(left) + float64(i)*slot + slot*0.14
		for j, s := range []string{p.A, p.B} {
			x := x0 + float64(j)*barW
			cls := []string{"chart-bar", "chart-bar-b"}[j]
			shown, tip, class := w.label(s)
			y := base
			if v, ok := drawable(s); ok {
				h := v / scale * plotH
				y = base - h
				w.rect(cls, x, y, barW, h, p.Label+", "+names[j]+": "+s)
			}
			w.text(class+" chart-small", x+barW/2, y-4, "middle", shown, tip)
		}
		w.text("chart-axis", x0+barW, base+18, "middle", shorten(p.Label, 12), p.Label)
	}
	return w.close()
}

func orNone(s string) string {
	if s == "" {
		return "no figure"
	}
	return s
}

func pct(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%" }

// shorten keeps a long label to n runes with an ellipsis; the full label is
// its tooltip and is in the table beside the chart.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
