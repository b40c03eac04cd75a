package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/referral"
	"github.com/tuhono/tuhono/models/waitlist"
	"github.com/tuhono/tuhono/tenants"
)

var (
	permReferralRead   = httpx.Perm{Object: "referral", Action: "read"}
	permReferralCreate = httpx.Perm{Object: "referral", Action: "create"}
	permReferralUpdate = httpx.Perm{Object: "referral", Action: "update"}
	// The waitlist is part of booking: it sits under the appointment perms.
	permWaitlistRead   = httpx.Perm{Object: "appointment", Action: "read"}
	permWaitlistCreate = httpx.Perm{Object: "appointment", Action: "create"}
	permWaitlistUpdate = httpx.Perm{Object: "appointment", Action: "update"}
)

// Referral is a Support Worker referral. Flags are worked out at the time of
// the request against the practice's calendar days.
type Referral struct {
	ID                string     `json:"id" format:"uuid"`
	PatientID         string     `json:"patient_id" format:"uuid"`
	PatientName       string     `json:"patient_name"`
	ReferredBy        string     `json:"referred_by" format:"uuid"`
	Needs             []string   `json:"needs" doc:"Codes: housing, income, whanau, work, stress, food, transport, legal, other."`
	Note              string     `json:"note"`
	ConsentRecordedBy string     `json:"consent_recorded_by" format:"uuid"`
	ConsentAt         time.Time  `json:"consent_at"`
	ReferredAt        time.Time  `json:"referred_at"`
	DueBy             string     `json:"due_by" format:"date" doc:"First contact is due by the end of this day in the practice's zone."`
	Status            string     `json:"status" enum:"referred,accepted,contacted,active,closed"`
	WorkerID          string     `json:"worker_id,omitempty" format:"uuid"`
	AcceptedAt        *time.Time `json:"accepted_at,omitempty"`
	FirstContactAt    *time.Time `json:"first_contact_at,omitempty"`
	ClosedAt          *time.Time `json:"closed_at,omitempty"`
	Outcome           string     `json:"outcome,omitempty"`
	OutcomeNote       string     `json:"outcome_note,omitempty"`
	Sessions          int        `json:"sessions" doc:"Contacts that reached the person after the first."`
	DueToday          bool       `json:"due_today"`
	Overdue           bool       `json:"overdue"`
	Contacted         bool       `json:"contacted"`
	WithinTarget      bool       `json:"within_target" doc:"First contact made by the end of the due day."`
	ReviewDue         bool       `json:"review_due" doc:"Open longer than three months."`
}

// ReferralContact is one attempt or contact.
type ReferralContact struct {
	ID       string    `json:"id" format:"uuid"`
	WorkerID string    `json:"worker_id" format:"uuid"`
	At       time.Time `json:"at"`
	Mode     string    `json:"mode"`
	Outcome  string    `json:"outcome"`
	Note     string    `json:"note"`
}

// ReferralPath names a referral of the tenant.
type ReferralPath struct {
	TenantPath
	ID string `path:"id" format:"uuid" doc:"The referral's id."`
}

type createReferralInput struct {
	TenantPath
	Body struct {
		PatientID string     `json:"patient_id" format:"uuid"`
		Needs     []string   `json:"needs" minItems:"1" maxItems:"9" enum:"housing,income,whanau,work,stress,food,transport,legal,other"`
		Note      string     `json:"note,omitempty" maxLength:"2000"`
		Consent   bool       `json:"consent" doc:"The person agreed to the referral. Required: no consent, no referral."`
		ConsentAt *time.Time `json:"consent_at,omitempty" doc:"When they agreed; now when left out."`
	}
}

type contactInput struct {
	ReferralPath
	Body struct {
		At      time.Time `json:"at"`
		Mode    string    `json:"mode" enum:"phone,text,email,in_person,video,community"`
		Outcome string    `json:"outcome" enum:"reached,no_answer,left_message,wrong_number"`
		Note    string    `json:"note,omitempty" maxLength:"2000"`
	}
}

