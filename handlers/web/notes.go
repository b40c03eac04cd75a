package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/inbox"
	"github.com/tuhono/tuhono/models/measure"
	"github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// Clinical note pages: the session note editor (template by the author's
// role, autosaved by note.js), reading a note as the viewer may (note.CanRead
// decides; a restricted note offers break-glass), addenda, entered in error,
// the co-sign queue and the break-glass review queue. Everything clinical is
// decided in models/note; these pages gather input and show answers.

var (
	noteRead       = httpx.Perm{Object: "note", Action: "read"}
	noteCreate     = httpx.Perm{Object: "note", Action: "create"}
	noteUpdate     = httpx.Perm{Object: "note", Action: "update"}
	noteAmend      = httpx.Perm{Object: "note", Action: "amend"}
	noteCoSign     = httpx.Perm{Object: "note.restricted", Action: "sign"} // HIPs only
	noteReview     = httpx.Perm{Object: "audit", Action: "read"}           // practice admin, privacy officer
	outcomeRead    = httpx.Perm{Object: "outcome", Action: "read"}
	outcomeCreate  = httpx.Perm{Object: "outcome", Action: "create"}
	noteEditorPath = "/note"
)

var notePages = []page{
	{"GET", "/t/:tenant/appointments/:id/note", member, noteCreate, (*handler).noteEditor, false},
	{"POST", "/t/:tenant/appointments/:id/note", member, noteUpdate, (*handler).noteSubmit, false},
	{"POST", "/t/:tenant/notes/:id/draft", member, noteUpdate, (*handler).noteAutosave, false},
	{"GET", "/t/:tenant/notes/:id", member, noteRead, (*handler).noteShow, false},
	{"POST", "/t/:tenant/notes/:id/break-glass", member, noteRead, (*handler).noteBreakGlass, false},
	{"POST", "/t/:tenant/notes/:id/addenda", member, noteAmend, (*handler).noteAddendum, false},
	{"POST", "/t/:tenant/notes/:id/error", member, noteAmend, (*handler).noteEnteredInError, false},
	{"POST", "/t/:tenant/notes/:id/cosign", member, noteCoSign, (*handler).noteCoSign, false},
	{"GET", "/t/:tenant/cosign", member, noteCoSign, (*handler).noteCoSignQueue, false},
	{"GET", "/t/:tenant/reviews", member, noteReview, (*handler).noteReviews, false},
	{"POST", "/t/:tenant/reviews/:id", member, noteReview, (*handler).noteReviewSave, false},
}

const (
	pageNoteEdit = "note_edit.html"
	pageNote     = "note.html"
	pageCoSign   = "cosign.html"
	pageReviews  = "review.html"
)

func init() { pageFiles = append(pageFiles, pageNoteEdit, pageNote, pageCoSign, pageReviews) }

var noteNotices = map[string]string{
	"signed":   "Signed. The note is now part of the record and cannot change: add an addendum if you need to.",
	"addendum": "Addendum added.",
	"error":    "Marked entered in error. It stays visible to auditors.",
	"cosigned": "Co-signed.",
	"opened":   "Break-glass access granted for 30 minutes. The privacy officer has been told.",
	"reviewed": "Review recorded.",
}

var noteKindLabels = map[note.Kind]string{note.KindHIP: "HIP", note.KindHealthCoach: "Health Coach",
	note.KindSupportWorker: "Support Worker"}

var noteStatusLabels = map[note.Status]string{note.StatusDraft: "Draft", note.StatusSigned: "Signed",
	note.StatusEnteredInError: "Entered in error"}

// viewer is the signed-in person as models/note sees them.
func viewer(ctx context.Context) note.Viewer {
	a, _ := tenants.ActorFrom(ctx)
	t, _ := tenants.FromContext(ctx)
	return note.Viewer{UserID: a.UserID, TenantID: t.ID, Roles: a.Roles}
}

// ---- The editor ----

type noteEditPage struct {
	layout
	Notice, Message string
	Problems        []string
	CSRF            string
	Patient         string
	PatientURL      string
	AppointmentURL  string
	When            string
	TemplateName    string
	Fields          []noteFieldView
	FreeText        string
	NoteID          string
	Version         int
	Restricted      bool
	CanRestrict     bool
	Measures        []measureEntryView
	CanMeasure      bool
	RiskAlert       bool
	Handover        string
	HandoverTo      []noteOption
	SaveURL         string
	DraftURL        string
	ScriptURL       string
	SavedAt         string
}

