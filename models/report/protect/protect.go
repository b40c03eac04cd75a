package protect

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"sort"
	"strconv"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/report"
)

// DefaultThreshold is the suppression threshold when a contract sets none:
// common practice suppresses counts of people below 6 (DOMAIN.md).
const DefaultThreshold = 6

// Flags a protected cell carries, as report.Cell documents them.
const (
	FlagSuppressed = "S" // withheld: a small count, or one that would reveal one
	FlagRounded    = "R" // randomly rounded to base 3
	FlagNoFigure   = "N" // no figure: the denominator is zero
	// Suppressed is what a withheld cell shows.
	Suppressed = "S"
)

// Rules are the privacy rules a report is published under.
type Rules struct {
	// Threshold: counts of people from 1 to Threshold − 1 are suppressed.
	Threshold int
	// Rounding: random rounding to base 3 of every other count.
	Rounding bool
	// Seed keys the deterministic draw of each cell's rounding: the same
	// seed and cell always round the same way.
	Seed string
}

// RulesFor returns the rules of contract c for period p: the contract's
// threshold (DefaultThreshold when it sets none) and rounding, seeded by the
// contract and period so a re-run of the same report rounds identically.
func RulesFor(c report.Contract, p report.Period) Rules {
	t := c.Threshold
	if t == 0 {
		t = DefaultThreshold
	}
	// The contract's rounding key is a secret (never shown or exported):
	// with the seed public, anyone could recompute each cell's draw and so
	// narrow down the exact count behind a rounded one.
	return Rules{Threshold: t, Rounding: c.Rounding, Seed: c.RoundingKey + "/" + c.ID.String() + "/" + p.Label}
}

// reason records why a count cell is withheld; tests look at it to tell
// complementary suppression from primary.
type reason uint8

const (
	shown reason = iota
	primary
	complementary
)

// Apply fills Shown and Flag of every cell of r and of its trend points under
// rules, and marks r protected.
func Apply(r *report.Report, rules Rules) {
	apply(r, rules)
	r.Protected = true
}

// apply does Apply's work and returns, per cell index, why each count cell
// was withheld (shown for published cells and non-counts).
func apply(r *report.Report, rules Rules) []reason {
	t := rules.Threshold
	if t < 1 {
		// A zero Rules must not publish small counts: fail closed.
		t = DefaultThreshold
	}
	d := newDrawer(rules.Seed)

	metrics := make([]report.Metric, len(r.Cells))
	known := make([]bool, len(r.Cells))
	why := make([]reason, len(r.Cells))
	for i := range r.Cells {
		c := &r.Cells[i]
		metrics[i], known[i] = report.MetricByID(c.Measure)
		if known[i] && isCount(metrics[i].Kind) && small(countBase(metrics[i].Kind, c), t) {
			why[i] = primary
		}
	}
	complement(r, metrics, known, why)

	index := make(map[report.Key]int, len(r.Cells))
	for i := range r.Cells {
		index[r.Cells[i].Key] = i
	}
	for i := range r.Cells {
		c, m := &r.Cells[i], metrics[i]
		switch {
		case !known[i]:
			// A measure outside the catalogue cannot be judged: withhold it.
			withhold(c)
		case isCount(m.Kind):
			if why[i] != shown {
				withhold(c)
				continue
			}
			floor := 0
			if m.Kind == report.People {
				floor = t
			}
			publishCount(c, m, rules.Rounding, floor, d.drawIf(rules.Rounding, cellKey, c.Key))
		default:
			ofHidden := false
			if m.Of != "" {
				k := c.Key
				k.Measure = m.Of
				if j, ok := index[k]; ok && (why[j] != shown || !known[j]) {
					ofHidden = true
				}
			}
			publishRatio(c, m, t, ofHidden)
		}
	}

	sessions, _ := report.MetricByID(report.MSessions)
	people, _ := report.MetricByID(report.MPeopleSeen)
	for i := range r.Trend {
		p := &r.Trend[i]
		if small(countBase(report.People, &p.People), t) {
			withhold(&p.People)
		} else {
			publishCount(&p.People, people, rules.Rounding, t, d.draw(trendKey(p, report.MPeopleSeen)))
		}
		// Sessions of a month are as identifying as the people behind them.
		s := p.Sessions
		s.People = countBase(report.People, &p.People)
		if small(countBase(report.Events, &s), t) {
			withhold(&p.Sessions)
		} else {
			publishCount(&p.Sessions, sessions, rules.Rounding, 0, d.draw(trendKey(p, report.MSessions)))
		}
	}
	return why
}

