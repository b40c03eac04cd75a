package web

import (
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// The appointment page's further actions: moving a booked appointment to
// another time (booking.Reschedule keeps the old one, cancelled as
// rescheduled) and, for a group, its attendees and adding a person found by
// name or NHI.

// reasonAttendeeSearch: a patient search says why (HIPC rule 5).
const reasonAttendeeSearch = "adding a person to a group session"

// maxAttendeeResults keeps the list of people found short enough to scan.
const maxAttendeeResults = 10

// moveView is the reschedule form, prefilled with the appointment's own time.
type moveView struct {
	URL, Date, Time string
	Minutes         int
}

type groupView struct {
	Capacity  int
	Attendees []attendeeView
	Full      bool
	CanAdd    bool
	AddURL    string
	FindURL   string
	Query     string
	Searched  bool
	Found     []attendeeView
}

type attendeeView struct{ ID, Name, NHI, Born, URL string }

// appointmentExtras adds the reschedule form and the group's part to the page.
func (h *handler) appointmentExtras(c *fiber.Ctx, pg *appointmentPage, a booking.Appointment) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	loc := t.Location()
	base := tenantPath(t.Slug, "/appointments/"+a.ID.String())
	canUpdate := h.can(ctx, handoverApptUpdate)
	if canUpdate && a.Status == booking.StatusBooked {
		pg.Move = &moveView{URL: base + "/reschedule", Date: a.StartsAt.In(loc).Format(time.DateOnly),
			Time: a.StartsAt.In(loc).Format("15:04"), Minutes: a.Minutes()}
	}
	if a.Kind != booking.KindGroup {
		return nil
	}
	ids, err := booking.Attendees(ctx, h.DB, a.ID)
	if err != nil {
		return err
	}
	g := &groupView{Capacity: a.Capacity, Full: len(ids) >= a.Capacity, AddURL: base + "/attendees", FindURL: base}
	g.CanAdd = canUpdate && a.Status.Live() && !g.Full
	for _, id := range ids {
		p, err := patient.Get(ctx, h.DB, id, reasonAppointment)
		if err != nil {
			return err
		}
		g.Attendees = append(g.Attendees, attendeeOf(t.Slug, p))
	}
	if q := c.Query("find"); q != "" && g.CanAdd {
		g.Query, g.Searched = q, true
		found, err := patient.Search(ctx, h.DB, q, maxAttendeeResults, reasonAttendeeSearch)
		if fault.As(err).Kind == fault.KindInvalid {
			msg, _, _ := hoFailure(err)
			pg.Message = msg
		} else if err != nil {
			return err
		}
		for _, p := range found {
			if !slices.Contains(ids, p.ID) {
				g.Found = append(g.Found, attendeeOf(t.Slug, p))
			}
		}
	}
	pg.Group = g
	return nil
}

func attendeeOf(slug string, p patient.Patient) attendeeView {
	return attendeeView{ID: p.ID.String(), Name: hoPersonName(p), NHI: p.NHI, Born: p.DateOfBirth.Format("2 Jan 2006"),
		URL: tenantPath(slug, "/patients/"+p.ID.String())}
}

// appointmentReschedule reads the new date and time in the practice's zone
// and opens the new appointment; a clash or a refusal comes back on the page.
func (h *handler) appointmentReschedule(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	clock := formValue(c, "time")
	starts, ok := schWallTime(formValue(c, "date"), clock, false, t.Location())
	if !ok || clock == "" {
		return h.renderAppointment(c, fiber.StatusUnprocessableEntity, "Enter the new date, and the time as hours and minutes.")
	}
	minutes, err := strconv.Atoi(formValue(c, "minutes"))
	if err != nil {
		return h.renderAppointment(c, fiber.StatusUnprocessableEntity, "Enter the length in minutes.")
	}
	moved, warnings, err := booking.Reschedule(ctx, h.DB, actor.UserID, id, starts, minutes)
	if err != nil {
		// A clash with another appointment is a conflict with the domain's
		// own words; the old appointment is untouched (one transaction).
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderAppointment(c, status, msg)
	}
	done := "rescheduled"
	if len(warnings) > 0 {
		done = "rescheduled-warning"
	}
	return redirect(c, tenantPath(t.Slug, "/appointments/"+moved.ID.String())+"?done="+done)
}

// appointmentAddAttendee adds the person chosen from the search to the group.
func (h *handler) appointmentAddAttendee(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := hoID(c)
	if err != nil {
		return err
	}
	pid, err := uuid.Parse(formValue(c, "patient_id"))
	if err != nil {
		return h.renderAppointment(c, fiber.StatusUnprocessableEntity, "Find the person, then choose Add.")
	}
	warnings, err := booking.AddAttendee(ctx, h.DB, actor.UserID, id, pid)
	if err != nil {
		msg, status, ok := hoFailure(err)
		if !ok || status == fiber.StatusNotFound {
			return err
		}
		return h.renderAppointment(c, status, msg)
	}
	done := "added"
	if len(warnings) > 0 {
		done = "added-warning"
	}
	return redirect(c, tenantPath(t.Slug, "/appointments/"+id.String())+"?done="+done)
}
