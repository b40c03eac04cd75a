package note

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
)

// Status is where a note is in its life.
type Status string

const (
	StatusDraft          Status = "draft"
	StatusSigned         Status = "signed"
	StatusEnteredInError Status = "entered_in_error"
)

// Meta is a note without its text: what lists, reports and viewers with
// metadata-only access see. Zero ids and nil times are absent.
type Meta struct {
	ID                uuid.UUID
	TenantID          uuid.UUID
	PatientID         uuid.UUID
	AppointmentID     uuid.UUID
	ReferralContactID uuid.UUID
	AuthorID          uuid.UUID
	Kind              Kind
	Status            Status
	Restricted        bool
	RiskFlag          bool
	Version           int
	CreatedAt         time.Time
	UpdatedAt         time.Time
	SignedAt          *time.Time
	SignedBy          uuid.UUID
	CoSignRequired    bool
	CoSignedAt        *time.Time
	CoSignedBy        uuid.UUID
	ErrorAt           *time.Time
	ErrorBy           uuid.UUID
	ErrorReason       string
}

// AwaitingCoSign: signed, and waiting for a HIP's co-signature.
func (m Meta) AwaitingCoSign() bool {
	return m.Status == StatusSigned && m.CoSignRequired && m.CoSignedAt == nil
}

// Note is a note as one viewer may see it: Body and Addenda are filled only
// when Access is AccessBody.
type Note struct {
	Meta
	Access Access
	Why    string
	// BreakGlass: the body is shown under a live break-glass grant.
	BreakGlass bool
	Body       Body
	Addenda    []Addendum
}

// Draft is one autosave of a note. A new note has a zero ID and Version;
// afterwards the editor sends back the ID and the Version it last saw.
// PatientID, AppointmentID and ReferralContactID are read on the first save
// only: a note stays where it was started.
type Draft struct {
	ID                uuid.UUID
	Version           int
	PatientID         uuid.UUID
	AppointmentID     uuid.UUID
	ReferralContactID uuid.UUID
	Restricted        bool
	Body              Body
}

const table = "notes"

// row is Meta as stored, with its sealed body.
type row struct {
	TenantID          uuid.UUID     `gorm:"column:tenant_id"`
	ID                uuid.UUID     `gorm:"column:id"`
	PatientID         uuid.UUID     `gorm:"column:patient_id"`
	AppointmentID     uuid.NullUUID `gorm:"column:appointment_id"`
	ReferralContactID uuid.NullUUID `gorm:"column:referral_contact_id"`
	AuthorID          uuid.UUID     `gorm:"column:author_id"`
	Kind              string        `gorm:"column:kind"`
	Status            string        `gorm:"column:status"`
	Restricted        bool          `gorm:"column:restricted"`
	RiskFlag          bool          `gorm:"column:risk_flag"`
	Body              []byte        `gorm:"column:body"`
	Version           int           `gorm:"column:version"`
	CreatedAt         time.Time     `gorm:"column:created_at"`
	UpdatedAt         time.Time     `gorm:"column:updated_at"`
	SignedAt          *time.Time    `gorm:"column:signed_at"`
	SignedBy          uuid.NullUUID `gorm:"column:signed_by"`
	CosignRequired    bool          `gorm:"column:cosign_required"`
	CosignedAt        *time.Time    `gorm:"column:cosigned_at"`
	CosignedBy        uuid.NullUUID `gorm:"column:cosigned_by"`
	ErrorAt           *time.Time    `gorm:"column:error_at"`
	ErrorBy           uuid.NullUUID `gorm:"column:error_by"`
	ErrorReason       *string       `gorm:"column:error_reason"`
	// Addenda counts the note's addenda (loadForRead only), so a note
	// without any costs no second query.
	Addenda int `gorm:"column:addenda"`
}

