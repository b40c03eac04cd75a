package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/correction"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/inbox"
	"github.com/tuhono/tuhono/models/note"
)

// The GP's handover inbox and a person's record as it leaves Tūhono: the
// FHIR export, the "who accessed my record" report (HIPC rule 6) and
// correction requests (HIPC rule 7). Permissions match the pages
// (handlers/web/inbox.go, records.go).

var (
	recordsPermHandover = httpx.Perm{Object: "handover", Action: "read"}
	recordsPermExport   = httpx.Perm{Object: "note", Action: "read"}
	recordsPermAccess   = httpx.Perm{Object: "patient", Action: "read"}
	recordsPermCorrect  = httpx.Perm{Object: "patient", Action: "update"}
)

// InboxHandover is a handover to a GP with its read receipt.
type InboxHandover struct {
	ID            string     `json:"id" format:"uuid"`
	PatientID     string     `json:"patient_id" format:"uuid"`
	AppointmentID string     `json:"appointment_id" format:"uuid"`
	NoteID        string     `json:"note_id,omitempty" format:"uuid"`
	AuthorID      string     `json:"author_id" format:"uuid"`
	ToGP          string     `json:"to_gp" format:"uuid"`
	PatientName   string     `json:"patient_name"`
	FirstLine     string     `json:"first_line"`
	Text          string     `json:"text,omitempty" doc:"The whole handover: only when one is read."`
	SentAt        time.Time  `json:"sent_at"`
	ReadAt        *time.Time `json:"read_at,omitempty" doc:"The read receipt: when the addressed GP first opened it."`
}

// AccessEvent is one line of the "who accessed my record" report.
type AccessEvent struct {
	At          time.Time `json:"at"`
	ActorUserID string    `json:"actor_user_id,omitempty" format:"uuid"`
	ActorName   string    `json:"actor_name,omitempty"`
	ActorRoles  []string  `json:"actor_roles"`
	Action      string    `json:"action"`
	Object      string    `json:"object,omitempty"`
	ObjectID    string    `json:"object_id,omitempty"`
	Outcome     string    `json:"outcome" enum:"ok,denied,failed"`
	Reason      string    `json:"reason,omitempty"`
}