// Exact fills Shown and Flag with the exact figures: for a practice's own
// staff with clinical access, never for a funder. r.Protected stays false so
// no export will take it.
func Exact(r *report.Report) {
	for i := range r.Cells {
		m, _ := report.MetricByID(r.Cells[i].Measure)
		exact(&r.Cells[i], m)
	}
	sessions, _ := report.MetricByID(report.MSessions)
	people, _ := report.MetricByID(report.MPeopleSeen)
	for i := range r.Trend {
		exact(&r.Trend[i].Sessions, sessions)
		exact(&r.Trend[i].People, people)
	}
	r.Protected = false
}

func exact(c *report.Cell, m report.Metric) {
	if noFigure(c, m) {
		c.Shown, c.Flag = "", FlagNoFigure
		return
	}
	c.Shown, c.Flag = Format(m, c.Figure), ""
}

// Format writes a figure as reports show it: counts as whole numbers; a rate
// in "%" as a percentage with one decimal (0.8333 → "83.3"); other rates,
// means and medians with one decimal. Halves round away from zero, as people
// reading a table expect (81.25% → "81.3").
func Format(m report.Metric, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if isCount(m.Kind) {
		return strconv.FormatFloat(clean(math.Round(v)), 'f', 0, 64)
	}
	if m.Kind == report.Rate && m.Unit == "%" {
		v *= 100
	}
	return strconv.FormatFloat(clean(math.Round(v*10)/10), 'f', 1, 64)
}

// clean turns −0 into 0: a K10 change of −0.01 reads "0.0", not "-0.0".
func clean(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}

func isCount(k report.Kind) bool { return k == report.People || k == report.Events }

// small reports whether n people are too few to publish.
func small(n, threshold int) bool { return n >= 1 && n < threshold }

// countBase is how many people stand behind a count cell. For a count of
// people it is the figure. For events it is cell.People, except that events
// with no people recorded behind them are taken as one person: at least one
// person stands behind any event, so a missing People fails closed. A count
// that is not a whole non-negative number cannot be judged and is withheld
// (returned as 1).
func countBase(k report.Kind, c *report.Cell) int {
	if math.IsNaN(c.Figure) || math.IsInf(c.Figure, 0) || c.Figure < 0 {
		return 1
	}
	if k == report.People {
		return int(math.Round(c.Figure))
	}
	if c.People < 1 && c.Figure > 0 {
		return 1
	}
	return c.People
}

func withhold(c *report.Cell) { c.Shown, c.Flag = Suppressed, FlagSuppressed }

// publishCount shows a count that may be published: exact when the rules do
// not round, else randomly rounded to base 3 with u as the cell's draw. Every
// non-zero count that went through RR3 is flagged "R", even where the draw
// left it unchanged, so a reader knows no published count is exact. Zero
// stays "0" unflagged: RR3 keeps it, and small counts are suppressed, so a
// zero is a true zero.
func publishCount(c *report.Cell, m report.Metric, rounding bool, floor int, u float64) {
	v := int(math.Round(c.Figure))
	if !rounding || v == 0 {
		c.Shown, c.Flag = Format(m, float64(v)), ""
		return
	}
	c.Shown, c.Flag = strconv.Itoa(rr3(v, u, floor)), FlagRounded
}

