package web

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/handover"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// Warm handover pages: "introduce now" from a patient (who is free, book
// now, or add to the same-day queue), the live queue HIPs and Health Coaches
// take people from, and the appointment page with its status actions.
// Who may introduce (a GP or nurse) and who may take (a HIP or Health Coach)
// is the domain's rule (models/handover); the permissions are the gate.

var (
	handoverApptRead   = httpx.Perm{Object: "appointment", Action: "read"}
	handoverApptCreate = httpx.Perm{Object: "appointment", Action: "create"}
	handoverApptUpdate = httpx.Perm{Object: "appointment", Action: "update"}
	handoverApptCancel = httpx.Perm{Object: "appointment", Action: "delete"}
)

var handoverPages = []page{
	{"GET", "/t/:tenant/patients/:id/introduce", member, handoverApptCreate, (*handler).introduceForm, false},
	{"POST", "/t/:tenant/patients/:id/introduce", member, handoverApptCreate, (*handler).introduceNow, false},
	{"POST", "/t/:tenant/patients/:id/queue", member, handoverApptCreate, (*handler).enqueue, false},
	{"GET", "/t/:tenant/queue", member, handoverApptRead, (*handler).queue, false},
	{"GET", "/t/:tenant/queue/live", member, handoverApptRead, (*handler).queueLive, false},
	{"POST", "/t/:tenant/queue/:id/take", member, handoverApptCreate, (*handler).takeFromQueue, false},
	{"POST", "/t/:tenant/queue/:id/withdraw", member, handoverApptUpdate, (*handler).withdrawFromQueue, false},
	{"GET", "/t/:tenant/appointments/:id", member, handoverApptRead, (*handler).appointment, false},
	{"POST", "/t/:tenant/appointments/:id/status", member, handoverApptUpdate, (*handler).appointmentStatus, false},
	{"POST", "/t/:tenant/appointments/:id/cancel", member, handoverApptCancel, (*handler).appointmentCancel, false},
	// Moving an appointment and filling a group: appointment_actions.go
	{"POST", "/t/:tenant/appointments/:id/reschedule", member, handoverApptUpdate, (*handler).appointmentReschedule, false},
	{"POST", "/t/:tenant/appointments/:id/attendees", member, handoverApptUpdate, (*handler).appointmentAddAttendee, false},
}

const (
	pageIntroduce   = "handover_introduce.html"
	pageQueue       = "queue.html"
	pageAppointment = "appointment.html"
)

func init() { pageFiles = append(pageFiles, pageIntroduce, pageQueue, pageAppointment) }

// Audit reasons: every read of a patient record says why (HIPC rule 5).
const (
	reasonIntroduce   = "warm handover: introduce now"
	reasonAppointment = "appointment page"
)

var handoverNotices = map[string]string{
	"introduced":          "Booked. The introduction is recorded with the appointment.",
	"queued":              "Added to the same-day queue. The HIPs and Health Coaches see them now.",
	"taken":               "You have taken this person: the appointment starts now.",
	"withdrawn":           "Taken out of the queue.",
	"status":              "The appointment is updated.",
	"rescheduled":         "Moved to the new time. The old appointment is kept, cancelled as rescheduled.",
	"rescheduled-warning": "Moved to the new time. This person has another appointment then: check it is not a mistake.",
	"added":               "Added to the group.",
	"added-warning":       "Added to the group. This person has another appointment then: check it is not a mistake.",
}

