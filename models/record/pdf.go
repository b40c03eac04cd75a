package record

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // NZ time must not depend on the host's zoneinfo

	"github.com/go-pdf/fpdf"
)

// DejaVu Sans is embedded (Bitstream Vera licence, fonts/LICENSE) because the
// PDF core fonts are Latin-1 only and would drop the macrons of te reo Māori.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

// nzTime is where every time on paper is shown: the reader is in Aotearoa.
var nzTime = mustZone("Pacific/Auckland")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // tzdata is embedded above, so this cannot fail at run time
	}
	return loc
}

const (
	family   = "DejaVu"
	pageNums = "{nb}"
	lineH    = 5.0
)

// pdfOptions are knobs for tests: compression off makes the content streams
// readable, so a test can find the text it expects (macrons included).
type pdfOptions struct {
	uncompressed bool
}

// newDoc starts an A4 portrait document with the embedded fonts, the title in
// its metadata and the creation time pinned, so one record renders the same
// bytes twice.
func newDoc(title string, created time.Time, o pdfOptions) *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(family, "", fontRegular)
	pdf.AddUTF8FontFromBytes(family, "B", fontBold)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Tūhono", true)
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(!o.uncompressed)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AliasNbPages(pageNums)
	return pdf
}

func output(pdf *fpdf.Fpdf, where string) ([]byte, error) {
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return buf.Bytes(), nil
}

// nzDate and nzDateTime format times for people, in NZ time.
func nzDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(nzTime).Format("2 January 2006")
}

func nzDateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(nzTime).Format("2 Jan 2006, 3:04 pm")
}

// birthDate shows a date of birth without shifting it through a zone.
func birthDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2 January 2006")
}

// printable replaces characters outside Unicode's basic plane (emoji, mostly)
// with U+FFFD: the PDF writer's font tables stop there, and a note must still
// print when someone typed 🙂 into it.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