// rr3 is Stats NZ's random rounding to base 3: multiples of 3 stay; a
// remainder of 1 rounds down with probability 2/3, else up by 2; a remainder
// of 2 rounds up with probability 2/3, else down by 2. u is uniform in [0, 1).
//
// A count of people must not be published inside the suppressed range
// 1..floor−1 (a 7 rounded to 6 is fine, but under a threshold of 8 a 7
// rounded to 6 would read as a small count that escaped suppression), so
// when the draw would land there it rounds the other way. Only rounding down
// can land there, since v ≥ floor; floor 0 turns this off (events).
func rr3(v int, u float64, floor int) int {
	var down, up int
	var pDown float64
	switch v % 3 {
	case 0:
		return v
	case 1:
		down, up, pDown = v-1, v+2, 2.0/3
	default:
		down, up, pDown = v-2, v+1, 1.0/3
	}
	if u < pDown && !small(down, floor) {
		return down
	}
	return up
}

func publishRatio(c *report.Cell, m report.Metric, threshold int, ofHidden bool) {
	switch {
	case noFigure(c, m):
		c.Shown, c.Flag = "", FlagNoFigure
	case small(c.People, threshold) || ofHidden:
		withhold(c)
	default:
		c.Shown, c.Flag = Format(m, c.Figure), ""
	}
}

// noFigure: a rate, mean or median over nothing, or a figure that is not a
// number. Counts always have a figure.
func noFigure(c *report.Cell, m report.Metric) bool {
	if math.IsNaN(c.Figure) || math.IsInf(c.Figure, 0) {
		return true
	}
	return !isCount(m.Kind) && c.Den == 0
}

// drawer turns a cell's key into its rounding draw: HMAC-SHA256 keyed by the
// seed, so the draw is fixed for a contract, period and cell (a re-run is
// identical) yet cannot be predicted without the seed.
type drawer struct{ mac hash.Hash }

func newDrawer(seed string) drawer { return drawer{mac: hmac.New(sha256.New, []byte(seed))} }

// draw returns a number uniform in [0, 1) from the top 53 bits of the MAC.
func (d drawer) draw(key string) float64 {
	d.mac.Reset()
	d.mac.Write([]byte(key))
	sum := d.mac.Sum(nil)
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// drawIf draws for key k only when rounding: an HMAC per cell is most of
// Apply's cost on a regional report, wasted when nothing is rounded.
func (d drawer) drawIf(rounding bool, name func(report.Key) string, k report.Key) float64 {
	if !rounding {
		return 0
	}
	return d.draw(name(k))
}

// cellKey names a cell in its draw: every part of the key, so no two cells
// of a report share a draw.
func cellKey(k report.Key) string {
	return "cell|" + k.Practice.String() + "|" + k.Line + "|" + k.Measure + "|" + k.Dim + "|" + k.Group
}

func trendKey(p *report.TrendPoint, measure string) string {
	return "trend|" + p.Month.Label + "|" + p.Practice.String() + "|" + p.Line + "|" + measure
}

// keyLess orders keys for deterministic tie-breaking.
func keyLess(a, b report.Key) bool {
	if c := bytes.Compare(a.Practice[:], b.Practice[:]); c != 0 {
		return c < 0
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Measure != b.Measure {
		return a.Measure < b.Measure
	}
	if a.Dim != b.Dim {
		return a.Dim < b.Dim
	}
	return a.Group < b.Group
}

// additive is a set of cells that sum (at most) to a parent cell, for one
// measure: were exactly one member withheld and the rest and the parent
// published, subtraction would recover it.
type additive struct {
	parent  int
	members []int // in key order
}

// complement adds complementary suppressions to why until no additive group
// with a published parent has exactly one withheld member (a fixed point:
// each suppression can expose another group, so it repeats). The groups, for
// count measures only:
//  1. one practice, line and additive breakdown: its groups, under the total;
//  2. one line, breakdown and group: each practice, under all practices;
//  3. one practice, breakdown and group: each service line, under all lines.
//     A person seen by two lines counts once in all, so the lines can sum to
//     more than the parent; treating them as additive anyway only withholds
//     more, never less.
func complement(r *report.Report, metrics []report.Metric, known []bool, why []reason) {
	groups := additiveGroups(r, metrics, known)
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			if why[g.parent] != shown {
				continue
			}
			hidden := 0
			for _, i := range g.members {
				if why[i] != shown {
					hidden++
				}
			}
			if hidden != 1 {
				continue
			}
			why[partner(r, g, why)] = complementary
			changed = true
		}
	}
}

