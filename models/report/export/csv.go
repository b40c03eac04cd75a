package export

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
)

// ErrUnprotected refuses a report whose Shown figures were not filled by
// protect.Apply: never export exact figures.
var ErrUnprotected = fault.New(fault.KindConflict, "the report must be protected before it is exported", nil)

// Columns of the CSV, in order; the data dictionary describes each.
var Columns = []string{"period", "practice", "service_line", "measure", "breakdown", "group", "value", "flags"}

// csvRowBytes is about how long a row is, to size a buffer.
const csvRowBytes = 75

// BreakdownTotal is the breakdown column of a cell that is not broken down.
const BreakdownTotal = "total"

// lineAll is the service_line column for every service line together.
const lineAll = "all"

// CSV writes r in tidy long form, one row per published figure, then one per
// trend month (sessions and people seen, breakdown total). r must be
// protected.
//
// The file is UTF-8 without a byte-order mark: it is tidy data for R, Python
// and databases, which read a BOM as part of the first column's name; Excel
// users get the XLSX, which carries its own encoding.
//
// Rows are in a fixed order (practice: all first, then by name; service
// line: all first, then report.Lines; measure in catalogue order; breakdown:
// total first, then report.Dimensions; group in the breakdown's order), so
// two runs of the same report are byte-identical.
func CSV(w io.Writer, r *report.Report) error {
	if r == nil || !r.Protected {
		return fmt.Errorf("export.CSV: %w", ErrUnprotected)
	}
	o, err := newOrder(r)
	if err != nil {
		return fmt.Errorf("export.CSV: %w", err)
	}
	if b, ok := w.(*bytes.Buffer); ok {
		// A region's file is some 19 MB: grow once, not by doubling.
		b.Grow(csvRowBytes * (len(r.Cells) + 2*len(r.Trend) + 1))
	}
	cw := csv.NewWriter(w)
	rec := make([]string, len(Columns))
	write := func(fields ...string) {
		for i, f := range fields {
			rec[i] = neutralise(f)
		}
		// Errors stick in the writer; Error() after Flush reports the first.
		_ = cw.Write(rec)
	}
	write(Columns...)
	names := map[uuid.UUID]string{uuid.Nil: r.PracticeName(uuid.Nil)}
	for _, p := range r.Practices {
		names[p.ID] = p.Name
	}
	for _, i := range o.cells(r) {
		c := &r.Cells[i]
		breakdown := c.Dim
		if breakdown == "" {
			breakdown = BreakdownTotal
		}
		write(r.Period.Label, names[c.Practice], lineID(c.Line), c.Measure, breakdown, c.Group, c.Shown, c.Flag)
	}
	for _, i := range o.trend(r) {
		p := &r.Trend[i]
		name, line := names[p.Practice], lineID(p.Line)
		write(p.Month.Label, name, line, report.MSessions, BreakdownTotal, "", p.Sessions.Shown, p.Sessions.Flag)
		write(p.Month.Label, name, line, report.MPeopleSeen, BreakdownTotal, "", p.People.Shown, p.People.Flag)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export.CSV: %w", err)
	}
	return nil
}

func lineID(l string) string {
	if l == report.LineAll {
		return lineAll
	}
	return l
}

// plainNumber is a figure as protect writes it; a leading minus on one (a
// fall in K10) is data, not a formula.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// neutralise stops a spreadsheet from running a cell as a formula (OWASP
// "CSV injection"): text starting with = + - @, a tab or a carriage return
// gets a leading apostrophe, which Excel and LibreOffice show as text.
// Practice and contract names come from admins, so they are not trusted.
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if !plainNumber.MatchString(s) {
			return "'" + s
		}
	}
	return s
}

// order ranks a report's keys for the CSV's fixed row order.
type order struct {
	practice map[uuid.UUID]int
	line     map[string]int
	measure  map[string]int
	dim      map[string]int
	group    map[string]map[string]int
}

// newOrder refuses a report with a cell or trend point for a practice it
// does not list: its row would have no practice name to show.
func newOrder(r *report.Report) (order, error) {
	o := order{practice: map[uuid.UUID]int{uuid.Nil: -1}, line: map[string]int{report.LineAll: -1},
		measure: map[string]int{}, dim: map[string]int{"": -1}, group: map[string]map[string]int{}}
	for i, p := range r.Practices {
		o.practice[p.ID] = i
	}
	for i, l := range report.Lines {
		o.line[l] = i
	}
	for i, m := range report.Metrics {
		o.measure[m.ID] = i
	}
	for i, d := range report.Dimensions {
		o.dim[d.ID] = i
		o.group[d.ID] = map[string]int{}
		for j, g := range d.Groups {
			o.group[d.ID][g.ID] = j
		}
	}
	for _, c := range r.Cells {
		if _, ok := o.practice[c.Practice]; !ok {
			return order{}, fault.InvalidField("practice", "the report has figures for a practice it does not list")
		}
	}
	for _, p := range r.Trend {
		if _, ok := o.practice[p.Practice]; !ok {
			return order{}, fault.InvalidField("practice", "the report has a trend for a practice it does not list")
		}
	}
	return o, nil
}

