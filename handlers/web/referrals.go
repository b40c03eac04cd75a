package web

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/referral"
	"github.com/tuhono/tuhono/tenants"
)

var (
	referralRead   = httpx.Perm{Object: "referral", Action: "read"}
	referralCreate = httpx.Perm{Object: "referral", Action: "create"}
	referralUpdate = httpx.Perm{Object: "referral", Action: "update"}
)

// referralPages: referring a person to Support Workers, the Support Workers'
// queue and a referral's page (this file), and the waitlist (waitlist.go).
var referralPages = []page{
	{"GET", "/t/:tenant/patients/:id/refer", member, referralCreate, (*handler).referForm, false},
	{"POST", "/t/:tenant/patients/:id/refer", member, referralCreate, (*handler).refer, false},
	{"GET", "/t/:tenant/referrals", member, referralRead, (*handler).referralQueue, false},
	{"GET", "/t/:tenant/referrals/:id", member, referralRead, (*handler).referralShow, false},
	{"POST", "/t/:tenant/referrals/:id/accept", member, referralUpdate, (*handler).referralAccept, false},
	{"POST", "/t/:tenant/referrals/:id/contacts", member, referralUpdate, (*handler).referralContact, false},
	{"POST", "/t/:tenant/referrals/:id/close", member, referralUpdate, (*handler).referralClose, false},

	{"GET", "/t/:tenant/waitlist", member, waitlistRead, (*handler).waitlistPage, false},
	{"POST", "/t/:tenant/waitlist", member, waitlistCreate, (*handler).waitlistAdd, false},
	{"POST", "/t/:tenant/waitlist/:id/withdraw", member, waitlistUpdate, (*handler).waitlistWithdraw, false},
	{"POST", "/t/:tenant/waitlist/:id/book", member, waitlistCreate, (*handler).waitlistBook, false},
	{"GET", "/t/:tenant/waitlist/offers/:id", member, waitlistRead, (*handler).waitlistOffers, false},
}

const (
	pageReferralNew   = "referral_new.html"
	pageReferrals     = "referrals.html"
	pageReferral      = "referral.html"
	pageWaitlist      = "waitlist.html"
	pageWaitlistOffer = "waitlist_offers.html"
)

func init() {
	pageFiles = append(pageFiles, pageReferralNew, pageReferrals, pageReferral, pageWaitlist, pageWaitlistOffer)
}

// The purpose of access recorded when the refer form reads the person.
const reasonRefer = "refer the person to a Support Worker"

var referralNotices = map[string]string{
	"referred":  "The referral is made. Support Workers see it in their queue.",
	"accepted":  "You have accepted the referral. Make first contact by the due day.",
	"contact":   "The contact is recorded.",
	"closed":    "The referral is closed.",
	"added":     "The person is on the waitlist.",
	"withdrawn": "The person is off the waitlist.",
	"booked":    "The person is booked into the freed time and off the waitlist.",
}

func referralNotice(c *fiber.Ctx) string { return referralNotices[c.Query("done")] }

// idParam reads the :id parameter; a malformed id is simply not found.
func idParam(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil || id == uuid.Nil {
		return uuid.Nil, fault.NotFound
	}
	return id, nil
}

func patientName(p patient.Patient) string {
	given := p.GivenNames
	if p.PreferredName != "" {
		given = p.PreferredName
	}
	return strings.TrimSpace(given + " " + p.FamilyName)
}

// pick is a drop-down of fixed values with their labels (selectField in
// regions.go takes ready-made options).
func pick(f *form, name, label, hint string, values, labels []string) selectView {
	opts := make([]option, len(values))
	for i, val := range values {
		opts[i] = option{Value: val, Label: labels[i], Checked: f.Values[name] == val}
	}
	return selectField(f, name, label, hint, opts)
}

// checks is a checkbox group with labels of its own (Choices labels roles).
func (f *form) checks(name, legend, hint string, values, labels []string) choiceView {
	v := f.Choices(name, legend, hint, values, f.Lists[name])
	for i := range v.Options {
		v.Options[i].Label = labels[i]
	}
	return v
}

// --- Referring ---

type referralNewPage struct {
	layout
	Form       *form
	Patient    string
	PatientURL string
	SaveURL    string
	Needs      choiceView
	Note       string
	NoteErr    string
	ConsentErr string
	Consent    bool
	TargetNote string
}

