package note_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/note"
)

func TestSignedNoteCannotBeChangedEvenWithHandWrittenSQL(t *testing.T) {
	p := newPractice(t)
	m := p.signed(t, p.hip, hipBody, false)
	for _, q := range []string{
		`UPDATE notes SET body = '\x0102030405060708090a0b0c0d0e0f1011'::bytea WHERE id = ?`,
		`UPDATE notes SET restricted = true WHERE id = ?`,
		`UPDATE notes SET status = 'draft' WHERE id = ?`,
		`DELETE FROM notes WHERE id = ?`,
	} {
		err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error { return tx.Exec(q, m.ID).Error })
		wantKind(t, err, fault.Forbidden)
	}
	// The application's own path refuses too, with a clear message.
	_, err := note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{ID: m.ID, Version: m.Version, Body: hipBody})
	wantKind(t, err, fault.Conflict)
	n, err := note.Open(p.ctx, p.env.DB, ring, p.hip, m.ID, time.Now())
	if err != nil || n.Body.Fields["presenting_concern"] != "Low mood since the winter" {
		t.Fatalf("signed note changed: %v %v", n.Body, err)
	}
}

func TestAddendaKeepTheOriginalIntact(t *testing.T) {
	p := newPractice(t)
	m := p.signed(t, p.hip, hipBody, false)
	var before []byte
	raw := func() []byte {
		var b []byte
		if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
			return tx.Raw(`SELECT body FROM notes WHERE id = ?`, m.ID).Row().Scan(&b)
		}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	before = raw()
	if _, err := note.AddAddendum(p.ctx, p.env.DB, ring, p.hip, m.ID, "", ""); !strings.Contains(err.Error(), "reason") {
		t.Fatalf("empty addendum: %v", err)
	}
	a, err := note.AddAddendum(p.ctx, p.env.DB, ring, p.gp, m.ID, "Result came back", "Bloods normal.")
	wantKind(t, err, fault.Forbidden) // a GP reads notes but does not write them
	a, err = note.AddAddendum(p.ctx, p.env.DB, ring, p.hip, m.ID, "Spoke with GP", "GP agrees with plan.")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, raw()) {
		t.Fatal("the note's stored body changed")
	}
	n, err := note.Open(p.ctx, p.env.DB, ring, p.gp, m.ID, time.Now())
	if err != nil || len(n.Addenda) != 1 || n.Addenda[0].Text != "GP agrees with plan." || n.Body.FreeText != "Whānau supportive." {
		t.Fatalf("note with addenda: %+v %v", n, err)
	}
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE note_addenda SET reason = 'x' WHERE id = ?`, a.ID).Error
	})
	wantKind(t, err, fault.Forbidden)
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error { return tx.Exec(`DELETE FROM note_addenda WHERE id = ?`, a.ID).Error })
	wantKind(t, err, fault.Forbidden)
}

func TestCiphertextNeverHoldsThePlaintext(t *testing.T) {
	p := newPractice(t)
	m := p.signed(t, p.hip, hipBody, false)
	if _, err := note.AddAddendum(p.ctx, p.env.DB, ring, p.hip, m.ID, "Later", "Waka ama again on Saturday"); err != nil {
		t.Fatal(err)
	}
	var rows [][]byte
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT body FROM notes WHERE id = ? UNION ALL SELECT body FROM note_addenda WHERE note_id = ?`, m.ID, m.ID).Scan(&rows).Error
	}); err != nil || len(rows) != 2 {
		t.Fatalf("raw rows: %d %v", len(rows), err)
	}
	for _, b := range rows {
		for _, plain := range []string{"waka ama", "Waka ama", "Low mood", "Whānau", "what_matters"} {
			if bytes.Contains(b, []byte(plain)) {
				t.Fatalf("ciphertext holds %q", plain)
			}
		}
	}
}

func TestWrongMasterKeyFailsClosed(t *testing.T) {
	p := newPractice(t)
	m := p.signed(t, p.hip, hipBody, false)
	n, err := note.Open(p.ctx, p.env.DB, masterKey(9), p.hip, m.ID, time.Now())
	wantKind(t, err, fault.Unavailable)
	if !strings.Contains(fault.As(err).Message, "master key") || n.Body.Fields != nil {
		t.Fatalf("wrong key: %v %+v", err, n)
	}
	_ = keys.ErrMasterKey
}