// Correction is a correction request (HIPC rule 7).
type Correction struct {
	ID          string     `json:"id" format:"uuid"`
	Statement   string     `json:"statement"`
	RequestedAt time.Time  `json:"requested_at"`
	Decision    string     `json:"decision,omitempty" enum:"corrected,statement_attached"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

type inboxListOutput struct {
	Body struct {
		Unread    int             `json:"unread"`
		Handovers []InboxHandover `json:"handovers"`
	}
}

type inboxOneInput struct {
	TenantPath
	ID string `path:"id" format:"uuid" doc:"The handover."`
}

type inboxOneOutput struct{ Body InboxHandover }

type recordPatientInput struct {
	TenantPath
	ID string `path:"id" format:"uuid" doc:"The person."`
}

type recordFHIROutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

type accessReportOutput struct {
	Body struct {
		Events []AccessEvent `json:"events"`
	}
}

type correctionInput struct {
	TenantPath
	ID   string `path:"id" format:"uuid" doc:"The person."`
	Body struct {
		Statement string `json:"statement" minLength:"1" maxLength:"20000" doc:"What the person asks to be corrected, in their words."`
		Decision  string `json:"decision,omitempty" enum:"corrected,statement_attached" doc:"The practice's decision, if made now."`
	}
}

type correctionOutput struct{ Body Correction }

func apiViewer(ctx context.Context) note.Viewer { return noteViewer(ctx) }

func inboxView(h inbox.Handover) InboxHandover {
	return InboxHandover{ID: h.ID.String(), PatientID: h.PatientID.String(), AppointmentID: h.AppointmentID.String(),
		NoteID: optID(h.NoteID), AuthorID: h.AuthorID.String(), ToGP: h.ToGP.String(), PatientName: h.PatientName(),
		FirstLine: h.FirstLine, SentAt: h.SentAt, ReadAt: h.ReadAt}
}

func registerRecords(a huma.API, d Deps) {
	op := func(id, method, path, summary, desc string, perm httpx.Perm, status int, errs ...int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: Prefix + "/t/{tenant}" + path, Summary: summary,
			Description: desc, Tags: []string{"Handovers and records"}, DefaultStatus: status,
			Errors:   append([]int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}, errs...),
			Metadata: map[string]any{"perm": perm}, Security: []map[string][]string{{"bearer": {}}}}
	}
	names := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
		if d.Accounts == nil {
			return map[uuid.UUID]string{}, nil
		}
		var want []uuid.UUID
		for _, id := range ids {
			if id != uuid.Nil && !slices.Contains(want, id) {
				want = append(want, id)
			}
		}
		return d.Accounts.Names(ctx, want)
	}

	huma.Register(a, op("inbox-list", http.MethodGet, "/inbox", "The caller's handover inbox",
		"Handovers addressed to the caller (a GP or practice nurse), unread first, with first lines. Reading the "+
			"list does not set read receipts.", recordsPermHandover, 0),
		func(ctx context.Context, in *TenantPath) (*inboxListOutput, error) {
			list, err := inbox.Inbox(ctx, d.DB, d.Keyring, apiViewer(ctx))
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			out := &inboxListOutput{}
			out.Body.Handovers = make([]InboxHandover, len(list))
			for i, h := range list {
				out.Body.Handovers[i] = inboxView(h)
				if !h.Read() {
					out.Body.Unread++
				}
			}
			return out, nil
		})

	huma.Register(a, op("inbox-open", http.MethodGet, "/inbox/{id}", "Read one handover",
		"The whole handover. When the caller is the GP it is addressed to, the first read sets the read receipt.",
		recordsPermHandover, 0),
		func(ctx context.Context, in *inboxOneInput) (*inboxOneOutput, error) {
			id, err := uuid.Parse(in.ID)
			if err != nil {
				return nil, fail(ctx, d.Log, fault.NotFound)
			}
			h, err := inbox.Open(ctx, d.DB, d.Keyring, apiViewer(ctx), id)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			v := inboxView(h)
			v.Text = h.Text
			return &inboxOneOutput{Body: v}, nil
		})

	huma.Register(a, op("record-fhir", http.MethodGet, "/patients/{id}/record", "Export a person's record (FHIR R4)",
		"The person's record as a FHIR R4 Bundle (application/fhir+json): Patient with the NHI, an Encounter per "+
			"session, an Observation per measure score, a Composition per signed note the caller may read, a "+
			"Communication per handover and attached correction statements. Audited as a disclosure.",
		recordsPermExport, 0),
		func(ctx context.Context, in *recordPatientInput) (*recordFHIROutput, error) {
			id, err := uuid.Parse(in.ID)
			if err != nil {
				return nil, fail(ctx, d.Log, fault.NotFound)
			}
			b, err := correction.Export(ctx, d.DB, d.Keyring, apiViewer(ctx), id, "fhir", names)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			return &recordFHIROutput{ContentType: "application/fhir+json", Body: b}, nil
		})

	huma.Register(a, op("record-access-report", http.MethodGet, "/patients/{id}/access-report",
		"Who accessed a person's record", "Every audited event concerning the person, newest first (HIPC rule 6): "+
			"who, in what role, when, what and why. Never clinical content.", recordsPermAccess, 0),
		func(ctx context.Context, in *recordPatientInput) (*accessReportOutput, error) {
			id, err := uuid.Parse(in.ID)
			if err != nil {
				return nil, fail(ctx, d.Log, fault.NotFound)
			}
			if _, err := correction.Person(ctx, d.DB, id, "who accessed my record report"); err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			events, err := note.AccessReport(ctx, d.DB, id)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			ids := make([]uuid.UUID, len(events))
			for i, e := range events {
				ids[i] = e.ActorUserID
			}
			known, err := names(ctx, ids)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			out := &accessReportOutput{}
			out.Body.Events = make([]AccessEvent, len(events))
			for i, e := range events {
				out.Body.Events[i] = AccessEvent{At: e.At, ActorUserID: optID(e.ActorUserID), ActorName: known[e.ActorUserID],
					ActorRoles: append([]string{}, e.ActorRoles...), Action: e.Action, Object: e.Object, ObjectID: e.ObjectID,
					Outcome: e.Outcome, Reason: e.Reason}
			}
			return out, nil
		})

	huma.Register(a, op("record-correction", http.MethodPost, "/patients/{id}/corrections",
		"Record a correction request", "Records the person's request to correct their record, with their statement "+
			"(HIPC rule 7), and the practice's decision if made now. A statement attached instead of a correction goes "+
			"with every later export.", recordsPermCorrect, http.StatusCreated, http.StatusUnprocessableEntity),
		func(ctx context.Context, in *correctionInput) (*correctionOutput, error) {
			id, err := uuid.Parse(in.ID)
			if err != nil {
				return nil, fail(ctx, d.Log, fault.NotFound)
			}
			v := apiViewer(ctx)
			c, err := correction.Request(ctx, d.DB, d.Keyring, v, id, in.Body.Statement)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			out := Correction{ID: c.ID.String(), Statement: c.Statement, RequestedAt: c.RequestedAt}
			if in.Body.Decision != "" {
				if err := correction.Decide(ctx, d.DB, v, id, c.ID, correction.Decision(in.Body.Decision)); err != nil {
					return nil, fail(ctx, d.Log, err)
				}
				now := time.Now().UTC()
				out.Decision, out.DecidedAt = in.Body.Decision, &now
			}
			return &correctionOutput{Body: out}, nil
		})
}
