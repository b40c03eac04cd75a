package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

// Booking: appointments (book, hold, confirm, lifecycle, cancel, reschedule,
// group attendees), schedules (templates, exceptions, open capacity) and the
// availability search. Ids in bodies are read inside the tenant wall by the
// models, so another practice's patient or practitioner is simply not found.

var (
	permAppointmentRead   = httpx.Perm{Object: "appointment", Action: "read"}
	permAppointmentCreate = httpx.Perm{Object: "appointment", Action: "create"}
	permAppointmentUpdate = httpx.Perm{Object: "appointment", Action: "update"}
	permAppointmentDelete = httpx.Perm{Object: "appointment", Action: "delete"}
	permScheduleRead      = httpx.Perm{Object: "schedule", Action: "read"}
	permScheduleCreate    = httpx.Perm{Object: "schedule", Action: "create"}
)

// Appointment is an appointment as the API shows it.
type Appointment struct {
	ID              string     `json:"id" format:"uuid"`
	PractitionerID  string     `json:"practitioner_id" format:"uuid"`
	PatientID       string     `json:"patient_id,omitempty" format:"uuid" doc:"Empty for a group: see its attendees."`
	Kind            string     `json:"kind" enum:"booked,same_day,group"`
	Mode            string     `json:"mode" enum:"in_person,phone,video,community"`
	ServiceLine     string     `json:"service_line" enum:"hip,health_coach,support_worker"`
	StartsAt        time.Time  `json:"starts_at"`
	EndsAt          time.Time  `json:"ends_at"`
	Minutes         int        `json:"minutes"`
	Status          string     `json:"status" enum:"held,booked,arrived,in_session,completed,did_not_attend,cancelled"`
	HoldExpiresAt   *time.Time `json:"hold_expires_at,omitempty"`
	Capacity        int        `json:"capacity,omitempty"`
	IntroducedBy    string     `json:"introduced_by,omitempty" format:"uuid"`
	IntroducedAt    *time.Time `json:"introduced_at,omitempty"`
	RescheduledFrom string     `json:"rescheduled_from,omitempty" format:"uuid"`
	CancelledBy     string     `json:"cancelled_by,omitempty" format:"uuid"`
	CancelledAt     *time.Time `json:"cancelled_at,omitempty"`
	CancelReason    string     `json:"cancel_reason,omitempty"`
	CreatedBy       string     `json:"created_by" format:"uuid"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// Warning does not stop the request; the client shows it.
type Warning struct {
	Code    string `json:"code" enum:"patient_double_booked"`
	Message string `json:"message"`
	Other   string `json:"other_appointment_id,omitempty" format:"uuid"`
}

// NewAppointmentBody books (or holds) time.
type NewAppointmentBody struct {
	PractitionerID string    `json:"practitioner_id" format:"uuid"`
	PatientID      string    `json:"patient_id,omitempty" format:"uuid" doc:"Required unless kind is group."`
	Kind           string    `json:"kind" enum:"booked,same_day,group"`
	Mode           string    `json:"mode" enum:"in_person,phone,video,community"`
	ServiceLine    string    `json:"service_line" enum:"hip,health_coach,support_worker"`
	StartsAt       time.Time `json:"starts_at" doc:"RFC 3339, on a whole minute."`
	Minutes        int       `json:"minutes" minimum:"5" maximum:"240" doc:"15, 20 or 30 usually."`
	Capacity       int       `json:"capacity,omitempty" minimum:"0" maximum:"100" doc:"Groups only."`
	IntroducedBy   string    `json:"introduced_by,omitempty" format:"uuid" doc:"The GP or nurse of a warm handover."`
	IntroducedAt   time.Time `json:"introduced_at,omitempty" doc:"When they introduced the person; now when left out."`
}

type bookInput struct {
	TenantPath
	IdempotencyHeader
	Body NewAppointmentBody
}

type holdInput struct {
	TenantPath
	IdempotencyHeader
	Body struct {
		NewAppointmentBody
		TTLSeconds int `json:"ttl_seconds,omitempty" minimum:"0" maximum:"900" doc:"How long the hold lasts: default 300, at most 900."`
	}
}

type appointmentCreatedOutput struct {
	Status   int
	Location string `header:"Location"`
	Body     appointmentWithWarnings
}

type appointmentWithWarnings struct {
	Appointment Appointment `json:"appointment"`
	Warnings    []Warning   `json:"warnings"`
}

// AppointmentPath names one appointment of the tenant.
type AppointmentPath struct {
	TenantPath
	ID string `path:"id" doc:"The appointment's id."`
}

type appointmentOutput struct {
	Body Appointment
}

type listAppointmentsInput struct {
	TenantPath
	Date           string    `query:"date" format:"date" doc:"A day of the practice's calendar (its time zone); or give from and to."`
	From           time.Time `query:"from" doc:"Start of the range (RFC 3339)."`
	To             time.Time `query:"to" doc:"End of the range (RFC 3339), at most 31 days after from."`
	PractitionerID string    `query:"practitioner_id" doc:"One practitioner's appointments; all when left out."`
}

type appointmentsOutput struct {
	Body struct {
		Appointments []Appointment `json:"appointments"`
	}
}

type statusInput struct {
	AppointmentPath
	Body struct {
		Status string `json:"status" enum:"arrived,in_session,completed,did_not_attend"`
	}
}

type cancelInput struct {
	AppointmentPath
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
	}
}

type rescheduleInput struct {
	AppointmentPath
	IdempotencyHeader
	Body struct {
		StartsAt time.Time `json:"starts_at"`
		Minutes  int       `json:"minutes" minimum:"5" maximum:"240"`
	}
}

type attendeeInput struct {
	AppointmentPath
	IdempotencyHeader
	Body struct {
		PatientID string `json:"patient_id" format:"uuid"`
	}
}

type warningsOutput struct {
	Status int
	Body   struct {
		Warnings []Warning `json:"warnings"`
	}
}

func registerBooking(a huma.API, d Deps) {
	security := []map[string][]string{{"bearer": {}}}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	writeErrs := append(append([]int{}, errs...), http.StatusConflict, http.StatusUnprocessableEntity)
	tags := []string{"Appointments"}

	huma.Register(a, idempotent(huma.Operation{
		OperationID: "book-appointment", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/appointments",
		DefaultStatus: http.StatusCreated, Summary: "Book an appointment", Tags: tags,
		Description: "A practitioner already booked or held at an overlapping time is a 409 (the slot is taken). " +
			"A person who already has an appointment then is booked, with a warning.",
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permAppointmentCreate},
	}), func(ctx context.Context, in *bookInput) (*appointmentCreatedOutput, error) {
		n, err := newAppointment(in.Body)
		if err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		ap, w, err := booking.Book(ctx, d.DB, actor.UserID, n)
		if err != nil {
			return nil, fail(ctx, d.Log, slotTaken(err))
		}
		return created(in.TenantPath, ap, w), nil
	})

	huma.Register(a, idempotent(huma.Operation{
		OperationID: "hold-appointment", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/appointments/holds",
		DefaultStatus: http.StatusCreated, Summary: "Hold a slot while the person confirms", Tags: tags,
		Description: "Keeps the time a few minutes (default 5, at most 15) as status held; confirm it to book. " +
			"An expired hold blocks nothing.",
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permAppointmentCreate},
	}), func(ctx context.Context, in *holdInput) (*appointmentCreatedOutput, error) {
		n, err := newAppointment(in.Body.NewAppointmentBody)
		if err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		ap, w, err := booking.Hold(ctx, d.DB, actor.UserID, n, time.Duration(in.Body.TTLSeconds)*time.Second)
		if err != nil {
			return nil, fail(ctx, d.Log, slotTaken(renameField(err, "ttl", "ttl_seconds")))
		}
		return created(in.TenantPath, ap, w), nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "confirm-appointment", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/appointments/{id}/confirm",
		Summary: "Confirm a hold", Tags: tags, Description: "An expired hold is a 409: book the time again.",
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permAppointmentUpdate},
	}, func(ctx context.Context, in *AppointmentPath) (*appointmentOutput, error) {
		return change(ctx, d, in.ID, func(actor, id uuid.UUID) (booking.Appointment, error) {
			return booking.Confirm(ctx, d.DB, actor, id)
		})
	})

	huma.Register(a, huma.Operation{
		OperationID: "get-appointment", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/appointments/{id}",
		Summary: "Get an appointment", Tags: tags, Errors: errs, Security: security,
		Metadata: map[string]any{"perm": permAppointmentRead},
	}, func(ctx context.Context, in *AppointmentPath) (*appointmentOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		ap, err := booking.Get(ctx, d.DB, id)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &appointmentOutput{Body: appointmentView(ap)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "list-appointments", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/appointments",
		Summary: "List appointments of a day or range", Tags: tags,
		Description: "By start time; cancelled ones included (their status says so). Give date, or from and to.",
		Errors:      append(append([]int{}, errs...), http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permAppointmentRead},
	}, func(ctx context.Context, in *listAppointmentsInput) (*appointmentsOutput, error) {
		var f fault.Fields
		from, to := dayOrRange(ctx, &f, in.Date, in.From, in.To)
		practitioner := bodyID(&f, "practitioner_id", in.PractitionerID, false)
		if err := f.Err(); err != nil {
			return nil, err
		}
		list, err := booking.Between(ctx, d.DB, practitioner, from, to)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &appointmentsOutput{}
		out.Body.Appointments = make([]Appointment, len(list))
		for i, ap := range list {
			out.Body.Appointments[i] = appointmentView(ap)
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "set-appointment-status", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/appointments/{id}/status",
		Summary: "Move an appointment along its lifecycle", Tags: tags,
		Description: "booked → arrived → in_session → completed, or booked → did_not_attend. Other moves are a 409.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permAppointmentUpdate},
	}, func(ctx context.Context, in *statusInput) (*appointmentOutput, error) {
		return change(ctx, d, in.ID, func(actor, id uuid.UUID) (booking.Appointment, error) {
			return booking.SetStatus(ctx, d.DB, actor, id, booking.Status(in.Body.Status))
		})
	})

	huma.Register(a, huma.Operation{
		OperationID: "cancel-appointment", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/appointments/{id}/cancel",
		Summary: "Cancel an appointment", Tags: tags, Description: "Records who cancelled and why; nothing is deleted.",
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permAppointmentDelete},
	}, func(ctx context.Context, in *cancelInput) (*appointmentOutput, error) {
		return change(ctx, d, in.ID, func(actor, id uuid.UUID) (booking.Appointment, error) {
			return booking.Cancel(ctx, d.DB, actor, id, in.Body.Reason)
		})
	})

	huma.Register(a, idempotent(huma.Operation{
		OperationID: "reschedule-appointment", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/appointments/{id}/reschedule",
		DefaultStatus: http.StatusCreated, Summary: "Reschedule an appointment", Tags: tags,
		Description: "The old appointment is cancelled (reason rescheduled) and a new one, pointing back to it, takes the new time.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permAppointmentUpdate},
	}), func(ctx context.Context, in *rescheduleInput) (*appointmentCreatedOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		ap, w, err := booking.Reschedule(ctx, d.DB, actor.UserID, id, in.Body.StartsAt, in.Body.Minutes)
		if err != nil {
			return nil, fail(ctx, d.Log, slotTaken(err))
		}
		return created(in.TenantPath, ap, w), nil
	})

	huma.Register(a, idempotent(huma.Operation{
		OperationID: "add-group-attendee", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/appointments/{id}/attendees",
		DefaultStatus: http.StatusCreated, Summary: "Add a person to a group", Tags: tags,
		Description: "A full group, or a person already in it, is a 409.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permAppointmentUpdate},
	}), func(ctx context.Context, in *attendeeInput) (*warningsOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		var f fault.Fields
		patientID := bodyID(&f, "patient_id", in.Body.PatientID, true)
		if err := f.Err(); err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		w, err := booking.AddAttendee(ctx, d.DB, actor.UserID, id, patientID)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &warningsOutput{Status: http.StatusCreated}
		out.Body.Warnings = warningViews(w)
		return out, nil
	})

	registerSchedules(a, d, security, errs, writeErrs)
}

// change runs one state change of an appointment named in the path.
func change(ctx context.Context, d Deps, raw string, fn func(actor, id uuid.UUID) (booking.Appointment, error)) (*appointmentOutput, error) {
	id, err := pathID(raw)
	if err != nil {
		return nil, err
	}
	actor, _ := tenants.ActorFrom(ctx)
	ap, err := fn(actor.UserID, id)
	if err != nil {
		return nil, fail(ctx, d.Log, err)
	}
	return &appointmentOutput{Body: appointmentView(ap)}, nil
}

func created(p TenantPath, ap booking.Appointment, w []booking.Warning) *appointmentCreatedOutput {
	return &appointmentCreatedOutput{Status: http.StatusCreated, Location: p.idPath("appointments", ap.ID),
		Body: appointmentWithWarnings{Appointment: appointmentView(ap), Warnings: warningViews(w)}}
}

// slotTaken words the double-booking conflict for an API client.
func slotTaken(err error) error {
	if f := fault.As(err); f.Kind == fault.KindConflict && f.Message == "already booked at that time" {
		return fault.New(fault.KindConflict, "slot taken: the practitioner is already booked or held at an overlapping time", err)
	}
	return err
}

func newAppointment(b NewAppointmentBody) (booking.NewAppointment, error) {
	var f fault.Fields
	n := booking.NewAppointment{
		PractitionerID: bodyID(&f, "practitioner_id", b.PractitionerID, true),
		PatientID:      bodyID(&f, "patient_id", b.PatientID, false),
		IntroducedBy:   bodyID(&f, "introduced_by", b.IntroducedBy, false),
		Kind:           booking.Kind(b.Kind), Mode: booking.Mode(b.Mode), ServiceLine: booking.ServiceLine(b.ServiceLine),
		StartsAt: b.StartsAt.UTC(), Minutes: b.Minutes, Capacity: b.Capacity, IntroducedAt: b.IntroducedAt,
	}
	return n, f.Err()
}

func appointmentView(a booking.Appointment) Appointment {
	v := Appointment{ID: a.ID.String(), PractitionerID: a.PractitionerID.String(), PatientID: idOrEmpty(a.PatientID),
		Kind: string(a.Kind), Mode: string(a.Mode), ServiceLine: string(a.ServiceLine), StartsAt: a.StartsAt, EndsAt: a.EndsAt,
		Minutes: a.Minutes(), Status: string(a.Status), HoldExpiresAt: timeOrNil(a.HoldExpiresAt), Capacity: a.Capacity,
		IntroducedBy: idOrEmpty(a.IntroducedBy), IntroducedAt: timeOrNil(a.IntroducedAt), RescheduledFrom: idOrEmpty(a.RescheduledFrom),
		CancelledBy: idOrEmpty(a.CancelledBy), CancelledAt: timeOrNil(a.CancelledAt), CancelReason: a.CancelReason,
		CreatedBy: a.CreatedBy.String(), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	return v
}

func warningViews(ws []booking.Warning) []Warning {
	out := make([]Warning, len(ws))
	for i, w := range ws {
		out[i] = Warning{Code: w.Code, Message: w.Message, Other: idOrEmpty(w.Other)}
	}
	return out
}

func idOrEmpty(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// dayOrRange is a civil day of the tenant's calendar (midnight to midnight in
// its zone, 23 or 25 hours on a daylight-saving change) or an explicit range.
func dayOrRange(ctx context.Context, f *fault.Fields, date string, from, to time.Time) (time.Time, time.Time) {
	if date == "" {
		if from.IsZero() || to.IsZero() {
			f.Add("date", "give a date, or from and to")
		}
		return from, to
	}
	if !from.IsZero() || !to.IsZero() {
		f.Add("date", "give a date or a range, not both")
		return time.Time{}, time.Time{}
	}
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		f.Add("date", "must be a date, YYYY-MM-DD")
		return time.Time{}, time.Time{}
	}
	loc := time.UTC
	if t, ok := tenants.FromContext(ctx); ok {
		loc = t.Location()
	}
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 0, 1)
}

// Schedules and availability.

// BlockBody is one block of a weekly template.
type BlockBody struct {
	Weekday int    `json:"weekday" minimum:"1" maximum:"7" doc:"ISO 8601: 1 Monday … 7 Sunday."`
	Starts  string `json:"starts" pattern:"^[0-9]{2}:[0-9]{2}$" doc:"HH:MM in the practice's time zone, on a 5-minute mark."`
	Ends    string `json:"ends" pattern:"^[0-9]{2}:[0-9]{2}$"`
	Kind    string `json:"kind" enum:"open,booked,group,admin" doc:"open: same-day capacity kept free for warm handovers."`
}

// Template is a weekly template as the API shows it.
type Template struct {
	ID             string      `json:"id" format:"uuid"`
	PractitionerID string      `json:"practitioner_id" format:"uuid"`
	EffectiveFrom  string      `json:"effective_from" format:"date"`
	EffectiveTo    string      `json:"effective_to,omitempty" format:"date" doc:"First day it no longer applies; empty: until further notice."`
	Blocks         []BlockBody `json:"blocks"`
	CreatedAt      time.Time   `json:"created_at"`
}

type saveTemplateInput struct {
	TenantPath
	IdempotencyHeader
	Body struct {
		PractitionerID string      `json:"practitioner_id" format:"uuid"`
		EffectiveFrom  string      `json:"effective_from" format:"date"`
		EffectiveTo    string      `json:"effective_to,omitempty" format:"date"`
		Blocks         []BlockBody `json:"blocks" maxItems:"200"`
	}
}

type templateCreatedOutput struct {
	Status int
	Body   Template
}

type listTemplatesInput struct {
	TenantPath
	PractitionerID string `query:"practitioner_id" required:"true"`
}

type templatesOutput struct {
	Body struct {
		Templates []Template `json:"templates"`
	}
}

type exceptionInput struct {
	TenantPath
	IdempotencyHeader
	Body struct {
		PractitionerID string    `json:"practitioner_id" format:"uuid"`
		StartsAt       time.Time `json:"starts_at"`
		EndsAt         time.Time `json:"ends_at"`
		Reason         string    `json:"reason" enum:"leave,training,sick,other"`
	}
}

// Exception is time taken out of a schedule.
type Exception struct {
	ID             string    `json:"id" format:"uuid"`
	PractitionerID string    `json:"practitioner_id" format:"uuid"`
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"`
	Reason         string    `json:"reason" enum:"leave,training,sick,other"`
	CreatedAt      time.Time `json:"created_at"`
}

