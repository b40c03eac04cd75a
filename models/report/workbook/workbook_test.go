package workbook

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
)

var (
	otahuhu = uuid.MustParse("00000000-0000-0000-0000-0000000000a1")
	kowhai  = uuid.MustParse("00000000-0000-0000-0000-0000000000a2")
)

// Exact figures behind suppressed cells: neither may appear anywhere.
const (
	hiddenSessions = 1379   // Kōwhai's HIP sessions, 3 people behind them
	hiddenRate     = 0.8571 // Kōwhai's seen-within-7-days share
)

// protectedReport is a report as protect.Apply leaves it, built by hand.
func protectedReport() *report.Report {
	cell := func(p uuid.UUID, line, m, dim, group string, figure float64, shown, flag string) report.Cell {
		return report.Cell{Key: report.Key{Practice: p, Line: line, Measure: m, Dim: dim, Group: group},
			Figure: figure, People: int(figure), Shown: shown, Flag: flag}
	}
	all := report.LineAll
	r := &report.Report{
		Contract: report.Contract{ID: uuid.MustParse("00000000-0000-0000-0000-00000000c001"), Number: "HNZ-2026-017",
			Name: "Access and Choice, Auckland", Funder: "Health New Zealand", Region: "Te Manawa Taki",
			Lines:     []string{report.LineHIP, report.LineHealthCoach},
			Targets:   report.Targets{SeenWithin7Days: 0.8, MaoriShare: 0.25, PacificShare: 0.1, NewPerFTE: 550},
			Threshold: 6, Rounding: true, Frequency: report.Quarterly},
		Period:    report.FiscalQuarter(2027, 1),
		Practices: []report.Practice{{ID: kowhai, Name: "Kōwhai Medical"}, {ID: otahuhu, Name: "Ōtāhuhu Whānau Health"}},
		Lines:     []string{report.LineHIP, report.LineHealthCoach},
		AsOf:      time.Date(2026, 10, 3, 21, 15, 0, 0, time.UTC),
		Protected: true,
		Cells: []report.Cell{
			cell(uuid.Nil, all, report.MPeopleSeen, "", "", 311, "312", "R"),
			cell(uuid.Nil, all, report.MSessions, "", "", 1046, "1047", "R"),
			cell(uuid.Nil, all, report.MNewPeople, "", "", 200, "201", "R"),
			cell(uuid.Nil, all, report.MSeenWithin7Rate, "", "", 0.833, "83.3", ""),
			cell(uuid.Nil, all, report.MNewPerFTE, "", "", 540.2, "540.2", ""),
			cell(uuid.Nil, all, report.MEnrolled, "", "", 12000, "12000", "R"),
			cell(uuid.Nil, all, report.MPeopleSeen, report.DimEthnicity, "maori", 96, "96", "R"),
			cell(uuid.Nil, all, report.MPeopleSeen, report.DimEthnicity, "pacific", 4, "S", "S"),
			cell(uuid.Nil, all, report.MPeopleSeen, report.DimEthnicity, "european", 150, "150", "R"),
			cell(uuid.Nil, all, report.MEnrolled, report.DimEthnicity, "maori", 2400, "2400", "R"),
			cell(uuid.Nil, all, report.MEnrolled, report.DimEthnicity, "pacific", 900, "900", "R"),
			cell(otahuhu, all, report.MPeopleSeen, "", "", 250, "249", "R"),
			cell(otahuhu, report.LineHIP, report.MSessions, "", "", 700, "699", "R"),
			cell(kowhai, all, report.MPeopleSeen, "", "", 61, "60", "R"),
			cell(kowhai, report.LineHIP, report.MSessions, "", "", hiddenSessions, "S", "S"),
			cell(kowhai, all, report.MSeenWithin7Rate, "", "", hiddenRate, "S", "S"),
		},
	}
	for i, m := range r.Period.Months() {
		sessions, people := report.Cell{Shown: []string{"330", "S", "360"}[i]}, report.Cell{Shown: "120"}
		r.Trend = append(r.Trend, report.TrendPoint{Month: m, Line: all, Sessions: sessions, People: people})
	}
	return r
}

