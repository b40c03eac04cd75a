package correction

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/inbox"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/measure"
	"github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/record"
	"github.com/tuhono/tuhono/tenants"
)

// Names resolves staff user ids to names (the platform's: account.Names).
type Names func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error)

// Formats an export comes in, with what renders each.
var renderers = map[string]func(record.Record) ([]byte, error){"pdf": record.PersonPDF, "fhir": record.FHIRBundle}

// Export gathers the person's record as v may see it, renders it (pdf or
// fhir) and audits the export: that event is the disclosure a later
// correction lists. Every read behind it is audited by its own package.
func Export(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, patientID uuid.UUID, format string, names Names) ([]byte, error) {
	render, ok := renderers[format]
	if !ok {
		return nil, wrap("Export", errFormat)
	}
	r, err := Gather(ctx, d, k, v, patientID, names)
	if err != nil {
		return nil, err
	}
	out, err := render(r)
	if err != nil {
		return nil, wrap("Export", err)
	}
	if err := RecordExport(ctx, d, v, patientID, format); err != nil {
		return nil, err
	}
	return out, nil
}

// fhirGenders are FHIR's administrative genders; anything else is unknown.
var fhirGenders = map[string]bool{"female": true, "male": true, "other": true, "unknown": true}

// Person reads the person (an audited read, with reason) as a record
// carries them, with the practice heading their record.
func Person(ctx context.Context, d *db.DB, patientID uuid.UUID, reason string) (record.Person, error) {
	t, _ := tenants.FromContext(ctx)
	p, err := patient.Get(ctx, d, patientID, reason)
	if err != nil {
		return record.Person{}, err
	}
	out := record.Person{ID: p.ID.String(), NHI: p.NHI, GivenNames: p.GivenNames, FamilyName: p.FamilyName,
		PreferredName: p.PreferredName, BirthDate: p.DateOfBirth, Gender: "unknown",
		Practice: record.Practice{ID: t.ID.String(), Name: t.Name}}
	if fhirGenders[p.Gender] {
		out.Gender = p.Gender
	}
	for _, e := range p.Ethnicity {
		if len(e) == 5 && len(out.Ethnicities) < 6 { // level 4 codes only
			out.Ethnicities = append(out.Ethnicities, e)
		}
	}
	return out, nil
}

var lineRoles = map[string]string{"hip": "Health Improvement Practitioner", "health_coach": "Health Coach",
	"support_worker": "Support Worker"}

// Gather fills one person's record with what v may read: sessions, signed
// notes v may read in full (never a restricted note v cannot), measure
// scores, handovers and attached correction statements.
func Gather(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, patientID uuid.UUID, names Names) (record.Record, error) {
	person, err := Person(ctx, d, patientID, "export of the person's record")
	if err != nil {
		return record.Record{}, wrap("Gather", err)
	}
	r := record.Record{Person: person, GeneratedAt: time.Now()}
	items, err := calendar.Timeline(ctx, d, patientID)
	if err != nil {
		return record.Record{}, wrap("Gather", err)
	}
	entries, err := note.Timeline(ctx, d, k, v, patientID)
	if err != nil {
		return record.Record{}, wrap("Gather", err)
	}
	var notes []note.Note
	for _, e := range entries {
		if e.Access != note.AccessBody || e.Status == note.StatusDraft {
			continue
		}
		n, err := note.Open(ctx, d, k, v, e.ID, time.Now())
		if err != nil {
			return record.Record{}, wrap("Gather", err)
		}
		notes = append(notes, n)
	}
	handovers, err := inbox.ForPatient(ctx, d, k, v, patientID)
	if err != nil {
		return record.Record{}, wrap("Gather", err)
	}
	corrections, err := List(ctx, d, k, v, patientID)
	if err != nil {
		return record.Record{}, err
	}
	var ids []uuid.UUID
	for _, it := range items {
		ids = append(ids, it.PractitionerID)
	}
	for _, n := range notes {
		ids = append(ids, n.AuthorID)
		for _, a := range n.Addenda {
			ids = append(ids, a.AuthorID)
		}
	}
	for _, x := range handovers {
		ids = append(ids, x.AuthorID, x.ToGP)
	}
	known, err := names(ctx, ids)
	if err != nil {
		return record.Record{}, wrap("Gather", err)
	}
	who := func(id uuid.UUID, role string) record.Practitioner {
		name, ok := known[id]
		if !ok {
			name = "a member of the practice team"
		}
		return record.Practitioner{Name: name, Role: role}
	}
	for _, it := range items {
		if it.Source != calendar.SourceAppointment {
			continue
		}
		role := lineRoles[string(it.ServiceLine)]
		r.Sessions = append(r.Sessions, record.Session{ID: it.ID.String(), Start: it.StartsAt, End: it.EndsAt,
			Mode: string(it.Mode), ServiceLine: role, Status: string(it.Status), Practitioner: who(it.PractitionerID, role)})
	}
	for _, n := range notes {
		r.Notes = append(r.Notes, recordNote(n, who))
	}
	for _, ins := range measure.Instruments {
		hist, err := measure.History(ctx, d, k, patientID, ins.Kind)
		if err != nil {
			return record.Record{}, wrap("Gather", err)
		}
		for _, m := range hist {
			s := record.Score{ID: m.ID.String(), Kind: string(m.Kind), Total: m.Total, Band: m.Band, At: m.RecordedAt}
			if m.AppointmentID != uuid.Nil {
				s.SessionID = m.AppointmentID.String()
			}
			r.Scores = append(r.Scores, s)
		}
	}
	for _, x := range handovers {
		ho := record.Handover{ID: x.ID.String(), SessionID: x.AppointmentID.String(), To: who(x.ToGP, "GP"),
			From: who(x.AuthorID, ""), Text: x.Text, SentAt: x.SentAt}
		if x.ReadAt != nil {
			ho.ReadAt = *x.ReadAt
		}
		r.Handovers = append(r.Handovers, ho)
	}
	for _, c := range corrections {
		if c.Decision != StatementAttached {
			continue
		}
		rc := record.Correction{ID: c.ID.String(), Statement: c.Statement, At: c.RequestedAt}
		for _, x := range c.DisclosedTo {
			rc.DisclosedTo = append(rc.DisclosedTo, x.String())
		}
		r.Corrections = append(r.Corrections, rc)
	}
	return r, nil
}

// recordNote lays a note out as its template shows it: filled fields in
// order, then the free text, then its addenda.
func recordNote(n note.Note, who func(uuid.UUID, string) record.Practitioner) record.Note {
	out := record.Note{ID: n.ID.String(), Author: who(n.AuthorID, lineRoles[string(n.Kind)]), Kind: string(n.Kind),
		EnteredInError: n.Status == note.StatusEnteredInError}
	if n.AppointmentID != uuid.Nil {
		out.SessionID = n.AppointmentID.String()
	}
	if n.SignedAt != nil {
		out.SignedAt = *n.SignedAt
	}
	t, _ := note.TemplateOf(n.Kind)
	for _, f := range t.Fields {
		if val := n.Body.Fields[f.Key]; val != "" {
			out.Fields = append(out.Fields, record.Field{Label: f.Label, Value: val})
		}
	}
	if n.Body.FreeText != "" {
		out.Fields = append(out.Fields, record.Field{Label: "Notes", Value: n.Body.FreeText})
	}
	for _, a := range n.Addenda {
		out.Addenda = append(out.Addenda, record.Addendum{Author: who(a.AuthorID, ""), At: a.CreatedAt,
			Reason: a.Reason, Text: a.Text})
	}
	return out
}
