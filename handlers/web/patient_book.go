package web

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// ptBookPage is the booking form, or the confirmation of a hold.
type ptBookPage struct {
	layout
	Form       *form
	Person     string
	PersonURL  string
	BookURL    string
	ConfirmURL string

	Practitioner, ServiceLine, Kind, Mode, Minutes selectView
	Date, Time, Custom                             inputView
	NoPractitioners                                bool
	Free                                           []ptFreeView // the practitioner's next free times

	// The hold being confirmed.
	Held        *ptHeldView
	Warnings    []string
	CountdownJS string
}

type ptHeldView struct {
	ID, When, Length, With, Line, Mode, Kind string
	Expires                                  timeView
}

var ptBookFields = map[string]string{"practitioner_id": "practitioner_id", "service_line": "service_line",
	"kind": "kind", "mode": "mode", "starts_at": "time", "minutes": "minutes", "patient_id": "practitioner_id"}

// patientBookForm shows the booking form for a person.
func (h *handler) patientBookForm(c *fiber.Ctx) error {
	pt, err := h.ptForBooking(c)
	if err != nil {
		return err
	}
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	f.Set("practitioner_id", actor.UserID.String())
	f.Set("service_line", string(booking.LineHIP))
	f.Set("kind", string(booking.KindBooked))
	f.Set("mode", string(booking.ModeInPerson))
	f.Set("date", calendar.Today(t.Location()).Format(time.DateOnly))
	f.Set("minutes", "20")
	// A free time chosen from the list below the form comes back as a query.
	for _, name := range []string{"practitioner_id", "service_line", "date", "time", "minutes"} {
		if v := strings.TrimSpace(c.Query(name)); v != "" && len(v) <= 40 {
			f.Set(name, v)
		}
	}
	return h.ptRenderBook(c, fiber.StatusOK, pt, f, nil, nil)
}

// ptFreeTimes is how many free times the booking form suggests.
const ptFreeTimes = 12

// ptSuggest lists the chosen practitioner's next free times over the coming
// week, of the chosen length, as links that fill the form in. A search that
// fails or finds nothing shows nothing: the form still books any time.
func (h *handler) ptSuggest(c *fiber.Ctx, f *form, bookURL string) []ptFreeView {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	id, err := uuid.Parse(f.Values["practitioner_id"])
	if err != nil {
		return nil
	}
	minutes, err := strconv.Atoi(f.Values["minutes"])
	if err != nil || minutes < booking.MinMinutes || minutes > booking.MaxMinutes {
		return nil
	}
	from := time.Now()
	slots, err := booking.Availability(ctx, h.DB, booking.AvailabilityQuery{PractitionerID: id, From: from,
		To: from.AddDate(0, 0, 7), Minutes: minutes, Grid: 15})
	if err != nil {
		return nil
	}
	var out []ptFreeView
	for _, sl := range slots {
		if len(out) == ptFreeTimes {
			break
		}
		local := sl.Start.In(t.Location())
		q := url.Values{"practitioner_id": {id.String()}, "service_line": {f.Values["service_line"]},
			"date": {local.Format(time.DateOnly)}, "time": {local.Format("15:04")}, "minutes": {f.Values["minutes"]}}
		out = append(out, ptFreeView{When: local.Format("Mon 2 Jan, 3:04 pm"), URL: bookURL + "?" + q.Encode(),
			Open: sl.Block == schedule.KindOpen})
	}
	return out
}

// ptFreeView is one suggested free time.
type ptFreeView struct {
	When, URL string
	Open      bool // in same-day (open) time rather than booked-ahead time
}

// ptForBooking reads the person being booked, audited with its purpose.
func (h *handler) ptForBooking(c *fiber.Ctx) (patient.Patient, error) {
	id, err := ptIDParam(c)
	if err != nil {
		return patient.Patient{}, err
	}
	return patient.Get(httpx.Context(c), h.DB, id, ptReasonBook)
}

func (h *handler) ptRenderBook(c *fiber.Ctx, status int, pt patient.Patient, f *form, held *booking.Appointment, warnings []booking.Warning) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	base := tenantPath(t.Slug, "/patients/"+pt.ID.String())
	p := ptBookPage{layout: h.tenantPage(c, "Book "+ptName(pt), "/patients"), Form: f, Person: ptName(pt),
		PersonURL: base, BookURL: base + "/book", ConfirmURL: base + "/book/confirm",
		CountdownJS: h.StaticURL("hold.js")}
	staff, err := h.calPractitioners(c)
	if err != nil {
		return err
	}
	names := map[string]string{}
	var ids []string
	for _, m := range staff {
		ids = append(ids, m.UserID.String())
		names[m.UserID.String()] = m.User.Name
	}
	p.NoPractitioners = len(ids) == 0
	if held != nil {
		p.Held = &ptHeldView{ID: held.ID.String(), When: held.StartsAt.In(t.Location()).Format("Monday 2 January 2006, 3:04 pm"),
			Length: strconv.Itoa(held.Minutes()) + " minutes", With: names[held.PractitionerID.String()],
			Line: calLineLabels[held.ServiceLine], Mode: calModeLabels[held.Mode], Kind: calKindLabels[held.Kind],
			Expires: showTime(held.HoldExpiresAt, t.Location())}
		for _, w := range warnings {
			p.Warnings = append(p.Warnings, sentence(w.Message))
		}
		return h.render(c, status, pagePatientBook, p)
	}
	p.Practitioner = ptSelect(f, "practitioner_id", "Practitioner", "", ids, func(v string) string { return names[v] })
	p.ServiceLine = ptSelect(f, "service_line", "Service", "", []string{"hip", "health_coach", "support_worker"},
		func(v string) string { return calLineLabels[booking.ServiceLine(v)] })
	p.Kind = ptSelect(f, "kind", "Kind of appointment", "", []string{"booked", "same_day"},
		func(v string) string { return calKindLabels[booking.Kind(v)] })
	p.Mode = ptSelect(f, "mode", "How they will be seen", "", []string{"in_person", "phone", "video", "community"},
		func(v string) string { return calModeLabels[booking.Mode(v)] })
	p.Date = f.Input("date", "Date", "date", "off")
	p.Time = f.Input("time", "Start time", "time", "off", "hint=In the practice’s time ("+t.TimeZone+").")
	p.Minutes = ptSelect(f, "minutes", "Length", "HIP sessions are usually 20 to 30 minutes.",
		[]string{"15", "20", "30", "custom"}, func(v string) string {
			if v == "custom" {
				return "Another length"
			}
			return v + " minutes"
		})
	p.Free = h.ptSuggest(c, f, base+"/book")
	p.Custom = f.Input("custom_minutes", "Another length, in minutes", "number", "off", "inputmode=numeric",
		"min="+strconv.Itoa(booking.MinMinutes), "max="+strconv.Itoa(booking.MaxMinutes),
		"hint=Only when you chose another length.")
	return h.render(c, status, pagePatientBook, p)
}

