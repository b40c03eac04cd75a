package inbox

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/note"
)

// row is a handover as stored, with its sealed text and the person's name.
type row struct {
	ID            uuid.UUID     `gorm:"column:id"`
	PatientID     uuid.UUID     `gorm:"column:patient_id"`
	AppointmentID uuid.UUID     `gorm:"column:appointment_id"`
	NoteID        uuid.NullUUID `gorm:"column:note_id"`
	AuthorID      uuid.UUID     `gorm:"column:author_id"`
	ToGP          uuid.UUID     `gorm:"column:to_gp"`
	Body          []byte        `gorm:"column:body"`
	SentAt        time.Time     `gorm:"column:sent_at"`
	ReadAt        *time.Time    `gorm:"column:read_at"`
	Given         string        `gorm:"column:given_names"`
	Preferred     *string       `gorm:"column:preferred_name"`
	Family        string        `gorm:"column:family_name"`
}

const selectRows = `SELECT h.id, h.patient_id, h.appointment_id, h.note_id, h.author_id, h.to_gp, h.body, h.sent_at,
	h.read_at, p.given_names, p.preferred_name, p.family_name
	FROM gp_handovers h JOIN patients p ON p.tenant_id = h.tenant_id AND p.id = h.patient_id
	WHERE h.tenant_id = ? `

func (r row) handover() Handover {
	h := Handover{ID: r.ID, PatientID: r.PatientID, AppointmentID: r.AppointmentID, NoteID: r.NoteID.UUID,
		AuthorID: r.AuthorID, ToGP: r.ToGP, SentAt: r.SentAt, ReadAt: r.ReadAt, PatientGiven: r.Given,
		PatientFamily: r.Family}
	if r.Preferred != nil {
		h.PatientPreferred = *r.Preferred
	}
	return h
}

// open decrypts the text into h. A wrong master key fails closed with
// keys.ErrMasterKey, never an empty handover.
func open(ctx context.Context, tx *db.Tx, k *keys.Keyring, r row, h *Handover) error {
	p, err := k.Open(ctx, tx, bodyAAD(r.ID), r.Body)
	if err != nil {
		return err
	}
	h.Text = string(p)
	h.FirstLine = firstLine(h.Text)
	return nil
}

// list reads rows and opens those v may read (all of them, for the lists
// that call it), auditing one event per person whose handover was read.
func list(ctx context.Context, tx *db.Tx, k *keys.Keyring, v note.Viewer, action, reason string, rows []row) ([]Handover, error) {
	out := make([]Handover, 0, len(rows))
	seen := map[uuid.UUID]bool{}
	for _, r := range rows {
		h := r.handover()
		if ok, _ := CanRead(v, tx.Tenant.ID, h); !ok {
			continue
		}
		if err := open(ctx, tx, k, r, &h); err != nil {
			return nil, err
		}
		out = append(out, h)
		if seen[h.PatientID] {
			continue
		}
		seen[h.PatientID] = true
		if err := audit.Record(tx, audit.Event{Action: action, ActorUserID: v.UserID, ActorRoles: v.Roles,
			PatientID: h.PatientID, Object: "handover", Reason: reason}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Inbox lists the handovers addressed to the GP v, unread first, then
// newest first, with their first lines.
func Inbox(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer) ([]Handover, error) {
	var out []Handover
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		v.TenantID = tx.Tenant.ID
		var rows []row
		if err := tx.Raw(selectRows+`AND h.to_gp = ? ORDER BY h.read_at IS NULL DESC, h.sent_at DESC, h.id DESC LIMIT 500`,
			tx.Tenant.ID, v.UserID).Scan(&rows).Error; err != nil {
			return err
		}
		var err error
		out, err = list(ctx, tx, k, v, ActionList, "handover inbox", rows)
		return err
	})
	return out, wrap("Inbox", err)
}

// Sent lists the handovers v wrote, newest first, with their read receipts.
func Sent(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer) ([]Handover, error) {
	var out []Handover
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		v.TenantID = tx.Tenant.ID
		var rows []row
		if err := tx.Raw(selectRows+`AND h.author_id = ? ORDER BY h.sent_at DESC, h.id DESC LIMIT 500`,
			tx.Tenant.ID, v.UserID).Scan(&rows).Error; err != nil {
			return err
		}
		var err error
		out, err = list(ctx, tx, k, v, ActionList, "handovers sent", rows)
		return err
	})
	return out, wrap("Sent", err)
}

// ForPatient lists the person's handovers v may read, oldest first, for
// their record and its exports.
func ForPatient(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, patientID uuid.UUID) ([]Handover, error) {
	var out []Handover
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		v.TenantID = tx.Tenant.ID
		var rows []row
		if err := tx.Raw(selectRows+`AND h.patient_id = ? ORDER BY h.sent_at, h.id`, tx.Tenant.ID, patientID).
			Scan(&rows).Error; err != nil {
			return err
		}
		var err error
		out, err = list(ctx, tx, k, v, ActionList, "the person's record", rows)
		return err
	})
	return out, wrap("ForPatient", err)
}

// Open reads one handover for v and audits it; when v is the addressed GP
// and it is unread, it sets the read receipt. One v may not read is
// Forbidden (audited as refused); another practice's is not found.
func Open(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, id uuid.UUID) (Handover, error) {
	h, err := one(ctx, d, k, v, id, ActionRead, "handover opened", true)
	return h, wrap("Open", err)
}

// Get reads one handover for v to print as a letter, audited as a print; it
// leaves the read receipt alone.
func Get(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, id uuid.UUID) (Handover, error) {
	h, err := one(ctx, d, k, v, id, ActionPrint, "handover letter", false)
	return h, wrap("Get", err)
}

func one(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, id uuid.UUID, action, reason string, receipt bool) (Handover, error) {
	var h Handover
	var refused error
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		v.TenantID = tx.Tenant.ID
		var rows []row
		if err := tx.Raw(selectRows+`AND h.id = ?`, tx.Tenant.ID, id).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return fault.New(fault.KindNotFound, "handover not found", nil)
		}
		h = rows[0].handover()
		e := audit.Event{Action: action, ActorUserID: v.UserID, ActorRoles: v.Roles, PatientID: h.PatientID,
			Object: "handover", ObjectID: h.ID.String(), Reason: reason}
		ok, why := CanRead(v, tx.Tenant.ID, h)
		if !ok {
			refused = fault.New(fault.KindForbidden, "you may not read this handover", nil)
			e.Outcome, e.Reason = audit.OutcomeDenied, why
			return audit.Record(tx, e)
		}
		if err := open(ctx, tx, k, rows[0], &h); err != nil {
			return err
		}
		if receipt && v.UserID == h.ToGP && h.ReadAt == nil {
			var at time.Time
			if err := tx.Raw(`UPDATE gp_handovers SET read_at = now() WHERE tenant_id = ? AND id = ? AND read_at IS NULL
				RETURNING read_at`, tx.Tenant.ID, h.ID).Scan(&at).Error; err != nil {
				return err
			}
			h.ReadAt = &at
			e.Detail = map[string]string{"receipt": "read"}
		}
		return audit.Record(tx, e)
	})
	if err != nil {
		return Handover{}, err
	}
	if refused != nil {
		h = Handover{}
		return h, refused
	}
	return h, nil
}