type noteFieldView struct {
	Key, Name, ID, Label, Help, Kind, Value string
	Shown                                   string // the value as a reader sees it
	Required                                bool
	Options                                 []noteOption
}

type noteOption struct {
	Value, Label string
	Selected     bool
}

type measureEntryView struct {
	Kind, Name, Scale string
	Items             []measureItemView
	Result            string
}

type measureItemView struct {
	Legend, Name string
	Options      []noteOption
}

// noteInput is what the editor posted.
type noteInput struct {
	ID         uuid.UUID
	Version    int
	Restricted bool
	Body       note.Body
	Answers    map[measure.Kind][]int // -1 where unanswered
	Handover   string
	HandoverTo uuid.UUID
	Action     string
}

func readNoteInput(c *fiber.Ctx, t note.Template) noteInput {
	in := noteInput{Body: note.Body{Fields: map[string]string{}}, Answers: map[measure.Kind][]int{}}
	in.ID, _ = uuid.Parse(formValue(c, "note_id"))
	in.Version, _ = strconv.Atoi(formValue(c, "version"))
	in.Restricted = formValue(c, "restricted") != ""
	for _, f := range t.Fields {
		if v := formValue(c, "field_"+f.Key); v != "" {
			in.Body.Fields[f.Key] = v
		}
	}
	in.Body.FreeText = formValue(c, "free_text")
	for _, ins := range measure.Instruments {
		items := make([]int, ins.Items)
		any := false
		for i := range items {
			items[i] = -1
			if v, err := strconv.Atoi(formValue(c, measureName(ins.Kind, i))); err == nil {
				items[i], any = v, true
			}
		}
		if any {
			in.Answers[ins.Kind] = items
		}
	}
	in.Handover = strings.TrimSpace(formValue(c, "handover"))
	in.HandoverTo, _ = uuid.Parse(formValue(c, "handover_to"))
	in.Action = formValue(c, "action")
	return in
}

func measureName(k measure.Kind, i int) string { return "m_" + string(k) + "_" + strconv.Itoa(i+1) }

// noteSession is the appointment a note is written on, with its person.
type noteSession struct {
	appt    booking.Appointment
	patient patient.Patient
}

func (h *handler) noteSession(c *fiber.Ctx) (noteSession, error) {
	ctx := httpx.Context(c)
	id, err := hoID(c)
	if err != nil {
		return noteSession{}, err
	}
	a, err := booking.Get(ctx, h.DB, id)
	if err != nil {
		return noteSession{}, err
	}
	if a.PatientID == uuid.Nil {
		return noteSession{}, fault.New(fault.KindConflict,
			"a group session has no single person: write each person's note from their own appointment", nil)
	}
	p, err := patient.Get(ctx, h.DB, a.PatientID, "session note")
	if err != nil {
		return noteSession{}, err
	}
	return noteSession{appt: a, patient: p}, nil
}

// ownNote finds the signed-in author's note on this appointment, if any.
func (h *handler) ownNote(ctx context.Context, s noteSession) (note.Entry, bool, error) {
	v := viewer(ctx)
	entries, err := note.Timeline(ctx, h.DB, h.Keyring, v, s.patient.ID)
	if err != nil {
		return note.Entry{}, false, err
	}
	for _, e := range entries {
		if e.AppointmentID == s.appt.ID && e.AuthorID == v.UserID && e.Status != note.StatusEnteredInError {
			return e, true, nil
		}
	}
	return note.Entry{}, false, nil
}

func (h *handler) noteEditor(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	s, err := h.noteSession(c)
	if err != nil {
		return err
	}
	tpl, err := note.TemplateFor(viewer(ctx).Roles)
	if err != nil {
		return err
	}
	in := noteInput{Body: note.Body{Fields: map[string]string{}}}
	if e, ok, err := h.ownNote(ctx, s); err != nil {
		return err
	} else if ok {
		if e.Status != note.StatusDraft {
			return redirect(c, tenantPath(t.Slug, "/notes/"+e.ID.String()))
		}
		n, err := note.Open(ctx, h.DB, h.Keyring, viewer(ctx), e.ID, time.Now())
		if err != nil {
			return err
		}
		in.ID, in.Version, in.Restricted, in.Body = n.ID, n.Version, n.Restricted, n.Body
	}
	return h.renderNoteEditor(c, fiber.StatusOK, s, tpl, in, "", nil)
}

