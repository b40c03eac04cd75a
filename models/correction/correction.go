// Package correction owns a person's requests to correct their health
// information (HIPC rule 7) and the record of where that information was
// disclosed. When the practice does not make the correction, the person's
// statement is attached to the record and travels with every export
// (models/record.Correction), and everyone it was disclosed to can be told.
//
// The statement is health information from the person: it is sealed with the
// tenant's data key (AAD record_corrections/<id>/statement). Disclosures are
// not stored twice: they are the export events of the audit trail
// (ActionExport, written by RecordExport with each export).
//
// It must never log a statement or patient details, nor read across tenants.
package correction

import (
	"context"
	"fmt"
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

// MaxRunes is the longest statement the form takes.
const MaxRunes = 5000

// Audit actions of this package.
const (
	ActionRequest = "correction.request"
	ActionDecide  = "correction.decide"
	ActionRead    = "correction.read"
	// ActionExport is one disclosure of a person's record (PDF or FHIR).
	ActionExport = "record.export"
)

// Decision is what the practice did with a request.
type Decision string

const (
	Pending           Decision = ""
	Corrected         Decision = "corrected"
	StatementAttached Decision = "statement_attached"
)

// Correction is one request with its decision and, for a statement, where
// the person's record had been disclosed.
type Correction struct {
	ID          uuid.UUID
	PatientID   uuid.UUID
	Statement   string
	RequestedAt time.Time
	RecordedBy  uuid.UUID
	Decision    Decision
	DecidedBy   uuid.UUID
	DecidedAt   *time.Time
	DisclosedTo []Disclosure
}

// Disclosure is one export of the person's record: when, by whom, in what
// form, to whom.
type Disclosure struct {
	At     time.Time
	By     uuid.UUID
	Format string // pdf, fhir
	To     string
}

// String is the disclosure in words, for the record's "disclosed to" list.
func (d Disclosure) String() string {
	return fmt.Sprintf("%s (%s), %s", d.To, strings.ToUpper(d.Format), d.At.UTC().Format("2 Jan 2006"))
}

func statementAAD(id uuid.UUID) string { return keys.AAD("record_corrections", id, "statement") }

func wrap(where string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("correction.%s: %w", where, err)
}

// Request records the person's request with their statement, pending the
// practice's decision.
func Request(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, patientID uuid.UUID, statement string) (Correction, error) {
	statement = strings.TrimSpace(statement)
	var f fault.Fields
	switch n := utf8.RuneCountInString(statement); {
	case n == 0:
		f.Add("statement", "write what the person asks to be corrected, in their words")
	case n > MaxRunes:
		f.Add("statement", fmt.Sprintf("keep the statement to %d characters or fewer (it has %d)", MaxRunes, n))
	}
	if err := f.Err(); err != nil {
		return Correction{}, wrap("Request", err)
	}
	c := Correction{ID: uuid.Must(uuid.NewV7()), PatientID: patientID, Statement: statement, RecordedBy: v.UserID}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var found []int
		if err := tx.Raw(`SELECT 1 FROM patients WHERE tenant_id = ? AND id = ?`, tx.Tenant.ID, patientID).
			Scan(&found).Error; err != nil {
			return err
		}
		if len(found) == 0 {
			return fault.New(fault.KindNotFound, "person not found", nil)
		}
		sealed, err := k.Seal(ctx, tx, statementAAD(c.ID), []byte(statement))
		if err != nil {
			return err
		}
		if err := tx.Raw(`INSERT INTO record_corrections (tenant_id, id, patient_id, statement, recorded_by)
			VALUES (?, ?, ?, ?, ?) RETURNING requested_at`, tx.Tenant.ID, c.ID, patientID, sealed, v.UserID).
			Scan(&c.RequestedAt).Error; err != nil {
			return db.Translate(err)
		}
		return audit.Record(tx, audit.Event{Action: ActionRequest, ActorUserID: v.UserID, ActorRoles: v.Roles,
			PatientID: patientID, Object: "correction", ObjectID: c.ID.String()})
	})
	return c, wrap("Request", err)
}

// Decide records, once, whether the practice corrected the information or
// attached the person's statement instead. A second decision is a Conflict.
func Decide(ctx context.Context, d *db.DB, v note.Viewer, patientID, id uuid.UUID, decision Decision) error {
	if decision != Corrected && decision != StatementAttached {
		return wrap("Decide", fault.InvalidField("decision", "choose corrected or attach the person's statement"))
	}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var state []struct {
			Decision *string `gorm:"column:decision"`
		}
		if err := tx.Raw(`SELECT decision FROM record_corrections WHERE tenant_id = ? AND id = ? AND patient_id = ? FOR UPDATE`,
			tx.Tenant.ID, id, patientID).Scan(&state).Error; err != nil {
			return err
		}
		switch {
		case len(state) == 0:
			return fault.New(fault.KindNotFound, "correction request not found", nil)
		case state[0].Decision != nil:
			return fault.New(fault.KindConflict, "this request has already been decided", nil)
		}
		if err := tx.Exec(`UPDATE record_corrections SET decision = ?, decided_by = ?, decided_at = now()
			WHERE tenant_id = ? AND id = ? AND decision IS NULL`, string(decision), v.UserID, tx.Tenant.ID, id).Error; err != nil {
			return db.Translate(err)
		}
		return audit.Record(tx, audit.Event{Action: ActionDecide, ActorUserID: v.UserID, ActorRoles: v.Roles,
			PatientID: patientID, Object: "correction", ObjectID: id.String(),
			Detail: map[string]string{"decision": string(decision)}})
	})
	return wrap("Decide", err)
}

