package bulk

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on what one file may hold.
const (
	MaxBytes    = 10 << 20 // 10 MiB
	MaxRows     = 20000    // data rows, header not counted
	MaxProblems = 500      // bad rows listed; the rest are counted
	maxCell     = 500      // runes in one cell
)

// Problem is one bad row (Line 1 is the header).
type Problem struct {
	Line   int
	Column string // empty when the row as a whole is wrong
	Reason string
}

func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Reason)
	}
	return fmt.Sprintf("line %d, %s: %s", p.Line, p.Column, p.Reason)
}

// problems collects bad rows up to MaxProblems and counts the rest.
type problems struct {
	list []Problem
	more int
}

func (p *problems) add(line int, column, reason string) {
	if len(p.list) >= MaxProblems {
		p.more++
		return
	}
	p.list = append(p.list, Problem{Line: line, Column: column, Reason: reason})
}

// errTooBig is the size limit tripping inside the csv reader.
var errTooBig = errors.New("bulk: file too large")

// capped fails a read past n bytes instead of silently truncating the file
// (io.LimitReader would end it quietly, and a cut row could look valid).
type capped struct {
	r io.Reader
	n int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.n <= 0 {
		var one [1]byte
		if k, _ := c.r.Read(one[:]); k > 0 {
			return 0, errTooBig
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

// table reads a CSV file row by row: UTF-8 with or without a byte-order mark,
// CRLF or LF, quoted fields, every cell NFC-normalised and trimmed. The header
// row is required; its columns may come in any order but must be exactly the
// kind's columns.
type table struct {
	r       *csv.Reader
	cols    []string       // the kind's columns, in template order
	index   map[string]int // column -> position in the file
	row     []string       // the current row, by cols order
	line    int
	fatal   bool // the file cannot be read past this point
	dataRow int
}

func newTable(r io.Reader, cols []string, p *problems) (*table, error) {
	br := bufio.NewReaderSize(&capped{r: r, n: MaxBytes}, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked here, so that a short row is reported and reading goes on
	t := &table{r: cr, cols: cols, index: map[string]int{}, row: make([]string, len(cols))}
	head, err := cr.Read()
	if errors.Is(err, errTooBig) {
		return nil, err
	}
	if err == io.EOF {
		p.add(1, "", "the file is empty: the first line must name the columns ("+strings.Join(cols, ", ")+")")
		return nil, nil
	}
	if err != nil {
		p.add(1, "", "the header row cannot be read: "+csvReason(err))
		return nil, nil
	}
	bad := false
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(norm.NFC.String(h)))
		if _, dup := t.index[h]; dup {
			p.add(1, h, "this column appears twice")
			bad = true
		} else if !slices.Contains(cols, h) {
			p.add(1, h, "unknown column: the columns are "+strings.Join(cols, ", "))
			bad = true
		} else {
			t.index[h] = i
		}
	}
	for _, c := range cols {
		if _, ok := t.index[c]; !ok {
			p.add(1, c, "missing column")
			bad = true
		}
	}
	if bad {
		return nil, nil
	}
	return t, nil
}

// next reads the next data row into t.row. It reports a row it cannot use as a
// problem and returns ok=false with more=true; at the end of the file it
// returns more=false.
func (t *table) next(p *problems) (ok, more bool, err error) {
	if t.fatal {
		return false, false, nil
	}
	rec, err := t.r.Read()
	if err == io.EOF {
		return false, false, nil
	}
	if errors.Is(err, errTooBig) {
		return false, false, err
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.line = pe.StartLine
		}
		// A broken quote leaves the reader out of step with the rows: what
		// follows cannot be trusted, so stop here.
		p.add(t.line, "", csvReason(err)+"; the rest of the file was not checked")
		t.fatal = true
		return false, false, nil
	}
	t.line, _ = t.r.FieldPos(0)
	t.dataRow++
	if t.dataRow > MaxRows {
		p.add(t.line, "", fmt.Sprintf("too many rows: a file may hold at most %d", MaxRows))
		t.fatal = true
		return false, false, nil
	}
	if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" && len(t.cols) > 1 {
		return false, true, nil // a blank line
	}
	if len(rec) != len(t.index) {
		p.add(t.line, "", fmt.Sprintf("has %d cells, the header has %d", len(rec), len(t.index)))
		return false, true, nil
	}
	good := true
	for i, c := range t.cols {
		v := rec[t.index[c]]
		if reason := badCell(v); reason != "" {
			p.add(t.line, c, reason)
			good = false
			v = ""
		}
		t.row[i] = strings.TrimSpace(norm.NFC.String(v))
		if utf8.RuneCountInString(t.row[i]) > maxCell {
			p.add(t.line, c, fmt.Sprintf("longer than %d characters", maxCell))
			good = false
		}
	}
	return good, true, nil
}

// get returns the current row's cell of column c.
func (t *table) get(c string) string { return t.row[slices.Index(t.cols, c)] }

func badCell(v string) string {
	if !utf8.ValidString(v) {
		return "not UTF-8 text: save the file as CSV UTF-8"
	}
	for _, r := range v {
		if r == 0 || (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r') {
			return "contains a control character"
		}
	}
	return ""
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return "a quote is out of place (a quoted cell must be wholly in quotes, with \"\" for a quote inside)"
		case errors.Is(pe.Err, csv.ErrFieldCount):
			return "wrong number of cells"
		}
	}
	return "cannot be read as CSV"
}

// Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that
// starts with = + - @ (or a tab or carriage return before one). Such cells are
// stored as the text they are; on the way out they get a leading quote, which
// spreadsheets show as text and never run.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeRow writes cells with formula-looking ones made safe.
func writeRow(w *csv.Writer, cells ...string) error {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = safeCell(c)
	}
	return w.Write(out)
}
