package record

import (
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
)

// HandoverLetterPDF prints a GP handover as a one-page letter on the
// practice's letterhead, for GPs and practices that file paper or scan
// letters into the PMS. Text that would run past one page is cut off with a
// pointer to Tūhono rather than spilling onto a second page that could be
// separated from the first.
func HandoverLetterPDF(h HandoverLetter) ([]byte, error) {
	return handoverLetterPDF(h, pdfOptions{})
}

func handoverLetterPDF(l HandoverLetter, o pdfOptions) ([]byte, error) {
	l = printableLetter(l)
	date := l.Date
	if date.IsZero() {
		date = l.Handover.SentAt
	}
	pdf := newDoc("Handover — "+l.Person.FullName(), date, o)
	pdf.SetAutoPageBreak(false, 20)
	pdf.AddPage()
	letterhead(pdf, l.Practice)

	pdf.SetFont(family, "", 11)
	pdf.MultiCell(0, 6, nzDate(date), "", "L", false)
	pdf.Ln(4)
	pdf.MultiCell(0, 6, "Dear "+orDash(l.Handover.To.Name)+",", "", "L", false)
	pdf.Ln(3)

	pdf.SetFont(family, "B", 11)
	pdf.MultiCell(0, 6, "Re: "+orDash(l.Person.FullName()), "", "L", false)
	pdf.SetFont(family, "", 10)
	pdf.MultiCell(0, lineH, fmt.Sprintf("NHI %s · born %s", orDash(l.Person.NHI), birthDate(l.Person.BirthDate)), "", "L", false)
	pdf.Ln(4)

	body(pdf, l.Handover.Text)

	signature(pdf, l.Handover.From)
	return output(pdf, "record.HandoverLetterPDF")
}

func letterhead(pdf *fpdf.Fpdf, p Practice) {
	pdf.SetFont(family, "B", 16)
	pdf.MultiCell(0, 8, orDash(p.Name), "", "R", false)
	pdf.SetFont(family, "", 9)
	lines := append([]string{}, p.Address...)
	if contact := joinNonEmpty(" · ", p.Phone, p.Email); contact != "" {
		lines = append(lines, contact)
	}
	for _, line := range lines {
		pdf.MultiCell(0, 4.5, line, "", "R", false)
	}
	pdf.Ln(2)
	left, _, right, _ := pdf.GetMargins()
	width, _ := pdf.GetPageSize()
	pdf.Line(left, pdf.GetY(), width-right, pdf.GetY())
	pdf.Ln(8)
}

// signatureRoom is the space kept at the foot of the page for the sign-off.
const signatureRoom = 45.0

// body writes the handover text, stopping where the signature block begins.
func body(pdf *fpdf.Fpdf, text string) {
	pdf.SetFont(family, "", 11)
	_, pageH := pdf.GetPageSize()
	limit := pageH - signatureRoom
	left, _, right, _ := pdf.GetMargins()
	width, _ := pdf.GetPageSize()
	for _, paragraph := range strings.Split(orDash(text), "\n") {
		lines := pdf.SplitText(paragraph, width-left-right)
		if len(lines) == 0 {
			lines = []string{""}
		}
		for _, line := range lines {
			if pdf.GetY()+6 > limit {
				pdf.SetFont(family, "", 9)
				pdf.MultiCell(0, 5, "(Continued in Tūhono: the full handover is in your handover inbox.)", "", "L", false)
				return
			}
			pdf.CellFormat(0, 6, line, "", 1, "L", false, 0, "")
		}
	}
}

func signature(pdf *fpdf.Fpdf, from Practitioner) {
	_, pageH := pdf.GetPageSize()
	if y := pageH - signatureRoom + 5; pdf.GetY() < y {
		pdf.SetY(y)
	}
	pdf.SetFont(family, "", 11)
	pdf.MultiCell(0, 6, "Ngā mihi,", "", "L", false)
	pdf.Ln(10)
	left, _, _, _ := pdf.GetMargins()
	pdf.Line(left, pdf.GetY(), left+70, pdf.GetY())
	pdf.Ln(1)
	pdf.MultiCell(0, 6, orDash(from.Name), "", "L", false)
	pdf.SetFont(family, "", 10)
	pdf.MultiCell(0, lineH, orDash(from.Role), "", "L", false)
}

// printableLetter cleans every string the letter prints (see printable).
func printableLetter(l HandoverLetter) HandoverLetter {
	p := &l.Practice
	p.Name, p.Phone, p.Email = printable(p.Name), printable(p.Phone), printable(p.Email)
	p.Address = append([]string(nil), p.Address...)
	for i := range p.Address {
		p.Address[i] = printable(p.Address[i])
	}
	l.Person.GivenNames = printable(l.Person.GivenNames)
	l.Person.FamilyName = printable(l.Person.FamilyName)
	l.Person.NHI = printable(l.Person.NHI)
	h := &l.Handover
	h.Text = printable(h.Text)
	h.To.Name, h.From.Name, h.From.Role = printable(h.To.Name), printable(h.From.Name), printable(h.From.Role)
	return l
}
