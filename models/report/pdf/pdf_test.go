package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
)

var (
	otahuhu = uuid.MustParse("00000000-0000-0000-0000-0000000000a1")
	kowhai  = uuid.MustParse("00000000-0000-0000-0000-0000000000a2")
)

// Exact figures behind suppressed cells: neither may appear on paper.
const (
	hiddenSessions = 2917   // the August trend month, 4 people behind it
	hiddenRate     = 0.8571 // Kōwhai's seen-within-7-days share (85.7%)
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
			cell(uuid.Nil, all, report.MSeenWithin7Rate, "", "", 0.833, "83.3", ""),
			cell(uuid.Nil, report.LineHIP, report.MSeenWithin7Rate, "", "", 0.9, "90.0", ""),
			cell(uuid.Nil, report.LineHealthCoach, report.MSeenWithin7Rate, "", "", 0.6, "S", "S"),
			cell(uuid.Nil, all, report.MEnrolled, "", "", 12000, "12000", "R"),
			cell(uuid.Nil, all, report.MPeopleSeen, report.DimEthnicity, "maori", 96, "96", "R"),
			cell(uuid.Nil, all, report.MPeopleSeen, report.DimEthnicity, "pacific", 4, "S", "S"),
			cell(uuid.Nil, all, report.MPeopleSeen, report.DimEthnicity, "european", 150, "150", "R"),
			cell(uuid.Nil, all, report.MEnrolled, report.DimEthnicity, "maori", 2400, "2400", "R"),
			cell(uuid.Nil, all, report.MEnrolled, report.DimEthnicity, "pacific", 900, "900", "R"),
			cell(otahuhu, all, report.MPeopleSeen, "", "", 250, "249", "R"),
			cell(kowhai, all, report.MPeopleSeen, "", "", 61, "60", "R"),
			cell(kowhai, all, report.MSeenWithin7Rate, "", "", hiddenRate, "S", "S"),
		},
	}
	for i, m := range r.Period.Months() {
		s := []report.Cell{{Figure: 330, Shown: "330", Flag: "R"}, {Figure: hiddenSessions, Shown: "S", Flag: "S"},
			{Figure: 361, Shown: "360", Flag: "R"}}[i]
		r.Trend = append(r.Trend, report.TrendPoint{Month: m, Line: all, Sessions: s, People: report.Cell{Shown: "120"}})
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

// tool finds a poppler command; the render check must not silently pass
// on a machine without it.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install poppler-utils (apt-get install poppler-utils) to check that the PDF renders", name)
	}
	return path
}

var pageObject = regexp.MustCompile(`/Type /Page\b[^s]`)

// render draws every page to PNG with pdftoppm and returns the page count.
func render(t *testing.T, data []byte) int {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool(t, "pdftoppm"), "-png", "-r", "50", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	pages := len(pageObject.FindAll(data, -1))
	if len(pngs) != pages {
		t.Fatalf("pdftoppm drew %d pages, the PDF has %d", len(pngs), pages)
	}
	for _, p := range pngs {
		if fi, err := os.Stat(p); err != nil || fi.Size() < 1000 {
			t.Errorf("page image %s is missing or empty", filepath.Base(p))
		}
	}
	return pages
}

// text is the PDF's text as pdftotext reads it.
func text(t *testing.T, data []byte) string {
	t.Helper()
	cmd := exec.Command(tool(t, "pdftotext"), "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestPDFRenders(t *testing.T) {
	data := write(t, protectedReport())
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("output starts %q, not %%PDF-", data[:min(8, len(data))])
	}
	if n := render(t, data); n < 2 || n > 4 {
		t.Errorf("%d pages, want 2 to 4", n)
	}
	got := text(t, data)
	for _, want := range []string{"Access and Choice, Auckland", "HNZ-2026-017", "Health New Zealand", "Te Manawa Taki",
		"FY2027 Q1 (Jul–Sep 2026)", "4 October 2026, 10:15 am", "Ōtāhuhu Whānau Health", "Kōwhai Medical", "Māori",
		"83.3%", "Target 80%", "Sessions delivered each month", "How to read this report",
		"See the CSV/XLSX for every practice"} {
		if !strings.Contains(got, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)\bS\b`).MatchString(got) {
		t.Error(`no suppressed figure is printed as "S"`)
	}
	for _, hidden := range []string{fmt.Sprint(hiddenSessions), "85.7", "60.0%"} {
		if strings.Contains(got, hidden) {
			t.Errorf("PDF shows %q, an exact figure behind a suppressed cell", hidden)
		}
	}
}

func TestPDFIsDeterministic(t *testing.T) {
	a, b := write(t, protectedReport()), write(t, protectedReport())
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of one report differ")
	}
}

// At regional scale the paper stays at four pages and lists fifteen
// practices, most people seen first.
func TestPDFManyPractices(t *testing.T) {
	r := protectedReport()
	r.Practices = nil
	for i := range 40 {
		id := uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i)})
		r.Practices = append(r.Practices, report.Practice{ID: id, Name: fmt.Sprintf("Practice %02d of Tāmaki Makaurau with a long name", i)})
		r.Cells = append(r.Cells, report.Cell{Key: report.Key{Practice: id, Line: report.LineAll, Measure: report.MPeopleSeen},
			Shown: fmt.Sprint(30 + 3*i), Flag: "R"})
	}
	data := write(t, r)
	if n := render(t, data); n != 4 {
		t.Errorf("%d pages, want 4", n)
	}
	got := text(t, data)
	if !strings.Contains(got, "Showing 15 of 40 practices") {
		t.Error("the practice table does not say it shows 15 of 40")
	}
	if !strings.Contains(got, "Practice 39") || strings.Contains(got, "Practice 24 ") || strings.Contains(got, "Practice 00") {
		t.Error("the practice table is not the 15 with the most people seen")
	}
}

func TestPDFWithoutPractices(t *testing.T) {
	r := protectedReport()
	r.Practices, r.Trend = nil, nil
	if n := render(t, write(t, r)); n < 2 || n > 4 {
		t.Errorf("%d pages, want 2 to 4", n)
	}
}

func TestPDFRefusesUnprotected(t *testing.T) {
	r := protectedReport()
	r.Protected = false
	var buf bytes.Buffer
	if err := Write(&buf, r); !errors.Is(err, fault.Conflict) {
		t.Fatalf("Write(unprotected) = %v, want a conflict", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes of an unprotected report", buf.Len())
	}
}