type exceptionCreatedOutput struct {
	Status int
	Body   Exception
}

type capacityInput struct {
	TenantPath
	PractitionerID string    `query:"practitioner_id" required:"true"`
	From           time.Time `query:"from" required:"true"`
	To             time.Time `query:"to" required:"true"`
}

// DayCapacity is one day's open (same-day) minutes.
type DayCapacity struct {
	Date        string `json:"date" format:"date"`
	OpenMinutes int    `json:"open_minutes"`
}

type capacityOutput struct {
	Body struct {
		Days []DayCapacity `json:"days"`
	}
}

type availabilityInput struct {
	TenantPath
	PractitionerID string    `query:"practitioner_id" doc:"One practitioner; or give service_line, or neither for the whole practice."`
	ServiceLine    string    `query:"service_line" enum:"hip,health_coach,support_worker"`
	From           time.Time `query:"from" required:"true"`
	To             time.Time `query:"to" required:"true" doc:"At most 31 days after from."`
	Minutes        int       `query:"minutes" minimum:"5" maximum:"240" default:"30"`
	Grid           int       `query:"grid" default:"15" doc:"5 or 15: free times start on a multiple of this many minutes past the hour."`
	Group          bool      `query:"group" doc:"Search group blocks instead of open and booked ones."`
}

