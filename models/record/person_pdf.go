package record

import (
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
)

// PersonPDF renders the person's whole record as a readable PDF, the answer
// to a request for access under rule 6 of the Health Information Privacy Code
// 2020: a cover page with the person and practice, then sessions, notes with
// their addenda, measure scores, GP handovers and statements of correction.
// Every page carries its number and the time the copy was made, in NZ time.
func PersonPDF(r Record) ([]byte, error) {
	return personPDF(r, pdfOptions{})
}

func personPDF(r Record, o pdfOptions) ([]byte, error) {
	gen := generatedAt(r)
	pdf := newDoc("Health record — "+r.Person.FullName(), gen, o)
	footer := fmt.Sprintf("%s · NHI %s · copy made %s", orDash(r.Person.FullName()), orDash(r.Person.NHI), nzDateTime(gen))
	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont(family, "", 8)
		left, _, _, _ := pdf.GetMargins()
		pdf.CellFormat(0, 5, printable(footer), "", 0, "L", false, 0, "")
		pdf.SetX(left)
		pdf.CellFormat(0, 5, fmt.Sprintf("Page %d of %s", pdf.PageNo(), pageNums), "", 0, "R", false, 0, "")
	})
	cover(pdf, r)
	sessionsSection(pdf, r.Sessions)
	notesSection(pdf, r.Notes)
	scoresSection(pdf, r.Scores)
	handoversSection(pdf, r.Handovers)
	correctionsSection(pdf, r.Corrections)
	return output(pdf, "record.PersonPDF")
}

func cover(pdf *fpdf.Fpdf, r Record) {
	p := r.Person
	pdf.AddPage()
	pdf.SetFont(family, "B", 20)
	pdf.MultiCell(0, 10, "Health record", "", "L", false)
	pdf.SetFont(family, "", 11)
	pdf.MultiCell(0, 6, printable("A copy of the information "+orDash(p.Practice.Name)+
		" holds about you in Tūhono, made at your request under rule 6 of the Health Information Privacy Code 2020."), "", "L", false)
	pdf.Ln(6)
	heading(pdf, "About you")
	field(pdf, "Name", p.FullName())
	if p.PreferredName != "" {
		field(pdf, "Preferred name", p.PreferredName)
	}
	field(pdf, "NHI", p.NHI)
	field(pdf, "Date of birth", birthDate(p.BirthDate))
	field(pdf, "Gender", p.Gender)
	field(pdf, "Ethnicity codes", strings.Join(p.Ethnicities, ", "))
	pdf.Ln(4)
	heading(pdf, "Your practice")
	field(pdf, "Practice", p.Practice.Name)
	field(pdf, "Address", strings.Join(p.Practice.Address, ", "))
	field(pdf, "Phone", p.Practice.Phone)
	field(pdf, "Email", p.Practice.Email)
	pdf.Ln(4)
	field(pdf, "Copy made", nzDateTime(generatedAt(r)))
	pdf.Ln(4)
	pdf.SetFont(family, "", 10)
	pdf.MultiCell(0, lineH, "If you think any of this is wrong, you can ask the practice to correct it (rule 7). "+
		"If it is not changed, you can ask for a statement of the correction you sought to be attached to your record; "+
		"any statements already attached are at the end of this copy.", "", "L", false)
}

// heading starts a section; a new section starts on a new page when little
// room is left, so a heading is never stranded at the foot of a page.
func heading(pdf *fpdf.Fpdf, text string) {
	_, pageH := pdf.GetPageSize()
	if pdf.GetY() > pageH-50 {
		pdf.AddPage()
	}
	pdf.SetFont(family, "B", 14)
	pdf.MultiCell(0, 8, printable(text), "B", "L", false)
	pdf.Ln(2)
}

func subheading(pdf *fpdf.Fpdf, text string) {
	pdf.SetFont(family, "B", 11)
	pdf.MultiCell(0, 6, printable(text), "", "L", false)
}

// labelW is the label column; template labels longer than it (a HIP's "What
// matters to the person") go on their own line above the value instead.
const labelW = 40.0

// field writes a bold label with its value beside it, wrapping under itself.
func field(pdf *fpdf.Fpdf, label, value string) {
	label = printable(label)
	pdf.SetFont(family, "B", 10)
	if pdf.GetStringWidth(label) > labelW-2 {
		pdf.MultiCell(0, lineH, label, "", "L", false)
		left, _, _, _ := pdf.GetMargins()
		pdf.SetX(left + labelW)
	} else {
		pdf.CellFormat(labelW, lineH, label, "", 0, "L", false, 0, "")
	}
	pdf.SetFont(family, "", 10)
	pdf.MultiCell(0, lineH, printable(orDash(value)), "", "L", false)
}