func (r row) meta() Meta {
	m := Meta{ID: r.ID, TenantID: r.TenantID, PatientID: r.PatientID, AppointmentID: r.AppointmentID.UUID,
		ReferralContactID: r.ReferralContactID.UUID, AuthorID: r.AuthorID, Kind: Kind(r.Kind), Status: Status(r.Status),
		Restricted: r.Restricted, RiskFlag: r.RiskFlag, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		SignedAt: r.SignedAt, SignedBy: r.SignedBy.UUID, CoSignRequired: r.CosignRequired, CoSignedAt: r.CosignedAt,
		CoSignedBy: r.CosignedBy.UUID, ErrorAt: r.ErrorAt, ErrorBy: r.ErrorBy.UUID}
	if r.ErrorReason != nil {
		m.ErrorReason = *r.ErrorReason
	}
	return m
}

const metaColumns = `tenant_id, id, patient_id, appointment_id, referral_contact_id, author_id, kind, status,
	restricted, risk_flag, version, created_at, updated_at, signed_at, signed_by, cosign_required,
	cosigned_at, cosigned_by, error_at, error_by, error_reason`

// load reads one note of the tenant, body included; lock takes the row for
// an update. Another tenant's id is not found: the wall hides it.
func load(tx *db.Tx, id uuid.UUID, lock bool) (row, error) {
	q := `SELECT ` + metaColumns + `, body FROM notes WHERE tenant_id = ? AND id = ?`
	if lock {
		q += ` FOR UPDATE`
	}
	var rows []row
	if err := tx.Raw(q, tx.Tenant.ID, id).Scan(&rows).Error; err != nil {
		return row{}, err
	}
	if len(rows) == 0 {
		return row{}, fault.New(fault.KindNotFound, "note not found", nil)
	}
	return rows[0], nil
}

// loadForRead is load for Open: the note and how many addenda it has, in
// one statement.
func loadForRead(tx *db.Tx, id uuid.UUID) (row, error) {
	var rows []row
	if err := tx.Raw(`SELECT `+metaColumns+`, body,
			(SELECT count(*) FROM note_addenda a WHERE a.tenant_id = notes.tenant_id AND a.note_id = notes.id) AS addenda
		FROM notes WHERE tenant_id = ? AND id = ?`, tx.Tenant.ID, id).Scan(&rows).Error; err != nil {
		return row{}, err
	}
	if len(rows) == 0 {
		return row{}, fault.New(fault.KindNotFound, "note not found", nil)
	}
	return rows[0], nil
}

func bodyAAD(id uuid.UUID) string { return keys.AAD(table, id, "body") }

// openBody decrypts a note's body. A wrong master key surfaces as
// keys.ErrMasterKey (a clear fault), never as an empty note.
func openBody(ctx context.Context, tx *db.Tx, k *keys.Keyring, r row) (Body, error) {
	p, err := k.Open(ctx, tx, bodyAAD(r.ID), r.Body)
	if err != nil {
		return Body{}, err
	}
	return unmarshalBody(p)
}

func sealBody(ctx context.Context, tx *db.Tx, k *keys.Keyring, id uuid.UUID, b Body) ([]byte, error) {
	p, err := b.marshal()
	if err != nil {
		return nil, err
	}
	return k.Seal(ctx, tx, bodyAAD(id), p)
}

// record audits one act on a note, with the patient it concerns.
func record(tx *db.Tx, v Viewer, action string, m Meta, outcome, reason string) error {
	return audit.Record(tx, audit.Event{Action: action, ActorUserID: v.UserID, ActorRoles: v.Roles,
		PatientID: m.PatientID, Object: "note", ObjectID: m.ID.String(), Outcome: outcome, Reason: reason,
		Detail: map[string]string{"kind": string(m.Kind), "status": string(m.Status)}})
}

// recordAtCommit is record sent with the transaction's COMMIT.
func recordAtCommit(tx *db.Tx, v Viewer, action string, m Meta, outcome, reason string) {
	tx.AtCommit(func(tx *db.Tx) error { return record(tx, v, action, m, outcome, reason) })
}

// Audit actions of this package.
const (
	ActionRead         = "note.read"
	ActionWrite        = "note.write"
	ActionSign         = "note.sign"
	ActionAddendum     = "note.addendum"
	ActionEnteredError = "note.entered_in_error"
	ActionCoSign       = "note.cosign"
	ActionBreakGlass   = "note.break_glass"
	ActionReview       = "note.break_glass_review"
	ActionList         = "note.list"
)