type closeInput struct {
	ReferralPath
	Body struct {
		Outcome string `json:"outcome" enum:"needs_met,partly_met,declined,lost_contact,referred_elsewhere,other"`
		Note    string `json:"note,omitempty" maxLength:"2000"`
	}
}

type referralOutput struct {
	Body Referral
}

type createdReferralOutput struct {
	Status   int
	Location string `header:"Location"`
	Body     Referral
}

type referralDetailOutput struct {
	Body struct {
		Referral
		Contacts []ReferralContact `json:"contacts"`
	}
}

type referralQueueOutput struct {
	Body struct {
		Referrals []Referral `json:"referrals" doc:"Open referrals: overdue first, then due today, then by due day."`
	}
}

func registerReferrals(a huma.API, d Deps) {
	security := []map[string][]string{{"bearer": {}}}
	tenantErrors := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	tags := []string{"Referrals"}

	huma.Register(a, huma.Operation{
		OperationID: "create-referral", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/referrals",
		DefaultStatus: http.StatusCreated, Summary: "Refer a person to a Support Worker", Tags: tags,
		Description: "The referrer must be a HIP or Health Coach here and the person must have agreed. First contact is " +
			"due within the practice's contact target, in calendar days from the referral day in the practice's zone.",
		Errors: append(tenantErrors, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permReferralCreate},
	}, func(ctx context.Context, in *createReferralInput) (*createdReferralOutput, error) {
		var f fault.Fields
		n := referral.NewReferral{PatientID: bodyID(&f, "patient_id", in.Body.PatientID, true), Note: in.Body.Note,
			Consent: in.Body.Consent}
		if err := f.Err(); err != nil {
			return nil, err
		}
		for _, x := range in.Body.Needs {
			n.Needs = append(n.Needs, referral.Need(x))
		}
		if in.Body.ConsentAt != nil {
			n.ConsentAt = *in.Body.ConsentAt
		}
		actor, _ := tenants.ActorFrom(ctx)
		now := time.Now()
		r, err := referral.Create(ctx, d.DB, actor.UserID, n, now)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		t, _ := tenants.FromContext(ctx)
		return &createdReferralOutput{Status: http.StatusCreated, Location: in.idPath("referrals", r.ID),
			Body: referralView(referral.Flag(r, now, t.Location()))}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "list-referral-queue", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/referrals",
		Summary: "The Support Workers' queue", Tags: tags,
		Description: "Open referrals with due, overdue, contacted and review flags, overdue first.",
		Errors:      tenantErrors, Security: security, Metadata: map[string]any{"perm": permReferralRead},
	}, func(ctx context.Context, in *TenantPath) (*referralQueueOutput, error) {
		items, err := referral.Queue(ctx, d.DB, time.Now())
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &referralQueueOutput{}
		out.Body.Referrals = make([]Referral, len(items))
		for i, it := range items {
			out.Body.Referrals[i] = referralView(it)
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "get-referral", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/referrals/{id}",
		Summary: "Get a referral with its contacts", Tags: tags,
		Description: "Every read is recorded in the practice's audit trail.",
		Errors:      tenantErrors, Security: security, Metadata: map[string]any{"perm": permReferralRead},
	}, func(ctx context.Context, in *ReferralPath) (*referralDetailOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		r, err := referral.Get(ctx, d.DB, id)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		cs, err := referral.Contacts(ctx, d.DB, id)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		t, _ := tenants.FromContext(ctx)
		out := &referralDetailOutput{}
		out.Body.Referral = referralView(referral.Flag(r, time.Now(), t.Location()))
		out.Body.Contacts = make([]ReferralContact, len(cs))
		for i, c := range cs {
			out.Body.Contacts[i] = ReferralContact{ID: c.ID.String(), WorkerID: c.WorkerID.String(), At: c.At,
				Mode: string(c.Mode), Outcome: string(c.Outcome), Note: c.Note}
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "accept-referral", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/referrals/{id}/accept",
		Summary: "Accept a referral", Tags: tags,
		Description: "The caller, a Support Worker here, becomes the referral's worker. Already accepted: 409.",
		Errors:      append(tenantErrors, http.StatusConflict), Security: security,
		Metadata: map[string]any{"perm": permReferralUpdate},
	}, func(ctx context.Context, in *ReferralPath) (*referralOutput, error) {
		return referralChange(ctx, d, in.ID, func(actor, id uuid.UUID, now time.Time) (referral.Referral, error) {
			return referral.Accept(ctx, d.DB, actor, id, now)
		})
	})

	huma.Register(a, huma.Operation{
		OperationID: "record-referral-contact", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/referrals/{id}/contacts",
		Summary: "Record a contact attempt or contact", Tags: tags,
		Description: "By the referral's worker. The first contact that reached the person makes the referral contacted; " +
			"later ones are support sessions.",
		Errors: append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permReferralUpdate},
	}, func(ctx context.Context, in *contactInput) (*referralOutput, error) {
		c := referral.Contact{At: in.Body.At, Mode: referral.ContactMode(in.Body.Mode),
			Outcome: referral.ContactOutcome(in.Body.Outcome), Note: in.Body.Note}
		return referralChange(ctx, d, in.ID, func(actor, id uuid.UUID, now time.Time) (referral.Referral, error) {
			return referral.RecordContact(ctx, d.DB, actor, id, c, now)
		})
	})

	huma.Register(a, huma.Operation{
		OperationID: "close-referral", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/referrals/{id}/close",
		Summary: "Close a referral with an outcome", Tags: tags,
		Errors: append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permReferralUpdate},
	}, func(ctx context.Context, in *closeInput) (*referralOutput, error) {
		return referralChange(ctx, d, in.ID, func(actor, id uuid.UUID, now time.Time) (referral.Referral, error) {
			return referral.Close(ctx, d.DB, actor, id, referral.Outcome(in.Body.Outcome), in.Body.Note, now)
		})
	})

	registerWaitlist(a, d)
}

