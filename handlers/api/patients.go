package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/tenants"
)

// Patients: registration with likely-duplicate warnings, audited reads,
// search and changes. Every read names its purpose in the audit trail.

var (
	permPatientRead   = httpx.Perm{Object: "patient", Action: "read"}
	permPatientCreate = httpx.Perm{Object: "patient", Action: "create"}
	permPatientUpdate = httpx.Perm{Object: "patient", Action: "update"}
)

// Audit reasons of the patient routes.
const (
	reasonAPIGet    = "api: get patient"
	reasonAPISearch = "api: search patients"
)

// Patient is a patient as the API shows it.
type Patient struct {
	ID              string    `json:"id" format:"uuid"`
	NHI             string    `json:"nhi,omitempty" doc:"Normalised NHI number (upper case)."`
	FamilyName      string    `json:"family_name"`
	GivenNames      string    `json:"given_names,omitempty"`
	PreferredName   string    `json:"preferred_name,omitempty"`
	DateOfBirth     string    `json:"date_of_birth" format:"date"`
	Gender          string    `json:"gender" enum:"female,male,another,unknown"`
	Ethnicity       []string  `json:"ethnicity" doc:"HISO 10001 ethnicity codes, up to six."`
	EthnicGroup     string    `json:"ethnic_group" doc:"Prioritised ethnic group, derived."`
	Iwi             string    `json:"iwi,omitempty"`
	NZDepQuintile   int       `json:"nzdep_quintile,omitempty" minimum:"0" maximum:"5"`
	EnrolmentStatus string    `json:"enrolment_status" enum:"enrolled,casual,not_enrolled,unknown"`
	EnrolledOn      string    `json:"enrolled_on,omitempty" format:"date"`
	Phone           string    `json:"phone,omitempty"`
	Email           string    `json:"email,omitempty"`
	SMSConsent      bool      `json:"sms_consent"`
	EmailConsent    bool      `json:"email_consent"`
	SupportContact  string    `json:"support_contact,omitempty" doc:"Whānau or support contact."`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// PatientFields are the fields a client sends to register a person.
type PatientFields struct {
	NHI             string   `json:"nhi,omitempty" maxLength:"8" doc:"ZZZ0016 or ZZZ00AC form, any case."`
	FamilyName      string   `json:"family_name" maxLength:"100"`
	GivenNames      string   `json:"given_names,omitempty" maxLength:"100"`
	PreferredName   string   `json:"preferred_name,omitempty" maxLength:"100"`
	DateOfBirth     string   `json:"date_of_birth" format:"date" doc:"YYYY-MM-DD."`
	Gender          string   `json:"gender,omitempty" enum:"female,male,another,unknown"`
	Ethnicity       []string `json:"ethnicity,omitempty" maxItems:"6"`
	Iwi             string   `json:"iwi,omitempty" maxLength:"100"`
	NZDepQuintile   int      `json:"nzdep_quintile,omitempty" minimum:"0" maximum:"5"`
	EnrolmentStatus string   `json:"enrolment_status,omitempty" enum:"enrolled,casual,not_enrolled,unknown"`
	EnrolledOn      string   `json:"enrolled_on,omitempty" format:"date"`
	Phone           string   `json:"phone,omitempty" maxLength:"40"`
	Email           string   `json:"email,omitempty" maxLength:"254"`
	SMSConsent      bool     `json:"sms_consent,omitempty"`
	EmailConsent    bool     `json:"email_consent,omitempty"`
	SupportContact  string   `json:"support_contact,omitempty" maxLength:"500"`
}

// DuplicateWarning names a patient already registered who may be the same
// person: by id only (reading them is an audited Get).
type DuplicateWarning struct {
	PatientID string `json:"patient_id" format:"uuid"`
	Match     string `json:"match" enum:"nhi,name_and_birth_date"`
	Message   string `json:"message"`
}

type createPatientInput struct {
	TenantPath
	IdempotencyHeader
	Body PatientFields
}

type createdPatientOutput struct {
	Status   int
	Location string `header:"Location"`
	Body     struct {
		Patient  Patient            `json:"patient"`
		Warnings []DuplicateWarning `json:"warnings" doc:"People with the same name and date of birth: check before booking."`
	}
}

// PatientPath names one patient of the tenant.
type PatientPath struct {
	TenantPath
	ID string `path:"id" format:"uuid" doc:"The patient's id."`
}

type patientOutput struct {
	Body Patient
}

type searchPatientsInput struct {
	TenantPath
	Q     string `query:"q" minLength:"1" maxLength:"200" doc:"A name (every word begins a name; case and macrons aside) or an NHI number."`
	Limit int    `query:"limit" minimum:"1" maximum:"50" default:"20"`
}

type patientsOutput struct {
	Body struct {
		Patients []Patient `json:"patients"`
	}
}

// PatientChanges sets the fields it names; the rest keep their values. An
// empty string clears an optional text field.
type PatientChanges struct {
	NHI             *string   `json:"nhi,omitempty" maxLength:"8"`
	FamilyName      *string   `json:"family_name,omitempty" maxLength:"100"`
	GivenNames      *string   `json:"given_names,omitempty" maxLength:"100"`
	PreferredName   *string   `json:"preferred_name,omitempty" maxLength:"100"`
	DateOfBirth     *string   `json:"date_of_birth,omitempty" format:"date"`
	Gender          *string   `json:"gender,omitempty" enum:"female,male,another,unknown"`
	Ethnicity       *[]string `json:"ethnicity,omitempty" maxItems:"6"`
	Iwi             *string   `json:"iwi,omitempty" maxLength:"100"`
	NZDepQuintile   *int      `json:"nzdep_quintile,omitempty" minimum:"0" maximum:"5"`
	EnrolmentStatus *string   `json:"enrolment_status,omitempty" enum:"enrolled,casual,not_enrolled,unknown"`
	EnrolledOn      *string   `json:"enrolled_on,omitempty" doc:"YYYY-MM-DD, or empty to clear."`
	Phone           *string   `json:"phone,omitempty" maxLength:"40"`
	Email           *string   `json:"email,omitempty" maxLength:"254"`
	SMSConsent      *bool     `json:"sms_consent,omitempty"`
	EmailConsent    *bool     `json:"email_consent,omitempty"`
	SupportContact  *string   `json:"support_contact,omitempty" maxLength:"500"`
}

type updatePatientInput struct {
	PatientPath
	Body PatientChanges
}

func registerPatients(a huma.API, d Deps) {
	security := []map[string][]string{{"bearer": {}}}
	tenantErrors := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(a, idempotent(huma.Operation{
		OperationID: "create-patient", Method: http.MethodPost, Path: Prefix + "/t/{tenant}/patients",
		DefaultStatus: http.StatusCreated, Summary: "Register a patient", Tags: []string{"Patients"},
		Description: "A second registration of an NHI already registered here is a 409. People with the same name " +
			"and date of birth do not stop the registration: they come back in warnings.",
		Errors: append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permPatientCreate},
	}), func(ctx context.Context, in *createPatientInput) (*createdPatientOutput, error) {
		n, err := newPatient(in.Body)
		if err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		p, dups, err := patient.Create(ctx, d.DB, actor.UserID, n)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &createdPatientOutput{Status: http.StatusCreated, Location: in.idPath("patients", p.ID)}
		out.Body.Patient = patientView(p)
		out.Body.Warnings = []DuplicateWarning{}
		for _, dup := range dups {
			out.Body.Warnings = append(out.Body.Warnings, DuplicateWarning{PatientID: dup.ID.String(), Match: dup.Match,
				Message: "a person with the same name and date of birth is already registered here"})
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "get-patient", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/patients/{id}",
		Summary: "Get a patient", Tags: []string{"Patients"},
		Description: "Every read is recorded in the practice's audit trail (reason \"" + reasonAPIGet + "\").",
		Errors:      tenantErrors, Security: security, Metadata: map[string]any{"perm": permPatientRead},
	}, func(ctx context.Context, in *PatientPath) (*patientOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		p, err := patient.Get(ctx, d.DB, id, reasonAPIGet)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &patientOutput{Body: patientView(p)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "search-patients", Method: http.MethodGet, Path: Prefix + "/t/{tenant}/patients",
		Summary: "Find patients by name or NHI", Tags: []string{"Patients"},
		Description: "The search is recorded in the audit trail with the number of people found.",
		Errors:      append(tenantErrors, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permPatientRead},
	}, func(ctx context.Context, in *searchPatientsInput) (*patientsOutput, error) {
		list, err := patient.Search(ctx, d.DB, in.Q, in.Limit, reasonAPISearch)
		if err != nil {
			return nil, fail(ctx, d.Log, renameField(err, "query", "q"))
		}
		out := &patientsOutput{}
		out.Body.Patients = make([]Patient, len(list))
		for i, p := range list {
			out.Body.Patients[i] = patientView(p)
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "update-patient", Method: http.MethodPatch, Path: Prefix + "/t/{tenant}/patients/{id}",
		Summary: "Change a patient's details", Tags: []string{"Patients"},
		Description: "Fields left out keep their values; the whole record is checked again as it will stand. " +
			"The audit trail names the changed fields, never their values.",
		Errors: append(tenantErrors, http.StatusConflict, http.StatusUnprocessableEntity), Security: security,
		Metadata: map[string]any{"perm": permPatientUpdate},
	}, func(ctx context.Context, in *updatePatientInput) (*patientOutput, error) {
		id, err := pathID(in.ID)
		if err != nil {
			return nil, err
		}
		c, err := patientChanges(in.Body)
		if err != nil {
			return nil, err
		}
		actor, _ := tenants.ActorFrom(ctx)
		p, err := patient.Update(ctx, d.DB, actor.UserID, id, c)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &patientOutput{Body: patientView(p)}, nil
	})
}

func newPatient(b PatientFields) (patient.NewPatient, error) {
	var f fault.Fields
	dob := parseDate(&f, "date_of_birth", b.DateOfBirth, true)
	enrolled := parseDate(&f, "enrolled_on", b.EnrolledOn, false)
	if err := f.Err(); err != nil {
		return patient.NewPatient{}, err
	}
	return patient.NewPatient{NHI: b.NHI, FamilyName: b.FamilyName, GivenNames: b.GivenNames, PreferredName: b.PreferredName,
		DateOfBirth: dob, Gender: b.Gender, Ethnicity: b.Ethnicity, Iwi: b.Iwi, NZDepQuintile: b.NZDepQuintile,
		EnrolmentStatus: b.EnrolmentStatus, EnrolledOn: enrolled, Phone: b.Phone, Email: b.Email,
		SMSConsent: b.SMSConsent, EmailConsent: b.EmailConsent, SupportContact: b.SupportContact}, nil
}

func patientChanges(b PatientChanges) (patient.Changes, error) {
	c := patient.Changes{NHI: b.NHI, FamilyName: b.FamilyName, GivenNames: b.GivenNames, PreferredName: b.PreferredName,
		Gender: b.Gender, Ethnicity: b.Ethnicity, Iwi: b.Iwi, NZDepQuintile: b.NZDepQuintile, EnrolmentStatus: b.EnrolmentStatus,
		Phone: b.Phone, Email: b.Email, SMSConsent: b.SMSConsent, EmailConsent: b.EmailConsent, SupportContact: b.SupportContact}
	var f fault.Fields
	if b.DateOfBirth != nil {
		t := parseDate(&f, "date_of_birth", *b.DateOfBirth, true)
		c.DateOfBirth = &t
	}
	if b.EnrolledOn != nil {
		t := parseDate(&f, "enrolled_on", *b.EnrolledOn, false)
		c.EnrolledOn = &t
	}
	return c, f.Err()
}

// parseDate reads YYYY-MM-DD; an empty optional date is the zero time.
func parseDate(f *fault.Fields, field, s string, required bool) time.Time {
	if s == "" {
		if required {
			f.Add(field, "is required")
		}
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		f.Add(field, "must be a date, YYYY-MM-DD")
	}
	return t
}

func patientView(p patient.Patient) Patient {
	v := Patient{ID: p.ID.String(), NHI: p.NHI, FamilyName: p.FamilyName, GivenNames: p.GivenNames, PreferredName: p.PreferredName,
		DateOfBirth: p.DateOfBirth.Format(time.DateOnly), Gender: p.Gender, Ethnicity: p.Ethnicity, EthnicGroup: p.EthnicGroup,
		Iwi: p.Iwi, NZDepQuintile: p.NZDepQuintile, EnrolmentStatus: p.EnrolmentStatus, Phone: p.Phone, Email: p.Email,
		SMSConsent: p.SMSConsent, EmailConsent: p.EmailConsent, SupportContact: p.SupportContact,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if v.Ethnicity == nil {
		v.Ethnicity = []string{}
	}
	if !p.EnrolledOn.IsZero() {
		v.EnrolledOn = p.EnrolledOn.Format(time.DateOnly)
	}
	return v
}

// pathID reads a record id from the path; a malformed one is simply not
// found, as a foreign one is.
func pathID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fault.NotFound
	}
	return id, nil
}

// bodyID reads an id from a request body; a malformed one is a field error.
func bodyID(f *fault.Fields, field, s string, required bool) uuid.UUID {
	if s == "" {
		if required {
			f.Add(field, "is required")
		}
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		f.Add(field, "must be an id (a UUID)")
		return uuid.Nil
	}
	return id
}

// idPath is the API path of a record of the tenant, for Location headers.
func (p TenantPath) idPath(collection string, id uuid.UUID) string {
	return Prefix + "/t/" + p.Tenant + "/" + collection + "/" + id.String()
}

// renameField puts the request's name on a model's field message.
func renameField(err error, from, to string) error {
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.KindInvalid {
		return err
	}
	out := &fault.Error{Kind: fe.Kind, Message: fe.Message, Cause: err}
	for _, f := range fe.Fields {
		if f.Field == from {
			f.Field = to
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}