// FreeSlot is a time a practitioner could be booked.
type FreeSlot struct {
	PractitionerID string    `json:"practitioner_id" format:"uuid"`
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"`
	Block          string    `json:"block" enum:"open,booked,group" doc:"open is same-day capacity."`
}

type availabilityOutput struct {
	Body struct {
		Slots []FreeSlot `json:"slots"`
	}
}

func registerSchedules(a huma.API, d Deps, security []map[string][]string, errs, writeErrs []int) {
	tags := []string{"Schedules"}
	readErrs := append(append([]int{}, errs...), http.StatusUnprocessableEntity)

	huma.Register(a, idempotent(huma.Operation{
		OperationID: "save-schedule-template", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/schedules/templates",
		DefaultStatus: http.StatusCreated, Summary: "Save a practitioner's weekly template", Tags: tags,
		Description: "A template running on effective_from that began earlier is ended that day; one starting on or after " +
			"it is a 409. Blocks are wall-clock times in the practice's zone, kept right across daylight-saving changes.",
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permScheduleCreate},
	}), func(ctx context.Context, in *saveTemplateInput) (*templateCreatedOutput, error) {
		var f fault.Fields
		n := schedule.NewTemplate{PractitionerID: bodyID(&f, "practitioner_id", in.Body.PractitionerID, true),
			EffectiveFrom: parseDate(&f, "effective_from", in.Body.EffectiveFrom, true),
			EffectiveTo:   parseDate(&f, "effective_to", in.Body.EffectiveTo, false)}
		for i, b := range in.Body.Blocks {
			s, err1 := schedule.ParseClock(b.Starts)
			e, err2 := schedule.ParseClock(b.Ends)
			if err1 != nil || err2 != nil {
				f.Add("blocks["+itoa(i)+"]", "times are HH:MM")
				continue
			}
			n.Blocks = append(n.Blocks, schedule.Block{Weekday: b.Weekday, Starts: s, Ends: e, Kind: schedule.Kind(b.Kind)})
		}
		if err := f.Err(); err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		t, err := schedule.SaveTemplate(ctx, d.DB, actor.UserID, n)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &templateCreatedOutput{Status: http.StatusCreated, Body: templateView(t)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "list-schedule-templates", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/schedules/templates",
		Summary: "List a practitioner's templates", Tags: tags, Errors: readErrs, Security: security,
		Metadata: map[string]any{"perm": permScheduleRead},
	}, func(ctx context.Context, in *listTemplatesInput) (*templatesOutput, error) {
		var f fault.Fields
		id := bodyID(&f, "practitioner_id", in.PractitionerID, true)
		if err := f.Err(); err != nil {
			return nil, err
		}
		list, err := schedule.Templates(ctx, d.DB, id)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &templatesOutput{}
		out.Body.Templates = make([]Template, len(list))
		for i, t := range list {
			out.Body.Templates[i] = templateView(t)
		}
		return out, nil
	})

	huma.Register(a, idempotent(huma.Operation{
		OperationID: "add-schedule-exception", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/schedules/exceptions",
		DefaultStatus: http.StatusCreated, Summary: "Take time out of a schedule", Tags: tags,
		Description: "Leave, training, sickness: the time is removed from availability. Appointments already booked stay.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permScheduleCreate},
	}), func(ctx context.Context, in *exceptionInput) (*exceptionCreatedOutput, error) {
		var f fault.Fields
		pid := bodyID(&f, "practitioner_id", in.Body.PractitionerID, true)
		if err := f.Err(); err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		e, err := schedule.AddException(ctx, d.DB, actor.UserID, schedule.NewException{PractitionerID: pid,
			StartsAt: in.Body.StartsAt, EndsAt: in.Body.EndsAt, Reason: schedule.Reason(in.Body.Reason)})
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &exceptionCreatedOutput{Status: http.StatusCreated, Body: Exception{ID: e.ID.String(),
			PractitionerID: e.PractitionerID.String(), StartsAt: e.StartsAt, EndsAt: e.EndsAt, Reason: string(e.Reason), CreatedAt: e.CreatedAt}}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "get-open-capacity", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/schedules/capacity",
		Summary: "Open (same-day) minutes per day", Tags: tags, Errors: readErrs, Security: security,
		Description: "For each day of the practice's calendar the range touches: the practitioner's open minutes.",
		Metadata:    map[string]any{"perm": permScheduleRead},
	}, func(ctx context.Context, in *capacityInput) (*capacityOutput, error) {
		var f fault.Fields
		id := bodyID(&f, "practitioner_id", in.PractitionerID, true)
		if err := f.Err(); err != nil {
			return nil, err
		}
		days, err := schedule.OpenCapacity(ctx, d.DB, id, in.From, in.To)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &capacityOutput{}
		out.Body.Days = make([]DayCapacity, len(days))
		for i, day := range days {
			out.Body.Days[i] = DayCapacity{Date: day.Date.Format(time.DateOnly), OpenMinutes: day.OpenMinutes}
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "search-availability", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/availability",
		Summary: "Find free slots", Tags: []string{"Appointments"},
		Description: "Free times of the given length for one practitioner, a service line or the whole practice: " +
			"bookable blocks of their schedules (open and booked; group blocks with group=true) less exceptions " +
			"and live appointments, by start time.",
		Errors: readErrs, Security: security, Metadata: map[string]any{"perm": permScheduleRead},
	}, func(ctx context.Context, in *availabilityInput) (*availabilityOutput, error) {
		var f fault.Fields
		q := booking.AvailabilityQuery{PractitionerID: bodyID(&f, "practitioner_id", in.PractitionerID, false),
			ServiceLine: booking.ServiceLine(in.ServiceLine), From: in.From, To: in.To, Minutes: in.Minutes, Grid: in.Grid, Group: in.Group}
		if err := f.Err(); err != nil {
			return nil, err
		}
		slots, err := booking.Availability(ctx, d.DB, q)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &availabilityOutput{}
		out.Body.Slots = make([]FreeSlot, len(slots))
		for i, s := range slots {
			out.Body.Slots[i] = FreeSlot{PractitionerID: s.PractitionerID.String(), StartsAt: s.Start, EndsAt: s.End, Block: string(s.Block)}
		}
		return out, nil
	})
}

func templateView(t schedule.Template) Template {
	v := Template{ID: t.ID.String(), PractitionerID: t.PractitionerID.String(), EffectiveFrom: t.EffectiveFrom.Format(time.DateOnly),
		Blocks: make([]BlockBody, len(t.Blocks)), CreatedAt: t.CreatedAt}
	if !t.EffectiveTo.IsZero() {
		v.EffectiveTo = t.EffectiveTo.Format(time.DateOnly)
	}
	for i, b := range t.Blocks {
		v.Blocks[i] = BlockBody{Weekday: b.Weekday, Starts: b.Starts.String(), Ends: b.Ends.String(), Kind: string(b.Kind)}
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }
