package contract

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
)

// New is what it takes to create a contract, or to change one (Update).
type New struct {
	RegionID, FunderID uuid.UUID
	Number, Name       string
	Lines              []string
	StartsOn, EndsOn   time.Time // local days; EndsOn inclusive
	Frequency          string
	Threshold          int
	Rounding           bool
	TotalResponse      bool
	Targets            report.Targets
}

// The contracts table's CHECK on number, said again so a bad number is a
// field message rather than a refused row.
var numberShape = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$`)

// errDuplicate is the one conflict a contract can meet: the funder already
// numbers another contract the same way.
var errDuplicate = fault.New(fault.KindConflict, "a contract with this number already exists for this funder", nil)

// day keeps the calendar date of t as midnight UTC, the way dates travel in
// this package.
func day(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// Validate tidies n (trimmed, NFC, dates as days, lines in display order)
// and reports every bad field at once.
func (n *New) Validate() error {
	var f fault.Fields
	n.Number = strings.TrimSpace(n.Number)
	n.Name = norm.NFC.String(strings.TrimSpace(n.Name))
	n.StartsOn, n.EndsOn = day(n.StartsOn), day(n.EndsOn)
	if n.RegionID == uuid.Nil {
		f.Add("region", "choose a region")
	}
	if n.FunderID == uuid.Nil {
		f.Add("funder", "choose a funder")
	}
	if !numberShape.MatchString(n.Number) {
		f.Add("number", "use 1–40 letters, digits and / . _ -, starting with a letter or digit")
	}
	if l := utf8.RuneCountInString(n.Name); l < 1 || l > 200 {
		f.Add("name", "must be 1–200 characters")
	} else if !plainText(n.Name) {
		f.Add("name", "remove the control characters")
	}
	lines := inLineOrder(n.Lines)
	if len(n.Lines) == 0 {
		f.Add("lines", "choose at least one service line")
	} else if len(lines) != len(slices.Compact(slices.Sorted(slices.Values(n.Lines)))) {
		f.Add("lines", "service lines are HIP, Health Coach and Support Worker")
	}
	n.Lines = lines
	switch {
	case n.StartsOn.IsZero():
		f.Add("starts_on", "enter the first day of the contract")
	case n.StartsOn.Year() < 2000 || n.StartsOn.Year() > 2100:
		f.Add("starts_on", "must be a date between 2000 and 2100")
	}
	switch {
	case n.EndsOn.IsZero():
		f.Add("ends_on", "enter the last day of the contract")
	case n.StartsOn.IsZero():
	case n.EndsOn.Before(n.StartsOn):
		f.Add("ends_on", "must be on or after the first day")
	case !n.EndsOn.Before(n.StartsOn.AddDate(10, 0, 0)):
		f.Add("ends_on", "a contract lasts less than ten years")
	}
	if n.Frequency != report.Monthly && n.Frequency != report.Quarterly {
		f.Add("frequency", "choose monthly or quarterly")
	}
	if n.Threshold < 3 || n.Threshold > 20 {
		f.Add("threshold", "must be a whole number from 3 to 20")
	}
	share := func(field string, v *float64) {
		if math.IsNaN(*v) || *v < 0 || *v > 1 {
			f.Add(field, "must be a share from 0 to 100%")
			return
		}
		*v = math.Round(*v*1000) / 1000 // numeric(4, 3)
	}
	share("target_seen_7_days", &n.Targets.SeenWithin7Days)
	share("target_maori_share", &n.Targets.MaoriShare)
	share("target_pacific_share", &n.Targets.PacificShare)
	if v := n.Targets.NewPerFTE; math.IsNaN(v) || v < 0 || v > 5000 {
		f.Add("target_new_per_fte", "must be from 0 to 5000 new people per FTE per year")
	} else {
		n.Targets.NewPerFTE = math.Round(v*10) / 10 // numeric(6, 1)
	}
	return f.Err()
}

// orNull stores a zero target as no target.
func orNull(v float64) *float64 {
	if v == 0 {
		return nil
	}
	return &v
}

func (n New) row(id uuid.UUID) contractRow {
	return contractRow{ID: id, RegionID: n.RegionID, FunderID: n.FunderID, Number: n.Number, Name: n.Name,
		ServiceLines: pq.StringArray(n.Lines), StartsOn: n.StartsOn, EndsOn: n.EndsOn, Frequency: n.Frequency,
		SuppressionThreshold: n.Threshold, RandomRounding: n.Rounding, TotalResponse: n.TotalResponse,
		TargetSeen7Days: orNull(n.Targets.SeenWithin7Days), TargetMaoriShare: orNull(n.Targets.MaoriShare),
		TargetPacificShare: orNull(n.Targets.PacificShare), TargetNewPerFTE: orNull(n.Targets.NewPerFTE)}
}

// checkRefs checks, in tx, that the funder exists and that no other contract
// of the funder has the number (except the contract self).
func checkRefs(tx *db.Tx, n New, self uuid.UUID) error {
	var funders int64
	if err := tx.Raw(`SELECT count(*) FROM funders WHERE id = ?`, n.FunderID).Scan(&funders).Error; err != nil {
		return err
	}
	if funders == 0 {
		return fault.InvalidField("funder", "choose a funder from the list")
	}
	var same int64
	if err := tx.Raw(`SELECT count(*) FROM contracts WHERE funder_id = ? AND number = ? AND id <> ?`,
		n.FunderID, n.Number, self).Scan(&same).Error; err != nil {
		return err
	}
	if same > 0 {
		return errDuplicate
	}
	return nil
}

// duplicate keeps the clear message when two people create the same number
// at once and the unique key, not checkRefs, refuses the second.
func duplicate(err error) error {
	if errors.Is(db.Translate(err), fault.Conflict) {
		return errDuplicate
	}
	return err
}

// auditDetail describes a contract's terms for the audit trail: ids and
// labels, nothing about any person.
func auditDetail(n New) map[string]string {
	return map[string]string{"number": n.Number, "name": n.Name, "funder": n.FunderID.String(),
		"lines": strings.Join(n.Lines, ","), "starts_on": n.StartsOn.Format(time.DateOnly),
		"ends_on": n.EndsOn.Format(time.DateOnly), "frequency": n.Frequency, "threshold": strconv.Itoa(n.Threshold),
		"rounding": strconv.FormatBool(n.Rounding), "total_response": strconv.FormatBool(n.TotalResponse),
		"targets": fmt.Sprintf("seen7=%g maori=%g pacific=%g new_per_fte=%g", n.Targets.SeenWithin7Days,
			n.Targets.MaoriShare, n.Targets.PacificShare, n.Targets.NewPerFTE)}
}

// Create adds a contract with no coverage yet, and records who did it in the
// platform's audit trail.
func Create(ctx context.Context, d *db.DB, actor uuid.UUID, n New) (Contract, error) {
	if err := n.Validate(); err != nil {
		return Contract{}, fmt.Errorf("contract.Create: %w", err)
	}
	r := n.row(uuid.Must(uuid.NewV7()))
	if actor != uuid.Nil {
		r.CreatedBy = &actor
	}
	err := d.Platform(ctx, "create contract", func(tx *db.Tx) error {
		var regions int64
		if err := tx.Raw(`SELECT count(*) FROM regions WHERE id = ?`, n.RegionID).Scan(&regions).Error; err != nil {
			return err
		}
		if regions == 0 {
			return fault.InvalidField("region", "the region does not exist")
		}
		if err := checkRefs(tx, n, uuid.Nil); err != nil {
			return err
		}
		return duplicate(tx.Omit("funder_name", "created_at", "updated_at").Create(&r).Error)
	})
	if err != nil {
		return Contract{}, fmt.Errorf("contract.Create: %w", db.Translate(err))
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "contract.create", ActorUserID: actor, Object: "contract",
		ObjectID: r.ID.String(), Detail: auditDetail(n)}); err != nil {
		return Contract{}, fmt.Errorf("contract.Create: %w", err)
	}
	c, err := ByID(ctx, d, r.ID)
	if err != nil {
		return Contract{}, fmt.Errorf("contract.Create: %w", err)
	}
	return c, nil
}

// Update changes a contract's terms. The region never changes: a contract
// moved between regions would carry its report runs to admins who never
// managed it, so n.RegionID must be the contract's (or zero). A service line
// dropped while practices are still funded for it is refused: the coverage
// is cleared first, on purpose.
func Update(ctx context.Context, d *db.DB, actor uuid.UUID, id uuid.UUID, n New) (Contract, error) {
	var before Contract
	err := d.Platform(ctx, "update contract", func(tx *db.Tx) error {
		// Lock the contract first: two admins saving at once take turns.
		if err := tx.Exec(`SELECT id FROM contracts WHERE id = ? FOR UPDATE`, id).Error; err != nil {
			return err
		}
		list, err := load(tx, "c.id = ?", id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return fault.NotFound
		}
		before = list[0]
		if n.RegionID != uuid.Nil && n.RegionID != before.RegionID {
			return fault.InvalidField("region", "a contract stays in the region it was made in")
		}
		n.RegionID = before.RegionID
		if err := n.Validate(); err != nil {
			return err
		}
		for _, cv := range before.Coverage {
			if !slices.Contains(n.Lines, cv.Line) {
				return fault.InvalidField("lines", report.LineLabels[cv.Line]+
					" still has funded practices: clear them in the coverage table first")
			}
		}
		if err := checkRefs(tx, n, id); err != nil {
			return err
		}
		r := n.row(id)
		return duplicate(tx.Model(&contractRow{}).Where("id = ?", id).Updates(map[string]any{
			"funder_id": r.FunderID, "number": r.Number, "name": r.Name, "service_lines": r.ServiceLines,
			"starts_on": r.StartsOn, "ends_on": r.EndsOn, "frequency": r.Frequency,
			"suppression_threshold": r.SuppressionThreshold, "random_rounding": r.RandomRounding,
			"total_response": r.TotalResponse, "target_seen_7_days": r.TargetSeen7Days,
			"target_maori_share": r.TargetMaoriShare, "target_pacific_share": r.TargetPacificShare,
			"target_new_per_fte": r.TargetNewPerFTE, "updated_at": time.Now().UTC()}).Error)
	})
	if err != nil {
		return Contract{}, fmt.Errorf("contract.Update: %w", db.Translate(err))
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "contract.update", ActorUserID: actor, Object: "contract",
		ObjectID: id.String(), Detail: auditDetail(n)}); err != nil {
		return Contract{}, fmt.Errorf("contract.Update: %w", err)
	}
	c, err := ByID(ctx, d, id)
	if err != nil {
		return Contract{}, fmt.Errorf("contract.Update: %w", err)
	}
	return c, nil
}

// CoverageField names the field of one practice and line in SetCoverage's
// messages, so a form can put each message beside its input.
func CoverageField(practiceID uuid.UUID, line string) string {
	return "coverage." + practiceID.String() + "." + line
}

// SetCoverage replaces the practices a contract covers and the FTE it funds
// for each service line. Every covered practice must be a practice of the
// contract's region, and every line one of the contract's; FTE is 0–100 with
// at most two decimals. Nothing is changed when any entry is wrong.
func SetCoverage(ctx context.Context, d *db.DB, actor uuid.UUID, id uuid.UUID, cov []Coverage) error {
	var f fault.Fields
	seen := map[string]bool{}
	for i := range cov {
		cv := &cov[i]
		field := CoverageField(cv.PracticeID, cv.Line)
		switch {
		case math.IsNaN(cv.FTE) || cv.FTE < 0 || cv.FTE > 100:
			f.Add(field, "FTE must be from 0 to 100")
		case math.Abs(cv.FTE*100-math.Round(cv.FTE*100)) > 1e-6:
			f.Add(field, "FTE has at most two decimals, like 1.25")
		case seen[field]:
			f.Add(field, "each practice and service line is listed once")
		}
		cv.FTE = math.Round(cv.FTE*100) / 100
		seen[field] = true
	}
	if err := f.Err(); err != nil {
		return fmt.Errorf("contract.SetCoverage: %w", err)
	}
	var lines []string
	err := d.Platform(ctx, "set contract coverage", func(tx *db.Tx) error {
		var c contractRow
		if err := tx.Raw(`SELECT * FROM contracts WHERE id = ? FOR UPDATE`, id).Scan(&c).Error; err != nil {
			return err
		}
		if c.ID == uuid.Nil {
			return fault.NotFound
		}
		lines = c.ServiceLines
		var practices []uuid.UUID
		if err := tx.Raw(`SELECT id FROM tenants WHERE region_id = ? AND kind = 'practice'`, c.RegionID).
			Scan(&practices).Error; err != nil {
			return err
		}
		for _, cv := range cov {
			field := CoverageField(cv.PracticeID, cv.Line)
			if !slices.Contains(practices, cv.PracticeID) {
				f.Add(field, "choose a practice of the contract's region")
			} else if !slices.Contains(lines, cv.Line) {
				f.Add(field, "the contract does not fund this service line")
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM contract_practices WHERE contract_id = ?`, id).Error; err != nil {
			return err
		}
		for _, cv := range cov {
			if err := tx.Exec(`INSERT INTO contract_practices (contract_id, practice_id, service_line, funded_fte)
				VALUES (?, ?, ?, ?)`, id, cv.PracticeID, cv.Line, cv.FTE).Error; err != nil {
				return err
			}
		}
		return tx.Exec(`UPDATE contracts SET updated_at = now() WHERE id = ?`, id).Error
	})
	if err != nil {
		return fmt.Errorf("contract.SetCoverage: %w", db.Translate(err))
	}
	total := 0.0
	practices := map[uuid.UUID]bool{}
	for _, cv := range cov {
		total += cv.FTE
		practices[cv.PracticeID] = true
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "contract.coverage", ActorUserID: actor, Object: "contract",
		ObjectID: id.String(), Detail: map[string]string{"practices": strconv.Itoa(len(practices)),
			"entries": strconv.Itoa(len(cov)), "funded_fte": strconv.FormatFloat(total, 'f', 2, 64)}}); err != nil {
		return fmt.Errorf("contract.SetCoverage: %w", err)
	}
	return nil
}