// rank places an id by its catalogue position; ids the catalogue does not
// know go after every known one, in id order, so the order stays total.
func rank(m map[string]int, id string) int {
	if n, ok := m[id]; ok {
		return n
	}
	return len(m)
}

type ranked struct {
	ranks [5]int
	ids   [4]string // tie-breakers for ids outside the catalogue
	i     int
}

func (a ranked) less(b ranked) bool {
	for n := range a.ranks {
		if a.ranks[n] != b.ranks[n] {
			return a.ranks[n] < b.ranks[n]
		}
	}
	for n := range a.ids {
		if a.ids[n] != b.ids[n] {
			return a.ids[n] < b.ids[n]
		}
	}
	return a.i < b.i
}

// cells returns the indexes of r.Cells in row order.
func (o order) cells(r *report.Report) []int {
	rs := make([]ranked, len(r.Cells))
	// Neighbouring cells mostly share their practice, line and measure:
	// look each up again only when it changes.
	var prev *report.Cell
	var ranks [5]int
	for i := range r.Cells {
		c := &r.Cells[i]
		if prev == nil || c.Practice != prev.Practice {
			ranks[0] = o.practice[c.Practice]
		}
		if prev == nil || c.Line != prev.Line {
			ranks[1] = rank(o.line, c.Line)
		}
		if prev == nil || c.Measure != prev.Measure {
			ranks[2] = rank(o.measure, c.Measure)
		}
		if prev == nil || c.Dim != prev.Dim {
			ranks[3] = rank(o.dim, c.Dim)
		}
		if prev == nil || c.Dim != prev.Dim || c.Group != prev.Group {
			ranks[4] = rank(o.group[c.Dim], c.Group)
		}
		prev = c
		rs[i] = ranked{ranks: ranks, ids: [4]string{c.Line, c.Measure, c.Dim, c.Group}, i: i}
	}
	return sorted(rs)
}

// trend returns the indexes of r.Trend in row order: by month, then
// practice and service line as for cells.
func (o order) trend(r *report.Report) []int {
	rs := make([]ranked, len(r.Trend))
	for i, p := range r.Trend {
		// Period labels of months ("2026-07") sort as their dates.
		rs[i] = ranked{ranks: [5]int{0, o.practice[p.Practice], rank(o.line, p.Line)},
			ids: [4]string{p.Month.Label, p.Line}, i: i}
	}
	sort.Slice(rs, func(a, b int) bool {
		if rs[a].ids[0] != rs[b].ids[0] {
			return rs[a].ids[0] < rs[b].ids[0]
		}
		return rs[a].less(rs[b])
	})
	out := make([]int, len(rs))
	for n, x := range rs {
		out[n] = x.i
	}
	return out
}

// sorted returns the indexes of rs in their order. Ranks below 4096 (every
// catalogue rank, and practices up to 4095) are packed into one number
// that decides most comparisons; only equal packs compare the rest (all of
// them, should one rank not fit).
func sorted(rs []ranked) []int {
	packed := make([]uint64, len(rs))
pack:
	for n, x := range rs {
		for _, v := range x.ranks {
			if v < -1 || v >= 4095 {
				// One that does not fit: pack none (all equal).
				clear(packed)
				break pack
			}
			packed[n] = packed[n]<<12 | uint64(v+1)
		}
	}
	out := make([]int, len(rs))
	for n := range out {
		out[n] = n
	}
	slices.SortFunc(out, func(a, b int) int {
		if packed[a] != packed[b] {
			return cmp.Compare(packed[a], packed[b])
		}
		if rs[a].less(rs[b]) {
			return -1
		}
		if rs[b].less(rs[a]) {
			return 1
		}
		return 0
	})
	for n, x := range out {
		out[n] = rs[x].i
	}
	return out
}

// Filename is the name a download is served under:
// "tuhono-<contract number>-<period>-v<version>.<ext>", or
// "tuhono-report-<period>…" for a report without a contract; version 0
// leaves the "-v" part out. Characters outside [A-Za-z0-9._-] (a "/" in a
// contract number, a quote) become "-", so the name is safe in a
// Content-Disposition header and on every file system.
func Filename(r *report.Report, version int, ext string) string {
	name := "tuhono-report-" + r.Period.Label
	if r.Contract.Number != "" {
		name = "tuhono-" + r.Contract.Number + "-" + r.Period.Label
	}
	if version > 0 {
		name += "-v" + strconv.Itoa(version)
	}
	if ext = strings.TrimPrefix(ext, "."); ext != "" {
		name += "." + ext
	}
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			return c
		}
		return '-'
	}, name)
}
