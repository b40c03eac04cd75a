package reportrun

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/export"
	"github.com/tuhono/tuhono/models/report/pdf"
	"github.com/tuhono/tuhono/models/report/protect"
	"github.com/tuhono/tuhono/models/report/workbook"
)

// A run's status: review → published → withdrawn, or review → withdrawn
// (the report_runs_guard trigger holds the database to the same).
const (
	StatusReview    = "review"
	StatusPublished = "published"
	StatusWithdrawn = "withdrawn"
)

// A run's files. FormatInput is the exact figures the run was made from: it
// is kept so the run can be audited, and is never offered for download.
const (
	FormatCSV        = "csv"
	FormatDictionary = "dictionary"
	FormatXLSX       = "xlsx"
	FormatPDF        = "pdf"
	FormatInput      = "input"
)

// Formats are the files people may download, in the order pages list them.
var Formats = []string{FormatCSV, FormatDictionary, FormatXLSX, FormatPDF}

// FormatLabels name the downloadable formats for people.
var FormatLabels = map[string]string{FormatCSV: "Figures (CSV)", FormatDictionary: "Data dictionary (CSV)",
	FormatXLSX: "Workbook (XLSX)", FormatPDF: "Summary (PDF)"}

const (
	typeCSV  = "text/csv; charset=utf-8"
	typeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	typePDF  = "application/pdf"
	typeJSON = "application/json"
)

// File is one stored file of a run. Body is filled only by Get.
type File struct {
	Format      string
	Filename    string
	ContentType string
	SHA256      string
	Size        int
	Body        []byte
}

// Run is one generated version of a contract's report for a period.
type Run struct {
	ID, ContractID uuid.UUID
	Period         string
	Version        int
	Status         string
	AsOf           time.Time // the snapshot of the facts the figures were read at
	GeneratedAt    time.Time
	GeneratedBy    uuid.UUID // uuid.Nil: a system job
	PublishedAt    *time.Time
	WithdrawnAt    *time.Time
	InputSHA256    string // of the exact figures (FormatInput)
	Files          []File // the downloadable files, in Formats order, without bodies
}

// File returns the run's file of format and whether it has one.
func (r Run) File(format string) (File, bool) {
	for _, f := range r.Files {
		if f.Format == format {
			return f, true
		}
	}
	return File{}, false
}

type runRow struct {
	ID          uuid.UUID
	ContractID  uuid.UUID
	Period      string
	Version     int
	AsOf        time.Time
	InputSHA256 string `gorm:"column:input_sha256"`
	GeneratedBy *uuid.UUID
	GeneratedAt time.Time
	Status      string
	PublishedAt *time.Time
	WithdrawnAt *time.Time
}

func (r runRow) run() Run {
	out := Run{ID: r.ID, ContractID: r.ContractID, Period: r.Period, Version: r.Version, Status: r.Status,
		AsOf: r.AsOf, GeneratedAt: r.GeneratedAt, PublishedAt: r.PublishedAt, WithdrawnAt: r.WithdrawnAt,
		InputSHA256: r.InputSHA256}
	if r.GeneratedBy != nil {
		out.GeneratedBy = *r.GeneratedBy
	}
	return out
}

type fileRow struct {
	RunID       uuid.UUID
	Format      string
	Filename    string
	ContentType string
	Size        int
	SHA256      string `gorm:"column:sha256"`
	Body        []byte
}

// parameters are what a run was generated with, stored beside it. Never
// the contract's rounding key: the parameters are shown to reviewers, and
// the key would let anyone undo the rounding.
type parameters struct {
	Contract      string   `json:"contract"`
	Lines         []string `json:"lines"`
	Threshold     int      `json:"threshold"`
	Rounding      bool     `json:"rounding"`
	TotalResponse bool     `json:"total_response"`
	Period        string   `json:"period"`
	Practices     []string `json:"practices"`
}

// output is one file Generate made, before the run's version names it.
type output struct {
	format, contentType string
	name                func(version int) string
	body                []byte
}