// patientHold holds the chosen time for a few minutes and shows it to be
// confirmed: the GP can check with the person before it is booked.
func (h *handler) patientHold(c *fiber.Ctx) error {
	pt, err := h.ptForBooking(c)
	if err != nil {
		return err
	}
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	for _, name := range []string{"practitioner_id", "service_line", "kind", "mode", "date", "time", "minutes", "custom_minutes"} {
		f.Set(name, strings.TrimSpace(formValue(c, name)))
	}
	n := booking.NewAppointment{PatientID: pt.ID, Kind: booking.Kind(f.Values["kind"]), Mode: booking.Mode(f.Values["mode"]),
		ServiceLine: booking.ServiceLine(f.Values["service_line"])}
	if id, err := uuid.Parse(f.Values["practitioner_id"]); err == nil {
		n.PractitionerID = id
	} else {
		f.Fail("practitioner_id", "choose a practitioner")
	}
	if n.Kind == booking.KindGroup {
		f.Fail("kind", "book a group from the group’s own page")
	}
	start, err := time.ParseInLocation("2006-01-02 15:04", f.Values["date"]+" "+f.Values["time"], t.Location())
	if err != nil {
		f.Fail("date", "enter a date and a start time")
	} else if start.Before(time.Now().Add(-time.Hour)) {
		f.Fail("date", "choose a time from now on")
	}
	n.StartsAt = start
	minutes := f.Values["minutes"]
	if minutes == "custom" {
		minutes = f.Values["custom_minutes"]
	}
	if n.Minutes, err = strconv.Atoi(minutes); err != nil {
		f.Fail("minutes", "choose 15, 20 or 30 minutes, or type another length")
	}
	status := fiber.StatusUnprocessableEntity
	if !f.Failed() {
		held, warnings, err := booking.Hold(ctx, h.DB, actor.UserID, n, booking.DefaultHoldTTL)
		if err == nil {
			return h.ptRenderBook(c, fiber.StatusOK, pt, f, &held, warnings)
		}
		fe := fault.As(err)
		switch fe.Kind {
		case fault.KindConflict:
			f.Message = "That time is taken: the practitioner is already booked then. Choose another time."
			if errors.Is(err, billing.ErrSuspended) {
				// Not the time's fault: say why bookings are paused.
				f.Message = sentence(fe.Message)
			}
			status = fiber.StatusConflict
		case fault.KindNotFound:
			f.Fail("practitioner_id", "choose a practitioner of this practice")
		default:
			if !f.Adopt(err, ptBookFields) {
				return err
			}
		}
	}
	return h.ptRenderBook(c, status, pt, f, nil, nil)
}

// patientConfirm turns the hold into a booking. The hold must be this
// person's: an id from elsewhere is not found.
func (h *handler) patientConfirm(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	pid, err := ptIDParam(c)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(formValue(c, "appointment"))
	if err != nil {
		return fault.NotFound
	}
	a, err := booking.Get(ctx, h.DB, id)
	if err != nil {
		return err
	}
	if a.PatientID != pid {
		return fault.NotFound
	}
	if _, err := booking.Confirm(ctx, h.DB, actor.UserID, id); err != nil {
		if fault.As(err).Kind != fault.KindConflict {
			return err
		}
		pt, gerr := patient.Get(ctx, h.DB, pid, ptReasonBook)
		if gerr != nil {
			return gerr
		}
		f := newForm(c)
		f.Message = sentence(fault.As(err).Message)
		f.Set("practitioner_id", a.PractitionerID.String())
		f.Set("service_line", string(a.ServiceLine))
		f.Set("kind", string(a.Kind))
		f.Set("mode", string(a.Mode))
		f.Set("date", a.StartsAt.In(t.Location()).Format(time.DateOnly))
		f.Set("time", a.StartsAt.In(t.Location()).Format("15:04"))
		f.Set("minutes", "custom")
		f.Set("custom_minutes", strconv.Itoa(a.Minutes()))
		return h.ptRenderBook(c, fiber.StatusConflict, pt, f, nil, nil)
	}
	return redirect(c, tenantPath(t.Slug, "/patients/"+pid.String()+"?done=booked"))
}