// noteSubmit is the editor's form without JavaScript and its two buttons:
// Save draft keeps everything on the page; Sign validates the measures and the
// handover, signs, records the scores and sends the handover to the GP.
func (h *handler) noteSubmit(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	s, err := h.noteSession(c)
	if err != nil {
		return err
	}
	v := viewer(ctx)
	tpl, err := note.TemplateFor(v.Roles)
	if err != nil {
		return err
	}
	in := readNoteInput(c, tpl)
	m, err := note.SaveDraft(ctx, h.DB, h.Keyring, v, note.Draft{ID: in.ID, Version: in.Version,
		PatientID: s.patient.ID, AppointmentID: s.appt.ID, Restricted: in.Restricted, Body: in.Body})
	if in.Action == "autosave" {
		return noteAutosaveAnswer(c, t.Slug, m, err)
	}
	if err != nil {
		return h.noteRefused(c, s, tpl, in, err)
	}
	in.ID, in.Version = m.ID, m.Version
	if in.Action != "sign" {
		return h.renderNoteEditor(c, fiber.StatusOK, s, tpl, in, "Draft saved.", nil)
	}
	scores, problems := scoreAnswers(in.Answers)
	if in.Handover != "" && in.HandoverTo == uuid.Nil {
		problems = append(problems, "Choose the GP the handover goes to.")
	}
	if len(problems) > 0 {
		return h.renderNoteEditor(c, fiber.StatusUnprocessableEntity, s, tpl, in, "", problems)
	}
	if _, err := note.Sign(ctx, h.DB, h.Keyring, v, m.ID, m.Version); err != nil {
		return h.noteRefused(c, s, tpl, in, err)
	}
	for _, sc := range scores {
		if _, err := measure.Record(ctx, h.DB, h.Keyring, v.UserID, s.patient.ID, s.appt.ID, sc.Kind, sc.Items); err != nil {
			return err
		}
	}
	if in.Handover != "" {
		err := h.DB.InTenant(ctx, func(tx *db.Tx) error {
			_, err := inbox.Send(ctx, tx, h.Keyring, v.UserID, inbox.New{PatientID: s.patient.ID,
				AppointmentID: s.appt.ID, NoteID: m.ID, ToGP: in.HandoverTo, Text: in.Handover})
			return err
		})
		if err != nil {
			return err
		}
	}
	return redirect(c, tenantPath(t.Slug, "/notes/"+m.ID.String())+"?done=signed")
}

// scoreAnswers scores every instrument with any answer; a half-answered one
// is a problem to fix, never a partial score.
func scoreAnswers(answers map[measure.Kind][]int) ([]measure.Score, []string) {
	var scores []measure.Score
	var problems []string
	for _, ins := range measure.Instruments {
		items, ok := answers[ins.Kind]
		if !ok {
			continue
		}
		sc, err := measure.Calculate(ins.Kind, items)
		if err != nil {
			var missing []string
			for i, v := range items {
				if v < ins.Min || v > ins.Max {
					missing = append(missing, strconv.Itoa(i+1))
				}
			}
			problems = append(problems, ins.Name+": answer every item, or none (not answered: "+strings.Join(missing, ", ")+").")
			continue
		}
		scores = append(scores, sc)
	}
	return scores, problems
}

// noteRefused shows a refusal from models/note on the editor, keeping what
// was typed. An internal error goes to the error page.
func (h *handler) noteRefused(c *fiber.Ctx, s noteSession, tpl note.Template, in noteInput, err error) error {
	fe := fault.As(err)
	if fe.Kind == fault.KindInternal || fe.Kind == fault.KindNotFound {
		return err
	}
	var problems []string
	for _, f := range fe.Fields {
		problems = append(problems, noteFieldLabel(tpl, f.Field)+sentence(f.Message))
	}
	if len(problems) == 0 {
		problems = []string{sentence(fe.Message)}
	}
	return h.renderNoteEditor(c, httpx.Status(err), s, tpl, in, "", problems)
}