// referralChange is the shape of every referral update: parse the id, act as
// the caller, answer the referral as it now stands.
func referralChange(ctx context.Context, d Deps, pathValue string,
	act func(actor, id uuid.UUID, now time.Time) (referral.Referral, error)) (*referralOutput, error) {
	id, err := pathID(pathValue)
	if err != nil {
		return nil, err
	}
	actor, _ := tenants.ActorFrom(ctx)
	now := time.Now()
	r, err := act(actor.UserID, id, now)
	if err != nil {
		return nil, fail(ctx, d.Log, err)
	}
	t, _ := tenants.FromContext(ctx)
	return &referralOutput{Body: referralView(referral.Flag(r, now, t.Location()))}, nil
}

func referralView(it referral.Item) Referral {
	r := it.Referral
	v := Referral{ID: r.ID.String(), PatientID: r.PatientID.String(), PatientName: r.PatientName,
		ReferredBy: r.ReferredBy.String(), Note: r.Note, ConsentRecordedBy: r.ConsentRecordedBy.String(),
		ConsentAt: r.ConsentAt, ReferredAt: r.ReferredAt, DueBy: r.DueBy.Format(time.DateOnly), Status: string(r.Status),
		AcceptedAt: timeOrNil(r.AcceptedAt), FirstContactAt: timeOrNil(r.FirstContactAt), ClosedAt: timeOrNil(r.ClosedAt),
		Outcome: string(r.Outcome), OutcomeNote: r.OutcomeNote, Sessions: r.Sessions, DueToday: it.DueToday,
		Overdue: it.Overdue, Contacted: it.Contacted, WithinTarget: it.WithinTarget, ReviewDue: it.ReviewDue,
		Needs: make([]string, len(r.Needs))}
	for i, n := range r.Needs {
		v.Needs[i] = string(n)
	}
	if r.WorkerID != uuid.Nil {
		v.WorkerID = r.WorkerID.String()
	}
	return v
}