func wrap(where string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("note.%s: %w", where, err)
}

// Open returns the note as v may see it (CanRead, or a live break-glass
// grant for a restricted note) and audits every read of the body. A note v
// may not see at all is Forbidden, and the refusal is audited too.
func Open(ctx context.Context, d *db.DB, k *keys.Keyring, v Viewer, id uuid.UUID, now time.Time) (Note, error) {
	var n Note
	var refused error
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		r, err := loadForRead(tx, id)
		if err != nil {
			return err
		}
		v.TenantID = tx.Tenant.ID
		n = Note{Meta: r.meta()}
		n.Access, n.Why = CanRead(v, n.Meta)
		if n.Access == AccessMetadata && n.Restricted && breakGlassEligible(v.Roles) {
			live, err := liveGrant(tx, n.ID, v.UserID, now)
			if err != nil {
				return err
			}
			if live {
				n.Access, n.Why, n.BreakGlass = AccessBody, "break-glass grant", true
			}
		}
		switch n.Access {
		case AccessNone:
			refused = fault.New(fault.KindForbidden, "you may not see this note", nil)
			return record(tx, v, ActionRead, n.Meta, audit.OutcomeDenied, n.Why)
		case AccessMetadata:
			return nil
		}
		if n.Body, err = openBody(ctx, tx, k, r); err != nil {
			return err
		}
		if r.Addenda > 0 {
			if n.Addenda, err = addenda(ctx, tx, k, n.ID); err != nil {
				return err
			}
		}
		// The read's audit event goes out with the COMMIT: no round trip
		// of its own, and still all or nothing with the read.
		recordAtCommit(tx, v, ActionRead, n.Meta, audit.OutcomeOK, n.Why)
		return nil
	})
	if err != nil {
		return Note{}, wrap("Open", err)
	}
	if refused != nil {
		return Note{}, wrap("Open", refused)
	}
	return n, nil
}

// SaveDraft is the editor's autosave: it creates the draft on the first save
// and replaces its body afterwards, if d.Version is still the stored one.
// A stale version is a Conflict naming the stored version (another tab or
// device saved since); a retry of a save that already landed (same body) is
// a no-op returning the stored note.
func SaveDraft(ctx context.Context, d *db.DB, k *keys.Keyring, v Viewer, in Draft) (Meta, error) {
	kind, err := KindFor(v.Roles)
	if err != nil {
		return Meta{}, wrap("SaveDraft", err)
	}
	t, _ := TemplateOf(kind)
	body, err := in.Body.clean(t)
	if err != nil {
		return Meta{}, wrap("SaveDraft", err)
	}
	if in.Restricted && !hasRole(v.Roles, "hip") {
		return Meta{}, wrap("SaveDraft", fault.New(fault.KindForbidden, "only a HIP may mark a note restricted", nil))
	}
	var m Meta
	err = d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if in.ID == uuid.Nil {
			m, err = create(ctx, tx, k, v, kind, in, body)
		} else {
			m, err = update(ctx, tx, k, v, in, body)
		}
		if err != nil {
			return err
		}
		return record(tx, v, ActionWrite, m, audit.OutcomeOK, "")
	})
	return m, wrap("SaveDraft", err)
}