func (h *handler) renderReferForm(c *fiber.Ctx, status int, f *form, p patient.Patient) error {
	t, _ := tenants.FromContext(httpx.Context(c))
	base := "/patients/" + p.ID.String()
	pg := referralNewPage{layout: h.tenantPage(c, "Refer to a Support Worker", base+"/refer"), Form: f,
		Patient: patientName(p), PatientURL: tenantPath(t.Slug, base), SaveURL: tenantPath(t.Slug, base+"/refer"),
		Note: f.Values["note"], Consent: f.Values["consent"] == "yes"}
	values, labels := make([]string, len(referral.Needs)), make([]string, len(referral.Needs))
	for i, n := range referral.Needs {
		values[i], labels[i] = string(n), n.Label()
	}
	pg.Needs = f.checks("needs", "Needs", "Choose every need the person wants support with.", values, labels)
	f.register("note", "Note for the Support Worker")
	pg.NoteErr = f.Errors["note"]
	f.register("consent", "Consent")
	pg.ConsentErr = f.Errors["consent"]
	return h.render(c, status, pageReferralNew, pg)
}

func (h *handler) referPatient(c *fiber.Ctx) (patient.Patient, error) {
	id, err := idParam(c)
	if err != nil {
		return patient.Patient{}, err
	}
	return patient.Get(httpx.Context(c), h.DB, id, reasonRefer)
}

// referForm shows the referral form for a person.
func (h *handler) referForm(c *fiber.Ctx) error {
	p, err := h.referPatient(c)
	if err != nil {
		return err
	}
	return h.renderReferForm(c, fiber.StatusOK, newForm(c), p)
}

// refer makes the referral; anything bad comes back with a message and
// changes nothing.
func (h *handler) refer(c *fiber.Ctx) error {
	p, err := h.referPatient(c)
	if err != nil {
		return err
	}
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	needs := formValues(c, "needs")
	f.SetList("needs", needs)
	f.Set("note", formValue(c, "note"))
	f.Set("consent", formValue(c, "consent"))
	n := referral.NewReferral{PatientID: p.ID, Note: f.Values["note"], Consent: f.Values["consent"] == "yes"}
	for _, x := range needs {
		n.Needs = append(n.Needs, referral.Need(x))
	}
	r, err := referral.Create(ctx, h.DB, actor.UserID, n, time.Now())
	if err == nil {
		return redirect(c, tenantPath(t.Slug, "/referrals/"+r.ID.String()+"?done=referred"))
	}
	if fault.As(err).Kind == fault.KindForbidden {
		f.Message = sentence(fault.As(err).Message)
	} else if !f.Adopt(err, map[string]string{"needs": "needs", "note": "note", "consent": "consent"}) {
		return err
	}
	return h.renderReferForm(c, fiber.StatusUnprocessableEntity, f, p)
}

// --- The Support Workers' queue ---

type referralRow struct {
	URL, Patient, Needs, Status, StatusClass string
	Due, Referred                            timeView
	DueText                                  string
	Flags                                    []flagView
}

type flagView struct{ Text, Class string }

// referralSection is one part of the queue, in the order Support Workers
// work through it.
type referralSection struct {
	ID, Title, Hint string
	Rows            []referralRow
}

type referralsPage struct {
	layout
	Notice   string
	Empty    bool
	Sections []referralSection
}

func (h *handler) referralQueue(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	items, err := referral.Queue(ctx, h.DB, time.Now())
	if err != nil {
		return err
	}
	p := referralsPage{layout: h.tenantPage(c, "Referrals", "/referrals"), Notice: referralNotice(c), Empty: len(items) == 0}
	sections := []referralSection{
		{ID: "overdue", Title: "Overdue", Hint: "First contact is past the practice’s target."},
		{ID: "due-today", Title: "Due today", Hint: "Make first contact by the end of today."},
		{ID: "review", Title: "Review due", Hint: "Open longer than three months: review whether support should continue."},
		{ID: "waiting", Title: "Awaiting first contact"},
		{ID: "in-progress", Title: "In progress"},
	}
	loc := t.Location()
	for _, it := range items {
		i := 4
		switch {
		case it.Overdue:
			i = 0
		case it.DueToday:
			i = 1
		case it.ReviewDue:
			i = 2
		case !it.Contacted:
			i = 3
		}
		sections[i].Rows = append(sections[i].Rows, referralRowOf(t.Slug, it, loc))
	}
	for _, s := range sections {
		if len(s.Rows) > 0 {
			p.Sections = append(p.Sections, s)
		}
	}
	return h.render(c, fiber.StatusOK, pageReferrals, p)
}

var referralStatusLabels = map[referral.Status]string{
	referral.StatusReferred: "Waiting for a Support Worker", referral.StatusAccepted: "Accepted",
	referral.StatusContacted: "Contacted", referral.StatusActive: "Active", referral.StatusClosed: "Closed",
}