func write(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func TestWorkbookSheetsAndFigures(t *testing.T) {
	data := write(t, protectedReport())
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"Summary", "Practices", "Equity", "Trend", "Notes"}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %v, want %v", got, want)
	}
	for _, c := range []struct{ sheet, cell, want string }{
		{"Summary", "B2", "HNZ-2026-017 — Access and Choice, Auckland"},
		{"Summary", "B5", "FY2027 Q1 (Jul–Sep 2026)"},
		{"Summary", "B6", "4 Oct 2026, 10:15 am"}, // 21:15 UTC is the next morning in NZDT
		{"Summary", "A10", "People seen"},
		{"Summary", "B10", "312"},
		{"Summary", "B13", "83.3"},
		{"Summary", "E13", "80"},
		{"Summary", "G13", "Met"},
		{"Summary", "G16", "Not met"}, // 540.2 new people per FTE-year against 550
		{"Practices", "A5", "Kōwhai Medical"},
		{"Practices", "D6", "S"}, // Kōwhai, HIP, sessions
		{"Practices", "A8", "Ōtāhuhu Whānau Health"},
		{"Equity", "B3", "96"},
		{"Equity", "C3", "30.8"}, // 96 of the 312 published
		{"Equity", "E3", "20"},   // 2400 of 12000 enrolled
		{"Equity", "B4", "S"},
		{"Equity", "C4", "S"},
		{"Trend", "A3", "Aug 2026"},
		{"Trend", "B3", "S"},
		{"Trend", "B4", "360"},
		{"Notes", "A2", "S"},
	} {
		got, err := f.GetCellValue(c.sheet, c.cell)
		if err != nil || got != c.want {
			t.Errorf("%s!%s = %q (%v), want %q", c.sheet, c.cell, got, err, c.want)
		}
	}
	// Figures go in as numbers so funders can sum and chart them (a numeric
	// cell carries no type attribute, which excelize reads as unset); "S"
	// stays text.
	for _, c := range []struct {
		sheet, cell string
		want        excelize.CellType
	}{{"Summary", "B10", excelize.CellTypeUnset}, {"Trend", "B2", excelize.CellTypeUnset},
		{"Trend", "B3", excelize.CellTypeSharedString}, {"Practices", "D6", excelize.CellTypeSharedString}} {
		if got, err := f.GetCellType(c.sheet, c.cell); err != nil || got != c.want {
			t.Errorf("%s!%s type = %v (%v), want %v", c.sheet, c.cell, got, err, c.want)
		}
	}
	props, err := f.GetDocProps()
	if err != nil || props.Created != "2026-10-03T21:15:00Z" || props.Modified != props.Created {
		t.Errorf("doc props = %+v (%v), want created and modified at the report's as-of", props, err)
	}
	panes, err := f.GetPanes("Practices")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("Practices panes = %+v (%v), want the header row frozen", panes, err)
	}
}

func TestWorkbookNeverShowsHiddenFigures(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(write(t, protectedReport())))
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatalf("GetRows %s: %v", sheet, err)
		}
		for _, row := range rows {
			for _, v := range row {
				if strings.Contains(v, "1379") || strings.Contains(v, "85.7") {
					t.Errorf("%s shows an exact figure behind a suppressed cell: %q", sheet, v)
				}
			}
		}
	}
}

func TestWorkbookHasTrendChart(t *testing.T) {
	data := write(t, protectedReport())
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	var chart string
	for _, file := range z.File {
		if file.Name == "xl/charts/chart1.xml" {
			rc, err := file.Open()
			if err != nil {
				t.Fatalf("open chart: %v", err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			chart = string(b)
		}
	}
	if chart == "" {
		t.Fatal("no xl/charts/chart1.xml in the workbook")
	}
	if !strings.Contains(chart, "Trend!$B$2:$B$4") || !strings.Contains(chart, "barChart") {
		t.Errorf("chart does not draw Trend sessions as columns:\n%.600s", chart)
	}
}

func TestWorkbookIsDeterministic(t *testing.T) {
	a, b := write(t, protectedReport()), write(t, protectedReport())
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of one report differ")
	}
}

func TestWorkbookRefusesUnprotected(t *testing.T) {
	r := protectedReport()
	r.Protected = false
	var buf bytes.Buffer
	err := Write(&buf, r)
	if !errors.Is(err, fault.Conflict) {
		t.Fatalf("Write(unprotected) = %v, want a conflict", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes of an unprotected report", buf.Len())
	}
	if err := Write(&buf, nil); !errors.Is(err, fault.Conflict) {
		t.Errorf("Write(nil) = %v, want a conflict", err)
	}
}

func TestWorkbookWithoutTrend(t *testing.T) {
	r := protectedReport()
	r.Trend = nil
	f, err := excelize.OpenReader(bytes.NewReader(write(t, r)))
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Trend", "A2"); v != "No months to show." {
		t.Errorf("Trend!A2 = %q, want the no-months note", v)
	}
}