func TestAutosaveConflictAndIdempotentRetry(t *testing.T) {
	p := newPractice(t)
	appt := p.appointment(t, p.hip)
	m, err := note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{PatientID: p.patient, AppointmentID: appt, Body: hipBody})
	if err != nil {
		t.Fatal(err)
	}
	// A second tab starting the same note finds it taken.
	_, err = note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{PatientID: p.patient, AppointmentID: appt, Body: hipBody})
	wantKind(t, err, fault.Conflict)
	edit := hipBody
	edit.FreeText = "Tab one"
	m2, err := note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{ID: m.ID, Version: m.Version, Body: edit})
	if err != nil || m2.Version != m.Version+1 {
		t.Fatalf("save: %v %v", m2.Version, err)
	}
	// The same save retried is a no-op; another tab's stale save is refused.
	if again, err := note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{ID: m.ID, Version: m.Version, Body: edit}); err != nil || again.Version != m2.Version {
		t.Fatalf("retry: %v %v", again.Version, err)
	}
	other := hipBody
	other.FreeText = "Tab two"
	_, err = note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{ID: m.ID, Version: m.Version, Body: other})
	wantKind(t, err, fault.Conflict)
	// Bad input changes nothing.
	_, err = note.SaveDraft(p.ctx, p.env.DB, ring, p.hip, note.Draft{ID: m.ID, Version: m2.Version,
		Body: note.Body{Fields: map[string]string{"risk_screen": "maybe", "nonsense": "x"}}})
	wantKind(t, err, fault.Invalid)
	// Signing needs the required fields.
	bare, err := note.SaveDraft(p.ctx, p.env.DB, ring, p.coach, note.Draft{PatientID: p.patient,
		AppointmentID: p.appointment(t, p.coach), Body: note.Body{FreeText: "only this"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = note.Sign(p.ctx, p.env.DB, ring, p.coach, bare.ID, bare.Version)
	wantKind(t, err, fault.Invalid)
}

func TestCoSignFlow(t *testing.T) {
	p := newPractice(t)
	p.exec(t, `INSERT INTO tenant_settings (tenant_id, coach_cosign_required) VALUES (?, true)`, p.tenant)
	m := p.signed(t, p.coach, coachBody, false)
	if !m.AwaitingCoSign() {
		t.Fatalf("coach note not awaiting co-sign: %+v", m)
	}
	q, err := note.CoSignQueue(p.ctx, p.env.DB)
	if err != nil || len(q) != 1 || q[0].ID != m.ID {
		t.Fatalf("queue: %v %v", q, err)
	}
	_, err = note.CoSign(p.ctx, p.env.DB, p.coach, m.ID)
	wantKind(t, err, fault.Forbidden)
	if m, err = note.CoSign(p.ctx, p.env.DB, p.hip, m.ID); err != nil || m.CoSignedBy != p.hip.UserID {
		t.Fatalf("co-sign: %v", err)
	}
	_, err = note.CoSign(p.ctx, p.env.DB, p.hip2, m.ID)
	wantKind(t, err, fault.Conflict)
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE notes SET cosigned_by = ? WHERE id = ?`, p.hip2.UserID, m.ID).Error
	})
	wantKind(t, err, fault.Forbidden)
	if q, _ = note.CoSignQueue(p.ctx, p.env.DB); len(q) != 0 {
		t.Fatalf("queue after co-sign: %d", len(q))
	}
	// A HIP note never waits.
	if h := p.signed(t, p.hip, hipBody, false); h.AwaitingCoSign() {
		t.Fatal("HIP note awaits co-sign")
	}
}

func TestBreakGlassGrantExpires(t *testing.T) {
	p := newPractice(t)
	m := p.signed(t, p.hip, hipBody, true)
	now := time.Now()
	n, err := note.Open(p.ctx, p.env.DB, ring, p.gp, m.ID, now)
	if err != nil || n.Access != note.AccessMetadata || n.Body.Fields != nil {
		t.Fatalf("GP before break-glass: %v %v", n.Access, err)
	}
	_, err = note.BreakGlass(p.ctx, p.env.DB, p.gp, m.ID, "Acute risk presentation today", false, now)
	wantKind(t, err, fault.Unauthenticated)
	_, err = note.BreakGlass(p.ctx, p.env.DB, p.sw, m.ID, "Acute risk presentation today", true, now)
	wantKind(t, err, fault.Forbidden)
	_, err = note.BreakGlass(p.ctx, p.env.DB, p.gp, m.ID, "short", true, now)
	wantKind(t, err, fault.Invalid)
	g, err := note.BreakGlass(p.ctx, p.env.DB, p.gp, m.ID, "Acute risk presentation today", true, now)
	if err != nil {
		t.Fatal(err)
	}
	if n, err = note.Open(p.ctx, p.env.DB, ring, p.gp, m.ID, now.Add(29*time.Minute)); err != nil || !n.BreakGlass || n.Body.FreeText == "" {
		t.Fatalf("within grant: %+v %v", n.Access, err)
	}
	if n, err = note.Open(p.ctx, p.env.DB, ring, p.gp, m.ID, now.Add(31*time.Minute)); err != nil || n.Access != note.AccessMetadata {
		t.Fatalf("after expiry: %v %v", n.Access, err)
	}
	q, err := note.ReviewQueue(p.ctx, p.env.DB)
	if err != nil || len(q) != 1 || q[0].ID != g.ID || q[0].PatientID != p.patient {
		t.Fatalf("review queue: %+v %v", q, err)
	}
	_, err = note.Review(p.ctx, p.env.DB, p.gp, g.ID, "fine")
	wantKind(t, err, fault.Forbidden)
	if _, err = note.Review(p.ctx, p.env.DB, p.adm, g.ID, "Appropriate: acute risk"); err != nil {
		t.Fatal(err)
	}
	if q, _ = note.ReviewQueue(p.ctx, p.env.DB); len(q) != 0 {
		t.Fatalf("queue after review: %d", len(q))
	}
	// The access is in the person's report, with its reason.
	rep, err := note.AccessReport(p.ctx, p.env.DB, p.patient)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, e := range rep {
		found[e.Action] = true
		if e.Action == note.ActionBreakGlass && (e.Reason != "Acute risk presentation today" || e.ActorUserID != p.gp.UserID) {
			t.Fatalf("break-glass event: %+v", e)
		}
	}
	for _, a := range []string{note.ActionWrite, note.ActionSign, note.ActionRead, note.ActionBreakGlass, note.ActionReview} {
		if !found[a] {
			t.Fatalf("access report lacks %s: %v", a, found)
		}
	}
}

func TestEnteredInErrorStaysVisible(t *testing.T) {
	p := newPractice(t)
	m := p.signed(t, p.hip, hipBody, false)
	_, err := note.EnterInError(p.ctx, p.env.DB, p.hip2, m.ID, "wrong person")
	wantKind(t, err, fault.Forbidden)
	if m, err = note.EnterInError(p.ctx, p.env.DB, p.hip, m.ID, "Wrong person"); err != nil || m.Status != note.StatusEnteredInError {
		t.Fatalf("enter in error: %v", err)
	}
	n, err := note.Open(p.ctx, p.env.DB, ring, p.gp, m.ID, time.Now())
	if err != nil || n.Status != note.StatusEnteredInError || n.ErrorReason != "Wrong person" || n.Body.FreeText == "" {
		t.Fatalf("retracted note: %+v %v", n.Meta, err)
	}
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE notes SET status = 'signed', error_at = NULL, error_by = NULL, error_reason = NULL WHERE id = ?`, m.ID).Error
	})
	wantKind(t, err, fault.Forbidden)
}

