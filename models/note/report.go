package note

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/keys"
)

// Entry is one note on a person's timeline: its metadata, and the first
// line of its text when the viewer may read the body.
type Entry struct {
	Meta
	Access    Access
	FirstLine string
}

// Timeline lists a person's notes, newest first, as v may see them: notes v
// may not see at all are left out. Decrypting first lines is a read of the
// bodies and is audited as one event.
func Timeline(ctx context.Context, d *db.DB, k *keys.Keyring, v Viewer, patientID uuid.UUID) ([]Entry, error) {
	var out []Entry
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var rows []row
		if err := tx.Raw(`SELECT `+metaColumns+`, body FROM notes WHERE tenant_id = ? AND patient_id = ?
			ORDER BY created_at DESC, id DESC`, tx.Tenant.ID, patientID).Scan(&rows).Error; err != nil {
			return err
		}
		v.TenantID = tx.Tenant.ID
		read := 0
		for _, r := range rows {
			e := Entry{Meta: r.meta()}
			e.Access, _ = CanRead(v, e.Meta)
			if e.Access == AccessNone {
				continue
			}
			if e.Access == AccessBody {
				b, err := openBody(ctx, tx, k, r)
				if err != nil {
					return err
				}
				t, _ := TemplateOf(e.Kind)
				e.FirstLine = b.FirstLine(t)
				read++
			}
			out = append(out, e)
		}
		if read == 0 {
			return nil
		}
		return audit.Record(tx, audit.Event{Action: ActionList, ActorUserID: v.UserID, ActorRoles: v.Roles,
			PatientID: patientID, Object: "note", Reason: "timeline"})
	})
	return out, wrap("Timeline", err)
}

// AccessEvent is one line of a person's "who accessed my record" report.
type AccessEvent struct {
	At          time.Time
	ActorUserID uuid.UUID
	ActorRoles  []string
	Action      string
	Object      string
	ObjectID    string
	Outcome     string
	Reason      string
}

// AccessReport lists every audited event concerning the person, newest
// first: who, in what role, when, what and why (HIPC rule 6 gives a person
// the right to know who has accessed their health information).
func AccessReport(ctx context.Context, d *db.DB, patientID uuid.UUID) ([]AccessEvent, error) {
	var rows []struct {
		At          time.Time     `gorm:"column:at"`
		ActorUserID uuid.NullUUID `gorm:"column:actor_user_id"`
		Roles       string        `gorm:"column:roles"`
		Action      string        `gorm:"column:action"`
		Object      *string       `gorm:"column:object"`
		ObjectID    *string       `gorm:"column:object_id"`
		Outcome     string        `gorm:"column:outcome"`
		Reason      *string       `gorm:"column:reason"`
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT at, actor_user_id, array_to_string(actor_roles, ',') AS roles, action, object, object_id,
			outcome, reason FROM audit_events WHERE tenant_id = ? AND patient_id = ? ORDER BY at DESC, id DESC`,
			tx.Tenant.ID, patientID).Scan(&rows).Error
	})
	if err != nil {
		return nil, wrap("AccessReport", err)
	}
	out := make([]AccessEvent, len(rows))
	for i, r := range rows {
		e := AccessEvent{At: r.At, ActorUserID: r.ActorUserID.UUID, Action: r.Action, Outcome: r.Outcome}
		if r.Roles != "" {
			e.ActorRoles = strings.Split(r.Roles, ",")
		}
		e.Object, e.ObjectID, e.Reason = deref(r.Object), deref(r.ObjectID), deref(r.Reason)
		out[i] = e
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
