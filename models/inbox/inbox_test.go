package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/correction"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/inbox"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/note"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var ring = func() *keys.Keyring {
	l, err := keys.NewLocal(bytes.Repeat([]byte{9}, keys.KeyLen))
	if err != nil {
		panic(err)
	}
	return keys.NewKeyring(l)
}()

type practice struct {
	env               *dbtest.Env
	ctx               context.Context
	tenant            uuid.UUID
	hip, gp, gp2, adm note.Viewer
	nurse, coach      note.Viewer
	patient, appt     uuid.UUID
}

func newPractice(t *testing.T) practice {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	p := practice{env: env, ctx: ctx, tenant: tn.ID}
	p.hip, p.gp, p.gp2 = p.member(t, "hip"), p.member(t, "gp"), p.member(t, "gp")
	p.adm, p.nurse, p.coach = p.member(t, "practice_admin"), p.member(t, "nurse"), p.member(t, "health_coach")
	p.patient, p.appt = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	p.exec(t, `INSERT INTO patients (tenant_id, id, family_name, given_names, name_search, date_of_birth)
		VALUES (?, ?, 'Ngata', 'Aroha', 'ngata aroha', DATE '1990-05-01')`, tn.ID, p.patient)
	at := time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)
	p.exec(t, `INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
		starts_at, ends_at, status, created_by, introduced_by, introduced_at)
		VALUES (?, ?, ?, ?, 'same_day', 'in_person', 'hip', ?, ?, 'booked', ?, ?, ?)`,
		tn.ID, p.appt, p.hip.UserID, p.patient, at, at.Add(30*time.Minute), p.gp.UserID, p.gp.UserID, at)
	return p
}

func (p practice) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
		t.Fatal(err)
	}
}

func (p practice) member(t *testing.T, role string) note.Viewer {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	if err := p.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`,
			id, "u-"+id.String()[24:]+"@example.co.nz").Error
	}); err != nil {
		t.Fatal(err)
	}
	p.exec(t, `INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`, p.tenant, id, role)
	return note.Viewer{UserID: id, TenantID: p.tenant, Roles: []string{role}}
}

func (p practice) send(t *testing.T, n inbox.New) (inbox.Handover, error) {
	t.Helper()
	var h inbox.Handover
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		var err error
		h, err = inbox.Send(p.ctx, tx, ring, p.hip.UserID, n)
		return err
	})
	return h, err
}

const text = "Aroha came in low; we started a values card sort.\nPlease review her sleep medication."

func TestSendOpenReadReceipt(t *testing.T) {
	p := newPractice(t)
	var def uuid.UUID
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		var err error
		def, err = inbox.DefaultGP(p.ctx, tx, p.appt)
		return err
	}); err != nil || def != p.gp.UserID {
		t.Fatalf("DefaultGP = %v, %v; want the introducing GP", def, err)
	}
	h, err := p.send(t, inbox.New{PatientID: p.patient, AppointmentID: p.appt, ToGP: def, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	// The table holds ciphertext only.
	var stored []byte
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT body FROM gp_handovers WHERE tenant_id = ? AND id = ?`, p.tenant, h.ID).Row().Scan(&stored)
	}); err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 || bytes.Contains(stored, []byte("values card")) || bytes.Contains(stored, []byte("Aroha")) {
		t.Fatalf("the stored handover is not ciphertext: %q", stored)
	}

	in, err := inbox.Inbox(p.ctx, p.env.DB, ring, p.gp)
	if err != nil || len(in) != 1 || in[0].Read() || in[0].FirstLine != "Aroha came in low; we started a values card sort." {
		t.Fatalf("inbox = %+v, %v", in, err)
	}
	if other, _ := inbox.Inbox(p.ctx, p.env.DB, ring, p.gp2); len(other) != 0 {
		t.Fatalf("another GP's inbox holds it: %+v", other)
	}
	// The author and a nurse read it without setting the receipt.
	for _, v := range []note.Viewer{p.hip, p.nurse, p.coach} {
		got, err := inbox.Open(p.ctx, p.env.DB, ring, v, h.ID)
		if err != nil || got.Text != text || got.Read() {
			t.Fatalf("%v opens: %+v, %v", v.Roles, got, err)
		}
	}
	// A practice admin may not.
	if _, err := inbox.Open(p.ctx, p.env.DB, ring, p.adm, h.ID); !errors.Is(err, fault.Forbidden) {
		t.Fatalf("admin opens: %v", err)
	}
	got, err := inbox.Open(p.ctx, p.env.DB, ring, p.gp, h.ID)
	if err != nil || !got.Read() {
		t.Fatalf("the GP opens: %+v, %v", got, err)
	}
	first := *got.ReadAt
	again, _ := inbox.Open(p.ctx, p.env.DB, ring, p.gp, h.ID)
	if again.ReadAt == nil || !again.ReadAt.Equal(first) {
		t.Fatalf("the receipt moved: %v then %v", first, again.ReadAt)
	}
	sent, err := inbox.Sent(p.ctx, p.env.DB, ring, p.hip)
	if err != nil || len(sent) != 1 || !sent[0].Read() {
		t.Fatalf("sent = %+v, %v", sent, err)
	}
	// Every read is on the person's access report.
	events, err := note.AccessReport(p.ctx, p.env.DB, p.patient)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	all := strings.Join(actions, " ")
	for _, want := range []string{inbox.ActionSend, inbox.ActionRead, inbox.ActionList} {
		if !strings.Contains(all, want) {
			t.Errorf("access report lacks %s: %s", want, all)
		}
	}
}