func create(ctx context.Context, tx *db.Tx, k *keys.Keyring, v Viewer, kind Kind, in Draft, body Body) (Meta, error) {
	if err := checkLink(tx, kind, in); err != nil {
		return Meta{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Meta{}, err
	}
	sealed, err := sealBody(ctx, tx, k, id, body)
	if err != nil {
		return Meta{}, err
	}
	err = tx.Exec(`INSERT INTO notes (tenant_id, id, patient_id, appointment_id, referral_contact_id, author_id, kind,
		restricted, risk_flag, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tx.Tenant.ID, id, in.PatientID, nullID(in.AppointmentID), nullID(in.ReferralContactID), v.UserID, kind,
		in.Restricted, body.riskFlag(), sealed).Error
	if err != nil {
		if fault.As(db.Translate(err)).Kind == fault.KindConflict {
			return Meta{}, fault.New(fault.KindConflict,
				"this session already has a note of this kind (perhaps from another tab): reload and open it", err)
		}
		return Meta{}, err
	}
	r, err := load(tx, id, false)
	return r.meta(), err
}

// checkLink: a note hangs on exactly one appointment of the person, or (for
// a Support Worker) one contact of the person's referral.
func checkLink(tx *db.Tx, kind Kind, in Draft) error {
	var f fault.Fields
	if in.PatientID == uuid.Nil {
		f.Add("patient_id", "choose the person the note is about")
	}
	switch {
	case (in.AppointmentID == uuid.Nil) == (in.ReferralContactID == uuid.Nil):
		f.Add("appointment_id", "a note belongs to one appointment or one referral contact")
	case in.ReferralContactID != uuid.Nil && kind != KindSupportWorker:
		f.Add("referral_contact_id", "only Support Workers write notes on a referral contact")
	}
	if err := f.Err(); err != nil {
		return err
	}
	var n int64
	var err error
	if in.AppointmentID != uuid.Nil {
		err = tx.Raw(`SELECT count(*) FROM appointments a WHERE a.tenant_id = ? AND a.id = ? AND (a.patient_id = ?
			OR EXISTS (SELECT 1 FROM appointment_attendees t WHERE t.tenant_id = a.tenant_id
				AND t.appointment_id = a.id AND t.patient_id = ?))`,
			tx.Tenant.ID, in.AppointmentID, in.PatientID, in.PatientID).Scan(&n).Error
	} else {
		err = tx.Raw(`SELECT count(*) FROM referral_contacts c JOIN referrals r ON r.tenant_id = c.tenant_id
			AND r.id = c.referral_id WHERE c.tenant_id = ? AND c.id = ? AND r.patient_id = ?`,
			tx.Tenant.ID, in.ReferralContactID, in.PatientID).Scan(&n).Error
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return fault.InvalidField("appointment_id", "no such appointment or referral contact for this person")
	}
	return nil
}

func update(ctx context.Context, tx *db.Tx, k *keys.Keyring, v Viewer, in Draft, body Body) (Meta, error) {
	r, err := load(tx, in.ID, true)
	if err != nil {
		return Meta{}, err
	}
	m := r.meta()
	switch {
	case m.AuthorID != v.UserID:
		return Meta{}, fault.New(fault.KindForbidden, "only the author edits a draft", nil)
	case m.Status != StatusDraft:
		return Meta{}, fault.New(fault.KindConflict, "the note is signed: add an addendum instead", nil)
	}
	if in.Version != m.Version {
		stored, err := openBody(ctx, tx, k, r)
		if err != nil {
			return Meta{}, err
		}
		if in.Version == m.Version-1 && sameBody(stored, body) && in.Restricted == m.Restricted {
			return m, nil // a retry of the save that made this version
		}
		return Meta{}, fault.New(fault.KindConflict, fmt.Sprintf(
			"this note was saved elsewhere (another tab or device) since you opened it: reload to see version %d before editing",
			m.Version), nil)
	}
	sealed, err := sealBody(ctx, tx, k, m.ID, body)
	if err != nil {
		return Meta{}, err
	}
	if err := tx.Exec(`UPDATE notes SET body = ?, restricted = ?, risk_flag = ?, version = version + 1, updated_at = now()
		WHERE tenant_id = ? AND id = ?`, sealed, in.Restricted, body.riskFlag(), tx.Tenant.ID, m.ID).Error; err != nil {
		return Meta{}, err
	}
	r, err = load(tx, m.ID, false)
	return r.meta(), err
}

func sameBody(a, b Body) bool {
	if a.FreeText != b.FreeText || len(a.Fields) != len(b.Fields) {
		return false
	}
	for k, v := range a.Fields {
		if b.Fields[k] != v {
			return false
		}
	}
	return true
}

func nullID(id uuid.UUID) uuid.NullUUID { return uuid.NullUUID{UUID: id, Valid: id != uuid.Nil} }
