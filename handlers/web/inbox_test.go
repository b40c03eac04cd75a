package web

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/inbox"
	clinical "github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/record/fhir"
	"github.com/tuhono/tuhono/tenants"
)

// A handover lands in the GP's inbox unread, opening it sets the read
// receipt the author sees, and it prints as a PDF letter.
func TestInboxHandoverReadReceiptAndLetter(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	p, appt := recordPatient(t, s, ctx, gp.ID, hip.ID)
	var h inbox.Handover
	if err := s.env.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		h, err = inbox.Send(ctx, tx, testKeyring(t), hip.ID, inbox.New{PatientID: p.ID, AppointmentID: appt,
			ToGP: gp.ID, Text: "Started a values card sort.\nPlease review her sleep."})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	base := "/t/" + tn.Slug
	doc := s.agent(t)
	doc.signIn(gp)
	want(t, doc.get(base+"/inbox"), 200, "1 unread", "Started a values card sort.", "Aroha Ngata")
	want(t, doc.get(base+"/inbox/"+h.ID.String()), 200, "Please review her sleep.", "Read ")
	want(t, doc.get(base+"/inbox"), 200, "0 unread")
	letter := doc.get(base + "/inbox/" + h.ID.String() + "/letter.pdf")
	want(t, letter, 200)
	if ct := letter.header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(letter.body, "%PDF-") {
		t.Fatalf("letter: %q %.8q", ct, letter.body)
	}
	if cd := letter.header.Get("Content-Disposition"); !strings.Contains(cd, "handover-") || strings.Contains(cd, "Ngata") {
		t.Fatalf("letter file name: %q", cd)
	}
	author := s.agent(t)
	author.signIn(hip)
	want(t, author.get(base+"/inbox"), 200, "Sent by you", "Gina GP")
	if r := author.get(base + "/inbox"); strings.Contains(r.body, "Not yet") {
		t.Error("the author does not see the read receipt")
	}
	// Another practice's GP finds nothing.
	tn2 := s.tenant(t)
	other := s.person(t, "Other GP", &tn2, "gp")
	stranger := s.agent(t)
	stranger.signIn(other)
	if r := stranger.get(base + "/inbox/" + h.ID.String()); r.status != 404 {
		t.Fatalf("another practice's GP: %d", r.status)
	}
}

// The exports hold the note the viewer may read, never a restricted one they
// cannot; each export lands on the access report and in the correction's
// disclosure list.
func TestRecordExportsAccessReportAndCorrections(t *testing.T) {
	s := newStack(t, testBase)
	tn, gp := clinicalPractice(t, s)
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	ctx := tenants.WithTenant(context.Background(), tn)
	p, appt := recordPatient(t, s, ctx, gp.ID, hip.ID)
	hipV := clinical.Viewer{UserID: hip.ID, TenantID: tn.ID, Roles: []string{"hip"}}
	body := clinical.Body{Fields: map[string]string{"what_matters": "Waka ama with cousins",
		"presenting_concern": "Low mood", "plan": "Walk twice a week", "risk_screen": "screened: no current risk",
		"follow_up": "follow-up booked"}}
	signNote(t, s, ctx, hipV, p.ID, appt, body, false)
	body.Fields["what_matters"] = "A private disclosure"
	signNote(t, s, ctx, hipV, p.ID, bookAppt(t, s, ctx, hip.ID, p.ID, 2), body, true)

	base := "/t/" + tn.Slug + "/patients/" + p.ID.String()
	doc := s.agent(t)
	doc.signIn(gp)
	r := doc.get(base + "/record.fhir.json")
	want(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/fhir+json" {
		t.Fatalf("content type %q", ct)
	}
	bundle, err := fhir.ParseBundle([]byte(r.body))
	if err != nil {
		t.Fatal(err)
	}
	compositions := 0
	for _, e := range bundle.Entries {
		if strings.Contains(fmt.Sprintf("%T", e.Resource), "Composition") {
			compositions++
		}
	}
	if compositions != 1 || !strings.Contains(r.body, "Waka ama") {
		t.Errorf("the bundle has %d notes, want the one the GP may read", compositions)
	}
	if strings.Contains(r.body, "private disclosure") {
		t.Error("the bundle holds a restricted note the GP may not read")
	}
	pdf := doc.get(base + "/record.pdf")
	if pdf.status != 200 || !strings.HasPrefix(pdf.body, "%PDF-") || pdf.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("record.pdf: %d %q", pdf.status, pdf.header.Get("Content-Type"))
	}
	want(t, doc.get(base+"/access"), 200, "Exported the record", "Hemi HIP", "Signed a note")

	// A correction: request, attach the statement, see where it went.
	want(t, doc.post(base+"/corrections", url.Values{"statement": {""}}), 422)
	r = doc.follow(doc.post(base+"/corrections", url.Values{"statement": {"I never said I drink."}}))
	want(t, r, 200, "I never said I drink.", "Record the decision", "the practice management system (FHIR)")
	cid := between(r.body, `name="correction_id" value="`, `"`)
	r = doc.follow(doc.post(base+"/corrections", url.Values{"correction_id": {cid}, "decision": {"statement_attached"}}))
	want(t, r, 200, "the person&#39;s statement is attached")
	r = doc.get(base + "/record.fhir.json")
	if !strings.Contains(r.body, base64.StdEncoding.EncodeToString([]byte("I never said I drink."))) {
		t.Error("the export lacks the attached statement")
	}
	// The patient page links to what the person may ask for.
	want(t, doc.get(base), 200, base+"/record.pdf", base+"/record.fhir.json", base+"/access", base+"/corrections")
	// A practice admin reads the access report but may not export.
	adm := s.person(t, "Pita Admin", &tn, "practice_admin")
	a := s.agent(t)
	a.signIn(adm)
	want(t, a.get(base+"/access"), 200, "Exported the record")
	if page := a.get(base); strings.Contains(page.body, "/record.pdf") || !strings.Contains(page.body, base+"/access") {
		t.Error("the admin's patient page offers an export, or not the access report")
	}
	if r := a.get(base + "/record.pdf"); r.status != 403 {
		t.Fatalf("admin exports: %d", r.status)
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

func recordPatient(t *testing.T, s *stack, ctx context.Context, gp, hip uuid.UUID) (patient.Patient, uuid.UUID) {
	t.Helper()
	p, _, err := patient.Create(ctx, s.env.DB, gp, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Aroha",
		DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return p, bookAppt(t, s, ctx, hip, p.ID, 1)
}

func bookAppt(t *testing.T, s *stack, ctx context.Context, hip, patientID uuid.UUID, n int) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	at := time.Date(2027, 3, 1, n, 0, 0, 0, time.UTC)
	if err := s.env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
			starts_at, ends_at, status, created_by) VALUES (?, ?, ?, ?, 'booked', ?, 'hip', ?, ?, 'completed', ?)`,
			tx.Tenant.ID, id, hip, patientID, string(booking.ModeInPerson), at, at.Add(30*time.Minute), hip).Error
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func signNote(t *testing.T, s *stack, ctx context.Context, v clinical.Viewer, patientID, appt uuid.UUID,
	b clinical.Body, restricted bool) clinical.Meta {
	t.Helper()
	k := testKeyring(t)
	m, err := clinical.SaveDraft(ctx, s.env.DB, k, v, clinical.Draft{PatientID: patientID, AppointmentID: appt,
		Restricted: restricted, Body: b})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = clinical.Sign(ctx, s.env.DB, k, v, m.ID, m.Version); err != nil {
		t.Fatal(err)
	}
	return m
}
