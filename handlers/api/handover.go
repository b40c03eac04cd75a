package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/handover"
	"github.com/tuhono/tuhono/tenants"
)

// Warm handover: who is free now, the practice's same-day queue, and booking
// a person now. The domain decides who may introduce (a GP or nurse) and who
// may take (a HIP or Health Coach); the permissions here are the coarse gate.

var (
	handoverPermRead   = httpx.Perm{Object: "appointment", Action: "read"}
	handoverPermCreate = httpx.Perm{Object: "appointment", Action: "create"}
	handoverPermUpdate = httpx.Perm{Object: "appointment", Action: "update"}
)

// HandoverFree is a HIP or Health Coach free now or soonest today.
type HandoverFree struct {
	PractitionerID string    `json:"practitioner_id" format:"uuid"`
	ServiceLines   []string  `json:"service_lines" doc:"What they practise here: hip, health_coach."`
	FreeNow        bool      `json:"free_now" doc:"Free at the time asked."`
	From           time.Time `json:"from" doc:"Free from (the time asked when free now)."`
	Until          time.Time `json:"until" doc:"Until their open time ends or their next appointment."`
}

// HandoverEntry is one person in the same-day queue.
type HandoverEntry struct {
	ID             string     `json:"id" format:"uuid"`
	PatientID      string     `json:"patient_id" format:"uuid"`
	Name           string     `json:"name" doc:"The person's preferred (or given) and family name."`
	ServiceLine    string     `json:"service_line,omitempty" enum:"hip,health_coach" doc:"The workforce wanted; absent when either will do."`
	Note           string     `json:"note" doc:"The introducer's note."`
	IntroducedBy   string     `json:"introduced_by" format:"uuid"`
	IntroducedAt   time.Time  `json:"introduced_at"`
	WaitingSeconds int64      `json:"waiting_seconds" doc:"How long they have waited (until taken or withdrawn)."`
	Status         string     `json:"status" enum:"waiting,taken,withdrawn"`
	TakenBy        string     `json:"taken_by,omitempty" format:"uuid"`
	TakenAt        *time.Time `json:"taken_at,omitempty"`
	AppointmentID  string     `json:"appointment_id,omitempty" format:"uuid"`
	WithdrawReason string     `json:"withdraw_reason,omitempty"`
}

// HandoverBooking is the same-day appointment a handover made.
type HandoverBooking struct {
	ID             string    `json:"id" format:"uuid"`
	PractitionerID string    `json:"practitioner_id" format:"uuid"`
	PatientID      string    `json:"patient_id" format:"uuid"`
	ServiceLine    string    `json:"service_line" enum:"hip,health_coach"`
	Mode           string    `json:"mode" enum:"in_person,phone,video,community"`
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"`
	Status         string    `json:"status"`
	IntroducedBy   string    `json:"introduced_by" format:"uuid"`
	IntroducedAt   time.Time `json:"introduced_at"`
	Warnings       []string  `json:"warnings,omitempty" doc:"Things to know that did not stop the booking."`
}

type handoverFreeOutput struct {
	Body struct {
		At   time.Time      `json:"at"`
		Free []HandoverFree `json:"free"`
	}
}

type handoverQueueOutput struct {
	ETag string `header:"ETag"`
	Body struct {
		Version string          `json:"version" doc:"Changes whenever the queue does: poll it cheaply with If-None-Match."`
		Entries []HandoverEntry `json:"entries"`
	}
}

type handoverQueueInput struct {
	TenantPath
	IfNoneMatch string `header:"If-None-Match" maxLength:"100" doc:"The ETag of the queue last read: 304 when unchanged."`
}

type handoverEnqueueInput struct {
	TenantPath
	Body struct {
		PatientID   string `json:"patient_id" format:"uuid"`
		ServiceLine string `json:"service_line,omitempty" enum:"hip,health_coach" doc:"The workforce wanted; empty for either."`
		Note        string `json:"note,omitempty" maxLength:"500" doc:"For the HIP or Health Coach: a line or two."`
	}
}

type handoverTakeInput struct {
	TenantPath
	ID   string `path:"id" format:"uuid" doc:"The queue entry."`
	Body *struct {
		ServiceLine string `json:"service_line,omitempty" enum:"hip,health_coach" doc:"Defaults to the line wanted, or the taker's own."`
		Mode        string `json:"mode,omitempty" enum:"in_person,phone,video,community" doc:"Defaults to in person."`
		Minutes     int    `json:"minutes,omitempty" minimum:"0" maximum:"240" doc:"Defaults to 30."`
	}
}