func TestSendRefusesBadInput(t *testing.T) {
	p := newPractice(t)
	cases := map[string]inbox.New{
		"empty text": {PatientID: p.patient, AppointmentID: p.appt, ToGP: p.gp.UserID, Text: "  "},
		"long text":  {PatientID: p.patient, AppointmentID: p.appt, ToGP: p.gp.UserID, Text: strings.Repeat("ā", 5001)},
		"not a GP":   {PatientID: p.patient, AppointmentID: p.appt, ToGP: p.adm.UserID, Text: "hi"},
		"no GP":      {PatientID: p.patient, AppointmentID: p.appt, Text: "hi"},
		"other appt": {PatientID: p.patient, AppointmentID: uuid.Must(uuid.NewV7()), ToGP: p.gp.UserID, Text: "hi"},
		"other note": {PatientID: p.patient, AppointmentID: p.appt, NoteID: uuid.Must(uuid.NewV7()), ToGP: p.gp.UserID, Text: "hi"},
	}
	for name, n := range cases {
		if _, err := p.send(t, n); !errors.Is(err, fault.Invalid) {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
	if in, _ := inbox.Inbox(p.ctx, p.env.DB, ring, p.gp); len(in) != 0 {
		t.Fatalf("a refused handover landed: %+v", in)
	}
}

func TestOtherPracticeCannotSeeIt(t *testing.T) {
	p := newPractice(t)
	h, err := p.send(t, inbox.New{PatientID: p.patient, AppointmentID: p.appt, ToGP: p.gp.UserID, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	ctx2, t2 := p.env.Tenant(t)
	v := note.Viewer{UserID: p.gp.UserID, TenantID: t2.ID, Roles: []string{"gp"}}
	if _, err := inbox.Open(ctx2, p.env.DB, ring, v, h.ID); !errors.Is(err, fault.NotFound) {
		t.Fatalf("another practice opens it: %v", err)
	}
	if in, err := inbox.Inbox(ctx2, p.env.DB, ring, v); err != nil || len(in) != 0 {
		t.Fatalf("another practice's inbox: %+v, %v", in, err)
	}
}

func TestCorrectionStatementAndDisclosures(t *testing.T) {
	p := newPractice(t)
	if err := correction.RecordExport(p.ctx, p.env.DB, p.gp, p.patient, "fhir"); err != nil {
		t.Fatal(err)
	}
	if _, err := correction.Request(p.ctx, p.env.DB, ring, p.gp, p.patient, " "); !errors.Is(err, fault.Invalid) {
		t.Fatalf("empty statement: %v", err)
	}
	c, err := correction.Request(p.ctx, p.env.DB, ring, p.gp, p.patient, "I was never told I had diabetes.")
	if err != nil {
		t.Fatal(err)
	}
	if err := correction.Decide(p.ctx, p.env.DB, p.gp, p.patient, c.ID, "maybe"); !errors.Is(err, fault.Invalid) {
		t.Fatalf("bad decision: %v", err)
	}
	if err := correction.Decide(p.ctx, p.env.DB, p.gp, p.patient, c.ID, correction.StatementAttached); err != nil {
		t.Fatal(err)
	}
	if err := correction.Decide(p.ctx, p.env.DB, p.gp, p.patient, c.ID, correction.Corrected); !errors.Is(err, fault.Conflict) {
		t.Fatalf("second decision: %v", err)
	}
	list, err := correction.List(p.ctx, p.env.DB, ring, p.gp, p.patient)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	got := list[0]
	if got.Statement != "I was never told I had diabetes." || got.Decision != correction.StatementAttached ||
		len(got.DisclosedTo) != 1 || got.DisclosedTo[0].Format != "fhir" {
		t.Fatalf("correction = %+v", got)
	}
	var stored []byte
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT statement FROM record_corrections WHERE tenant_id = ? AND id = ?`, p.tenant, c.ID).Row().Scan(&stored)
	}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte("diabetes")) {
		t.Fatal("the statement is stored in clear")
	}
}