func referralRowOf(slug string, it referral.Item, loc *time.Location) referralRow {
	r := it.Referral
	needs := make([]string, len(r.Needs))
	for i, n := range r.Needs {
		needs[i] = n.Label()
	}
	row := referralRow{URL: tenantPath(slug, "/referrals/"+r.ID.String()), Patient: r.PatientName,
		Needs: strings.Join(needs, ", "), Status: referralStatusLabels[r.Status], StatusClass: "status-" + string(r.Status),
		Referred: showTime(r.ReferredAt, loc), DueText: r.DueBy.Format("Mon 2 Jan 2006")}
	switch {
	case it.Overdue:
		row.Flags = append(row.Flags, flagView{"Overdue", "status-ended"})
	case it.DueToday:
		row.Flags = append(row.Flags, flagView{"Due today", "status-off"})
	case it.Contacted && it.WithinTarget:
		row.Flags = append(row.Flags, flagView{"Contacted within target", "status-on"})
	case it.Contacted:
		row.Flags = append(row.Flags, flagView{"Contacted after target", "status-off"})
	}
	if it.ReviewDue {
		row.Flags = append(row.Flags, flagView{"Review due", "status-off"})
	}
	return row
}

// --- One referral ---

type contactRow struct {
	At            timeView
	Mode, Outcome string
	Note          string
}

type referralPage struct {
	layout
	Notice                                    string
	Form                                      *form
	Row                                       referralRow
	Note                                      string
	Consent                                   timeView
	Accepted                                  timeView
	FirstContact                              timeView
	Closed                                    timeView
	Outcome                                   string
	OutcomeNote                               string
	Sessions                                  int
	Contacts                                  []contactRow
	Open                                      bool
	CanAccept                                 bool
	CanContact                                bool
	CanClose                                  bool
	AcceptURL, ContactURL, CloseURL, QueueURL string
	At                                        inputView
	Mode, ContactOutcome, CloseOutcome        selectView
	ContactNote, CloseNote                    string
}

var contactModeLabels = map[referral.ContactMode]string{
	referral.ContactPhone: "Phone", referral.ContactText: "Text message", referral.ContactEmail: "E-mail",
	referral.ContactInPerson: "In person", referral.ContactVideo: "Video", referral.ContactCommunity: "At home or in the community",
}

var contactOutcomeLabels = map[referral.ContactOutcome]string{
	referral.ContactReached: "Reached the person", referral.ContactNoAnswer: "No answer",
	referral.ContactLeftMessage: "Left a message", referral.ContactWrongNumber: "Wrong number",
}

func (h *handler) renderReferral(c *fiber.Ctx, status int, f *form) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := idParam(c)
	if err != nil {
		return err
	}
	r, err := referral.Get(ctx, h.DB, id)
	if err != nil {
		return err
	}
	contacts, err := referral.Contacts(ctx, h.DB, id)
	if err != nil {
		return err
	}
	loc := t.Location()
	base := tenantPath(t.Slug, "/referrals/"+id.String())
	it := referral.Flag(r, time.Now(), loc)
	p := referralPage{layout: h.tenantPage(c, "Referral for "+r.PatientName, "/referrals/"+id.String()),
		Notice: referralNotice(c), Form: f, Row: referralRowOf(t.Slug, it, loc), Note: r.Note,
		Consent: showTime(r.ConsentAt, loc), Accepted: showTime(r.AcceptedAt, loc), FirstContact: showTime(r.FirstContactAt, loc),
		Closed: showTime(r.ClosedAt, loc), OutcomeNote: r.OutcomeNote, Sessions: r.Sessions, Open: r.Open(),
		AcceptURL: base + "/accept", ContactURL: base + "/contacts", CloseURL: base + "/close",
		QueueURL: tenantPath(t.Slug, "/referrals"), ContactNote: f.Values["contact_note"], CloseNote: f.Values["close_note"]}
	if r.Outcome != "" {
		p.Outcome = r.Outcome.Label()
	}
	for _, x := range contacts {
		p.Contacts = append(p.Contacts, contactRow{At: showTime(x.At, loc), Mode: contactModeLabels[x.Mode],
			Outcome: contactOutcomeLabels[x.Outcome], Note: x.Note})
	}
	sw := slices.Contains(actor.Roles, "support_worker") && h.can(ctx, referralUpdate)
	p.CanAccept = sw && r.Status == referral.StatusReferred
	p.CanContact = r.Open() && r.WorkerID == actor.UserID && r.WorkerID != uuid.Nil
	p.CanClose = r.Open() && (r.WorkerID == actor.UserID || (r.WorkerID == uuid.Nil && (sw || r.ReferredBy == actor.UserID)))
	if _, ok := f.Values["at"]; !ok {
		f.Set("at", time.Now().In(loc).Format("2006-01-02T15:04"))
	}
	p.At = f.Input("at", "When", "datetime-local", "off", "hint=In the practice's time zone.")
	modes, modeLabels := []string{}, []string{}
	for _, m := range referral.ContactModes {
		modes, modeLabels = append(modes, string(m)), append(modeLabels, contactModeLabels[m])
	}
	p.Mode = pick(f, "mode", "How", "", modes, modeLabels)
	outs, outLabels := []string{}, []string{}
	for _, o := range referral.ContactOutcomes {
		outs, outLabels = append(outs, string(o)), append(outLabels, contactOutcomeLabels[o])
	}
	p.ContactOutcome = pick(f, "outcome", "What happened", "The first contact that reaches the person is the first contact; later ones are support sessions.", outs, outLabels)
	closes, closeLabels := []string{}, []string{}
	for _, o := range referral.Outcomes {
		closes, closeLabels = append(closes, string(o)), append(closeLabels, o.Label())
	}
	p.CloseOutcome = pick(f, "close_outcome", "Outcome", "", closes, closeLabels)
	f.register("contact_note", "Note")
	f.register("close_note", "Note")
	return h.render(c, status, pageReferral, p)
}