type handoverWithdrawInput struct {
	TenantPath
	ID   string `path:"id" format:"uuid" doc:"The queue entry."`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
	}
}

type handoverIntroduceInput struct {
	TenantPath
	Body struct {
		PatientID      string `json:"patient_id" format:"uuid"`
		PractitionerID string `json:"practitioner_id" format:"uuid" doc:"A HIP or Health Coach, usually one free-now lists."`
		ServiceLine    string `json:"service_line,omitempty" enum:"hip,health_coach" doc:"Defaults to the practitioner's own (HIP first)."`
		Mode           string `json:"mode,omitempty" enum:"in_person,phone,video,community" doc:"Defaults to in person."`
		Minutes        int    `json:"minutes,omitempty" minimum:"0" maximum:"240" doc:"Defaults to 30."`
	}
}

type handoverEntryOutput struct {
	Body HandoverEntry
}

type handoverTakenOutput struct {
	Body struct {
		Entry       HandoverEntry   `json:"entry"`
		Appointment HandoverBooking `json:"appointment"`
	}
}

type handoverBookingOutput struct {
	Body HandoverBooking
}

func registerHandover(a huma.API, d Deps) {
	op := func(id, method, path, summary, desc string, perm httpx.Perm, status int, errs ...int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: Prefix + "/t/{tenant}" + path, Summary: summary,
			Description: desc, Tags: []string{"Warm handover"}, DefaultStatus: status,
			Errors:   append([]int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}, errs...),
			Metadata: map[string]any{"perm": perm}, Security: []map[string][]string{{"bearer": {}}}}
	}

	huma.Register(a, op("handover-free-now", http.MethodGet, "/handover/free-now", "Who is free now",
		"The practice's HIPs and Health Coaches free now, or soonest today: in an open (same-day) schedule block, "+
			"not in an appointment, for at least 15 minutes. Soonest first.", handoverPermRead, 0),
		func(ctx context.Context, in *TenantPath) (*handoverFreeOutput, error) {
			now := time.Now().UTC().Truncate(time.Minute)
			free, err := handover.FreeNow(ctx, d.DB, now)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			out := &handoverFreeOutput{}
			out.Body.At = now
			out.Body.Free = make([]HandoverFree, len(free))
			for i, f := range free {
				lines := make([]string, len(f.ServiceLines))
				for j, l := range f.ServiceLines {
					lines[j] = string(l)
				}
				out.Body.Free[i] = HandoverFree{PractitionerID: f.PractitionerID.String(), ServiceLines: lines,
					FreeNow: f.Now(now), From: f.From, Until: f.Until}
			}
			return out, nil
		})

	huma.Register(a, op("handover-queue", http.MethodGet, "/handover/queue", "The same-day queue",
		"The people waiting to be taken, oldest first. Send the ETag back in If-None-Match to poll cheaply: "+
			"an unchanged queue answers 304 without reading it.", handoverPermRead, 0, http.StatusNotModified),
		func(ctx context.Context, in *handoverQueueInput) (*handoverQueueOutput, error) {
			v, err := handover.Version(ctx, d.DB)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			etag := `"` + v + `"`
			if in.IfNoneMatch == etag {
				return nil, huma.Status304NotModified()
			}
			q, err := handover.Queue(ctx, d.DB)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			out := &handoverQueueOutput{ETag: etag}
			out.Body.Version = v
			out.Body.Entries = make([]HandoverEntry, len(q))
			now := time.Now()
			for i, e := range q {
				out.Body.Entries[i] = handoverEntryView(e, now)
			}
			return out, nil
		})

	huma.Register(a, op("handover-enqueue", http.MethodPost, "/handover/queue", "Add a person to the same-day queue",
		"A GP or practice nurse puts a person in the queue with a note, for the first HIP or Health Coach free to take. "+
			"A person already waiting is a conflict.", handoverPermCreate, http.StatusCreated,
		http.StatusConflict, http.StatusUnprocessableEntity),
		func(ctx context.Context, in *handoverEnqueueInput) (*handoverEntryOutput, error) {
			pid, err := uuid.Parse(in.Body.PatientID)
			if err != nil {
				return nil, huma.Error422UnprocessableEntity("patient_id must be a uuid")
			}
			actor, _ := tenants.ActorFrom(ctx)
			e, err := handover.Enqueue(ctx, d.DB, actor.UserID, handover.NewEntry{PatientID: pid,
				ServiceLine: booking.ServiceLine(in.Body.ServiceLine), Note: in.Body.Note})
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			return &handoverEntryOutput{Body: handoverEntryView(e, time.Now())}, nil
		})

	huma.Register(a, op("handover-take", http.MethodPost, "/handover/queue/{id}/take", "Take a person from the queue",
		"A HIP or Health Coach takes a waiting person: the entry is marked taken and a same-day appointment for the "+
			"taker, starting now and carrying the introduction, is booked in one transaction. Someone else taking them "+
			"first is a conflict.", handoverPermCreate, 0, http.StatusConflict, http.StatusUnprocessableEntity),
		func(ctx context.Context, in *handoverTakeInput) (*handoverTakenOutput, error) {
			id, err := uuid.Parse(in.ID)
			if err != nil {
				return nil, huma.Error404NotFound("not found")
			}
			var t handover.Taking
			if in.Body != nil {
				t = handover.Taking{ServiceLine: booking.ServiceLine(in.Body.ServiceLine), Mode: booking.Mode(in.Body.Mode),
					Minutes: in.Body.Minutes}
			}
			actor, _ := tenants.ActorFrom(ctx)
			e, appt, err := handover.Take(ctx, d.DB, actor.UserID, id, t)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			out := &handoverTakenOutput{}
			out.Body.Entry = handoverEntryView(e, time.Now())
			out.Body.Appointment = handoverBookingView(appt, nil)
			return out, nil
		})

	huma.Register(a, op("handover-withdraw", http.MethodPost, "/handover/queue/{id}/withdraw", "Take a person out of the queue",
		"The person left or was seen another way; the reason is kept.", handoverPermUpdate, 0,
		http.StatusConflict, http.StatusUnprocessableEntity),
		func(ctx context.Context, in *handoverWithdrawInput) (*handoverEntryOutput, error) {
			id, err := uuid.Parse(in.ID)
			if err != nil {
				return nil, huma.Error404NotFound("not found")
			}
			actor, _ := tenants.ActorFrom(ctx)
			e, err := handover.Withdraw(ctx, d.DB, actor.UserID, id, in.Body.Reason)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			return &handoverEntryOutput{Body: handoverEntryView(e, time.Now())}, nil
		})

	huma.Register(a, op("handover-introduce", http.MethodPost, "/handover/introduce", "Introduce a person now",
		"A GP or practice nurse books the person now with a free HIP or Health Coach: a same-day appointment "+
			"carrying the introduction. The practitioner already booked then is a conflict.",
		handoverPermCreate, http.StatusCreated, http.StatusConflict, http.StatusUnprocessableEntity),
		func(ctx context.Context, in *handoverIntroduceInput) (*handoverBookingOutput, error) {
			pid, err1 := uuid.Parse(in.Body.PatientID)
			prid, err2 := uuid.Parse(in.Body.PractitionerID)
			if err1 != nil || err2 != nil {
				return nil, huma.Error422UnprocessableEntity("patient_id and practitioner_id must be uuids")
			}
			actor, _ := tenants.ActorFrom(ctx)
			appt, w, err := handover.Introduce(ctx, d.DB, actor.UserID, handover.Introduction{PatientID: pid,
				PractitionerID: prid, ServiceLine: booking.ServiceLine(in.Body.ServiceLine),
				Mode: booking.Mode(in.Body.Mode), Minutes: in.Body.Minutes})
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			return &handoverBookingOutput{Body: handoverBookingView(appt, w)}, nil
		})
}

