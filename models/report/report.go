package report

import (
	"time"

	"github.com/google/uuid"
)

// Service lines reported on (the appointments' service_line).
const (
	LineHIP           = "hip"
	LineHealthCoach   = "health_coach"
	LineSupportWorker = "support_worker"
	// LineAll is every service line together: a person seen by a HIP and a
	// Health Coach counts once.
	LineAll = ""
)

// Lines is every service line, in display order.
var Lines = []string{LineHIP, LineHealthCoach, LineSupportWorker}

// LineLabels names service lines for people.
var LineLabels = map[string]string{LineHIP: "HIP", LineHealthCoach: "Health Coach",
	LineSupportWorker: "Support Worker", LineAll: "All service lines"}

// Key names one cell: a measure for one practice (or all practices in the
// report) and one service line (or all), either in total (Dim "") or for one
// group of a breakdown (Dim "ethnicity", Group "maori").
type Key struct {
	Practice uuid.UUID // uuid.Nil: every practice in the report
	Line     string    // LineAll: every service line
	Measure  string    // a Metric ID
	Dim      string    // "" the total; else a Dimension ID
	Group    string    // the breakdown's group ("" with Dim "")
}

// Cell is one figure of a report.
//
// Figure is exact: a count, a rate as a fraction (0.83), a mean or a median.
// For rates and means Num and Den are what it was divided from. People is how
// many distinct people stand behind the cell (what small-count protection
// looks at); for a count of people it equals Figure.
//
// Shown and Flag are empty until protect.Apply fills them: Shown is what may
// be published ("S" when suppressed, "" when there is no figure), Flag is
// "S" (suppressed), "R" (randomly rounded to base 3), "N" (no figure: the
// denominator is zero) or "" (published as computed).
type Cell struct {
	Key
	Figure   float64
	Num, Den float64
	People   int
	Shown    string
	Flag     string
}

// Practice is one practice in a report's scope.
type Practice struct {
	ID   uuid.UUID
	Name string
	Slug string
}

// TrendPoint is one month of the sessions trend: completed sessions and
// distinct people seen, for one practice (uuid.Nil: all) and service line.
// Shown and Flag as in Cell, for Sessions and People in turn.
type TrendPoint struct {
	Month    Period
	Practice uuid.UUID
	Line     string
	Sessions Cell
	People   Cell
}

// Targets are what a contract asks for; zero means the contract sets none.
type Targets struct {
	SeenWithin7Days float64 // share of introduced people seen within 7 days (national target 0.80)
	MaoriShare      float64 // share of people seen who are Māori
	PacificShare    float64 // share of people seen who are Pacific
	NewPerFTE       float64 // new people per FTE per year
}

// Contract is what a report says about the contract it was run for. Reports
// computed for a dashboard without a contract leave it zero.
type Contract struct {
	ID        uuid.UUID
	Number    string
	Name      string
	Funder    string
	Region    string
	Lines     []string
	Targets   Targets
	Threshold int  // people counts below this (and above 0) are suppressed
	Rounding  bool // random rounding to base 3
	// TotalResponse adds total-response ethnicity (a person counts in every
	// group they identify with) beside prioritised.
	TotalResponse bool
	Frequency     string // "monthly" or "quarterly"
	// RoundingKey is the contract's secret part of the random rounding
	// seed (contracts.rounding_key): never shown, exported or logged.
	RoundingKey string
}

// Report is a computed report: exact figures until protect.Apply has run.
type Report struct {
	Contract  Contract
	Period    Period
	Practices []Practice // in name order
	Lines     []string   // service lines reported, display order
	Cells     []Cell
	Trend     []TrendPoint // the months up to and including the period's last
	AsOf      time.Time    // the snapshot the facts were read at
	// Version is what the practices' report inputs were at in that
	// snapshot (report_versions): equal versions, equal figures.
	Version   int64
	Protected bool // protect.Apply has filled Shown and Flag
}

// Cell returns the cell with key k and whether there is one.
func (r *Report) Cell(k Key) (Cell, bool) {
	for _, c := range r.Cells {
		if c.Key == k {
			return c, true
		}
	}
	return Cell{}, false
}

// Index returns the cells by key, for callers that look up many.
func (r *Report) Index() map[Key]*Cell {
	m := make(map[Key]*Cell, len(r.Cells))
	for i := range r.Cells {
		m[r.Cells[i].Key] = &r.Cells[i]
	}
	return m
}

// PracticeName returns the name of a practice in the report, or "All
// practices" for uuid.Nil.
func (r *Report) PracticeName(id uuid.UUID) string {
	if id == uuid.Nil {
		return "All practices"
	}
	for _, p := range r.Practices {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}
