package note

import (
	"context"
	"time"

	"github.com/tuhono/tuhono/models/text"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
)

// Addendum is a change made after signing: it never alters the note, it is
// read beside it.
type Addendum struct {
	ID        uuid.UUID
	NoteID    uuid.UUID
	AuthorID  uuid.UUID
	Reason    string
	Text      string
	CreatedAt time.Time
}

// Sign locks a draft: only its author signs, the version must be the one
// they saw, and the template's required fields must be filled. Where the
// tenant requires it, a Health Coach note then waits for a HIP's co-sign.
func Sign(ctx context.Context, d *db.DB, k *keys.Keyring, v Viewer, id uuid.UUID, version int) (Meta, error) {
	var m Meta
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		r, err := load(tx, id, true)
		if err != nil {
			return err
		}
		m = r.meta()
		switch {
		case m.AuthorID != v.UserID:
			return fault.New(fault.KindForbidden, "only the author signs a note", nil)
		case m.Status != StatusDraft:
			return fault.New(fault.KindConflict, "the note is already signed", nil)
		case m.Version != version:
			return fault.New(fault.KindConflict, "the note changed since you opened it: reload before signing", nil)
		}
		b, err := openBody(ctx, tx, k, r)
		if err != nil {
			return err
		}
		t, _ := TemplateOf(m.Kind)
		if err := b.complete(t); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE notes SET status = 'signed', signed_at = now(), signed_by = ?, updated_at = now(),
			cosign_required = (kind = 'health_coach' AND COALESCE((SELECT coach_cosign_required FROM tenant_settings
				WHERE tenant_id = notes.tenant_id), false))
			WHERE tenant_id = ? AND id = ?`, v.UserID, tx.Tenant.ID, id).Error; err != nil {
			return err
		}
		if r, err = load(tx, id, false); err != nil {
			return err
		}
		m = r.meta()
		return record(tx, v, ActionSign, m, audit.OutcomeOK, "")
	})
	return m, wrap("Sign", err)
}

// EnterInError retracts a signed note: it stays, marked, for the record and
// for auditors. Only its author does it, with a reason.
func EnterInError(ctx context.Context, d *db.DB, v Viewer, id uuid.UUID, reason string) (Meta, error) {
	reason, msg := text.Clean(reason, 500)
	if msg == "" && reason == "" {
		msg = "say why the note is entered in error"
	}
	if msg != "" {
		return Meta{}, wrap("EnterInError", fault.InvalidField("reason", msg))
	}
	var m Meta
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		r, err := load(tx, id, true)
		if err != nil {
			return err
		}
		m = r.meta()
		switch {
		case m.AuthorID != v.UserID:
			return fault.New(fault.KindForbidden, "only the author marks a note entered in error", nil)
		case m.Status != StatusSigned:
			return fault.New(fault.KindConflict, "only a signed note can be entered in error (a draft is simply edited)", nil)
		}
		if err := tx.Exec(`UPDATE notes SET status = 'entered_in_error', error_at = now(), error_by = ?, error_reason = ?,
			updated_at = now() WHERE tenant_id = ? AND id = ?`, v.UserID, reason, tx.Tenant.ID, id).Error; err != nil {
			return err
		}
		if r, err = load(tx, id, false); err != nil {
			return err
		}
		m = r.meta()
		return record(tx, v, ActionEnteredError, m, audit.OutcomeOK, reason)
	})
	return m, wrap("EnterInError", err)
}

// writers may add addenda (policy.csv: note amend).
var writers = []string{"hip", "health_coach", "support_worker"}

// AddAddendum adds text to a signed note, with a reason. The writer must be
// able to read the note's body and hold a role that writes notes.
func AddAddendum(ctx context.Context, d *db.DB, k *keys.Keyring, v Viewer, noteID uuid.UUID, reason, body string) (Addendum, error) {
	var f fault.Fields
	reason, msg := text.Clean(reason, 500)
	if msg == "" && reason == "" {
		msg = "say why the addendum is added"
	}
	if msg != "" {
		f.Add("reason", msg)
	}
	body, msg = text.Clean(body, MaxFreeTextRunes)
	if msg == "" && body == "" {
		msg = "write the addendum"
	}
	if msg != "" {
		f.Add("text", msg)
	}
	if err := f.Err(); err != nil {
		return Addendum{}, wrap("AddAddendum", err)
	}
	var a Addendum
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		r, err := load(tx, noteID, true)
		if err != nil {
			return err
		}
		m := r.meta()
		v.TenantID = tx.Tenant.ID
		if acc, _ := CanRead(v, m); acc != AccessBody || !anyRole(v.Roles, writers) {
			return fault.New(fault.KindForbidden, "you may not add to this note", nil)
		}
		if m.Status != StatusSigned {
			return fault.New(fault.KindConflict, "addenda are for signed notes: edit the draft instead", nil)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		sealed, err := k.Seal(ctx, tx, keys.AAD("note_addenda", id, "body"), []byte(body))
		if err != nil {
			return err
		}
		var at time.Time
		if err := tx.Raw(`INSERT INTO note_addenda (tenant_id, id, note_id, author_id, reason, body)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING created_at`, tx.Tenant.ID, id, noteID, v.UserID, reason, sealed).Scan(&at).Error; err != nil {
			return err
		}
		a = Addendum{ID: id, NoteID: noteID, AuthorID: v.UserID, Reason: reason, Text: body, CreatedAt: at}
		return record(tx, v, ActionAddendum, m, audit.OutcomeOK, reason)
	})
	return a, wrap("AddAddendum", err)
}

// addenda reads and opens a note's addenda, oldest first.
func addenda(ctx context.Context, tx *db.Tx, k *keys.Keyring, noteID uuid.UUID) ([]Addendum, error) {
	var rows []struct {
		ID        uuid.UUID `gorm:"column:id"`
		AuthorID  uuid.UUID `gorm:"column:author_id"`
		Reason    string    `gorm:"column:reason"`
		Body      []byte    `gorm:"column:body"`
		CreatedAt time.Time `gorm:"column:created_at"`
	}
	if err := tx.Raw(`SELECT id, author_id, reason, body, created_at FROM note_addenda
		WHERE tenant_id = ? AND note_id = ? ORDER BY created_at, id`, tx.Tenant.ID, noteID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Addendum, 0, len(rows))
	for _, r := range rows {
		p, err := k.Open(ctx, tx, keys.AAD("note_addenda", r.ID, "body"), r.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, Addendum{ID: r.ID, NoteID: noteID, AuthorID: r.AuthorID, Reason: r.Reason, Text: string(p), CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// CoSign is a supervising HIP's co-signature of a Health Coach note that
// waits for one. It is set once; the author cannot co-sign their own note.
func CoSign(ctx context.Context, d *db.DB, v Viewer, id uuid.UUID) (Meta, error) {
	if !hasRole(v.Roles, "hip") {
		return Meta{}, wrap("CoSign", fault.New(fault.KindForbidden, "only a HIP co-signs", nil))
	}
	var m Meta
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		r, err := load(tx, id, true)
		if err != nil {
			return err
		}
		m = r.meta()
		switch {
		case m.AuthorID == v.UserID:
			return fault.New(fault.KindForbidden, "a note is co-signed by someone other than its author", nil)
		case !m.AwaitingCoSign():
			return fault.New(fault.KindConflict, "this note is not waiting for a co-signature", nil)
		}
		if err := tx.Exec(`UPDATE notes SET cosigned_at = now(), cosigned_by = ?, updated_at = now()
			WHERE tenant_id = ? AND id = ?`, v.UserID, tx.Tenant.ID, id).Error; err != nil {
			return err
		}
		if r, err = load(tx, id, false); err != nil {
			return err
		}
		m = r.meta()
		return record(tx, v, ActionCoSign, m, audit.OutcomeOK, "")
	})
	return m, wrap("CoSign", err)
}

// CoSignQueue lists the practice's signed notes waiting for a co-signature,
// oldest first.
func CoSignQueue(ctx context.Context, d *db.DB) ([]Meta, error) {
	var rows []row
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT `+metaColumns+` FROM notes WHERE tenant_id = ? AND cosign_required
			AND cosigned_at IS NULL AND status = 'signed' ORDER BY signed_at, id`, tx.Tenant.ID).Scan(&rows).Error
	})
	if err != nil {
		return nil, wrap("CoSignQueue", err)
	}
	return metas(rows), nil
}

func metas(rows []row) []Meta {
	out := make([]Meta, len(rows))
	for i, r := range rows {
		out[i] = r.meta()
	}
	return out
}
