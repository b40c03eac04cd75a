package inbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/note"
)

// MaxRunes is the longest handover: a GP reads it between patients.
const MaxRunes = 5000

// Audit actions of this package.
const (
	ActionSend  = "handover.send"
	ActionRead  = "handover.read"
	ActionList  = "handover.list"
	ActionPrint = "handover.print"
)

// New is one handover as the note editor sends it. NoteID may be zero when
// the handover is sent before the note is first saved.
type New struct {
	PatientID, AppointmentID, NoteID, ToGP uuid.UUID
	Text                                   string
}

// Handover is a handover as one viewer may see it. Text and FirstLine are
// filled only for a viewer who may read it; patient names are for lists.
type Handover struct {
	ID, PatientID, AppointmentID, NoteID, AuthorID, ToGP uuid.UUID
	Text, FirstLine                                      string
	SentAt                                               time.Time
	// ReadAt is the read receipt: when the addressed GP first opened it.
	ReadAt *time.Time
	// The person's name as the practice knows them, for the inbox.
	PatientGiven, PatientPreferred, PatientFamily string
}

// Read reports whether the addressed GP has opened the handover.
func (h Handover) Read() bool { return h.ReadAt != nil }

// PatientName is the name to show in a list: preferred name first.
func (h Handover) PatientName() string {
	given := h.PatientPreferred
	if given == "" {
		given = h.PatientGiven
	}
	return strings.TrimSpace(given + " " + h.PatientFamily)
}

// clinicalTeam reads the practice's handovers (policy.csv: handover read);
// Support Workers read the handover summary too (note.CanRead's comment).
var readers = []string{"gp", "nurse", "hip", "health_coach", "support_worker"}

// CanRead decides, in this one place, whether v may read h's text, and why.
func CanRead(v note.Viewer, tenantID uuid.UUID, h Handover) (bool, string) {
	switch {
	case v.TenantID != tenantID || v.UserID == uuid.Nil:
		return false, "the handover belongs to another practice"
	case v.UserID == h.ToGP:
		return true, "addressed to them"
	case v.UserID == h.AuthorID:
		return true, "the author reads their own handover"
	}
	for _, r := range readers {
		if slices.Contains(v.Roles, r) {
			return true, "the practice team reads handovers"
		}
	}
	return false, "admin and funder roles do not read handovers"
}

func bodyAAD(id uuid.UUID) string { return keys.AAD("gp_handovers", id, "body") }

func wrap(where string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("inbox.%s: %w", where, err)
}

// Send writes a handover inside the caller's transaction and audits it. It
// refuses, changing nothing, an addressee who is not an active GP or nurse
// here, an appointment that is not the person's, and empty or overlong text.
func Send(ctx context.Context, tx *db.Tx, k *keys.Keyring, actor uuid.UUID, n New) (Handover, error) {
	text := strings.TrimSpace(n.Text)
	var f fault.Fields
	switch c := utf8.RuneCountInString(text); {
	case c == 0:
		f.Add("text", "write the handover for the GP")
	case c > MaxRunes:
		f.Add("text", fmt.Sprintf("keep the handover to %d characters or fewer (it has %d)", MaxRunes, c))
	}
	ok, err := activeGP(tx, n.ToGP)
	if err != nil {
		return Handover{}, wrap("Send", err)
	}
	if !ok {
		f.Add("to_gp", "choose a GP or practice nurse of this practice")
	}
	if err := f.Err(); err != nil {
		return Handover{}, wrap("Send", err)
	}
	if err := checkLinks(tx, n); err != nil {
		return Handover{}, wrap("Send", err)
	}
	h := Handover{ID: uuid.Must(uuid.NewV7()), PatientID: n.PatientID, AppointmentID: n.AppointmentID,
		NoteID: n.NoteID, AuthorID: actor, ToGP: n.ToGP, Text: text, FirstLine: firstLine(text)}
	sealed, err := k.Seal(ctx, tx, bodyAAD(h.ID), []byte(text))
	if err != nil {
		return Handover{}, wrap("Send", err)
	}
	if err := tx.Raw(`INSERT INTO gp_handovers (tenant_id, id, patient_id, appointment_id, note_id, author_id, to_gp, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING sent_at`, tx.Tenant.ID, h.ID, h.PatientID, h.AppointmentID,
		uuid.NullUUID{UUID: n.NoteID, Valid: n.NoteID != uuid.Nil}, actor, h.ToGP, sealed).Scan(&h.SentAt).Error; err != nil {
		return Handover{}, wrap("Send", db.Translate(err))
	}
	roles, _ := memberRoles(tx, actor)
	err = audit.Record(tx, audit.Event{Action: ActionSend, ActorUserID: actor, ActorRoles: roles, PatientID: h.PatientID,
		Object: "handover", ObjectID: h.ID.String(), Detail: map[string]string{"to": h.ToGP.String()}})
	return h, wrap("Send", err)
}

