package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/measure"
	"github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/tenants"
)

// Clinical notes and outcome measures. Every rule (who reads what, the
// lifecycle, optimistic versions, scoring) is models/note's and
// models/measure's; these operations translate JSON. A note the caller may
// not see at all is a 404, as if it did not exist.

var (
	permNoteRead      = httpx.Perm{Object: "note", Action: "read"}
	permNoteCreate    = httpx.Perm{Object: "note", Action: "create"}
	permNoteUpdate    = httpx.Perm{Object: "note", Action: "update"}
	permNoteSign      = httpx.Perm{Object: "note", Action: "sign"}
	permNoteAmend     = httpx.Perm{Object: "note", Action: "amend"}
	permNoteCoSign    = httpx.Perm{Object: "note.restricted", Action: "sign"}
	permOutcomeRead   = httpx.Perm{Object: "outcome", Action: "read"}
	permOutcomeCreate = httpx.Perm{Object: "outcome", Action: "create"}
)

// Note is a note as the caller may see it: fields, free text and addenda
// only when access is "body".
type Note struct {
	ID                string            `json:"id" format:"uuid"`
	PatientID         string            `json:"patient_id" format:"uuid"`
	AppointmentID     string            `json:"appointment_id,omitempty" format:"uuid"`
	ReferralContactID string            `json:"referral_contact_id,omitempty" format:"uuid"`
	AuthorID          string            `json:"author_id" format:"uuid"`
	Kind              string            `json:"kind" enum:"hip,health_coach,support_worker"`
	Status            string            `json:"status" enum:"draft,signed,entered_in_error"`
	Restricted        bool              `json:"restricted"`
	RiskFlag          bool              `json:"risk_flag"`
	Version           int               `json:"version"`
	CreatedAt         time.Time         `json:"created_at"`
	SignedAt          *time.Time        `json:"signed_at,omitempty"`
	AwaitingCoSign    bool              `json:"awaiting_cosign"`
	CoSignedBy        string            `json:"cosigned_by,omitempty" format:"uuid"`
	ErrorReason       string            `json:"error_reason,omitempty"`
	Access            string            `json:"access" enum:"body,metadata"`
	Fields            map[string]string `json:"fields,omitempty"`
	FreeText          string            `json:"free_text,omitempty"`
	Addenda           []Addendum        `json:"addenda,omitempty"`
}

