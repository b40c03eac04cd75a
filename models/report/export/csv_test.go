package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/report/protect"
)

var (
	pEvil  = uuid.MustParse("00000000-0000-7000-8000-000000000001")
	pAlpha = uuid.MustParse("00000000-0000-7000-8000-000000000002")
	pZed   = uuid.MustParse("00000000-0000-7000-8000-000000000003")
)

const evilName = `=HYPERLINK("http://example.com/x","Click")`

func k(p uuid.UUID, line, measure, dim, group string) report.Key {
	return report.Key{Practice: p, Line: line, Measure: measure, Dim: dim, Group: group}
}

// sample is a small report whose cells are deliberately out of order.
func sample() *report.Report {
	people := func(key report.Key, n int) report.Cell { return report.Cell{Key: key, Figure: float64(n), People: n} }
	return &report.Report{
		Contract: report.Contract{ID: uuid.MustParse("0190a000-0000-7000-8000-0000000000cc"), Number: "HNZ/2026-07",
			Name: "=Tū Whakaruruhau IPMHA", Funder: "Health NZ", Region: "Auckland", Threshold: 6, Rounding: true},
		Period:    report.FiscalQuarter(2027, 1),
		Practices: []report.Practice{{ID: pEvil, Name: evilName}, {ID: pAlpha, Name: "Alpha Health"}, {ID: pZed, Name: "Zed Medical"}},
		AsOf:      time.Date(2026, 10, 2, 3, 4, 5, 0, time.UTC),
		Cells: []report.Cell{
			people(k(pZed, report.LineHIP, report.MPeopleSeen, "", ""), 40),
			{Key: k(uuid.Nil, report.LineAll, report.MK10Change, "", ""), Figure: -4.36, Num: -109, Den: 25, People: 25},
			people(k(pAlpha, report.LineHIP, report.MPeopleSeen, report.DimEthnicity, "pacific"), 20),
			people(k(pAlpha, report.LineHIP, report.MPeopleSeen, report.DimEthnicity, "maori"), 3),
			people(k(pAlpha, report.LineHIP, report.MPeopleSeen, report.DimEthnicity, "european"), 30),
			people(k(pAlpha, report.LineHIP, report.MPeopleSeen, "", ""), 53),
			{Key: k(pAlpha, report.LineHIP, report.MSessions, "", ""), Figure: 120, People: 53},
			people(k(pAlpha, report.LineAll, report.MPeopleSeen, "", ""), 60),
			people(k(pEvil, report.LineHealthCoach, report.MPeopleSeen, "", ""), 12),
			people(k(uuid.Nil, report.LineHIP, report.MPeopleSeen, report.DimAgeBand, "25-44"), 14),
			people(k(uuid.Nil, report.LineHIP, report.MPeopleSeen, report.DimEthnicity, "maori"), 9),
			{Key: k(pZed, report.LineHIP, report.MDNARate, "", "")},
		},
		Trend: []report.TrendPoint{
			{Month: report.Month(2026, 8), Practice: uuid.Nil, Line: report.LineAll,
				Sessions: report.Cell{Figure: 70, People: 30}, People: report.Cell{Figure: 30, People: 30}},
			{Month: report.Month(2026, 7), Practice: uuid.Nil, Line: report.LineAll,
				Sessions: report.Cell{Figure: 50, People: 20}, People: report.Cell{Figure: 20, People: 20}},
		},
	}
}

func protected(r *report.Report) *report.Report {
	protect.Apply(r, protect.RulesFor(r.Contract, r.Period))
	return r
}

func writeCSV(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := CSV(&b, r); err != nil {
		t.Fatalf("CSV: %v", err)
	}
	return b.Bytes()
}

func TestCSVByteIdentical(t *testing.T) {
	first := writeCSV(t, protected(sample()))
	second := writeCSV(t, protected(sample()))
	if !bytes.Equal(first, second) {
		t.Fatalf("two runs differ:\n%s\n---\n%s", first, second)
	}
	// The order comes from the catalogue, not from the order Compute
	// happened to produce the cells in.
	r := sample()
	for i, j := 0, len(r.Cells)-1; i < j; i, j = i+1, j-1 {
		r.Cells[i], r.Cells[j] = r.Cells[j], r.Cells[i]
	}
	if third := writeCSV(t, protected(r)); !bytes.Equal(first, third) {
		t.Fatalf("reordered cells change the output:\n%s\n---\n%s", first, third)
	}
	if bytes.HasPrefix(first, []byte("\xef\xbb\xbf")) || bytes.Contains(first, []byte("\r\n")) {
		t.Fatal("CSV carries a BOM or CRLF line ends")
	}
}