func noteFieldLabel(tpl note.Template, field string) string {
	key := strings.TrimPrefix(field, "fields.")
	for _, f := range tpl.Fields {
		if f.Key == key {
			return f.Label + ": "
		}
	}
	return ""
}

func (h *handler) renderNoteEditor(c *fiber.Ctx, status int, s noteSession, tpl note.Template, in noteInput,
	saved string, problems []string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	base := tenantPath(t.Slug, "/appointments/"+s.appt.ID.String())
	pg := noteEditPage{layout: h.tenantPage(c, tpl.Name, "/appointments/"+s.appt.ID.String()+noteEditorPath),
		Notice: saved, Problems: problems, CSRF: httpx.CSRFToken(c), Patient: hoPersonName(s.patient),
		PatientURL: tenantPath(t.Slug, "/patients/"+s.patient.ID.String()), AppointmentURL: base,
		When: s.appt.StartsAt.In(t.Location()).Format("Monday 2 January 2006, 3:04 pm"), TemplateName: tpl.Name,
		FreeText: in.Body.FreeText, Version: in.Version, Restricted: in.Restricted,
		CanRestrict: noteHasRole(viewer(ctx).Roles, "hip"), CanMeasure: h.can(ctx, outcomeCreate),
		Handover: in.Handover, SaveURL: base + noteEditorPath, ScriptURL: h.StaticURL("note.js")}
	if in.ID != uuid.Nil {
		pg.NoteID, pg.DraftURL = in.ID.String(), tenantPath(t.Slug, "/notes/"+in.ID.String()+"/draft")
	}
	pg.Fields = noteFields(tpl, in.Body)
	pg.Measures, pg.RiskAlert = measureEntries(in.Answers)
	gps, err := h.noteGPs(c, s.appt.ID, in.HandoverTo)
	if err != nil {
		return err
	}
	pg.HandoverTo = gps
	return h.render(c, status, pageNoteEdit, pg)
}

func noteHasRole(roles []string, r string) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func noteFields(tpl note.Template, b note.Body) []noteFieldView {
	out := make([]noteFieldView, 0, len(tpl.Fields))
	for _, f := range tpl.Fields {
		v := noteFieldView{Key: f.Key, Name: "field_" + f.Key, ID: fieldID("field_" + f.Key), Label: f.Label,
			Help: f.Help, Kind: string(f.Kind), Value: b.Fields[f.Key], Shown: b.Fields[f.Key], Required: f.Required}
		choices := f.Choices
		if f.Kind == note.FieldFlag {
			choices = []string{"no", "yes"}
		}
		for _, ch := range choices {
			label := ch
			if f.Kind == note.FieldFlag {
				label = map[string]string{"no": "No", "yes": "Yes"}[ch]
			}
			label = strings.TrimSuffix(sentence(label), ".") // "Screened: no current risk"
			v.Options = append(v.Options, noteOption{Value: ch, Label: label, Selected: b.Fields[f.Key] == ch})
			if b.Fields[f.Key] == ch {
				v.Shown = label
			}
		}
		out = append(out, v)
	}
	return out
}

// measureScales say what each answer means, so a radio group reads on its own.
var measureScales = map[measure.Kind]string{
	measure.K10:        "1 none of the time, 2 a little, 3 some, 4 most, 5 all of the time",
	measure.PHQ9:       "0 not at all, 1 several days, 2 more than half the days, 3 nearly every day",
	measure.GAD7:       "0 not at all, 1 several days, 2 more than half the days, 3 nearly every day",
	measure.Usefulness: "0 not at all useful to 10 extremely useful",
}

// measureEntries are the radio groups, with what was answered, and whether
// PHQ-9 item 9 was answered above 0 (the risk alert).
func measureEntries(answers map[measure.Kind][]int) ([]measureEntryView, bool) {
	var out []measureEntryView
	risk := false
	for _, ins := range measure.Instruments {
		e := measureEntryView{Kind: string(ins.Kind), Name: ins.Name, Scale: measureScales[ins.Kind]}
		got := answers[ins.Kind]
		for i := 0; i < ins.Items; i++ {
			it := measureItemView{Legend: ins.Name + " item " + strconv.Itoa(i+1), Name: measureName(ins.Kind, i)}
			if ins.Items == 1 {
				it.Legend = "How useful was this session today?"
			}
			for v := ins.Min; v <= ins.Max; v++ {
				it.Options = append(it.Options, noteOption{Value: strconv.Itoa(v), Label: strconv.Itoa(v),
					Selected: i < len(got) && got[i] == v})
			}
			e.Items = append(e.Items, it)
		}
		if sc, err := measure.Calculate(ins.Kind, got); err == nil {
			e.Result = "Total " + strconv.Itoa(sc.Total)
			if sc.Band != "" {
				e.Result += " (" + sc.Band + ")"
			}
		}
		if ins.Kind == measure.PHQ9 && len(got) == 9 && got[8] > 0 {
			risk = true
		}
		out = append(out, e)
	}
	return out, risk
}

