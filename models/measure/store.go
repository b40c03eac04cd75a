package measure

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/keys"
)

// Result is one stored, scored measure. Items are the answers, sealed at
// rest; Total, Band and RiskAlert are in clear for reports and trends.
type Result struct {
	ID            uuid.UUID
	PatientID     uuid.UUID
	AppointmentID uuid.UUID // zero when not taken in a session
	RecordedBy    uuid.UUID
	RecordedAt    time.Time
	Score
}

func itemsAAD(id uuid.UUID) string { return keys.AAD("measure_results", id, "items") }

// Record scores items with Calculate and stores them: answers sealed with the
// tenant's key, the total, band and risk alert in clear. It is audited with
// the patient; a PHQ-9 item 9 answered above 0 is audited as a risk alert.
func Record(ctx context.Context, d *db.DB, k *keys.Keyring, actor uuid.UUID, patientID, appointmentID uuid.UUID, kind Kind, items []int) (Result, error) {
	s, err := Calculate(kind, items)
	if err != nil {
		return Result{}, fmt.Errorf("measure.Record: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Result{}, fmt.Errorf("measure.Record: %w", err)
	}
	r := Result{ID: id, PatientID: patientID, AppointmentID: appointmentID, RecordedBy: actor, Score: s}
	err = d.InTenant(ctx, func(tx *db.Tx) error {
		p, _ := json.Marshal(s.Items)
		sealed, err := k.Seal(ctx, tx, itemsAAD(id), p)
		if err != nil {
			return err
		}
		appt := uuid.NullUUID{UUID: appointmentID, Valid: appointmentID != uuid.Nil}
		if err := tx.Raw(`INSERT INTO measure_results (tenant_id, id, patient_id, appointment_id, kind, items, total, band,
			risk_alert, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING recorded_at`,
			tx.Tenant.ID, id, patientID, appt, string(kind), sealed, s.Total, s.Band, s.RiskAlert, actor).Scan(&r.RecordedAt).Error; err != nil {
			return err
		}
		action := "measure.record"
		if s.RiskAlert {
			action = "measure.risk_alert"
		}
		return audit.Record(tx, audit.Event{Action: action, ActorUserID: actor, PatientID: patientID,
			Object: "measure", ObjectID: id.String(), Detail: map[string]string{"kind": string(kind)}})
	})
	if err != nil {
		return Result{}, fmt.Errorf("measure.Record: %w", err)
	}
	return r, nil
}

// History lists a person's results of one kind, oldest first (a trend),
// answers opened. Reading the answers is audited by the caller's page view
// elsewhere; History itself reads only inside the tenant wall.
func History(ctx context.Context, d *db.DB, k *keys.Keyring, patientID uuid.UUID, kind Kind) ([]Result, error) {
	var out []Result
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var rows []struct {
			ID            uuid.UUID     `gorm:"column:id"`
			AppointmentID uuid.NullUUID `gorm:"column:appointment_id"`
			Items         []byte        `gorm:"column:items"`
			Total         int           `gorm:"column:total"`
			Band          string        `gorm:"column:band"`
			RiskAlert     bool          `gorm:"column:risk_alert"`
			RecordedBy    uuid.UUID     `gorm:"column:recorded_by"`
			RecordedAt    time.Time     `gorm:"column:recorded_at"`
		}
		if err := tx.Raw(`SELECT id, appointment_id, items, total, band, risk_alert, recorded_by, recorded_at
			FROM measure_results WHERE tenant_id = ? AND patient_id = ? AND kind = ? ORDER BY recorded_at, id`,
			tx.Tenant.ID, patientID, string(kind)).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			p, err := k.Open(ctx, tx, itemsAAD(r.ID), r.Items)
			if err != nil {
				return err
			}
			var items []int
			if err := json.Unmarshal(p, &items); err != nil {
				return err
			}
			out = append(out, Result{ID: r.ID, PatientID: patientID, AppointmentID: r.AppointmentID.UUID,
				RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt,
				Score: Score{Kind: kind, Items: items, Total: r.Total, Band: r.Band, RiskAlert: r.RiskAlert}})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("measure.History: %w", err)
	}
	return out, nil
}