func handoverEntryView(e handover.Entry, now time.Time) HandoverEntry {
	v := HandoverEntry{ID: e.ID.String(), PatientID: e.PatientID.String(), Name: e.Name(),
		ServiceLine: string(e.ServiceLine), Note: e.Note, IntroducedBy: e.IntroducedBy.String(),
		IntroducedAt: e.IntroducedAt, WaitingSeconds: int64(e.Waiting(now) / time.Second), Status: string(e.Status),
		WithdrawReason: e.WithdrawReason}
	if e.TakenBy != uuid.Nil {
		v.TakenBy, v.AppointmentID = e.TakenBy.String(), e.AppointmentID.String()
		at := e.TakenAt
		v.TakenAt = &at
	}
	return v
}

func handoverBookingView(a booking.Appointment, w []booking.Warning) HandoverBooking {
	v := HandoverBooking{ID: a.ID.String(), PractitionerID: a.PractitionerID.String(), PatientID: a.PatientID.String(),
		ServiceLine: string(a.ServiceLine), Mode: string(a.Mode), StartsAt: a.StartsAt, EndsAt: a.EndsAt,
		Status: string(a.Status), IntroducedBy: a.IntroducedBy.String(), IntroducedAt: a.IntroducedAt}
	for _, x := range w {
		v.Warnings = append(v.Warnings, x.Message)
	}
	return v
}