func TestCSVRowsAndOrder(t *testing.T) {
	rows, err := csv.NewReader(bytes.NewReader(writeCSV(t, protected(sample())))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "period,practice,service_line,measure,breakdown,group,value,flags" {
		t.Fatalf("header %v", rows[0])
	}
	q := "FY2027-Q1"
	evil := "'" + evilName
	want := [][]string{
		{q, "All practices", "all", report.MK10Change, "total", ""},
		{q, "All practices", "hip", report.MPeopleSeen, "ethnicity", "maori"},
		{q, "All practices", "hip", report.MPeopleSeen, "age_band", "25-44"},
		{q, evil, "health_coach", report.MPeopleSeen, "total", ""},
		{q, "Alpha Health", "all", report.MPeopleSeen, "total", ""},
		{q, "Alpha Health", "hip", report.MSessions, "total", ""},
		{q, "Alpha Health", "hip", report.MPeopleSeen, "total", ""},
		{q, "Alpha Health", "hip", report.MPeopleSeen, "ethnicity", "maori"},
		{q, "Alpha Health", "hip", report.MPeopleSeen, "ethnicity", "pacific"},
		{q, "Alpha Health", "hip", report.MPeopleSeen, "ethnicity", "european"},
		{q, "Zed Medical", "hip", report.MPeopleSeen, "total", ""},
		{q, "Zed Medical", "hip", report.MDNARate, "total", ""},
		{"2026-07", "All practices", "all", report.MSessions, "total", ""},
		{"2026-07", "All practices", "all", report.MPeopleSeen, "total", ""},
		{"2026-08", "All practices", "all", report.MSessions, "total", ""},
		{"2026-08", "All practices", "all", report.MPeopleSeen, "total", ""},
	}
	if len(rows)-1 != len(want) {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(want))
	}
	byKey := map[string][]string{}
	for i, w := range want {
		got := rows[i+1]
		if strings.Join(got[:6], "|") != strings.Join(w, "|") {
			t.Errorf("row %d = %v, want %v", i+1, got[:6], w)
		}
		byKey[strings.Join(w[1:6], "|")] = got[6:]
	}
	// Values are what protect published: the 3 Māori people are
	// suppressed, Pacific (the smallest sibling) goes with them, a negative
	// mean stays a number, a rate over nothing is empty and flagged N.
	checks := map[string][2]string{
		"Alpha Health|hip|people_seen|ethnicity|maori":   {"S", "S"},
		"Alpha Health|hip|people_seen|ethnicity|pacific": {"S", "S"},
		"All practices|all|k10_change|total|":            {"-4.4", ""},
		"Zed Medical|hip|dna_rate|total|":                {"", "N"},
	}
	for key, w := range checks {
		if got := byKey[key]; got[0] != w[0] || got[1] != w[1] {
			t.Errorf("%s: value %q flag %q, want %q %q", key, got[0], got[1], w[0], w[1])
		}
	}
	if got := byKey["Zed Medical|hip|people_seen|total|"]; got[1] != "R" {
		t.Errorf("a rounded count is flagged %q, want R", got[1])
	}
}

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Alpha Health", "Alpha Health"},
		{"=1+2", "'=1+2"},
		{"+64 9 123", "'+64 9 123"},
		{"-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"-4.4", "-4.4"},
		{"-12", "-12"},
		{"-1.", "'-1."},
		{"83.3", "83.3"},
		{"a=b", "a=b"},
	}
	for _, tc := range tests {
		if got := neutralise(tc.in); got != tc.want {
			t.Errorf("neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExportRefusesUnprotected(t *testing.T) {
	r := sample()
	protect.Exact(r) // Shown filled with exact figures: still not for export
	for name, write := range map[string]func(*bytes.Buffer) error{
		"csv":        func(b *bytes.Buffer) error { return CSV(b, r) },
		"dictionary": func(b *bytes.Buffer) error { return Dictionary(b, r) },
	} {
		var b bytes.Buffer
		err := write(&b)
		if !errors.Is(err, ErrUnprotected) || !errors.Is(err, fault.Conflict) {
			t.Errorf("%s of an unprotected report: %v, want ErrUnprotected", name, err)
		}
		if b.Len() != 0 {
			t.Errorf("%s wrote %d bytes before refusing", name, b.Len())
		}
	}
}

func TestCSVRefusesUnlistedPractice(t *testing.T) {
	r := sample()
	r.Cells = append(r.Cells, report.Cell{Key: k(uuid.New(), report.LineHIP, report.MPeopleSeen, "", ""), Figure: 30, People: 30})
	var b bytes.Buffer
	if err := CSV(&b, protected(r)); !errors.Is(err, fault.Invalid) || b.Len() != 0 {
		t.Fatalf("CSV with an unlisted practice: %v (%d bytes), want invalid and nothing written", err, b.Len())
	}
}

func TestDictionary(t *testing.T) {
	r := protected(sample())
	var b1, b2 bytes.Buffer
	if err := Dictionary(&b1, r); err != nil {
		t.Fatal(err)
	}
	if err := Dictionary(&b2, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Fatal("two dictionaries of one report differ")
	}
	rows, err := csv.NewReader(&b1).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string][]string{}
	for _, row := range rows[1:] {
		if len(row) != len(DictionaryColumns) {
			t.Fatalf("row %v has %d columns", row, len(row))
		}
		seen[row[0]+"/"+row[1]] = row
	}
	var need []string
	for _, c := range Columns {
		need = append(need, "column/"+c)
	}
	for _, m := range report.Metrics {
		need = append(need, "metric/"+m.ID)
	}
	for _, d := range report.Dimensions {
		need = append(need, "breakdown/"+d.ID)
	}
	need = append(need, "breakdown/total", "flag/S", "flag/R", "flag/N", "flag/", "service_line/all", "service_line/hip",
		"privacy/threshold", "privacy/rounding", "period/FY2027-Q1", "period/as_of", "contract/HNZ/2026-07")
	for _, n := range need {
		if seen[n] == nil {
			t.Errorf("dictionary has no row %s", n)
		}
	}
	col := func(row []string, name string) string {
		for i, c := range DictionaryColumns {
			if c == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	if m := seen["metric/"+report.MSeenWithin7Rate]; col(m, "denominator") != "People introduced." ||
		col(m, "benchmark") != "National target: 80%" || col(m, "kind") != "rate" || col(m, "unit") != "%" {
		t.Errorf("seen-within-7-days row %v", m)
	}
	if d := seen["breakdown/"+report.DimYouth]; !strings.Contains(col(d, "groups"), "yes = Aged 12–24") {
		t.Errorf("youth groups %q", col(d, "groups"))
	}
	if p := seen["privacy/threshold"]; col(p, "value") != "6" {
		t.Errorf("threshold %q, want 6", col(p, "value"))
	}
	if p := seen["privacy/rounding"]; col(p, "value") != "yes" {
		t.Errorf("rounding %q, want yes", col(p, "value"))
	}
	if c := seen["contract/HNZ/2026-07"]; col(c, "name") != "'=Tū Whakaruruhau IPMHA" {
		t.Errorf("contract name %q: not neutralised", col(c, "name"))
	}
}

func TestFilename(t *testing.T) {
	withNumber := sample()
	without := sample()
	without.Contract = report.Contract{}
	without.Period = report.Month(2026, 7)
	tests := []struct {
		r       *report.Report
		version int
		ext     string
		want    string
	}{
		{withNumber, 2, "csv", "tuhono-HNZ-2026-07-FY2027-Q1-v2.csv"},
		{withNumber, 1, ".xlsx", "tuhono-HNZ-2026-07-FY2027-Q1-v1.xlsx"},
		{without, 0, "pdf", "tuhono-report-2026-07.pdf"},
		{&report.Report{Contract: report.Contract{Number: `a"b ā`}, Period: report.Month(2026, 7)}, 3, "csv",
			"tuhono-a-b---2026-07-v3.csv"},
	}
	for _, tc := range tests {
		if got := Filename(tc.r, tc.version, tc.ext); got != tc.want {
			t.Errorf("Filename = %q, want %q", got, tc.want)
		}
	}
}

// sorted packs ranks for speed; the order must be exactly ranked.less's,
// including when a rank is too big to pack (a practice past 4095) or an id
// is outside the catalogue (ties broken by the ids).
func TestSortedMatchesLess(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, big := range []bool{false, true} {
		rs := make([]ranked, 3000)
		for i := range rs {
			for f := range rs[i].ranks {
				rs[i].ranks[f] = rng.IntN(4) - 1
			}
			if big && i == 17 {
				rs[i].ranks[0] = 5000
			}
			rs[i].ids = [4]string{"l", string(rune('a' + rng.IntN(3))), "", ""}
			rs[i].i = i
		}
		want := slices.Clone(rs)
		sort.Slice(want, func(a, b int) bool { return want[a].less(want[b]) })
		got := sorted(slices.Clone(rs))
		for n := range got {
			if got[n] != want[n].i {
				t.Fatalf("big rank %v: position %d holds %d, want %d", big, n, got[n], want[n].i)
			}
		}
	}
}
