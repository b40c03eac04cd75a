package web

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/waitlist"
	"github.com/tuhono/tuhono/tenants"
)

// The waitlist is part of booking: it sits under the appointment perms.
var (
	waitlistRead   = httpx.Perm{Object: "appointment", Action: "read"}
	waitlistCreate = httpx.Perm{Object: "appointment", Action: "create"}
	waitlistUpdate = httpx.Perm{Object: "appointment", Action: "update"}
)

// Purposes of access recorded when the waitlist pages read people.
const (
	reasonWaitlistFind = "find a person to add to the waitlist"
	reasonWaitlistAdd  = "add the person to the waitlist"
)

var serviceLineLabels = map[booking.ServiceLine]string{
	booking.LineHIP: "HIP", booking.LineHealthCoach: "Health Coach", booking.LineSupportWorker: "Support Worker",
}

var urgencyLabels = map[waitlist.Urgency]string{
	waitlist.UrgencyRoutine: "Routine", waitlist.UrgencySoon: "Soon", waitlist.UrgencyUrgent: "Urgent",
}

type entryRow struct {
	Patient, Line, Practitioner, Urgency, UrgencyClass, Preferred, Note string
	Added                                                               timeView
	Key, WithdrawURL, BookURL                                           string
}

type foundPerson struct{ Name, URL string }

type waitlistPage struct {
	layout
	Notice       string
	Form         *form
	CSRF         string
	Entries      []entryRow
	SaveURL      string
	FindURL      string
	Query        string
	Found        []foundPerson
	Searched     bool
	PatientID    string
	PatientName  string
	Line         selectView
	Urgency      selectView
	Practitioner selectView
	Preferred    []prefRow
	PrefErr      string
	Note         string
	NoteErr      string
}

// prefRow is one weekday's three parts of the day, as checkboxes.
type prefRow struct {
	Day   string
	Parts []option
}

var dayOrder = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func (h *handler) renderWaitlist(c *fiber.Ctx, status int, f *form, who *patient.Patient) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	list, err := waitlist.List(ctx, h.DB)
	if err != nil {
		return err
	}
	staff, err := h.Accounts.Staff(ctx)
	if err != nil {
		return err
	}
	names := map[uuid.UUID]string{}
	pracValues, pracLabels := []string{""}, []string{"Anyone in the service"}
	for _, m := range staff {
		names[m.UserID] = m.User.Name
		if m.Status != "active" {
			continue
		}
		for _, l := range []booking.ServiceLine{booking.LineHIP, booking.LineHealthCoach, booking.LineSupportWorker} {
			if slices.Contains(m.Roles, string(l)) {
				pracValues = append(pracValues, m.UserID.String())
				pracLabels = append(pracLabels, m.User.Name+" ("+serviceLineLabels[l]+")")
				break
			}
		}
	}
	loc := t.Location()
	p := waitlistPage{layout: h.tenantPage(c, "Waitlist", "/waitlist"), Notice: referralNotice(c), Form: f, CSRF: f.CSRF,
		SaveURL: tenantPath(t.Slug, "/waitlist"), FindURL: tenantPath(t.Slug, "/waitlist"), Note: f.Values["note"]}
	canUpdate := h.can(ctx, waitlistUpdate)
	for _, e := range list {
		row := entryRow{Patient: e.PatientName, Line: serviceLineLabels[e.ServiceLine], Urgency: urgencyLabels[e.Urgency],
			UrgencyClass: urgencyClass(e.Urgency), Preferred: preferredText(e.Preferred), Note: e.Note,
			Added: showTime(e.CreatedAt, loc), Practitioner: "Anyone", Key: e.ID.String()}
		if e.PractitionerID != uuid.Nil {
			row.Practitioner = names[e.PractitionerID]
		}
		if canUpdate {
			row.WithdrawURL = tenantPath(t.Slug, "/waitlist/"+e.ID.String()+"/withdraw")
		}
		p.Entries = append(p.Entries, row)
	}
	if who != nil {
		p.PatientID, p.PatientName = who.ID.String(), patientName(*who)
	} else if q := strings.TrimSpace(c.Query("q")); q != "" && h.can(ctx, permPatientRead) {
		p.Query, p.Searched = q, true
		found, err := patient.Search(ctx, h.DB, q, 10, reasonWaitlistFind)
		if err != nil && fault.As(err).Kind != fault.KindInvalid {
			return err
		}
		for _, x := range found {
			p.Found = append(p.Found, foundPerson{Name: patientName(x), URL: tenantPath(t.Slug, "/waitlist?patient="+x.ID.String())})
		}
	}
	p.Line = pick(f, "service_line", "Service", "", []string{"hip", "health_coach", "support_worker"},
		[]string{"HIP", "Health Coach", "Support Worker"})
	p.Urgency = pick(f, "urgency", "Urgency", "Urgent entries are offered freed times first, then the longest waiting.",
		[]string{"routine", "soon", "urgent"}, []string{"Routine", "Soon", "Urgent"})
	p.Practitioner = pick(f, "practitioner_id", "Practitioner", "", pracValues, pracLabels)
	f.register("preferred", "Preferred times")
	p.PrefErr = f.Errors["preferred"]
	for _, d := range dayOrder {
		row := prefRow{Day: weekdayLabels[d]}
		for _, part := range waitlist.Parts {
			code := d + ":" + string(part)
			row.Parts = append(row.Parts, option{ID: fieldID("pref-" + strings.ReplaceAll(code, ":", "-")), Value: code,
				Label: string(part), Checked: slices.Contains(f.Lists["preferred"], code)})
		}
		p.Preferred = append(p.Preferred, row)
	}
	f.register("note", "Note")
	p.NoteErr = f.Errors["note"]
	return h.render(c, status, pageWaitlist, p)
}