// Addendum is a change after signing, with its reason.
type Addendum struct {
	ID        string    `json:"id" format:"uuid"`
	AuthorID  string    `json:"author_id" format:"uuid"`
	Reason    string    `json:"reason"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// NoteBody is what a note says: its template's fields by key, and free text.
type NoteBody struct {
	Restricted bool              `json:"restricted,omitempty" doc:"HIPs only: readable by its author and HIPs."`
	Fields     map[string]string `json:"fields,omitempty" doc:"The template's fields by key (the author's role chooses the template)."`
	FreeText   string            `json:"free_text,omitempty"`
}

type newNoteInput struct {
	TenantPath
	Body struct {
		PatientID         string `json:"patient_id" format:"uuid"`
		AppointmentID     string `json:"appointment_id,omitempty" format:"uuid" doc:"The session; or referral_contact_id for a Support Worker."`
		ReferralContactID string `json:"referral_contact_id,omitempty" format:"uuid"`
		NoteBody
	}
}

// NotePath names one note of the tenant.
type NotePath struct {
	TenantPath
	ID string `path:"id" doc:"The note's id."`
}

type saveNoteInput struct {
	NotePath
	Body struct {
		Version int `json:"version" minimum:"1" doc:"The version last read: a stale one is a 409."`
		NoteBody
	}
}

type signNoteInput struct {
	NotePath
	Body struct {
		Version int `json:"version" minimum:"1"`
	}
}

type reasonInput struct {
	NotePath
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
	}
}

type addendumInput struct {
	NotePath
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
		Text   string `json:"text" minLength:"1"`
	}
}

type noteOutput struct {
	Status int
	Body   Note
}

type addendumOutput struct {
	Status int
	Body   Addendum
}

// MeasureResult is one scored outcome measure.
type MeasureResult struct {
	ID            string    `json:"id" format:"uuid"`
	Kind          string    `json:"kind" enum:"k10,phq9,gad7,usefulness"`
	Items         []int     `json:"items"`
	Total         int       `json:"total"`
	Band          string    `json:"band,omitempty"`
	RiskAlert     bool      `json:"risk_alert" doc:"PHQ-9 item 9 answered above 0."`
	AppointmentID string    `json:"appointment_id,omitempty" format:"uuid"`
	RecordedBy    string    `json:"recorded_by" format:"uuid"`
	RecordedAt    time.Time `json:"recorded_at"`
}

// PatientMeasuresPath names one person's measures.
type PatientMeasuresPath struct {
	TenantPath
	ID string `path:"id" doc:"The person's id."`
}

type recordMeasureInput struct {
	PatientMeasuresPath
	Body struct {
		Kind          string `json:"kind" enum:"k10,phq9,gad7,usefulness"`
		Items         []int  `json:"items" doc:"Every item, in order: K10 10 (1–5), PHQ-9 9 (0–3), GAD-7 7 (0–3), usefulness 1 (0–10)."`
		AppointmentID string `json:"appointment_id,omitempty" format:"uuid"`
	}
}

type measureHistoryInput struct {
	PatientMeasuresPath
	Kind string `query:"kind" enum:"k10,phq9,gad7,usefulness" required:"true"`
}

type measureOutput struct {
	Status int
	Body   MeasureResult
}

type measureHistoryOutput struct {
	Body struct {
		Results []MeasureResult `json:"results"`
	}
}

func noteViewer(ctx context.Context) note.Viewer {
	a, _ := tenants.ActorFrom(ctx)
	t, _ := tenants.FromContext(ctx)
	return note.Viewer{UserID: a.UserID, TenantID: t.ID, Roles: a.Roles}
}

func registerNotes(a huma.API, d Deps) {
	security := []map[string][]string{{"bearer": {}}}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	writeErrs := append(append([]int{}, errs...), http.StatusConflict, http.StatusUnprocessableEntity)
	tags := []string{"Notes"}

	huma.Register(a, huma.Operation{
		OperationID: "create-note", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/notes",
		DefaultStatus: http.StatusCreated, Summary: "Start a note (a draft)", Tags: tags,
		Description: "The template follows the author's role. A second note of the same kind on one session is a 409.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permNoteCreate},
	}, func(ctx context.Context, in *newNoteInput) (*noteOutput, error) {
		var f fault.Fields
		patient := bodyID(&f, "patient_id", in.Body.PatientID, true)
		appt := bodyID(&f, "appointment_id", in.Body.AppointmentID, false)
		contact := bodyID(&f, "referral_contact_id", in.Body.ReferralContactID, false)
		if err := f.Err(); err != nil {
			return nil, err
		}
		m, err := note.SaveDraft(ctx, d.DB, d.Keyring, noteViewer(ctx), note.Draft{PatientID: patient,
			AppointmentID: appt, ReferralContactID: contact, Restricted: in.Body.Restricted,
			Body: note.Body{Fields: in.Body.Fields, FreeText: in.Body.FreeText}})
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return openNote(ctx, d, m.ID, http.StatusCreated)
	})

	huma.Register(a, huma.Operation{
		OperationID: "save-note", Method: http.MethodPut, Path: Prefix + "/t/{tenant}/notes/{id}",
		Summary: "Save a draft", Tags: tags,
		Description: "Autosave: send the version you last read. A stale version is a 409 (saved elsewhere); " +
			"a retry of the save that already landed is harmless. A signed note is a 409: add an addendum.",
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permNoteUpdate},
	}, func(ctx context.Context, in *saveNoteInput) (*noteOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		m, err := note.SaveDraft(ctx, d.DB, d.Keyring, noteViewer(ctx), note.Draft{ID: id, Version: in.Body.Version,
			Restricted: in.Body.Restricted, Body: note.Body{Fields: in.Body.Fields, FreeText: in.Body.FreeText}})
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return openNote(ctx, d, m.ID, http.StatusOK)
	})

	huma.Register(a, huma.Operation{
		OperationID: "sign-note", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/notes/{id}/sign",
		Summary: "Sign a note", Tags: tags,
		Description: "The author only; every required field filled. A signed note never changes.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permNoteSign},
	}, func(ctx context.Context, in *signNoteInput) (*noteOutput, error) {
		return noteAct(ctx, d, in.ID, func(id uuid.UUID) error {
			_, err := note.Sign(ctx, d.DB, d.Keyring, noteViewer(ctx), id, in.Body.Version)
			return err
		})
	})

	huma.Register(a, huma.Operation{
		OperationID: "get-note", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/notes/{id}",
		Summary: "Read a note", Tags: tags,
		Description: "Audited. Access \"metadata\" means the caller may know the note exists but not read it.",
		Errors:      errs, Security: security, Metadata: map[string]any{"perm": permNoteRead},
	}, func(ctx context.Context, in *NotePath) (*noteOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		return openNote(ctx, d, id, http.StatusOK)
	})

	huma.Register(a, huma.Operation{
		OperationID: "add-note-addendum", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/notes/{id}/addenda",
		DefaultStatus: http.StatusCreated, Summary: "Add an addendum to a signed note", Tags: tags,
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permNoteAmend},
	}, func(ctx context.Context, in *addendumInput) (*addendumOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		ad, err := note.AddAddendum(ctx, d.DB, d.Keyring, noteViewer(ctx), id, in.Body.Reason, in.Body.Text)
		if err != nil {
			return nil, fail(ctx, d.Log, notFoundIfForbidden(err))
		}
		return &addendumOutput{Status: http.StatusCreated, Body: addendumView(ad)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "enter-note-in-error", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/notes/{id}/error",
		Summary: "Mark a signed note entered in error", Tags: tags,
		Description: "The author only. The note stays, marked, for auditors.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permNoteAmend},
	}, func(ctx context.Context, in *reasonInput) (*noteOutput, error) {
		return noteAct(ctx, d, in.ID, func(id uuid.UUID) error {
			_, err := note.EnterInError(ctx, d.DB, noteViewer(ctx), id, in.Body.Reason)
			return err
		})
	})

	huma.Register(a, huma.Operation{
		OperationID: "cosign-note", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/notes/{id}/cosign",
		Summary: "Co-sign a Health Coach note", Tags: tags, Description: "A HIP other than the author.",
		Errors: writeErrs, Security: security, Metadata: map[string]any{"perm": permNoteCoSign},
	}, func(ctx context.Context, in *NotePath) (*noteOutput, error) {
		return noteAct(ctx, d, in.ID, func(id uuid.UUID) error {
			_, err := note.CoSign(ctx, d.DB, noteViewer(ctx), id)
			return err
		})
	})

	registerMeasures(a, d, security, errs, writeErrs)
}

func registerMeasures(a huma.API, d Deps, security []map[string][]string, errs, writeErrs []int) {
	tags := []string{"Outcome measures"}
	huma.Register(a, huma.Operation{
		OperationID: "record-measure", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/patients/{id}/measures",
		DefaultStatus: http.StatusCreated, Summary: "Record an outcome measure", Tags: tags,
		Description: "Every item is validated and scored on the server; answers are stored encrypted.",
		Errors:      writeErrs, Security: security, Metadata: map[string]any{"perm": permOutcomeCreate},
	}, func(ctx context.Context, in *recordMeasureInput) (*measureOutput, error) {
		var f fault.Fields
		patient := bodyID(&f, "id", in.ID, true)
		appt := bodyID(&f, "appointment_id", in.Body.AppointmentID, false)
		if err := f.Err(); err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		r, err := measure.Record(ctx, d.DB, d.Keyring, actor.UserID, patient, appt, measure.Kind(in.Body.Kind), in.Body.Items)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &measureOutput{Status: http.StatusCreated, Body: measureView(r)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "measure-history", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/patients/{id}/measures",
		Summary: "A person's results of one measure, oldest first", Tags: tags,
		Errors: errs, Security: security, Metadata: map[string]any{"perm": permOutcomeRead},
	}, func(ctx context.Context, in *measureHistoryInput) (*measureHistoryOutput, error) {
		patient, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		list, err := measure.History(ctx, d.DB, d.Keyring, patient, measure.Kind(in.Kind))
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &measureHistoryOutput{}
		out.Body.Results = make([]MeasureResult, len(list))
		for i, r := range list {
			out.Body.Results[i] = measureView(r)
		}
		return out, nil
	})
}

// noteAct runs one lifecycle act and answers with the note as it is now.
func noteAct(ctx context.Context, d Deps, rawID string, act func(uuid.UUID) error) (*noteOutput, error) {
	id, err := pathID(rawID)
	if err != nil {
		return nil, err
	}
	if err := act(id); err != nil {
		return nil, fail(ctx, d.Log, err)
	}
	return openNote(ctx, d, id, http.StatusOK)
}

// openNote reads the note as the caller may see it (audited by note.Open).
func openNote(ctx context.Context, d Deps, id uuid.UUID, status int) (*noteOutput, error) {
	n, err := note.Open(ctx, d.DB, d.Keyring, noteViewer(ctx), id, time.Now())
	if err != nil {
		return nil, fail(ctx, d.Log, notFoundIfForbidden(err))
	}
	return &noteOutput{Status: status, Body: noteView(n)}, nil
}

// notFoundIfForbidden: a note the caller may not see at all does not exist
// for them.
func notFoundIfForbidden(err error) error {
	if fault.As(err).Kind == fault.KindForbidden && fault.As(err).Message == "you may not see this note" {
		return fault.NotFound
	}
	return err
}

func noteView(n note.Note) Note {
	v := Note{ID: n.ID.String(), PatientID: n.PatientID.String(), AppointmentID: optID(n.AppointmentID),
		ReferralContactID: optID(n.ReferralContactID), AuthorID: n.AuthorID.String(), Kind: string(n.Kind),
		Status: string(n.Status), Restricted: n.Restricted, RiskFlag: n.RiskFlag, Version: n.Version,
		CreatedAt: n.CreatedAt, SignedAt: n.SignedAt, AwaitingCoSign: n.AwaitingCoSign(),
		CoSignedBy: optID(n.CoSignedBy), ErrorReason: n.ErrorReason, Access: n.Access.String()}
	if n.Access == note.AccessBody {
		v.Fields, v.FreeText = n.Body.Fields, n.Body.FreeText
		for _, a := range n.Addenda {
			v.Addenda = append(v.Addenda, addendumView(a))
		}
	}
	return v
}

func addendumView(a note.Addendum) Addendum {
	return Addendum{ID: a.ID.String(), AuthorID: a.AuthorID.String(), Reason: a.Reason, Text: a.Text, CreatedAt: a.CreatedAt}
}

func measureView(r measure.Result) MeasureResult {
	return MeasureResult{ID: r.ID.String(), Kind: string(r.Kind), Items: r.Items, Total: r.Total, Band: r.Band,
		RiskAlert: r.RiskAlert, AppointmentID: optID(r.AppointmentID), RecordedBy: r.RecordedBy.String(),
		RecordedAt: r.RecordedAt}
}

func optID(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}