// noteGPs are the practice's GPs a handover may go to; chosen is kept, else
// the person's default GP (inbox.DefaultGP) is preselected.
func (h *handler) noteGPs(c *fiber.Ctx, apptID, chosen uuid.UUID) ([]noteOption, error) {
	ctx := httpx.Context(c)
	if chosen == uuid.Nil {
		err := h.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
			var err error
			chosen, err = inbox.DefaultGP(ctx, tx, apptID)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	staff, err := h.Accounts.Staff(ctx)
	if err != nil {
		return nil, err
	}
	var out []noteOption
	for _, m := range staff {
		if m.Status != "active" || !noteHasRole(m.Roles, "gp") {
			continue
		}
		out = append(out, noteOption{Value: m.UserID.String(), Label: m.User.Name, Selected: m.UserID == chosen})
	}
	return out, nil
}

// ---- Autosave ----

// noteAutosave is note.js saving a draft: form fields as the editor posts
// them, answered in JSON with the new version or the refusal.
func (h *handler) noteAutosave(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	v := viewer(ctx)
	tpl, err := note.TemplateFor(v.Roles)
	if err != nil {
		return noteAutosaveAnswer(c, t.Slug, note.Meta{}, err)
	}
	in := readNoteInput(c, tpl)
	m, err := note.SaveDraft(ctx, h.DB, h.Keyring, v, note.Draft{ID: id, Version: in.Version,
		Restricted: in.Restricted, Body: in.Body})
	return noteAutosaveAnswer(c, t.Slug, m, err)
}

func noteAutosaveAnswer(c *fiber.Ctx, slug string, m note.Meta, err error) error {
	if err != nil {
		fe := fault.As(err)
		if fe.Kind == fault.KindInternal {
			return err
		}
		msg := fe.Message
		if len(fe.Fields) > 0 {
			msg = fe.Fields[0].Message
		}
		return c.Status(httpx.Status(err)).JSON(fiber.Map{"error": sentence(msg)})
	}
	t, _ := tenants.FromContext(httpx.Context(c))
	return c.JSON(fiber.Map{"id": m.ID, "version": m.Version,
		"draft_url": tenantPath(slug, "/notes/"+m.ID.String()+"/draft"),
		"saved":     m.UpdatedAt.In(t.Location()).Format("15:04")})
}

// ---- Reading a note ----

type notePage struct {
	layout
	Notice, Message string
	CSRF            string
	Title           string
	Kind, Status    string
	Author          string
	Patient         string
	PatientURL      string
	AppointmentURL  string
	Created, Signed timeView
	Restricted      bool
	RiskFlag        bool
	Why             string
	ShowBody        bool
	BreakGlass      bool
	Fields          []noteFieldView
	FreeText        string
	Addenda         []addendumView
	Measures        []measureResultView
	ErrorReason     string
	AwaitingCoSign  bool
	CoSignedBy      string
	CanAddendum     bool
	CanEnterError   bool
	CanCoSign       bool
	CanBreakGlass   bool
	Base            string
}

type addendumView struct {
	Author, Reason, Text string
	At                   timeView
}

type measureResultView struct {
	Name, Total, Band string
	RiskAlert         bool
}

func (h *handler) noteShow(c *fiber.Ctx) error {
	return h.renderNote(c, fiber.StatusOK, "")
}

func (h *handler) renderNote(c *fiber.Ctx, status int, message string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	v := viewer(ctx)
	n, err := note.Open(ctx, h.DB, h.Keyring, v, id, time.Now())
	if err != nil {
		if fault.As(err).Kind == fault.KindForbidden {
			return fault.NotFound
		}
		return err
	}
	loc := t.Location()
	names, err := h.hoNames(c, noteNameIDs(n)...)
	if err != nil {
		return err
	}
	tpl, _ := note.TemplateOf(n.Kind)
	base := tenantPath(t.Slug, "/notes/"+n.ID.String())
	pg := notePage{layout: h.tenantPage(c, tpl.Name, "/notes/"+n.ID.String()), Notice: noteNotices[c.Query("done")],
		Message: message, CSRF: httpx.CSRFToken(c), Title: tpl.Name, Kind: noteKindLabels[n.Kind],
		Status: noteStatusLabels[n.Status], Author: hoNameOr(names, n.AuthorID),
		PatientURL: tenantPath(t.Slug, "/patients/"+n.PatientID.String()), Created: showTime(n.CreatedAt, loc),
		Restricted: n.Restricted, RiskFlag: n.RiskFlag, Why: n.Why, ShowBody: n.Access == note.AccessBody,
		BreakGlass: n.BreakGlass, ErrorReason: n.ErrorReason, AwaitingCoSign: n.AwaitingCoSign(), Base: base}
	if n.AppointmentID != uuid.Nil {
		pg.AppointmentURL = tenantPath(t.Slug, "/appointments/"+n.AppointmentID.String())
	}
	if n.SignedAt != nil {
		pg.Signed = showTime(*n.SignedAt, loc)
	}
	if n.CoSignedAt != nil {
		pg.CoSignedBy = hoNameOr(names, n.CoSignedBy)
	}
	if pg.ShowBody {
		pg.Fields, pg.FreeText = noteFields(tpl, n.Body), n.Body.FreeText
		for _, a := range n.Addenda {
			pg.Addenda = append(pg.Addenda, addendumView{Author: hoNameOr(names, a.AuthorID), Reason: a.Reason,
				Text: a.Text, At: showTime(a.CreatedAt, loc)})
		}
		if n.AppointmentID != uuid.Nil && h.can(ctx, outcomeRead) {
			if pg.Measures, err = h.sessionMeasures(ctx, n.PatientID, n.AppointmentID); err != nil {
				return err
			}
		}
	}
	signed := n.Status == note.StatusSigned
	pg.CanAddendum = signed && pg.ShowBody && h.can(ctx, noteAmend)
	pg.CanEnterError = signed && n.AuthorID == v.UserID && h.can(ctx, noteAmend)
	pg.CanCoSign = n.AwaitingCoSign() && n.AuthorID != v.UserID && h.can(ctx, noteCoSign)
	pg.CanBreakGlass = n.Restricted && n.Access == note.AccessMetadata &&
		(noteHasRole(v.Roles, "gp") || noteHasRole(v.Roles, "nurse") || noteHasRole(v.Roles, "health_coach"))
	return h.render(c, status, pageNote, pg)
}

func noteNameIDs(n note.Note) []uuid.UUID {
	ids := []uuid.UUID{n.AuthorID, n.CoSignedBy}
	for _, a := range n.Addenda {
		ids = append(ids, a.AuthorID)
	}
	return ids
}

// sessionMeasures are the scores recorded in one session.
func (h *handler) sessionMeasures(ctx context.Context, patientID, apptID uuid.UUID) ([]measureResultView, error) {
	var out []measureResultView
	for _, ins := range measure.Instruments {
		hist, err := measure.History(ctx, h.DB, h.Keyring, patientID, ins.Kind)
		if err != nil {
			return nil, err
		}
		for _, r := range hist {
			if r.AppointmentID == apptID {
				out = append(out, measureResultView{Name: ins.Name, Total: strconv.Itoa(r.Total), Band: r.Band,
					RiskAlert: r.RiskAlert})
			}
		}
	}
	return out, nil
}

// noteAct runs one action on a note and shows the result: back to the note
// with a notice, or the refusal on the note page.
func (h *handler) noteAct(c *fiber.Ctx, done string, act func(ctx context.Context, v note.Viewer, id uuid.UUID) error) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	if err := act(ctx, viewer(ctx), id); err != nil {
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderNote(c, status, msg)
	}
	return redirect(c, tenantPath(t.Slug, "/notes/"+id.String())+"?done="+done)
}