func (h *handler) referralShow(c *fiber.Ctx) error {
	return h.renderReferral(c, fiber.StatusOK, newForm(c))
}

// referralAct runs one change as the signed-in person and goes back to the
// referral's page; a refusal the person can act on shows on the page.
func (h *handler) referralAct(c *fiber.Ctx, f *form, done string, fields map[string]string,
	act func(actor, id uuid.UUID, now time.Time) error) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := idParam(c)
	if err != nil {
		return err
	}
	err = act(actor.UserID, id, time.Now())
	if err == nil {
		return redirect(c, tenantPath(t.Slug, "/referrals/"+id.String()+"?done="+done))
	}
	switch fe := fault.As(err); fe.Kind {
	case fault.KindConflict, fault.KindForbidden:
		f.Message = sentence(fe.Message)
		return h.renderReferral(c, fiber.StatusConflict, f)
	case fault.KindInvalid:
		f.Adopt(err, fields)
		return h.renderReferral(c, fiber.StatusUnprocessableEntity, f)
	}
	return err
}

func (h *handler) referralAccept(c *fiber.Ctx) error {
	return h.referralAct(c, newForm(c), "accepted", nil, func(actor, id uuid.UUID, now time.Time) error {
		_, err := referral.Accept(httpx.Context(c), h.DB, actor, id, now)
		return err
	})
}

func (h *handler) referralContact(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	f := newForm(c)
	for _, k := range []string{"at", "mode", "outcome", "contact_note"} {
		f.Set(k, formValue(c, k))
	}
	var at time.Time
	if v := strings.TrimSpace(f.Values["at"]); v != "" {
		var err error
		if at, err = time.ParseInLocation("2006-01-02T15:04", v, t.Location()); err != nil {
			f.Fail("at", "enter a date and time")
			return h.renderReferral(c, fiber.StatusUnprocessableEntity, f)
		}
	}
	fields := map[string]string{"at": "at", "mode": "mode", "outcome": "outcome", "note": "contact_note"}
	return h.referralAct(c, f, "contact", fields, func(actor, id uuid.UUID, now time.Time) error {
		_, err := referral.RecordContact(ctx, h.DB, actor, id, referral.Contact{At: at, Mode: referral.ContactMode(f.Values["mode"]),
			Outcome: referral.ContactOutcome(f.Values["outcome"]), Note: f.Values["contact_note"]}, now)
		return err
	})
}

func (h *handler) referralClose(c *fiber.Ctx) error {
	f := newForm(c)
	f.Set("close_outcome", formValue(c, "close_outcome"))
	f.Set("close_note", formValue(c, "close_note"))
	fields := map[string]string{"outcome": "close_outcome", "note": "close_note"}
	return h.referralAct(c, f, "closed", fields, func(actor, id uuid.UUID, now time.Time) error {
		_, err := referral.Close(httpx.Context(c), h.DB, actor, id, referral.Outcome(f.Values["close_outcome"]),
			f.Values["close_note"], now)
		return err
	})
}