// Generate computes contract contractID's report for period, protects it
// with the contract's privacy rules and stores it as the period's next
// version, in review, with every file and its SHA-256. regionName is what
// the report says the contract's region is called.
//
// All the heavy work (computing, protecting, rendering) happens before the
// one write transaction, which only numbers the version and inserts.
func Generate(ctx context.Context, d *db.DB, actor, contractID uuid.UUID, period report.Period, regionName string) (Run, error) {
	c, err := contract.ByID(ctx, d, contractID)
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", err)
	}
	i := slices.IndexFunc(c.Periods(), func(p report.Period) bool { return p.Label == period.Label })
	if i < 0 {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", fault.InvalidField("period",
			"the contract has no reporting period "+period.Label+": choose one of its periods"))
	}
	// The contract's own period, not the caller's dates for the label.
	period = c.Periods()[i]
	scope := report.Scope{Lines: c.Lines, TotalResponse: c.TotalResponse}
	for _, cv := range c.Coverage {
		if !slices.ContainsFunc(scope.Practices, func(p report.Practice) bool { return p.ID == cv.PracticeID }) {
			scope.Practices = append(scope.Practices, report.Practice{ID: cv.PracticeID, Name: cv.PracticeName})
		}
	}
	if len(scope.Practices) == 0 {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", fault.InvalidField("practices",
			"the contract covers no practice yet: add its practices and their funded FTE first"))
	}
	r, err := report.Compute(ctx, d, "report run: contract "+c.Number+" "+period.Label, scope, period)
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", err)
	}
	r.Contract = c.Summary(regionName)
	input, err := inputJSON(r)
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", err)
	}
	protect.Apply(r, protect.RulesFor(r.Contract, period))
	outs, err := render(r)
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", err)
	}
	outs = append(outs, output{format: FormatInput, contentType: typeJSON, body: input,
		name: func(v int) string { return export.Filename(r, v, "") + "-input.json" }})

	params := parameters{Contract: c.Number, Lines: slices.Clone(c.Lines), Threshold: c.Threshold, Rounding: c.Rounding,
		TotalResponse: c.TotalResponse, Period: period.Label}
	for _, p := range r.Practices {
		params.Practices = append(params.Practices, p.ID.String())
	}
	pj, err := json.Marshal(params)
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", err)
	}
	var by *uuid.UUID
	if actor != uuid.Nil {
		by = &actor
	}
	id := uuid.Must(uuid.NewV7())
	version := 0
	err = d.Platform(ctx, "generate report run", func(tx *db.Tx) error {
		// Two admins generating the same contract at once take turns, so
		// each gets its own version number.
		if err := tx.Exec(`SELECT id FROM contracts WHERE id = ? FOR UPDATE`, c.ID).Error; err != nil {
			return err
		}
		if err := tx.Raw(`SELECT coalesce(max(version), 0) + 1 FROM report_runs WHERE contract_id = ? AND period = ?`,
			c.ID, period.Label).Scan(&version).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO report_runs (id, contract_id, period, version, parameters, as_of, input_sha256, generated_by)
			VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, ?)`, id, c.ID, period.Label, version, string(pj), r.AsOf,
			digest(input), by).Error; err != nil {
			return err
		}
		for _, o := range outs {
			if err := tx.Exec(`INSERT INTO report_files (run_id, format, filename, content_type, size, sha256, body)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, o.format, o.name(version), o.contentType, len(o.body),
				digest(o.body), o.body).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", db.Translate(err))
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "report_run.generate", ActorUserID: actor, Object: "report_run",
		ObjectID: id.String(), Detail: map[string]string{"contract": c.ID.String(), "number": c.Number,
			"period": period.Label, "version": strconv.Itoa(version), "input_sha256": digest(input)}}); err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", err)
	}
	run, err := ByID(ctx, d, id)
	if err != nil {
		return Run{}, fmt.Errorf("reportrun.Generate: %w", err)
	}
	return run, nil
}