// partner picks the cell to withhold beside a group's one withheld member:
// the smallest non-zero published member (the least information lost), else
// the smallest member, else, with no other member, the parent. Members are in
// key order and only a strictly smaller figure replaces a pick, so ties go to
// the first key.
func partner(r *report.Report, g additive, why []reason) int {
	pick, pickZero := -1, -1
	for _, i := range g.members {
		if why[i] != shown {
			continue
		}
		f := r.Cells[i].Figure
		if f > 0 && (pick < 0 || f < r.Cells[pick].Figure) {
			pick = i
		}
		if pickZero < 0 || f < r.Cells[pickZero].Figure {
			pickZero = i
		}
	}
	switch {
	case pick >= 0:
		return pick
	case pickZero >= 0:
		return pickZero
	}
	return g.parent
}

// additiveGroups builds the groups complement checks, ordered by rule and
// then by the parent's key, so the outcome does not depend on the order of
// the report's cells. A group whose parent cell is not in the report is left
// out (there is no published total to subtract from).
func additiveGroups(r *report.Report, metrics []report.Metric, known []bool) []additive {
	counted := func(i int) bool { return known[i] && isCount(metrics[i].Kind) }
	index := make(map[report.Key]int, len(r.Cells))
	for i := range r.Cells {
		if counted(i) {
			index[r.Cells[i].Key] = i
		}
	}
	additiveDim := map[string]bool{}
	for _, d := range report.Dimensions {
		additiveDim[d.ID] = d.Additive
	}
	// byParent[rule][parent cell index] is the rule's group under that cell.
	var byParent [3][]*additive
	var parents [3][]int
	add := func(rule int, parent report.Key, member int) {
		p, ok := index[parent]
		if !ok {
			return
		}
		if byParent[rule] == nil {
			byParent[rule] = make([]*additive, len(r.Cells))
		}
		g := byParent[rule][p]
		if g == nil {
			g = &additive{parent: p}
			byParent[rule][p] = g
			parents[rule] = append(parents[rule], p)
		}
		g.members = append(g.members, member)
	}
	for i := range r.Cells {
		if !counted(i) {
			continue
		}
		k := r.Cells[i].Key
		if k.Dim != "" && additiveDim[k.Dim] {
			add(0, report.Key{Practice: k.Practice, Line: k.Line, Measure: k.Measure}, i)
		}
		if k.Practice != uuid.Nil {
			p := k
			p.Practice = uuid.Nil
			add(1, p, i)
		}
		if k.Line != report.LineAll {
			p := k
			p.Line = report.LineAll
			add(2, p, i)
		}
	}
	var out []additive
	for rule := range parents {
		ps := parents[rule]
		sort.Slice(ps, func(a, b int) bool { return keyLess(r.Cells[ps[a]].Key, r.Cells[ps[b]].Key) })
		for _, p := range ps {
			g := byParent[rule][p]
			sort.Slice(g.members, func(a, b int) bool {
				return keyLess(r.Cells[g.members[a]].Key, r.Cells[g.members[b]].Key)
			})
			out = append(out, *g)
		}
	}
	return out
}