// activeGP: id is an active member here with the gp or nurse role.
func activeGP(tx *db.Tx, id uuid.UUID) (bool, error) {
	if id == uuid.Nil {
		return false, nil
	}
	var ok []bool
	err := tx.Raw(`SELECT true FROM memberships WHERE tenant_id = ? AND user_id = ? AND status = 'active'
		AND roles && ARRAY['gp', 'nurse']::text[]`, tx.Tenant.ID, id).Scan(&ok).Error
	return len(ok) == 1, err
}

func memberRoles(tx *db.Tx, id uuid.UUID) ([]string, error) {
	var s []string
	err := tx.Raw(`SELECT array_to_string(roles, ',') FROM memberships WHERE tenant_id = ? AND user_id = ?`,
		tx.Tenant.ID, id).Scan(&s).Error
	if err != nil || len(s) == 0 {
		return nil, err
	}
	return strings.Split(s[0], ","), nil
}

// checkLinks: the appointment is the person's, and so is the note if named.
func checkLinks(tx *db.Tx, n New) error {
	var found []int
	if err := tx.Raw(`SELECT 1 FROM appointments WHERE tenant_id = ? AND id = ? AND patient_id = ?`,
		tx.Tenant.ID, n.AppointmentID, n.PatientID).Scan(&found).Error; err != nil {
		return err
	}
	if len(found) == 0 {
		return fault.InvalidField("appointment_id", "the handover must belong to one of this person's appointments")
	}
	if n.NoteID == uuid.Nil {
		return nil
	}
	found = nil
	if err := tx.Raw(`SELECT 1 FROM notes WHERE tenant_id = ? AND id = ? AND patient_id = ?`,
		tx.Tenant.ID, n.NoteID, n.PatientID).Scan(&found).Error; err != nil {
		return err
	}
	if len(found) == 0 {
		return fault.InvalidField("note_id", "the handover must belong to a note about this person")
	}
	return nil
}

// DefaultGP is who a handover goes to when the form leaves it blank: the GP
// who introduced the person to this appointment, if that was a GP still
// active here. Zero when there is none (a nurse, a booking without one).
func DefaultGP(ctx context.Context, tx *db.Tx, appointmentID uuid.UUID) (uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.WithContext(ctx).Raw(`SELECT a.introduced_by FROM appointments a
		JOIN memberships m ON m.tenant_id = a.tenant_id AND m.user_id = a.introduced_by
		WHERE a.tenant_id = ? AND a.id = ? AND m.status = 'active' AND 'gp' = ANY (m.roles)`,
		tx.Tenant.ID, appointmentID).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return uuid.Nil, wrap("DefaultGP", err)
	}
	return ids[0], nil
}

func firstLine(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > 120 {
		r := []rune(line)
		line = strings.TrimSpace(string(r[:119])) + "…"
	}
	return line
}