var (
	hoModeLabels = map[booking.Mode]string{booking.ModeInPerson: "In person", booking.ModePhone: "Phone",
		booking.ModeVideo: "Video", booking.ModeCommunity: "Home or community"}
	hoLineLabels = map[booking.ServiceLine]string{booking.LineHIP: "HIP", booking.LineHealthCoach: "Health Coach",
		booking.LineSupportWorker: "Support Worker", "": "HIP or Health Coach"}
	hoStatusLabels = map[booking.Status]string{booking.StatusHeld: "Held", booking.StatusBooked: "Booked",
		booking.StatusArrived: "Arrived", booking.StatusInSession: "In session", booking.StatusCompleted: "Completed",
		booking.StatusDidNotAttend: "Did not attend", booking.StatusCancelled: "Cancelled"}
	hoKindLabels = map[booking.Kind]string{booking.KindBooked: "Booked ahead", booking.KindSameDay: "Same day",
		booking.KindGroup: "Group"}
	// hoStatusStyle borrows the stylesheet's status colours: live is green,
	// done is grey, missed or cancelled is red.
	hoStatusStyle = map[booking.Status]string{booking.StatusHeld: "onboarding", booking.StatusBooked: "active",
		booking.StatusArrived: "active", booking.StatusInSession: "active", booking.StatusCompleted: "archived",
		booking.StatusDidNotAttend: "ended", booking.StatusCancelled: "ended"}
	// hoStatusActions are the buttons of the lifecycle, in the order a visit runs.
	hoStatusActions = []struct {
		to    booking.Status
		label string
	}{
		{booking.StatusArrived, "Mark arrived"},
		{booking.StatusInSession, "Start session"},
		{booking.StatusCompleted, "Complete session"},
		{booking.StatusDidNotAttend, "Did not attend"},
	}
)

// hoID is the :id of the route; one that is not a uuid names nothing.
func hoID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, fault.NotFound
	}
	return id, nil
}

// hoFailure is what a page shows for a refused action: the domain's message
// and its status. An internal error has no message to show: nil, and the
// caller returns it to the error page.
func hoFailure(err error) (string, int, bool) {
	fe := fault.As(err)
	if fe.Kind == fault.KindInternal {
		return "", 0, false
	}
	msg := fe.Message
	if len(fe.Fields) > 0 {
		msg = fe.Fields[0].Message
	}
	return sentence(msg), httpx.Status(err), true
}

func hoPersonName(p patient.Patient) string {
	given := p.PreferredName
	if given == "" {
		given = p.GivenNames
	}
	return strings.TrimSpace(given + " " + p.FamilyName)
}

func hoClock(t time.Time, loc *time.Location) string { return t.In(loc).Format("3:04 pm") }

// hoWaited says how long in words a person reads at a glance.
func hoWaited(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return "under a minute"
	case m < 60:
		return fmt.Sprintf("%d min", m)
	default:
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
}

// names looks up people's names (the platform's), leaving a fallback for
// anyone not found.
func (h *handler) hoNames(c *fiber.Ctx, ids ...uuid.UUID) (map[uuid.UUID]string, error) {
	var want []uuid.UUID
	for _, id := range ids {
		if id != uuid.Nil && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if h.Accounts == nil {
		return map[uuid.UUID]string{}, nil
	}
	return h.Accounts.Names(httpx.Context(c), want)
}

func hoNameOr(names map[uuid.UUID]string, id uuid.UUID) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "a colleague"
}

// --- Introduce now ---

type introducePage struct {
	layout
	Message    string
	CSRF       string
	Patient    string
	PatientURL string
	Now        string
	Free       []freeView
	BookURL    string
	QueueURL   string
	Note       string
	NoteError  string
	Line       string
}

type freeView struct {
	ID, Name, Lines, Line string
	FreeNow               bool
	From, Until           string
	StartsAt              string // RFC 3339 when not free now: book for then
}

func (h *handler) introduceForm(c *fiber.Ctx) error {
	return h.renderIntroduce(c, fiber.StatusOK, "", "", "", "")
}

