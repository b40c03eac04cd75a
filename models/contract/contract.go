package contract

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
)

// Coverage is one practice a contract covers for one service line, with the
// FTE the contract funds there.
type Coverage struct {
	PracticeID   uuid.UUID
	PracticeName string
	Line         string
	FTE          float64
}

// Contract is a funding contract.
type Contract struct {
	ID, RegionID, FunderID uuid.UUID
	FunderName, Number     string
	Name                   string
	Lines                  []string // service lines, in report.Lines order
	// StartsOn and EndsOn are dates at midnight UTC standing for local days;
	// EndsOn is the contract's last day (inclusive).
	StartsOn, EndsOn time.Time
	Frequency        string // report.Monthly or report.Quarterly
	Threshold        int
	Rounding         bool
	TotalResponse    bool
	Targets          report.Targets // fractions (0.8) and new people per FTE; zero = none
	Coverage         []Coverage     // by practice name, then line in report.Lines order
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// roundingKey is the secret part of the random rounding seed: reached
	// only through Summary, never shown on a page or written to a file.
	roundingKey string
}

// PracticeIDs are the practices the contract covers, each once, in Coverage
// order.
func (c Contract) PracticeIDs() []uuid.UUID {
	var out []uuid.UUID
	for _, cv := range c.Coverage {
		if !slices.Contains(out, cv.PracticeID) {
			out = append(out, cv.PracticeID)
		}
	}
	return out
}

// Summary is what a report says about the contract.
func (c Contract) Summary(regionName string) report.Contract {
	return report.Contract{ID: c.ID, Number: c.Number, Name: c.Name, Funder: c.FunderName, Region: regionName,
		Lines: slices.Clone(c.Lines), Targets: c.Targets, Threshold: c.Threshold, Rounding: c.Rounding,
		TotalResponse: c.TotalResponse, Frequency: c.Frequency, RoundingKey: c.roundingKey}
}

// Periods are the contract's reporting periods: every month or fiscal
// quarter that overlaps it.
func (c Contract) Periods() []report.Period { return report.Periods(c.StartsOn, c.EndsOn, c.Frequency) }

// Covers reports whether the contract funds line at the practice.
func (c Contract) Covers(practiceID uuid.UUID, line string) (Coverage, bool) {
	for _, cv := range c.Coverage {
		if cv.PracticeID == practiceID && cv.Line == line {
			return cv, true
		}
	}
	return Coverage{}, false
}

type contractRow struct {
	ID                   uuid.UUID
	RegionID             uuid.UUID
	FunderID             uuid.UUID
	FunderName           string `gorm:"->"`
	Number               string
	Name                 string
	ServiceLines         pq.StringArray `gorm:"type:text[]"`
	StartsOn             time.Time
	EndsOn               time.Time
	Frequency            string
	SuppressionThreshold int
	RandomRounding       bool
	TotalResponse        bool
	TargetSeen7Days      *float64 `gorm:"column:target_seen_7_days"`
	TargetMaoriShare     *float64
	TargetPacificShare   *float64
	TargetNewPerFTE      *float64 `gorm:"column:target_new_per_fte"`
	CreatedBy            *uuid.UUID
	CreatedAt            time.Time
	UpdatedAt            time.Time
	// Made by the database (a random uuid) and only ever read.
	RoundingKey string `gorm:"->"`
}

func (contractRow) TableName() string { return "contracts" }

