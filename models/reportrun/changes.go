package reportrun

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report/export"
)

// Change is one published figure that differs between a run and the
// version before it: Before or After is "" when the row is new or gone.
// Figures are as published ("S" for a suppressed count), never exact.
type Change struct {
	Period, Practice, Line, Measure, Breakdown, Group string
	Before, After                                     string
}

// Changes compares a run's CSV with the CSV of the version before it (of the
// same contract and period) and lists every figure that differs, in the
// order of the run's CSV, then the rows the run no longer has. previous is
// that version's number; 0 (and no changes) for a first version.
//
// It compares the published figures, not the exact ones: what a reviewer
// sees changing is what the funder would see change.
func Changes(ctx context.Context, d *db.DB, runID uuid.UUID) (previous int, changes []Change, err error) {
	run, err := ByID(ctx, d, runID)
	if err != nil {
		return 0, nil, fmt.Errorf("reportrun.Changes: %w", err)
	}
	if run.Version == 1 {
		return 0, nil, nil
	}
	var before []runRow
	err = d.Platform(ctx, "compare report runs", func(tx *db.Tx) error {
		return tx.Raw(selectRuns+` WHERE r.contract_id = ? AND r.period = ? AND r.version = ?`,
			run.ContractID, run.Period, run.Version-1).Scan(&before).Error
	})
	if err != nil {
		return 0, nil, fmt.Errorf("reportrun.Changes: %w", db.Translate(err))
	}
	if len(before) == 0 {
		// Versions are numbered without gaps under a lock; a missing one
		// means the store was tampered with.
		return 0, nil, fmt.Errorf("reportrun.Changes: version %d of the run is missing: %w", run.Version-1, fault.NotFound)
	}
	oldCSV, err := body(ctx, d, before[0].ID, FormatCSV)
	if err != nil {
		return 0, nil, fmt.Errorf("reportrun.Changes: %w", err)
	}
	newCSV, err := body(ctx, d, run.ID, FormatCSV)
	if err != nil {
		return 0, nil, fmt.Errorf("reportrun.Changes: %w", err)
	}
	changes, err = diff(oldCSV.Body, newCSV.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("reportrun.Changes: %w", err)
	}
	return run.Version - 1, changes, nil
}

// row is one figure of a run's CSV: its key columns and its value.
type row struct {
	key   [6]string // period, practice, service line, measure, breakdown, group
	value string
}

func readCSV(b []byte) ([]row, error) {
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || len(recs[0]) != len(export.Columns) {
		return nil, fmt.Errorf("a run's CSV does not have the %d columns of export.Columns", len(export.Columns))
	}
	out := make([]row, 0, len(recs)-1)
	for _, r := range recs[1:] {
		out = append(out, row{key: [6]string{r[0], r[1], r[2], r[3], r[4], r[5]}, value: r[6]})
	}
	return out, nil
}

// diff lists the figures of b that differ from a (or are not in a), then
// the rows of a that b does not have.
func diff(a, b []byte) ([]Change, error) {
	before, err := readCSV(a)
	if err != nil {
		return nil, err
	}
	after, err := readCSV(b)
	if err != nil {
		return nil, err
	}
	old := make(map[[6]string]string, len(before))
	for _, r := range before {
		old[r.key] = r.value
	}
	change := func(k [6]string, was, is string) Change {
		return Change{Period: k[0], Practice: k[1], Line: k[2], Measure: k[3], Breakdown: k[4], Group: k[5], Before: was, After: is}
	}
	var out []Change
	seen := make(map[[6]string]bool, len(after))
	for _, r := range after {
		seen[r.key] = true
		if was, ok := old[r.key]; !ok || was != r.value {
			out = append(out, change(r.key, was, r.value))
		}
	}
	for _, r := range before {
		if !seen[r.key] {
			out = append(out, change(r.key, r.value, ""))
		}
	}
	return out, nil
}