// WaitlistEntry is a person waiting for a service line.
type WaitlistEntry struct {
	ID             string    `json:"id" format:"uuid"`
	PatientID      string    `json:"patient_id" format:"uuid"`
	PatientName    string    `json:"patient_name"`
	ServiceLine    string    `json:"service_line" enum:"hip,health_coach,support_worker"`
	PractitionerID string    `json:"practitioner_id,omitempty" format:"uuid"`
	Urgency        string    `json:"urgency" enum:"routine,soon,urgent"`
	Preferred      []string  `json:"preferred" doc:"Weekday and part of the day in the practice's zone (\"mon:morning\"); empty: any time."`
	Note           string    `json:"note"`
	Status         string    `json:"status" enum:"open,booked,withdrawn"`
	AppointmentID  string    `json:"appointment_id,omitempty" format:"uuid"`
	CreatedAt      time.Time `json:"created_at"`
}

// WaitlistPath names a waitlist entry of the tenant.
type WaitlistPath struct {
	TenantPath
	ID string `path:"id" format:"uuid" doc:"The waitlist entry's id."`
}

type addWaitlistInput struct {
	TenantPath
	Body struct {
		PatientID      string   `json:"patient_id" format:"uuid"`
		ServiceLine    string   `json:"service_line" enum:"hip,health_coach,support_worker"`
		PractitionerID string   `json:"practitioner_id,omitempty" format:"uuid" doc:"Left out: anyone in the service line."`
		Urgency        string   `json:"urgency" enum:"routine,soon,urgent"`
		Preferred      []string `json:"preferred,omitempty" maxItems:"21" doc:"\"mon:morning\" … \"sun:evening\" (morning before 12:00, afternoon to 17:00, evening after), or [\"any\"] or empty for any time."`
		Note           string   `json:"note,omitempty" maxLength:"1000"`
	}
}

type withdrawInput struct {
	WaitlistPath
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
	}
}

type bookFromWaitlistInput struct {
	WaitlistPath
	Body struct {
		AppointmentID string `json:"appointment_id" format:"uuid" doc:"The cancelled appointment whose time the person takes."`
	}
}

type waitlistEntryOutput struct {
	Body WaitlistEntry
}

type createdWaitlistOutput struct {
	Status   int
	Location string `header:"Location"`
	Body     WaitlistEntry
}

type waitlistOutput struct {
	Body struct {
		Entries []WaitlistEntry `json:"entries" doc:"Open entries: most urgent, then oldest, first."`
	}
}

// OfferPath names a cancelled appointment whose time is offered.
type OfferPath struct {
	TenantPath
	ID string `path:"id" format:"uuid" doc:"A cancelled appointment."`
}

type offerOutput struct {
	Body struct {
		AppointmentID  string          `json:"appointment_id" format:"uuid"`
		PractitionerID string          `json:"practitioner_id" format:"uuid"`
		ServiceLine    string          `json:"service_line"`
		StartsAt       time.Time       `json:"starts_at"`
		EndsAt         time.Time       `json:"ends_at"`
		Free           bool            `json:"free" doc:"False when the time has been booked again."`
		Matches        []WaitlistEntry `json:"matches" doc:"The top entries whose preferences fit and who are free then."`
	}
}

type bookedOutput struct {
	Body struct {
		AppointmentID string    `json:"appointment_id" format:"uuid"`
		StartsAt      time.Time `json:"starts_at"`
		EndsAt        time.Time `json:"ends_at"`
		Warnings      []string  `json:"warnings"`
	}
}