func (h *handler) noteAddendum(c *fiber.Ctx) error {
	return h.noteAct(c, "addendum", func(ctx context.Context, v note.Viewer, id uuid.UUID) error {
		_, err := note.AddAddendum(ctx, h.DB, h.Keyring, v, id, formValue(c, "reason"), formValue(c, "text"))
		return err
	})
}

func (h *handler) noteEnteredInError(c *fiber.Ctx) error {
	return h.noteAct(c, "error", func(ctx context.Context, v note.Viewer, id uuid.UUID) error {
		_, err := note.EnterInError(ctx, h.DB, v, id, formValue(c, "reason"))
		return err
	})
}

func (h *handler) noteCoSign(c *fiber.Ctx) error {
	return h.noteAct(c, "cosigned", func(ctx context.Context, v note.Viewer, id uuid.UUID) error {
		_, err := note.CoSign(ctx, h.DB, v, id)
		return err
	})
}

// noteBreakGlass opens a restricted note after a reason and the person's
// password, re-entered now: a session left open on a shared screen is not
// enough to read a disclosure of abuse.
func (h *handler) noteBreakGlass(c *fiber.Ctx) error {
	return h.noteAct(c, "opened", func(ctx context.Context, v note.Viewer, id uuid.UUID) error {
		if err := h.Accounts.Reauthenticate(ctx, v.UserID, formValue(c, "password")); err != nil {
			if fault.As(err).Kind == fault.KindInvalid {
				return fault.InvalidField("password", "that is not your password: nothing was opened")
			}
			return err
		}
		_, err := note.BreakGlass(ctx, h.DB, v, id, formValue(c, "reason"), true, time.Now())
		return err
	})
}

