package record

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// shown encodes text the way the PDF writer puts it into an uncompressed
// content stream for an embedded Unicode font: UTF-16BE inside a literal
// string, with the PDF escapes. Finding it proves the glyphs were written as
// the right characters, macrons included.
func shown(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	out := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`, "\r", `\r`).Replace(string(b))
	return []byte(out)
}

var pageObject = regexp.MustCompile(`/Type /Page\b[^s]`)
var pageCount = regexp.MustCompile(`/Type /Pages\s*/Kids \[[^\]]*\]\s*/Count (\d+)`)

// pages counts page objects and checks the page tree agrees.
func pages(t *testing.T, pdf []byte) int {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	n := len(pageObject.FindAll(pdf, -1))
	m := pageCount.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no page tree with a /Count")
	}
	if c, _ := strconv.Atoi(string(m[1])); c != n {
		t.Fatalf("page tree says %d pages, found %d page objects", c, n)
	}
	return n
}

func mustContain(t *testing.T, pdf []byte, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !bytes.Contains(pdf, shown(s)) {
			t.Errorf("PDF text does not contain %q", s)
		}
	}
}

func TestPersonPDF(t *testing.T) {
	pdf, err := personPDF(sampleRecord(), pdfOptions{uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := pages(t, pdf); n != 2 {
		t.Errorf("sample record has %d pages, want 2 (cover, then the record)", n)
	}
	mustContain(t, pdf,
		"Aroha Mīria Ngātai", // cover name, with macrons
		"Ōtaki Medical Centre",
		"ZZZ0016",
		"15 May 1990",
		"Getting back to waka ama with her whānau.",
		"Addendum, 4 Mar 2026, 9:00 am",
		"Entered in error: this note was retracted and is kept only as a record.",
		"27 (moderate) · 3 March 2026",
		"To Dr Ānaru Pōtae from Mere Tūhoe",
		"My iwi is Ngāti Raukawa, not Ngāti Toa.",
		"Page 1 of 2", "Page 2 of 2",
		// 01:30 UTC on 21 March is 2:30 pm NZDT.
		"Aroha Mīria Ngātai · NHI ZZZ0016 · copy made 21 Mar 2026, 2:30 pm",
	)
}

func TestPersonPDFLongRecordNumbersEveryPage(t *testing.T) {
	r := sampleRecord()
	base := r.Notes[0]
	for i := 0; i < 60; i++ {
		n := base
		n.ID = fmt.Sprintf("n-x%d", i)
		r.Notes = append(r.Notes, n)
	}
	pdf, err := personPDF(r, pdfOptions{uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	n := pages(t, pdf)
	if n < 5 {
		t.Fatalf("61 notes fit on %d pages; the record is being cut", n)
	}
	for i := 1; i <= n; i++ {
		mustContain(t, pdf, fmt.Sprintf("Page %d of %d", i, n))
	}
}

func TestPersonPDFIsCompressedAndStable(t *testing.T) {
	a, err := PersonPDF(sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	b, err := PersonPDF(sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("one record rendered twice gave different bytes")
	}
	if bytes.Contains(a, shown("Getting back to waka ama")) {
		t.Error("the shipped PDF is not compressed")
	}
	if !bytes.Contains(a, []byte("/FlateDecode")) {
		t.Error("no compressed streams")
	}
}

func TestPDFsOfEmptyRecords(t *testing.T) {
	pdf, err := personPDF(Record{}, pdfOptions{uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := pages(t, pdf); n != 2 {
		t.Errorf("empty record has %d pages, want 2", n)
	}
	mustContain(t, pdf, "None recorded.")
	letter, err := handoverLetterPDF(HandoverLetter{}, pdfOptions{uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := pages(t, letter); n != 1 {
		t.Errorf("empty letter has %d pages", n)
	}
}

func TestPDFOutsideBasicPlane(t *testing.T) {
	r := sampleRecord()
	r.Notes[0].Fields[0].Value = "Feeling 🙂 today"
	r.Handovers[0].Text = "Thanks 👍"
	if _, err := PersonPDF(r); err != nil {
		t.Fatal(err)
	}
	l := HandoverLetter{Practice: r.Person.Practice, Person: r.Person, Handover: r.Handovers[0]}
	if _, err := HandoverLetterPDF(l); err != nil {
		t.Fatal(err)
	}
}

func TestHandoverLetterPDF(t *testing.T) {
	r := sampleRecord()
	l := HandoverLetter{Practice: r.Person.Practice, Person: r.Person, Handover: r.Handovers[0]}
	pdf, err := handoverLetterPDF(l, pdfOptions{uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := pages(t, pdf); n != 1 {
		t.Errorf("letter has %d pages, want 1", n)
	}
	mustContain(t, pdf,
		"Ōtaki Medical Centre", "2 Aotaki Street", "06 364 0000",
		"3 March 2026",
		"Dear Dr Ānaru Pōtae,",
		"Re: Aroha Mīria Ngātai",
		"NHI ZZZ0016 · born 15 May 1990",
		"Ngā mihi,", "Mere Tūhoe", "Health Improvement Practitioner",
	)

	// A handover too long for one page stays on one page and says where the
	// rest is.
	l.Handover.Text = strings.Repeat("Whānau hui went well and the plan is agreed. ", 300)
	l.Date = time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	pdf, err = handoverLetterPDF(l, pdfOptions{uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := pages(t, pdf); n != 1 {
		t.Errorf("long letter has %d pages, want 1", n)
	}
	mustContain(t, pdf, "(Continued in Tūhono: the full handover is in your handover inbox.)", "Mere Tūhoe", "4 March 2026")
}