func (h *handler) renderIntroduce(c *fiber.Ctx, status int, message, note, noteErr, line string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	p, err := patient.Get(ctx, h.DB, id, reasonIntroduce)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Minute)
	free, err := handover.FreeNow(ctx, h.DB, now)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(free))
	for i, f := range free {
		ids[i] = f.PractitionerID
	}
	names, err := h.hoNames(c, ids...)
	if err != nil {
		return err
	}
	loc := t.Location()
	base := tenantPath(t.Slug, "/patients/"+id.String())
	pg := introducePage{layout: h.tenantPage(c, "Introduce now", "/patients/"+id.String()+"/introduce"),
		Message: message, CSRF: httpx.CSRFToken(c), Patient: hoPersonName(p), PatientURL: base, Now: hoClock(now, loc),
		BookURL: base + "/introduce", QueueURL: base + "/queue", Note: note, NoteError: noteErr, Line: line}
	for _, f := range free {
		v := freeView{ID: f.PractitionerID.String(), Name: hoNameOr(names, f.PractitionerID), FreeNow: f.Now(now),
			From: hoClock(f.From, loc), Until: hoClock(f.Until, loc)}
		var lines []string
		for _, l := range f.ServiceLines {
			lines = append(lines, hoLineLabels[l])
		}
		v.Lines = strings.Join(lines, " and ")
		v.Line = string(f.ServiceLines[0])
		if !v.FreeNow {
			v.StartsAt = f.From.UTC().Format(time.RFC3339)
		}
		pg.Free = append(pg.Free, v)
	}
	return h.render(c, status, pageIntroduce, pg)
}

// introduceNow books the person with the practitioner chosen, now or when
// they are free today, and opens the appointment.
func (h *handler) introduceNow(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	n := handover.Introduction{PatientID: id, ServiceLine: booking.ServiceLine(formValue(c, "service_line"))}
	if n.PractitionerID, err = uuid.Parse(formValue(c, "practitioner_id")); err != nil {
		return h.renderIntroduce(c, fiber.StatusUnprocessableEntity, "Choose who will see them.", "", "", "")
	}
	if s := formValue(c, "starts_at"); s != "" {
		if n.StartsAt, err = time.Parse(time.RFC3339, s); err != nil {
			return h.renderIntroduce(c, fiber.StatusUnprocessableEntity, "Choose a time from the list.", "", "", "")
		}
	}
	a, _, err := handover.Introduce(ctx, h.DB, actor.UserID, n)
	if err != nil {
		msg, status, ok := hoFailure(err)
		if !ok {
			return err
		}
		return h.renderIntroduce(c, status, msg, "", "", "")
	}
	return c.Redirect(tenantPath(t.Slug, "/appointments/"+a.ID.String())+"?done=introduced", fiber.StatusSeeOther)
}

// enqueue puts the person in the same-day queue with the note.
func (h *handler) enqueue(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	note, line := formValue(c, "note"), formValue(c, "service_line")
	if line == "either" {
		line = ""
	}
	_, err = handover.Enqueue(ctx, h.DB, actor.UserID, handover.NewEntry{PatientID: id,
		ServiceLine: booking.ServiceLine(line), Note: note})
	if err != nil {
		msg, status, ok := hoFailure(err)
		if !ok {
			return err
		}
		noteErr := ""
		for _, f := range fault.As(err).Fields {
			if f.Field == "note" {
				noteErr = sentence(f.Message)
			}
		}
		return h.renderIntroduce(c, status, msg, note, noteErr, line)
	}
	return c.Redirect(tenantPath(t.Slug, "/queue")+"?done=queued", fiber.StatusSeeOther)
}

// --- The same-day queue ---

type queuePage struct {
	layout
	Notice    string
	Message   string
	LiveURL   string
	ReloadURL string
	ScriptURL string
	List      queueList
}

// queueList is what the live part of the page shows; the poller fetches it
// alone (queueLive) and swaps it in.
type queueList struct {
	CSRF        string
	Version     string
	Entries     []queueEntryView
	CanTake     bool
	CanWithdraw bool
}

type queueEntryView struct {
	ID, Name, Line, Note, IntroducedBy string
	IntroducedAt                       timeView
	Waited                             string
	TakeURL, WithdrawURL               string
}

func (h *handler) queue(c *fiber.Ctx) error {
	return h.renderQueue(c, fiber.StatusOK, "")
}

func (h *handler) renderQueue(c *fiber.Ctx, status int, message string) error {
	t, _ := tenants.FromContext(httpx.Context(c))
	list, err := h.queueList(c)
	if err != nil {
		return err
	}
	base := tenantPath(t.Slug, "/queue")
	pg := queuePage{layout: h.tenantPage(c, "Same-day queue", "/queue"), Notice: handoverNotices[c.Query("done")],
		Message: message, LiveURL: base + "/live", ReloadURL: base, ScriptURL: h.StaticURL("queue.js"), List: list}
	return h.render(c, status, pageQueue, pg)
}

