package measure_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/measure"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestRecordSealsAnswersAndKeepsTotalsInClear(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	hip, patient := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test')`, hip, "m-"+hip.String()[24:]+"@example.co.nz").Error
	}))
	must(env.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY['hip'])`, tn.ID, hip).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, preferred_name, name_search, date_of_birth)
			VALUES (?, ?, 'Ngata', 'Aroha', 'Ro', 'ngata aroha', DATE '1990-05-01')`, tn.ID, patient).Error
	}))
	l, _ := keys.NewLocal(bytes.Repeat([]byte{3}, keys.KeyLen))
	ring := keys.NewKeyring(l)

	if _, err := measure.Record(ctx, env.DB, ring, hip, patient, uuid.Nil, measure.PHQ9, []int{1, 1}); err == nil {
		t.Fatal("a short PHQ-9 was stored")
	}
	r, err := measure.Record(ctx, env.DB, ring, hip, patient, uuid.Nil, measure.PHQ9, []int{3, 3, 3, 3, 3, 3, 3, 3, 1})
	if err != nil || r.Total != 25 || !r.RiskAlert || r.Band != "severe" {
		t.Fatalf("PHQ-9: %+v %v", r, err)
	}
	if _, err := measure.Record(ctx, env.DB, ring, hip, patient, uuid.Nil, measure.PHQ9, []int{0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	h, err := measure.History(ctx, env.DB, ring, patient, measure.PHQ9)
	if err != nil || len(h) != 2 || h[0].Total != 25 || h[0].Items[8] != 1 || h[1].RiskAlert {
		t.Fatalf("history: %+v %v", h, err)
	}
	var raw []byte
	var alerts int64
	must(env.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.Raw(`SELECT items FROM measure_results WHERE id = ?`, r.ID).Row().Scan(&raw); err != nil {
			return err
		}
		return tx.Raw(`SELECT count(*) FROM audit_events WHERE patient_id = ? AND action = 'measure.risk_alert'`, patient).Scan(&alerts).Error
	}))
	if bytes.Contains(raw, []byte("[3,3,3")) || alerts != 1 {
		t.Fatalf("answers in clear or alert not audited: %d", alerts)
	}
	// Another practice finds nothing.
	other, _ := env.Tenant(t)
	if h, err := measure.History(other, env.DB, ring, patient, measure.PHQ9); err != nil || len(h) != 0 {
		t.Fatalf("across tenants: %d %v", len(h), err)
	}
}
