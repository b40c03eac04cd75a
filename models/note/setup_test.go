package note_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/note"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// practice is one fresh tenant with its staff, a patient and one
// appointment per workforce.
type practice struct {
	env                           *dbtest.Env
	ctx                           context.Context
	tenant                        uuid.UUID
	hip, hip2, coach, gp, sw, adm note.Viewer
	patient                       uuid.UUID
}

func masterKey(b byte) *keys.Keyring {
	l, err := keys.NewLocal(bytes.Repeat([]byte{b}, keys.KeyLen))
	if err != nil {
		panic(err)
	}
	return keys.NewKeyring(l)
}

var ring = masterKey(7)

func newPractice(tb testing.TB) practice {
	tb.Helper()
	env := dbtest.New(tb)
	ctx, t := env.Tenant(tb)
	p := practice{env: env, ctx: ctx, tenant: t.ID}
	p.hip, p.hip2, p.coach = p.member(tb, "hip"), p.member(tb, "hip"), p.member(tb, "health_coach")
	p.gp, p.sw, p.adm = p.member(tb, "gp"), p.member(tb, "support_worker"), p.member(tb, "practice_admin")
	p.patient = uuid.Must(uuid.NewV7())
	p.exec(tb, `INSERT INTO patients (tenant_id, id, family_name, given_names, preferred_name, name_search, date_of_birth)
		VALUES (?, ?, 'Ngata', 'Aroha', 'Ro', 'ngata aroha', DATE '1990-05-01')`, t.ID, p.patient)
	return p
}

func (p practice) exec(tb testing.TB, q string, args ...any) {
	tb.Helper()
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
		tb.Fatal(err)
	}
}

func (p practice) member(tb testing.TB, role string) note.Viewer {
	tb.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`,
			id, "u-"+id.String()[24:]+"@example.co.nz").Error
	})
	if err != nil {
		tb.Fatal(err)
	}
	p.exec(tb, `INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`, p.tenant, id, role)
	return note.Viewer{UserID: id, TenantID: p.tenant, Roles: []string{role}}
}

var slot = time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)

// appointment books a session for the patient with the practitioner.
func (p practice) appointment(tb testing.TB, with note.Viewer) uuid.UUID {
	tb.Helper()
	id := uuid.Must(uuid.NewV7())
	slot = slot.Add(time.Hour)
	p.exec(tb, `INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
		starts_at, ends_at, status, created_by) VALUES (?, ?, ?, ?, 'booked', 'in_person', ?, ?, ?, 'booked', ?)`,
		p.tenant, id, with.UserID, p.patient, with.Roles[0], slot, slot.Add(30*time.Minute), with.UserID)
	return id
}

var hipBody = note.Body{Fields: map[string]string{
	"what_matters": "Getting back to waka ama with my cousins", "presenting_concern": "Low mood since the winter",
	"plan": "Values card sort; walk twice a week", "risk_screen": "screened: no current risk",
	"follow_up": "follow-up booked"}, FreeText: "Whānau supportive."}

var coachBody = note.Body{Fields: map[string]string{"goals": "Walk to the marae daily",
	"behaviour_change_plan": "Start with ten minutes after lunch"}}

var swBody = note.Body{Fields: map[string]string{"needs_domains": "Housing", "actions": "Called Kāinga Ora with them"}}

// signed writes and signs a note by author.
func (p practice) signed(tb testing.TB, author note.Viewer, b note.Body, restricted bool) note.Meta {
	tb.Helper()
	m, err := note.SaveDraft(p.ctx, p.env.DB, ring, author, note.Draft{PatientID: p.patient,
		AppointmentID: p.appointment(tb, author), Restricted: restricted, Body: b})
	if err != nil {
		tb.Fatal(err)
	}
	if m, err = note.Sign(p.ctx, p.env.DB, ring, author, m.ID, m.Version); err != nil {
		tb.Fatal(err)
	}
	return m
}

func wantKind(tb testing.TB, err error, kind *fault.Error) {
	tb.Helper()
	if !errors.Is(err, kind) {
		tb.Fatalf("got %v, want %s", err, kind.Message)
	}
}