// ---- Queues ----

type noteQueuePage struct {
	layout
	Notice, Message string
	CSRF            string
	Rows            []noteQueueRow
}

type noteQueueRow struct {
	URL, Who, Patient, Reason, ActionURL string
	When, Until                          timeView
}

func (h *handler) noteCoSignQueue(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	q, err := note.CoSignQueue(ctx, h.DB)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, 0, len(q))
	for _, m := range q {
		ids = append(ids, m.AuthorID)
	}
	names, err := h.hoNames(c, ids...)
	if err != nil {
		return err
	}
	pg := noteQueuePage{layout: h.tenantPage(c, "Co-sign queue", "/cosign"), CSRF: httpx.CSRFToken(c)}
	for _, m := range q {
		row := noteQueueRow{URL: tenantPath(t.Slug, "/notes/"+m.ID.String()), Who: hoNameOr(names, m.AuthorID),
			ActionURL: tenantPath(t.Slug, "/notes/"+m.ID.String()+"/cosign")}
		if m.SignedAt != nil {
			row.When = showTime(*m.SignedAt, t.Location())
		}
		pg.Rows = append(pg.Rows, row)
	}
	return h.render(c, fiber.StatusOK, pageCoSign, pg)
}

func (h *handler) noteReviews(c *fiber.Ctx) error { return h.renderReviews(c, fiber.StatusOK, "") }

func (h *handler) renderReviews(c *fiber.Ctx, status int, message string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	q, err := note.ReviewQueue(ctx, h.DB)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, 0, len(q))
	for _, g := range q {
		ids = append(ids, g.UserID)
	}
	names, err := h.hoNames(c, ids...)
	if err != nil {
		return err
	}
	pg := noteQueuePage{layout: h.tenantPage(c, "Break-glass reviews", "/reviews"), Notice: noteNotices[c.Query("done")],
		Message: message, CSRF: httpx.CSRFToken(c)}
	for _, g := range q {
		pg.Rows = append(pg.Rows, noteQueueRow{Who: hoNameOr(names, g.UserID), Reason: g.Reason,
			When: showTime(g.GrantedAt, t.Location()), Until: showTime(g.ExpiresAt, t.Location()),
			ActionURL: tenantPath(t.Slug, "/reviews/"+g.ID.String())})
	}
	return h.render(c, status, pageReviews, pg)
}

func (h *handler) noteReviewSave(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	if _, err := note.Review(ctx, h.DB, viewer(ctx), id, formValue(c, "comment")); err != nil {
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderReviews(c, status, msg)
	}
	return redirect(c, tenantPath(t.Slug, "/reviews")+"?done=reviewed")
}