// queueList reads the version first: a change between the two reads makes
// the next poll fetch again rather than miss it.
func (h *handler) queueList(c *fiber.Ctx) (queueList, error) {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	v, err := handover.Version(ctx, h.DB)
	if err != nil {
		return queueList{}, err
	}
	q, err := handover.Queue(ctx, h.DB)
	if err != nil {
		return queueList{}, err
	}
	ids := make([]uuid.UUID, len(q))
	for i, e := range q {
		ids[i] = e.IntroducedBy
	}
	names, err := h.hoNames(c, ids...)
	if err != nil {
		return queueList{}, err
	}
	loc, now := t.Location(), time.Now()
	l := queueList{CSRF: httpx.CSRFToken(c), Version: v,
		CanTake:     slices.Contains(actor.Roles, "hip") || slices.Contains(actor.Roles, "health_coach"),
		CanWithdraw: h.can(ctx, handoverApptUpdate)}
	for _, e := range q {
		base := tenantPath(t.Slug, "/queue/"+e.ID.String())
		l.Entries = append(l.Entries, queueEntryView{ID: e.ID.String(), Name: e.Name(), Line: hoLineLabels[e.ServiceLine],
			Note: e.Note, IntroducedBy: hoNameOr(names, e.IntroducedBy), IntroducedAt: showTime(e.IntroducedAt, loc),
			Waited: hoWaited(e.Waiting(now)), TakeURL: base + "/take", WithdrawURL: base + "/withdraw"})
	}
	return l, nil
}