func urgencyClass(u waitlist.Urgency) string {
	switch u {
	case waitlist.UrgencyUrgent:
		return "status-ended"
	case waitlist.UrgencySoon:
		return "status-off"
	}
	return "status-onboarding"
}

func preferredText(prefs []waitlist.Preference) string {
	if len(prefs) == 0 {
		return "Any time"
	}
	out := make([]string, len(prefs))
	for i, p := range prefs {
		out[i] = p.Label()
	}
	return strings.Join(out, ", ")
}

// waitlistPerson reads the person named by ?patient= or the form, if any.
func (h *handler) waitlistPerson(c *fiber.Ctx, raw string) (*patient.Patient, error) {
	if raw == "" {
		return nil, nil
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, fault.NotFound
	}
	p, err := patient.Get(httpx.Context(c), h.DB, id, reasonWaitlistAdd)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// waitlistPage lists the open entries, with the form to add someone.
func (h *handler) waitlistPage(c *fiber.Ctx) error {
	f := newForm(c)
	f.Set("urgency", "routine")
	who, err := h.waitlistPerson(c, strings.Clone(c.Query("patient")))
	if err != nil {
		return err
	}
	return h.renderWaitlist(c, fiber.StatusOK, f, who)
}

// waitlistAdd puts the person on the list; anything bad comes back with a
// message and changes nothing.
func (h *handler) waitlistAdd(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	for _, k := range []string{"service_line", "urgency", "practitioner_id", "note"} {
		f.Set(k, formValue(c, k))
	}
	prefs := formValues(c, "preferred")
	f.SetList("preferred", prefs)
	who, err := h.waitlistPerson(c, formValue(c, "patient_id"))
	if err != nil {
		return err
	}
	if who == nil {
		f.Message = "Find the person first, then add them."
		return h.renderWaitlist(c, fiber.StatusUnprocessableEntity, f, nil)
	}
	n := waitlist.NewEntry{PatientID: who.ID, ServiceLine: booking.ServiceLine(f.Values["service_line"]),
		Urgency: waitlist.Urgency(f.Values["urgency"]), Note: f.Values["note"]}
	if v := f.Values["practitioner_id"]; v != "" {
		if n.PractitionerID, err = uuid.Parse(v); err != nil {
			f.Fail("practitioner_id", "choose a practitioner from the list")
		}
	}
	if n.Preferred, err = waitlist.ParsePreferences(prefs); err != nil {
		f.Adopt(err, map[string]string{"preferred": "preferred"})
	}
	if !f.Failed() {
		_, err = waitlist.Add(ctx, h.DB, actor.UserID, n)
		if err == nil {
			return redirect(c, tenantPath(t.Slug, "/waitlist?done=added"))
		}
		fields := map[string]string{"service_line": "service_line", "urgency": "urgency", "practitioner_id": "practitioner_id",
			"preferred": "preferred", "note": "note"}
		switch fe := fault.As(err); {
		case fe.Kind == fault.KindConflict:
			f.Message = sentence(fe.Message)
		case fe.Kind == fault.KindNotFound && fe.Message == "practitioner not found":
			f.Fail("practitioner_id", "choose a practitioner from the list")
		case !f.Adopt(err, fields):
			return err
		}
	}
	return h.renderWaitlist(c, fiber.StatusUnprocessableEntity, f, who)
}

// waitlistWithdraw takes an entry off the list.
func (h *handler) waitlistWithdraw(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := idParam(c)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(formValue(c, "reason"))
	if reason == "" {
		reason = "withdrawn by the practice"
	}
	if _, err := waitlist.Withdraw(ctx, h.DB, actor.UserID, id, reason); err != nil {
		if fe := fault.As(err); fe.Kind == fault.KindConflict || fe.Kind == fault.KindInvalid {
			f := newForm(c)
			f.Message = sentence(fe.Message)
			return h.renderWaitlist(c, fiber.StatusConflict, f, nil)
		}
		return err
	}
	return redirect(c, tenantPath(t.Slug, "/waitlist?done=withdrawn"))
}

// --- Offers for a freed time ---

type offersPage struct {
	layout
	Form           *form
	Start, End     timeView
	Practitioner   string
	Line           string
	Free           bool
	Entries        []entryRow
	AppointmentID  string
	AppointmentURL string
	WaitlistURL    string
}

func (h *handler) renderOffers(c *fiber.Ctx, status int, f *form, appointmentID uuid.UUID) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	o, err := waitlist.OffersFor(ctx, h.DB, appointmentID)
	if err != nil {
		return err
	}
	staff, err := h.Accounts.Staff(ctx)
	if err != nil {
		return err
	}
	loc := t.Location()
	p := offersPage{layout: h.tenantPage(c, "Offer the freed time", "/waitlist/offers/"+appointmentID.String()), Form: f,
		Start: showTime(o.Slot.StartsAt, loc), End: showTime(o.Slot.EndsAt, loc), Line: serviceLineLabels[o.Slot.ServiceLine],
		Free: o.Free, AppointmentID: appointmentID.String(), WaitlistURL: tenantPath(t.Slug, "/waitlist"),
		AppointmentURL: tenantPath(t.Slug, "/appointments/"+appointmentID.String())}
	for _, m := range staff {
		if m.UserID == o.Slot.PractitionerID {
			p.Practitioner = m.User.Name
		}
	}
	canBook := h.can(ctx, waitlistCreate)
	for _, e := range o.Matches {
		row := entryRow{Patient: e.PatientName, Urgency: urgencyLabels[e.Urgency], UrgencyClass: urgencyClass(e.Urgency),
			Preferred: preferredText(e.Preferred), Note: e.Note, Added: showTime(e.CreatedAt, loc)}
		if canBook {
			row.BookURL = tenantPath(t.Slug, "/waitlist/"+e.ID.String()+"/book")
		}
		p.Entries = append(p.Entries, row)
	}
	return h.render(c, status, pageWaitlistOffer, p)
}

// waitlistOffers shows a just-cancelled appointment's time and who could
// take it.
func (h *handler) waitlistOffers(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	return h.renderOffers(c, fiber.StatusOK, newForm(c), id)
}

// waitlistBook books an entry into the freed time named in the form.
func (h *handler) waitlistBook(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	entry, err := idParam(c)
	if err != nil {
		return err
	}
	appt, err := uuid.Parse(formValue(c, "appointment_id"))
	if err != nil {
		return fault.NotFound
	}
	_, _, err = waitlist.BookFromWaitlist(ctx, h.DB, actor.UserID, entry, appt)
	if err == nil {
		return redirect(c, tenantPath(t.Slug, "/waitlist?done=booked"))
	}
	if fe := fault.As(err); fe.Kind == fault.KindConflict || fe.Kind == fault.KindInvalid {
		f := newForm(c)
		f.Message = sentence(fe.Message)
		if len(fe.Fields) > 0 {
			f.Message = sentence(fe.Fields[0].Message)
		}
		return h.renderOffers(c, fiber.StatusConflict, f, appt)
	}
	return err
}