func (r contractRow) contract() Contract {
	return Contract{ID: r.ID, RegionID: r.RegionID, FunderID: r.FunderID, FunderName: r.FunderName, Number: r.Number,
		Name: r.Name, Lines: inLineOrder(r.ServiceLines), StartsOn: r.StartsOn.UTC(), EndsOn: r.EndsOn.UTC(),
		Frequency: r.Frequency, Threshold: r.SuppressionThreshold, Rounding: r.RandomRounding, TotalResponse: r.TotalResponse,
		Targets: report.Targets{SeenWithin7Days: deref(r.TargetSeen7Days), MaoriShare: deref(r.TargetMaoriShare),
			PacificShare: deref(r.TargetPacificShare), NewPerFTE: deref(r.TargetNewPerFTE)},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, roundingKey: r.RoundingKey}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// inLineOrder keeps the known service lines of ls in report.Lines order.
func inLineOrder(ls []string) []string {
	out := make([]string, 0, len(ls))
	for _, l := range report.Lines {
		if slices.Contains(ls, l) {
			out = append(out, l)
		}
	}
	return out
}

func lineIndex(l string) int { return slices.Index(report.Lines, l) }

type coverageRow struct {
	ContractID   uuid.UUID
	PracticeID   uuid.UUID
	PracticeName string
	ServiceLine  string
	FundedFTE    float64
}

const selectContracts = `SELECT c.*, f.name AS funder_name FROM contracts c JOIN funders f ON f.id = c.funder_id`

// load reads the contracts matching where, with their coverage, in number
// order.
func load(tx *db.Tx, where string, args ...any) ([]Contract, error) {
	var rows []contractRow
	if err := tx.Raw(selectContracts+" WHERE "+where+" ORDER BY c.number, c.id", args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID.String()
	}
	var cov []coverageRow
	err := tx.Raw(`SELECT cp.contract_id, cp.practice_id, t.name AS practice_name, cp.service_line, cp.funded_fte::float8 AS funded_fte
		FROM contract_practices cp JOIN tenants t ON t.id = cp.practice_id
		WHERE cp.contract_id = ANY (?::uuid[])`, "{"+strings.Join(ids, ",")+"}").Scan(&cov).Error
	if err != nil {
		return nil, err
	}
	out := make([]Contract, len(rows))
	at := make(map[uuid.UUID]int, len(rows))
	for i, r := range rows {
		out[i] = r.contract()
		at[r.ID] = i
	}
	for _, cv := range cov {
		c := &out[at[cv.ContractID]]
		c.Coverage = append(c.Coverage, Coverage{PracticeID: cv.PracticeID, PracticeName: cv.PracticeName,
			Line: cv.ServiceLine, FTE: cv.FundedFTE})
	}
	for i := range out {
		sortCoverage(out[i].Coverage)
	}
	return out, nil
}

// Practice names sort as people read them: macrons beside their plain
// letters, case ignored.
var nameOrder = collate.New(language.English, collate.IgnoreCase)

func sortCoverage(cov []Coverage) {
	slices.SortStableFunc(cov, func(a, b Coverage) int {
		if n := nameOrder.CompareString(a.PracticeName, b.PracticeName); n != 0 {
			return n
		}
		if a.PracticeID != b.PracticeID {
			return strings.Compare(a.PracticeID.String(), b.PracticeID.String())
		}
		return lineIndex(a.Line) - lineIndex(b.Line)
	})
}

// ByID finds a contract with its coverage; fault.NotFound when there is none.
func ByID(ctx context.Context, d *db.DB, id uuid.UUID) (Contract, error) {
	var list []Contract
	err := d.Platform(ctx, "read contract", func(tx *db.Tx) (err error) {
		list, err = load(tx, "c.id = ?", id)
		return err
	})
	if err != nil {
		return Contract{}, fmt.Errorf("contract.ByID: %w", db.Translate(err))
	}
	if len(list) == 0 {
		return Contract{}, fmt.Errorf("contract.ByID: %w", fault.NotFound)
	}
	return list[0], nil
}

// ForRegion lists a region's contracts in number order.
func ForRegion(ctx context.Context, d *db.DB, regionID uuid.UUID) ([]Contract, error) {
	var list []Contract
	err := d.Platform(ctx, "list a region's contracts", func(tx *db.Tx) (err error) {
		list, err = load(tx, "c.region_id = ?", regionID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("contract.ForRegion: %w", db.Translate(err))
	}
	return list, nil
}

// ForFunder lists the contracts a funder pays for, in number order.
func ForFunder(ctx context.Context, d *db.DB, funderID uuid.UUID) ([]Contract, error) {
	var list []Contract
	err := d.Platform(ctx, "list a funder's contracts", func(tx *db.Tx) (err error) {
		list, err = load(tx, "c.funder_id = ?", funderID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("contract.ForFunder: %w", db.Translate(err))
	}
	return list, nil
}