// queueLive answers the poller: 204 while the queue is as it last saw it
// (?v=), else the list alone with its new version in X-Queue-Version.
func (h *handler) queueLive(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if seen := c.Query("v"); seen != "" {
		v, err := handover.Version(ctx, h.DB)
		if err != nil {
			return err
		}
		if v == seen {
			return c.SendStatus(fiber.StatusNoContent)
		}
	}
	list, err := h.queueList(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.pages[pageQueue].ExecuteTemplate(&buf, "queue-list", list); err != nil {
		return h.plainError(c, err)
	}
	c.Set("X-Queue-Version", list.Version)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

func (h *handler) takeFromQueue(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	_, a, err := handover.Take(ctx, h.DB, actor.UserID, id, handover.Taking{})
	if err != nil {
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderQueue(c, status, msg)
	}
	return c.Redirect(tenantPath(t.Slug, "/appointments/"+a.ID.String())+"?done=taken", fiber.StatusSeeOther)
}

func (h *handler) withdrawFromQueue(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	if _, err := handover.Withdraw(ctx, h.DB, actor.UserID, id, formValue(c, "reason")); err != nil {
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderQueue(c, status, msg)
	}
	return c.Redirect(tenantPath(t.Slug, "/queue")+"?done=withdrawn", fiber.StatusSeeOther)
}

// --- The appointment page ---

type appointmentPage struct {
	layout
	Notice, Message string
	CSRF            string
	Patient         string
	PatientURL      string
	Practitioner    string
	Day             string
	Starts, Ends    timeView
	Minutes         int
	Mode, Line      string
	Kind            string
	Status          string
	StatusKey       string
	IntroducedBy    string
	IntroducedAt    timeView
	SeenAt          timeView
	IntroToSeen     string
	CancelledBy     string
	CancelReason    string
	Actions         []statusActionView
	StatusURL       string
	CanCancel       bool
	CancelURL       string
	NoteURL         string     // the session note editor (notes.go), for those who write notes
	Move            *moveView  // the reschedule form, when the appointment may move
	Group           *groupView // a group's attendees and the form to add one
}

type statusActionView struct{ Value, Label string }

func (h *handler) appointment(c *fiber.Ctx) error {
	return h.renderAppointment(c, fiber.StatusOK, "")
}

func (h *handler) renderAppointment(c *fiber.Ctx, status int, message string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	a, err := booking.Get(ctx, h.DB, id)
	if err != nil {
		return err
	}
	who := "A group session"
	var patientURL string
	if a.PatientID != uuid.Nil {
		p, err := patient.Get(ctx, h.DB, a.PatientID, reasonAppointment)
		if err != nil {
			return err
		}
		who, patientURL = hoPersonName(p), tenantPath(t.Slug, "/patients/"+p.ID.String())
	}
	names, err := h.hoNames(c, a.PractitionerID, a.IntroducedBy, a.CancelledBy)
	if err != nil {
		return err
	}
	loc := t.Location()
	base := tenantPath(t.Slug, "/appointments/"+a.ID.String())
	pg := appointmentPage{layout: h.tenantPage(c, "Appointment", "/appointments/"+a.ID.String()),
		Notice: handoverNotices[c.Query("done")], Message: message, CSRF: httpx.CSRFToken(c),
		Patient: who, PatientURL: patientURL, Practitioner: hoNameOr(names, a.PractitionerID),
		Day: a.StartsAt.In(loc).Format("Monday 2 January 2006"), Starts: showTime(a.StartsAt, loc),
		Ends: showTime(a.EndsAt, loc), Minutes: a.Minutes(), Mode: hoModeLabels[a.Mode], Line: hoLineLabels[a.ServiceLine],
		Kind: hoKindLabels[a.Kind], Status: hoStatusLabels[a.Status], StatusKey: hoStatusStyle[a.Status],
		SeenAt: showTime(a.SeenAt, loc), CancelReason: a.CancelReason, StatusURL: base + "/status",
		CancelURL: base + "/cancel", CanCancel: a.Status.Live() && h.can(ctx, handoverApptCancel)}
	if a.PatientID != uuid.Nil && h.can(ctx, noteCreate) {
		pg.NoteURL = base + noteEditorPath
	}
	pg.Starts.Text, pg.Ends.Text = hoClock(a.StartsAt, loc), hoClock(a.EndsAt, loc)
	if a.IntroducedBy != uuid.Nil {
		pg.IntroducedBy, pg.IntroducedAt = hoNameOr(names, a.IntroducedBy), showTime(a.IntroducedAt, loc)
		if !a.SeenAt.IsZero() {
			pg.IntroToSeen = hoWaited(a.SeenAt.Sub(a.IntroducedAt))
		}
	}
	if a.Status == booking.StatusCancelled {
		pg.CancelledBy = "the system"
		if a.CancelledBy != uuid.Nil {
			pg.CancelledBy = hoNameOr(names, a.CancelledBy)
		}
	}
	if h.can(ctx, handoverApptUpdate) {
		for _, s := range hoStatusActions {
			if booking.CanMove(a.Status, s.to) {
				pg.Actions = append(pg.Actions, statusActionView{Value: string(s.to), Label: s.label})
			}
		}
	}
	if err := h.appointmentExtras(c, &pg, a); err != nil {
		return err
	}
	return h.render(c, status, pageAppointment, pg)
}

func (h *handler) appointmentStatus(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	to := booking.Status(formValue(c, "status"))
	if !slices.ContainsFunc(hoStatusActions, func(s struct {
		to    booking.Status
		label string
	}) bool {
		return s.to == to
	}) {
		return h.renderAppointment(c, fiber.StatusUnprocessableEntity, "Choose one of the buttons.")
	}
	if _, err := booking.SetStatus(ctx, h.DB, actor.UserID, id, to); err != nil {
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderAppointment(c, status, msg)
	}
	return c.Redirect(tenantPath(t.Slug, "/appointments/"+id.String())+"?done=status", fiber.StatusSeeOther)
}

// appointmentCancel cancels with the reason given, then goes to the offer of
// the freed time to the waitlist.
func (h *handler) appointmentCancel(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	if _, err := booking.Cancel(ctx, h.DB, actor.UserID, id, formValue(c, "reason")); err != nil {
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderAppointment(c, status, msg)
	}
	return c.Redirect(tenantPath(t.Slug, "/waitlist/offers/"+id.String()), fiber.StatusSeeOther)
}
