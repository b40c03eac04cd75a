package pdf

import (
	"math"
	"strconv"

	"github.com/go-pdf/fpdf"
)

// The charts are drawn from published figures only. A figure that does not
// parse as a number ("S", or no figure) gets its label and no bar: drawing a
// suppressed count at any height would give it away.

// Colours: the practice teal for people seen, grey for the comparison, a
// warm red for targets, so the eye finds the target line first.
var (
	teal   = [3]int{0, 109, 119}
	grey   = [3]int{170, 176, 180}
	red    = [3]int{196, 62, 40}
	axis   = [3]int{120, 120, 120}
	gridln = [3]int{225, 225, 225}
)

// bar is one labelled published figure.
type bar struct{ label, shown string }

// pair is one group of the ethnicity chart: the share of people seen and the
// share of the enrolled population, each a published percentage, "S" or "".
type pair struct{ label, seen, enrolled string }

func fill(pdf *fpdf.Fpdf, c [3]int) { pdf.SetFillColor(c[0], c[1], c[2]) }
func draw(pdf *fpdf.Fpdf, c [3]int) { pdf.SetDrawColor(c[0], c[1], c[2]) }

// value parses a published figure; ok is false for "S" and for no figure.
func value(shown string) (float64, bool) {
	v, err := strconv.ParseFloat(shown, 64)
	return v, err == nil && v >= 0
}

// niceScale is an axis from zero to a round maximum above top, in four or
// five round steps, so the tick labels read 0, 250, 500, … rather than 0, 237, 474.
func niceScale(top float64) (max, step float64) {
	if top <= 0 {
		return 4, 1
	}
	raw := top / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return math.Ceil(top/step) * step, step
}

// columnChart draws one vertical bar per published figure in the box at
// (x, y) of width w and height h, with a value axis from zero, grid lines
// and each bar's value above it.
func columnChart(pdf *fpdf.Fpdf, x, y, w, h float64, bars []bar) {
	const left, bottom = 16.0, 8.0
	plotX, plotW, plotH := x+left, w-left, h-bottom-4
	base := y + 4 + plotH
	top := 0.0
	for _, b := range bars {
		if v, ok := value(b.shown); ok {
			top = math.Max(top, v)
		}
	}
	max, step := niceScale(top)
	pdf.SetFont(family, "", 7)
	pdf.SetLineWidth(0.2)
	for t := 0.0; t <= max+step/2; t += step {
		ty := base - t/max*plotH
		draw(pdf, gridln)
		pdf.Line(plotX, ty, plotX+plotW, ty)
		pdf.SetXY(x, ty-2)
		pdf.CellFormat(left-2, 4, strconv.FormatFloat(t, 'f', -1, 64), "", 0, "R", false, 0, "")
	}
	slot := plotW / float64(len(bars))
	barW := slot * 0.7
	size := math.Min(7, math.Max(5, slot*1.1))
	for i, b := range bars {
		bx := plotX + float64(i)*slot + (slot-barW)/2
		label := b.shown
		if label == "" {
			label = "—"
		}
		labelY := base - 5
		if v, ok := value(b.shown); ok {
			bh := v / max * plotH
			fill(pdf, teal)
			pdf.Rect(bx, base-bh, barW, bh, "F")
			labelY = base - bh - 4.5
		}
		pdf.SetFont(family, "", size)
		pdf.SetXY(bx-slot*0.15, labelY)
		pdf.CellFormat(barW+slot*0.3, 4, label, "", 0, "C", false, 0, "")
		pdf.SetXY(bx-slot*0.15, base+1)
		pdf.CellFormat(barW+slot*0.3, 4, b.label, "", 0, "C", false, 0, "")
	}
	draw(pdf, axis)
	pdf.SetLineWidth(0.3)
	pdf.Line(plotX, base, plotX+plotW, base)
	pdf.Line(plotX, base, plotX, base-plotH)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetY(y + h)
}