// render writes a protected report in every downloadable format.
func render(r *report.Report) ([]output, error) {
	var csv, dict, xlsx, doc bytes.Buffer
	if err := export.CSV(&csv, r); err != nil {
		return nil, err
	}
	if err := export.Dictionary(&dict, r); err != nil {
		return nil, err
	}
	if err := workbook.Write(&xlsx, r); err != nil {
		return nil, err
	}
	if err := pdf.Write(&doc, r); err != nil {
		return nil, err
	}
	named := func(ext string) func(int) string { return func(v int) string { return export.Filename(r, v, ext) } }
	return []output{
		{format: FormatCSV, contentType: typeCSV, body: csv.Bytes(), name: named("csv")},
		{format: FormatDictionary, contentType: typeCSV, body: dict.Bytes(),
			name: func(v int) string { return export.Filename(r, v, "") + "-dictionary.csv" }},
		{format: FormatXLSX, contentType: typeXLSX, body: xlsx.Bytes(), name: named("xlsx")},
		{format: FormatPDF, contentType: typePDF, body: doc.Bytes(), name: named("pdf")},
	}, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// inputCell is one exact figure as the input file stores it. A figure that
// is not a number (a rate over nothing) is stored as null: JSON has no NaN.
type inputCell struct {
	Practice string   `json:"practice"`
	Line     string   `json:"line"`
	Measure  string   `json:"measure"`
	Dim      string   `json:"breakdown"`
	Group    string   `json:"group"`
	Figure   *float64 `json:"figure"`
	Num      *float64 `json:"num"`
	Den      *float64 `json:"den"`
	People   int      `json:"people"`
}

type inputTrend struct {
	Month    string   `json:"month"`
	Practice string   `json:"practice"`
	Line     string   `json:"line"`
	Sessions *float64 `json:"sessions"`
	People   *float64 `json:"people"`
}

type inputDoc struct {
	Period    string       `json:"period"`
	Practices []string     `json:"practices"`
	Lines     []string     `json:"lines"`
	Cells     []inputCell  `json:"cells"`
	Trend     []inputTrend `json:"trend"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// inputJSON is the canonical form of r's exact figures: cells and trend in
// key order, so the same data always gives the same bytes and SHA-256.
// Called before protection; it holds counts only, nothing about a person.
func inputJSON(r *report.Report) ([]byte, error) {
	doc := inputDoc{Period: r.Period.Label, Lines: slices.Clone(r.Lines), Cells: make([]inputCell, len(r.Cells)),
		Trend: make([]inputTrend, len(r.Trend))}
	for _, p := range r.Practices {
		doc.Practices = append(doc.Practices, p.ID.String())
	}
	slices.Sort(doc.Practices)
	for i, c := range r.Cells {
		doc.Cells[i] = inputCell{Practice: c.Practice.String(), Line: c.Line, Measure: c.Measure, Dim: c.Dim, Group: c.Group,
			Figure: finite(c.Figure), Num: finite(c.Num), Den: finite(c.Den), People: c.People}
	}
	slices.SortFunc(doc.Cells, func(a, b inputCell) int {
		return cmp.Or(strings.Compare(a.Practice, b.Practice), strings.Compare(a.Line, b.Line),
			strings.Compare(a.Measure, b.Measure), strings.Compare(a.Dim, b.Dim), strings.Compare(a.Group, b.Group))
	})
	for i, t := range r.Trend {
		doc.Trend[i] = inputTrend{Month: t.Month.Label, Practice: t.Practice.String(), Line: t.Line,
			Sessions: finite(t.Sessions.Figure), People: finite(t.People.Figure)}
	}
	slices.SortFunc(doc.Trend, func(a, b inputTrend) int {
		return cmp.Or(strings.Compare(a.Month, b.Month), strings.Compare(a.Practice, b.Practice), strings.Compare(a.Line, b.Line))
	})
	return json.Marshal(doc)
}