// List reads the person's requests, oldest first, with their statements and
// where the record had been disclosed; the read is audited.
func List(ctx context.Context, d *db.DB, k *keys.Keyring, v note.Viewer, patientID uuid.UUID) ([]Correction, error) {
	var out []Correction
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var rows []struct {
			ID          uuid.UUID     `gorm:"column:id"`
			Statement   []byte        `gorm:"column:statement"`
			RequestedAt time.Time     `gorm:"column:requested_at"`
			RecordedBy  uuid.UUID     `gorm:"column:recorded_by"`
			Decision    *string       `gorm:"column:decision"`
			DecidedBy   uuid.NullUUID `gorm:"column:decided_by"`
			DecidedAt   *time.Time    `gorm:"column:decided_at"`
		}
		if err := tx.Raw(`SELECT id, statement, requested_at, recorded_by, decision, decided_by, decided_at
			FROM record_corrections WHERE tenant_id = ? AND patient_id = ? ORDER BY requested_at, id`,
			tx.Tenant.ID, patientID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		disclosed, err := disclosures(tx, patientID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			p, err := k.Open(ctx, tx, statementAAD(r.ID), r.Statement)
			if err != nil {
				return err
			}
			c := Correction{ID: r.ID, PatientID: patientID, Statement: string(p), RequestedAt: r.RequestedAt,
				RecordedBy: r.RecordedBy, DecidedBy: r.DecidedBy.UUID, DecidedAt: r.DecidedAt}
			if r.Decision != nil {
				c.Decision = Decision(*r.Decision)
			}
			// Where it was disclosed before the request: those are the
			// people to tell of the statement.
			for _, x := range disclosed {
				if x.At.Before(r.RequestedAt) {
					c.DisclosedTo = append(c.DisclosedTo, x)
				}
			}
			out = append(out, c)
		}
		return audit.Record(tx, audit.Event{Action: ActionRead, ActorUserID: v.UserID, ActorRoles: v.Roles,
			PatientID: patientID, Object: "correction"})
	})
	return out, wrap("List", err)
}

// disclosures are the person's record exports from the audit trail, oldest first.
func disclosures(tx *db.Tx, patientID uuid.UUID) ([]Disclosure, error) {
	var rows []struct {
		At     time.Time     `gorm:"column:at"`
		By     uuid.NullUUID `gorm:"column:actor_user_id"`
		Format *string       `gorm:"column:format"`
		To     *string       `gorm:"column:recipient"`
	}
	if err := tx.Raw(`SELECT at, actor_user_id, detail->>'format' AS format, detail->>'to' AS recipient
		FROM audit_events WHERE tenant_id = ? AND patient_id = ? AND action = ? AND outcome = 'ok' ORDER BY at, id`,
		tx.Tenant.ID, patientID, ActionExport).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Disclosure, len(rows))
	for i, r := range rows {
		out[i] = Disclosure{At: r.At, By: r.By.UUID}
		if r.Format != nil {
			out[i].Format = *r.Format
		}
		if r.To != nil {
			out[i].To = *r.To
		}
	}
	return out, nil
}

var errFormat = fault.InvalidField("format", "export as pdf or fhir")

// Recipients of an export, by format: a PDF is the person's copy (HIPC rule
// 6), a FHIR bundle goes to the practice management system.
var recipients = map[string]string{"pdf": "the person (PDF copy of their record)",
	"fhir": "the practice management system (FHIR)"}

// RecordExport audits one export of the person's record: the disclosure
// the correction list reads back. format is pdf or fhir.
func RecordExport(ctx context.Context, d *db.DB, v note.Viewer, patientID uuid.UUID, format string) error {
	to, ok := recipients[format]
	if !ok {
		return wrap("RecordExport", errFormat)
	}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		return audit.Record(tx, audit.Event{Action: ActionExport, ActorUserID: v.UserID, ActorRoles: v.Roles,
			PatientID: patientID, Object: "record", ObjectID: patientID.String(), Reason: "export of the person's record",
			Detail: map[string]string{"format": format, "to": to}})
	})
	return wrap("RecordExport", err)
}