// targetBars draws one horizontal bar per published percentage on a 0–100%
// scale with a dashed line at the target, starting at (x, y) with width w.
func targetBars(pdf *fpdf.Fpdf, x, y, w float64, bars []bar, target float64) {
	const labelW, valueW, barH, gap = 42.0, 26.0, 7.0, 4.0
	plotX, plotW := x+labelW, w-labelW-valueW
	pdf.SetFont(family, "", 7)
	pdf.SetLineWidth(0.2)
	for t := 0.0; t <= 100; t += 20 {
		tx := plotX + t/100*plotW
		draw(pdf, gridln)
		pdf.Line(tx, y+5, tx, y+5+float64(len(bars))*(barH+gap))
		pdf.SetXY(tx-6, y)
		pdf.CellFormat(12, 4, strconv.FormatFloat(t, 'f', -1, 64)+"%", "", 0, "C", false, 0, "")
	}
	rowY := y + 6
	for _, b := range bars {
		pdf.SetFont(family, "", 9)
		pdf.SetXY(x, rowY)
		pdf.CellFormat(labelW-2, barH, fit(pdf, b.label, labelW-2), "", 0, "L", false, 0, "")
		text := display("%", b.shown)
		if v, ok := value(b.shown); ok {
			fill(pdf, teal)
			pdf.Rect(plotX, rowY+0.5, math.Min(v, 100)/100*plotW, barH-1, "F")
			text += " " + against(b.shown, target)
		}
		pdf.SetXY(plotX+plotW+1, rowY)
		pdf.CellFormat(valueW-1, barH, text, "", 0, "L", false, 0, "")
		rowY += barH + gap
	}
	tx := plotX + math.Min(target, 100)/100*plotW
	draw(pdf, red)
	pdf.SetLineWidth(0.6)
	pdf.SetDashPattern([]float64{1.5, 1}, 0)
	pdf.Line(tx, y+5, tx, rowY-gap+1)
	pdf.SetDashPattern([]float64{}, 0)
	pdf.SetTextColor(red[0], red[1], red[2])
	pdf.SetFont(family, "B", 8)
	pdf.SetXY(tx-20, rowY-gap+1.5)
	pdf.CellFormat(40, 4, "Target "+num(target)+"%", "", 0, "C", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	pdf.SetY(rowY + 6)
}

// pairedBars draws, for each group, the share of people seen over the share
// of the enrolled population as two horizontal bars on a common scale, with
// a legend, starting at (x, y) with width w.
func pairedBars(pdf *fpdf.Fpdf, x, y, w float64, pairs []pair) {
	const labelW, valueW, barH, gap = 58.0, 16.0, 4.2, 3.5
	plotX, plotW := x+labelW, w-labelW-valueW
	top := 10.0
	for _, p := range pairs {
		for _, s := range []string{p.seen, p.enrolled} {
			if v, ok := value(s); ok {
				top = math.Max(top, v)
			}
		}
	}
	max := math.Min(100, math.Ceil(top/10)*10)
	pdf.SetFont(family, "", 8)
	for i, l := range []struct {
		c    [3]int
		text string
	}{{teal, "Share of people seen"}, {grey, "Share of people enrolled"}} {
		lx := plotX + float64(i)*55
		fill(pdf, l.c)
		pdf.Rect(lx, y+0.8, 4, 3, "F")
		pdf.SetXY(lx+5, y)
		pdf.CellFormat(48, 4.5, l.text, "", 0, "L", false, 0, "")
	}
	rowY := y + 8
	for _, p := range pairs {
		pdf.SetFont(family, "", 9)
		pdf.SetXY(x, rowY)
		pdf.CellFormat(labelW-2, 2*barH, fit(pdf, p.label, labelW-2), "", 0, "L", false, 0, "")
		for i, s := range []string{p.seen, p.enrolled} {
			by := rowY + float64(i)*barH
			end := plotX
			if v, ok := value(s); ok {
				fill(pdf, [][3]int{teal, grey}[i])
				pdf.Rect(plotX, by+0.3, math.Min(v, max)/max*plotW, barH-0.6, "F")
				end += math.Min(v, max) / max * plotW
			}
			pdf.SetFont(family, "", 7.5)
			pdf.SetXY(end+1, by)
			pdf.CellFormat(valueW, barH, display("%", s), "", 0, "L", false, 0, "")
		}
		rowY += 2*barH + gap
	}
	draw(pdf, axis)
	pdf.SetLineWidth(0.3)
	pdf.Line(plotX, y+7, plotX, rowY-gap+1)
	pdf.SetFont(family, "", 7)
	pdf.SetXY(plotX+plotW-20, rowY-gap+1.5)
	pdf.CellFormat(20, 4, "Scale 0–"+num(max)+"%", "", 0, "R", false, 0, "")
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	pdf.SetY(rowY + 4)
}