func registerWaitlist(a huma.API, d Deps) {
	security := []map[string][]string{{"bearer": {}}}
	tenantErrors := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	tags := []string{"Waitlist"}

	huma.Register(a, huma.Operation{
		OperationID: "add-waitlist-entry", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/waitlist",
		DefaultStatus: http.StatusCreated, Summary: "Put a person on the waitlist", Tags: tags,
		Description: "A person already waiting for the service line is a 409.",
		Errors:      append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permWaitlistCreate},
	}, func(ctx context.Context, in *addWaitlistInput) (*createdWaitlistOutput, error) {
		var f fault.Fields
		n := waitlist.NewEntry{PatientID: bodyID(&f, "patient_id", in.Body.PatientID, true),
			PractitionerID: bodyID(&f, "practitioner_id", in.Body.PractitionerID, false),
			ServiceLine:    booking.ServiceLine(in.Body.ServiceLine), Urgency: waitlist.Urgency(in.Body.Urgency), Note: in.Body.Note}
		var err error
		if n.Preferred, err = waitlist.ParsePreferences(in.Body.Preferred); err != nil {
			f = append(f, fault.As(err).Fields...)
		}
		if err := f.Err(); err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		e, err := waitlist.Add(ctx, d.DB, actor.UserID, n)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &createdWaitlistOutput{Status: http.StatusCreated, Location: in.idPath("waitlist", e.ID), Body: waitlistView(e)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "list-waitlist", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/waitlist",
		Summary: "The waitlist", Tags: tags, Errors: tenantErrors, Security: security,
		Metadata: map[string]any{"perm": permWaitlistRead},
	}, func(ctx context.Context, in *TenantPath) (*waitlistOutput, error) {
		list, err := waitlist.List(ctx, d.DB)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &waitlistOutput{}
		out.Body.Entries = make([]WaitlistEntry, len(list))
		for i, e := range list {
			out.Body.Entries[i] = waitlistView(e)
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "withdraw-waitlist-entry", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/waitlist/{id}/withdraw",
		Summary: "Take a person off the waitlist", Tags: tags,
		Errors: append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permWaitlistUpdate},
	}, func(ctx context.Context, in *withdrawInput) (*waitlistEntryOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		e, err := waitlist.Withdraw(ctx, d.DB, actor.UserID, id, in.Body.Reason)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &waitlistEntryOutput{Body: waitlistView(e)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "waitlist-offers", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/waitlist/offers/{id}",
		Summary: "Who could take a cancelled appointment's time", Tags: tags,
		Description: "A live appointment frees nothing: 409.",
		Errors:      append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permWaitlistRead},
	}, func(ctx context.Context, in *OfferPath) (*offerOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		o, err := waitlist.OffersFor(ctx, d.DB, id)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &offerOutput{}
		out.Body.AppointmentID, out.Body.PractitionerID = o.Freed.ID.String(), o.Slot.PractitionerID.String()
		out.Body.ServiceLine, out.Body.StartsAt, out.Body.EndsAt = string(o.Slot.ServiceLine), o.Slot.StartsAt, o.Slot.EndsAt
		out.Body.Free = o.Free
		out.Body.Matches = make([]WaitlistEntry, len(o.Matches))
		for i, e := range o.Matches {
			out.Body.Matches[i] = waitlistView(e)
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "book-from-waitlist", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/waitlist/{id}/book",
		Summary: "Book a waiting person into a freed time", Tags: tags,
		Description: "Books the entry's person into the cancelled appointment's time (same practitioner, mode and " +
			"length) and takes the entry off the list. The time taken meanwhile: 409.",
		Errors: append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permWaitlistCreate},
	}, func(ctx context.Context, in *bookFromWaitlistInput) (*bookedOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		var f fault.Fields
		appt := bodyID(&f, "appointment_id", in.Body.AppointmentID, true)
		if err := f.Err(); err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		a, w, err := waitlist.BookFromWaitlist(ctx, d.DB, actor.UserID, id, appt)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &bookedOutput{}
		out.Body.AppointmentID, out.Body.StartsAt, out.Body.EndsAt = a.ID.String(), a.StartsAt, a.EndsAt
		out.Body.Warnings = []string{}
		for _, x := range w {
			out.Body.Warnings = append(out.Body.Warnings, x.Message)
		}
		return out, nil
	})
}

func waitlistView(e waitlist.Entry) WaitlistEntry {
	v := WaitlistEntry{ID: e.ID.String(), PatientID: e.PatientID.String(), PatientName: e.PatientName,
		ServiceLine: string(e.ServiceLine), Urgency: string(e.Urgency), Note: e.Note, Status: string(e.Status),
		CreatedAt: e.CreatedAt, Preferred: make([]string, len(e.Preferred))}
	for i, p := range e.Preferred {
		v.Preferred[i] = p.String()
	}
	if e.PractitionerID != uuid.Nil {
		v.PractitionerID = e.PractitionerID.String()
	}
	if e.AppointmentID != uuid.Nil {
		v.AppointmentID = e.AppointmentID.String()
	}
	return v
}
