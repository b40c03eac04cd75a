package protect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"runtime"
	"strconv"
	"sync"

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
	// A region's report has a quarter of a million cells: each cell's
	// metric and key are looked up once, the key as small numbers.
	metrics := make([]*report.Metric, len(r.Cells))
	why := make([]reason, len(r.Cells))
	for i := range r.Cells {
		c := &r.Cells[i]
		metrics[i] = catalogue[c.Measure]
		if m := metrics[i]; m != nil && isCount(m.Kind) && small(countBase(m.Kind, c), t) {
			why[i] = primary
		}
	}
	ks := newKeys(r.Cells)
	complement(r, metrics, why, ks)

	var draws []float64
	if rules.Rounding {
		draws = drawCells(rules.Seed, r.Cells, metrics, why)
	}
	for i := range r.Cells {
		c, m := &r.Cells[i], metrics[i]
		switch {
		case m == nil:
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
			u := 0.0
			if draws != nil {
				u = draws[i]
			}
			publishCount(c, *m, rules.Rounding, floor, u)
		default:
			ofHidden := false
			if m.Of != "" {
				if j, ok := ks.with(i, fMeasure, m.Of); ok && (why[j] != shown || metrics[j] == nil) {
					ofHidden = true
				}
			}
			publishRatio(c, *m, t, ofHidden)
		}
	}

	d := newDrawer(rules.Seed)
	sessions, people := catalogue[report.MSessions], catalogue[report.MPeopleSeen]
	for i := range r.Trend {
		p := &r.Trend[i]
		if small(countBase(report.People, &p.People), t) {
			withhold(&p.People)
		} else {
			publishCount(&p.People, *people, rules.Rounding, t, d.draw(trendKey(p, report.MPeopleSeen)))
		}
		// Sessions of a month are as identifying as the people behind them.
		s := p.Sessions
		s.People = countBase(report.People, &p.People)
		if small(countBase(report.Events, &s), t) {
			withhold(&p.Sessions)
		} else {
			publishCount(&p.Sessions, *sessions, rules.Rounding, 0, d.draw(trendKey(p, report.MSessions)))
		}
	}
	return why
}

// catalogue is report.Metrics by ID.
var catalogue = func() map[string]*report.Metric {
	out := make(map[string]*report.Metric, len(report.Metrics))
	for i := range report.Metrics {
		out[report.Metrics[i].ID] = &report.Metrics[i]
	}
	return out
}()

// Exact fills Shown and Flag with the exact figures: for a practice's own
// staff with clinical access, never for a funder. r.Protected stays false so
// no export will take it.
func Exact(r *report.Report) {
	for i := range r.Cells {
		m := catalogue[r.Cells[i].Measure]
		if m == nil {
			withhold(&r.Cells[i])
			continue
		}
		exact(&r.Cells[i], *m)
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
type drawer struct {
	mac hash.Hash
	sum []byte
	key []byte // drawCellAt's buffer
}

func newDrawer(seed string) *drawer {
	return &drawer{mac: hmac.New(sha256.New, []byte(seed)), sum: make([]byte, 0, sha256.Size)}
}

// draw returns a number uniform in [0, 1) from the top 53 bits of the MAC.
func (d *drawer) draw(key string) float64 {
	d.mac.Reset()
	d.mac.Write([]byte(key))
	return d.result()
}

func (d *drawer) result() float64 {
	d.sum = d.mac.Sum(d.sum[:0])
	return float64(binary.BigEndian.Uint64(d.sum[:8])>>11) / (1 << 53)
}

// drawCellAt is draw(cellKey(k)) for a cell of the practice whose ID, as
// text, is practice: the same bytes, built in a reused buffer.
func (d *drawer) drawCellAt(k *report.Key, practice []byte) float64 {
	b := append(d.key[:0], "cell|"...)
	b = append(b, practice...)
	for _, part := range [...]string{k.Line, k.Measure, k.Dim, k.Group} {
		b = append(append(b, '|'), part...)
	}
	d.key = b
	d.mac.Reset()
	d.mac.Write(b)
	return d.result()
}

// cellKey names a cell in its draw: every part of the key, so no two cells
// of a report share a draw. drawCell writes exactly these bytes.
func cellKey(k report.Key) string {
	return "cell|" + k.Practice.String() + "|" + k.Line + "|" + k.Measure + "|" + k.Dim + "|" + k.Group
}

func trendKey(p *report.TrendPoint, measure string) string {
	return "trend|" + p.Month.Label + "|" + p.Practice.String() + "|" + p.Line + "|" + measure
}

// drawCells draws for every count cell that will be published (an HMAC
// each: most of protecting a regional report), split across the cores;
// each draw depends only on the seed and the cell, so the split changes
// nothing.
func drawCells(seed string, cells []report.Cell, metrics []*report.Metric, why []reason) []float64 {
	draws := make([]float64, len(cells))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(cells)/4096))
	chunk := (len(cells) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min(len(cells), (w+1)*chunk)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := newDrawer(seed)
			var last uuid.UUID
			practice := []byte(last.String())
			for i := lo; i < hi; i++ {
				m := metrics[i]
				if m == nil || !isCount(m.Kind) || why[i] != shown || cells[i].Figure == 0 {
					continue
				}
				k := &cells[i].Key
				if k.Practice != last {
					last = k.Practice
					practice = []byte(last.String())
				}
				draws[i] = d.drawCellAt(k, practice)
			}
		}()
	}
	wg.Wait()
	return draws
}