func TestAnotherPracticesNotesAreNotFound(t *testing.T) {
	a, b := newPractice(t), newPractice(t)
	m := a.signed(t, a.hip, hipBody, false)
	_, err := note.Open(b.ctx, b.env.DB, ring, b.hip, m.ID, time.Now())
	wantKind(t, err, fault.NotFound)
	_, err = note.AddAddendum(b.ctx, b.env.DB, ring, b.hip, m.ID, "reason", "text")
	wantKind(t, err, fault.NotFound)
	_, err = note.BreakGlass(b.ctx, b.env.DB, b.gp, m.ID, "Acute risk presentation today", true, time.Now())
	wantKind(t, err, fault.NotFound)
	_, err = note.EnterInError(b.ctx, b.env.DB, b.hip, m.ID, "x")
	wantKind(t, err, fault.NotFound)
	if tl, err := note.Timeline(b.ctx, b.env.DB, ring, b.hip, a.patient); err != nil || len(tl) != 0 {
		t.Fatalf("timeline across tenants: %d %v", len(tl), err)
	}
	if rep, _ := note.AccessReport(b.ctx, b.env.DB, a.patient); len(rep) != 0 {
		t.Fatalf("access report across tenants: %d", len(rep))
	}
	_ = audit.OutcomeOK
}