func para(pdf *fpdf.Fpdf, text string) {
	pdf.SetFont(family, "", 10)
	pdf.MultiCell(0, lineH, printable(orDash(text)), "", "L", false)
}

func none(pdf *fpdf.Fpdf) {
	pdf.SetFont(family, "", 10)
	pdf.MultiCell(0, lineH, "None recorded.", "", "L", false)
}

func sessionsSection(pdf *fpdf.Fpdf, sessions []Session) {
	pdf.AddPage()
	heading(pdf, "Sessions")
	if len(sessions) == 0 {
		none(pdf)
		return
	}
	for _, s := range sessions {
		subheading(pdf, nzDateTime(s.Start)+" · "+orDash(s.ServiceLine))
		field(pdf, "With", joinNonEmpty(", ", s.Practitioner.Name, s.Practitioner.Role))
		field(pdf, "How", modeText(s.Mode))
		field(pdf, "Status", statusText(s.Status))
		pdf.Ln(2)
	}
}

func notesSection(pdf *fpdf.Fpdf, notes []Note) {
	heading(pdf, "Notes")
	if len(notes) == 0 {
		none(pdf)
		return
	}
	for _, n := range notes {
		subheading(pdf, noteTitle(n.Kind))
		field(pdf, "Written by", joinNonEmpty(", ", n.Author.Name, n.Author.Role))
		if n.Signed() {
			field(pdf, "Signed", nzDateTime(n.SignedAt))
		} else {
			field(pdf, "Signed", "Not yet signed (draft)")
		}
		if n.EnteredInError {
			field(pdf, "Status", "Entered in error: this note was retracted and is kept only as a record.")
		}
		for _, f := range n.Fields {
			field(pdf, f.Label, f.Value)
		}
		for _, a := range n.Addenda {
			pdf.Ln(1)
			subheading(pdf, "Addendum, "+nzDateTime(a.At))
			field(pdf, "Written by", joinNonEmpty(", ", a.Author.Name, a.Author.Role))
			field(pdf, "Reason", a.Reason)
			para(pdf, a.Text)
		}
		pdf.Ln(4)
	}
}

func scoresSection(pdf *fpdf.Fpdf, scores []Score) {
	heading(pdf, "Questionnaire scores")
	if len(scores) == 0 {
		none(pdf)
		return
	}
	for _, s := range scores {
		text := fmt.Sprintf("%d", s.Total)
		if s.Band != "" {
			text += " (" + s.Band + ")"
		}
		field(pdf, measureName(s.Kind), text+" · "+nzDate(s.At))
	}
	pdf.Ln(4)
}

func handoversSection(pdf *fpdf.Fpdf, handovers []Handover) {
	heading(pdf, "Handovers to your GP")
	if len(handovers) == 0 {
		none(pdf)
		return
	}
	for _, h := range handovers {
		subheading(pdf, "To "+orDash(h.To.Name)+" from "+orDash(h.From.Name))
		field(pdf, "Sent", nzDateTime(h.SentAt))
		field(pdf, "Read", nzDateTime(h.ReadAt))
		para(pdf, h.Text)
		pdf.Ln(3)
	}
}

func correctionsSection(pdf *fpdf.Fpdf, corrections []Correction) {
	heading(pdf, "Statements of correction")
	if len(corrections) == 0 {
		none(pdf)
		return
	}
	for _, c := range corrections {
		subheading(pdf, "Attached "+nzDate(c.At))
		para(pdf, c.Statement)
		field(pdf, "Disclosed to", strings.Join(c.DisclosedTo, ", "))
		pdf.Ln(3)
	}
}

func measureName(kind string) string {
	switch kind {
	case "k10":
		return "K10"
	case "phq9":
		return "PHQ-9"
	case "gad7":
		return "GAD-7"
	case "usefulness":
		return "Usefulness (0–10)"
	}
	return kind
}

func modeText(mode string) string {
	switch mode {
	case "in_person":
		return "In person"
	case "phone":
		return "Phone"
	case "video":
		return "Video"
	case "community":
		return "At home or in the community"
	}
	return mode
}

func statusText(status string) string {
	switch status {
	case "did_not_attend":
		return "Did not attend"
	case "in_session":
		return "In session"
	}
	if status == "" {
		return ""
	}
	return strings.ToUpper(status[:1]) + status[1:]
}
