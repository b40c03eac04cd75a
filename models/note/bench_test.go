package note_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/note"
)

// BenchmarkNoteRead is Open: the tenant wall, the row, CanRead, the grant
// check, decryption of body and addenda, and the audit insert.
func BenchmarkNoteRead(b *testing.B) {
	p := newPractice(b)
	m := p.signed(b, p.hip, hipBody, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := note.Open(p.ctx, p.env.DB, ring, p.gp, m.ID, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNoteReadPlain reads the same row through the same wall, without
// audit, visibility or decryption: the baseline for BenchmarkNoteRead.
func BenchmarkNoteReadPlain(b *testing.B) {
	p := newPractice(b)
	m := p.signed(b, p.hip, hipBody, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var body []byte
		if err := p.env.DB.ReadInTenant(p.ctx, func(tx *db.Tx) error {
			return tx.Raw(`SELECT body FROM notes WHERE tenant_id = ? AND id = ?`, tx.Tenant.ID, m.ID).Row().Scan(&body)
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTimeline200: a person's 200 notes with metadata and first lines.
func BenchmarkTimeline200(b *testing.B) {
	p := newPractice(b)
	for i := 0; i < 200; i++ {
		if _, err := note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{PatientID: p.patient,
			AppointmentID: p.appointment(b, p.hip), Body: hipBody}); err != nil {
			b.Fatal(err)
		}
	}
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tl, err := note.Timeline(p.ctx, p.env.DB, ring, p.gp, p.patient)
		took = append(took, time.Since(start))
		if err != nil || len(tl) != 200 {
			b.Fatalf("%d %v", len(tl), err)
		}
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[(len(took)*99)/100].Microseconds())/1000, "p99-ms")
}
